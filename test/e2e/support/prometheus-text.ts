/** Reading the operator's `/metrics` (Prometheus text format 0.0.4) the way a query would aggregate it. */

export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Every sample of metric `name`. */
export function samples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = SAMPLE_LINE.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/** `sum by (label) (name{filter})`: the samples matching every label of `filter`, summed per value of `by`. */
export function sumBy(all: readonly Sample[], by: string, filter: Readonly<Record<string, string>> = {}): Map<string, number> {
  const sums = new Map<string, number>();
  for (const s of all) {
    if (!Object.entries(filter).every(([k, v]) => s.labels[k] === v)) continue;
    const key = s.labels[by] ?? '';
    sums.set(key, (sums.get(key) ?? 0) + s.value);
  }
  return sums;
}
