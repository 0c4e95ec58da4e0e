import { isIP, isIPv4, isIPv6 } from 'node:net';

/**
 * The string formats kube-apiserver enforces in CRD schemas. Every other
 * format (int32, int64, float, double, and names it does not know) is
 * stripped from the schema before validation, so it checks nothing —
 * kube-apiserver does the same. Names compare without dashes
 * (`date-time` is `datetime`), as go-openapi's format registry does.
 * The rarely used ones (isbn, creditcard, ssn) are checked by shape only,
 * without checksums.
 */

export type FormatChecker = (value: string) => boolean;

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID3 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID4 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const UUID5 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$/;
/** Go's time.ParseDuration syntax, or a number and a unit word as go-openapi also accepts ("22 ns", "3 days"). */
// µ and μ are escaped: one character above Latin-1 anywhere makes V8 keep the whole bundle's source at two bytes a character.
const GO_DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$|^0$/;
const WORD_DURATION =
  /^\d+\s*(ns|nanos?|nanoseconds?|us|\u00b5s|micros?|microseconds?|ms|millis?|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?)$/;
const HOSTNAME_LABEL = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;
const MAX_HOSTNAME_LENGTH = 255;
const MAC =
  /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$|^([0-9a-f]{2}[:-]){7}[0-9a-f]{2}$|^([0-9a-f]{2}[:-]){19}[0-9a-f]{2}$|^([0-9a-f]{4}\.){2}[0-9a-f]{4}$|^([0-9a-f]{4}\.){3}[0-9a-f]{4}$|^([0-9a-f]{4}\.){9}[0-9a-f]{4}$/i;
const EMAIL = /^[^@\s<>]+@[^@\s<>]+$|^[^<>]*<[^@\s<>]+@[^@\s<>]+>$/;
const URI_SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX_COLOR = /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const RGB_COLOR = /^rgb\(\s*(\d{1,3}%?)\s*,\s*(\d{1,3}%?)\s*,\s*(\d{1,3}%?)\s*\)$/;
const BSON_OBJECT_ID = /^[0-9a-fA-F]{24}$/;
const SSN = /^\d{3}[- ]?\d{2}[- ]?\d{4}$/;
const ISBN10 = /^(?:\d{9}[\dX])$/;
const ISBN13 = /^(?:97[89]\d{10})$/;
const CREDIT_CARD = /^(?:4\d{12}(?:\d{3})?|5[1-5]\d{14}|6(?:011|5\d\d)\d{12}|3[47]\d{13}|3(?:0[0-5]|[68]\d)\d{11}|(?:2131|1800|35\d{3})\d{11})$/;

const CHECKERS: Readonly<Record<string, FormatChecker>> = {
  bsonobjectid: (v) => BSON_OBJECT_ID.test(v),
  uri: isRequestUri,
  email: (v) => EMAIL.test(v),
  hostname: isHostname,
  ipv4: (v) => isIPv4(v),
  ipv6: (v) => isIPv6(v) || (isIP(v) !== 0 && v.includes(':')),
  cidr: isCidr,
  mac: (v) => MAC.test(v),
  uuid: (v) => UUID.test(v),
  uuid3: (v) => UUID3.test(v),
  uuid4: (v) => UUID4.test(v),
  uuid5: (v) => UUID5.test(v),
  isbn: (v) => ISBN10.test(isbnDigits(v)) || ISBN13.test(isbnDigits(v)),
  isbn10: (v) => ISBN10.test(isbnDigits(v)),
  isbn13: (v) => ISBN13.test(isbnDigits(v)),
  creditcard: (v) => CREDIT_CARD.test(v.replace(/\D/g, '')),
  ssn: (v) => SSN.test(v),
  hexcolor: (v) => HEX_COLOR.test(v),
  rgbcolor: (v) => RGB_COLOR.test(v),
  byte: (v) => BASE64.test(v),
  password: () => true,
  date: isDate,
  duration: (v) => GO_DURATION.test(v) || WORD_DURATION.test(v),
  datetime: isDateTime,
};

/** The checker for a format name, or undefined when kube-apiserver does not enforce that format. */
export function formatChecker(format: string): FormatChecker | undefined {
  return CHECKERS[format.replaceAll('-', '')];
}

function isDate(v: string): boolean {
  const m = DATE.exec(v);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

function isDateTime(v: string): boolean {
  const m = DATE_TIME.exec(v);
  if (!m || !isDate(m[1]!)) return false;
  return Number(m[2]) < 24 && Number(m[3]) < 60 && Number(m[4]) < 60;
}

function isHostname(v: string): boolean {
  if (v.length === 0 || v.length > MAX_HOSTNAME_LENGTH) return false;
  const labels = (v.endsWith('.') ? v.slice(0, -1) : v).split('.');
  return labels.every((l) => HOSTNAME_LABEL.test(l));
}

function isCidr(v: string): boolean {
  const slash = v.indexOf('/');
  if (slash < 0) return false;
  const ip = v.slice(0, slash);
  const bits = v.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  const family = isIP(ip);
  return family !== 0 && Number(bits) <= (family === 4 ? 32 : 128);
}

/** Go's url.ParseRequestURI: an absolute URI or an absolute path, without a fragment. */
function isRequestUri(v: string): boolean {
  if (v.includes('#') || /\s/.test(v)) return false;
  return v.startsWith('/') || URI_SCHEME.test(v);
}

function isbnDigits(v: string): string {
  return v.replace(/[\s-]/g, '');
}
