/**
 * Go-style durations (`1m30s`, `1.5s`, `200ms`, `10m`), as Kubernetes users write them in flags
 * and in CRD fields whose schema pattern accepts the same units.
 */

const DURATION_PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/gy;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Milliseconds; throws naming `field` when the text is not a duration. */
export function parseDuration(text: string, field: string): number {
  if (typeof text !== 'string' || !text) throw new Error(`${field} ${JSON.stringify(text)} is not a duration like 200ms, 2s or 1m30s`);
  let total = 0;
  let end = 0;
  DURATION_PART.lastIndex = 0;
  for (let m = DURATION_PART.exec(text); m; m = DURATION_PART.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    end = DURATION_PART.lastIndex;
  }
  if (end !== text.length) throw new Error(`${field} "${text}" is not a duration like 200ms, 2s or 1m30s`);
  return total;
}
