/**
 * Values formatted exactly as Go's JSON encoding of Kubernetes types writes
 * them, for the types whose JSON form is a string: metav1.Time,
 * metav1.MicroTime, metav1.Duration (time.Duration) and float32.
 */

const MS_PER_SECOND = 1000;
const NANOS_PER_MICRO = 1000;
const NANOS_PER_SECOND = 1_000_000_000;
/** `YYYY-MM-DDTHH:mm:ss` of an ISO string. */
const ISO_SECONDS_LENGTH = 19;
const MICRO_DIGITS = 6;

function isoSeconds(seconds: number): string {
  return new Date(seconds * MS_PER_SECOND).toISOString().slice(0, ISO_SECONDS_LENGTH);
}

/** metav1.Time: RFC 3339 in UTC at whole seconds, e.g. `2024-01-02T03:04:05Z`. */
export function formatTime(seconds: number): string {
  return `${isoSeconds(seconds)}Z`;
}

/**
 * metav1.MicroTime: RFC 3339 in UTC with exactly six fractional digits,
 * e.g. `2024-01-02T03:04:05.123456Z` (nanoseconds are truncated, as Go does).
 */
export function formatMicroTime(seconds: number, nanos: number): string {
  // Like Go's time.Unix, accept nanos outside [0, 1e9) by carrying into seconds.
  const carry = Math.floor(nanos / NANOS_PER_SECOND);
  const secs = seconds + carry;
  const micros = Math.floor((nanos - carry * NANOS_PER_SECOND) / NANOS_PER_MICRO);
  return `${isoSeconds(secs)}.${String(micros).padStart(MICRO_DIGITS, '0')}Z`;
}

const NS_PER_US = 1_000n;
const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;
const SECONDS_PER_MINUTE = 60n;
const MINUTES_PER_HOUR = 60n;

/** The fraction of v / 10^digits, without trailing zeros and with its point; '' when zero. */
function fraction(v: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const frac = v % scale;
  if (frac === 0n) return '';
  return `.${frac.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}

/**
 * Go's time.Duration.String(): "0s", "500ns", "1.5µs", "2.5ms", "1.5s",
 * "5m0s", "1h30m0s", "-2m3.5s".
 */
export function formatGoDuration(nanoseconds: number | bigint): string {
  let u = BigInt(nanoseconds);
  const sign = u < 0n ? '-' : '';
  if (u < 0n) u = -u;
  if (u === 0n) return '0s';
  if (u < NS_PER_S) {
    if (u < NS_PER_US) return `${sign}${u}ns`;
    if (u < NS_PER_MS) return `${sign}${u / NS_PER_US}${fraction(u, 3)}\u00b5s`;
    return `${sign}${u / NS_PER_MS}${fraction(u, 6)}ms`;
  }
  const secondsPart = `${(u / NS_PER_S) % SECONDS_PER_MINUTE}${fraction(u, 9)}s`;
  const totalMinutes = u / NS_PER_S / SECONDS_PER_MINUTE;
  if (totalMinutes === 0n) return `${sign}${secondsPart}`;
  const minutesPart = `${totalMinutes % MINUTES_PER_HOUR}m`;
  const hours = totalMinutes / MINUTES_PER_HOUR;
  return `${sign}${hours > 0n ? `${hours}h` : ''}${minutesPart}${secondsPart}`;
}

/** Enough significant digits to tell any two float32 values apart. */
const FLOAT32_MAX_DIGITS = 9;

/**
 * A float32 as Go prints it: the shortest decimal that reads back as the
 * same float32 (JS would print the widened float64, e.g. 0.10000000149011612).
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  for (let digits = 1; digits < FLOAT32_MAX_DIGITS; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return Number(value.toPrecision(FLOAT32_MAX_DIGITS));
}
