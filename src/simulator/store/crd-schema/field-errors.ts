import type { StatusCause } from '../../api/errors.js';
import { isPlainObject } from '../object.js';
import { canonicalJson } from './schema.js';

/**
 * Field errors worded as kube-apiserver words them for custom resources:
 * apimachinery's field.Error types ("Required value", "Unsupported value",
 * "Too long", ...) around kube-openapi's schema messages ("spec.port in body
 * must be of type integer"), with bad values printed the way Go's fmt
 * prints them (%q for strings, %v for numbers, %#v for maps and lists).
 */

export interface FieldError {
  /** The cause's reason, e.g. FieldValueTypeInvalid. */
  readonly reason: string;
  readonly field: string;
  /** The message without the field: `Invalid value: "string": spec.port in body must be of type integer: "string"`. */
  readonly body: string;
  /** Path of the value whose schema reported the error, when not `field` (a missing required field's parent): ratcheting compares it. */
  readonly at?: string;
}

/** Where the offending value is in the body, as kube-openapi names it in its messages. */
const IN_BODY = 'in body';

export const fieldError = {
  required: (field: string): FieldError => ({ reason: 'FieldValueRequired', field, body: 'Required value' }),
  notSupported: (field: string, value: unknown, allowed: readonly unknown[]): FieldError => ({
    reason: 'FieldValueNotSupported',
    field,
    body: withDetail(`Unsupported value: ${goValue(value)}`, allowed.length ? `supported values: ${allowed.map(enumText).map(goQuote).join(', ')}` : ''),
  }),
  tooLong: (field: string, max: number): FieldError => ({
    reason: 'FieldValueTooLong',
    field,
    body: `Too long: may not be more than ${max} ${max === 1 ? 'byte' : 'bytes'}`,
  }),
  tooMany: (field: string, actual: number, max: number): FieldError => ({
    reason: 'FieldValueTooMany',
    field,
    body: `Too many: ${actual}: must have at most ${max} ${max === 1 ? 'item' : 'items'}`,
  }),
  typeInvalid: (field: string, value: unknown, detail: string): FieldError => ({
    reason: 'FieldValueTypeInvalid',
    field,
    body: withDetail(`Invalid value: ${goValue(value)}`, detail),
  }),
  invalid: (field: string, value: unknown, detail: string): FieldError => ({
    reason: 'FieldValueInvalid',
    field,
    body: withDetail(`Invalid value: ${goValue(value)}`, detail),
  }),
  /** A repeated scalar prints as Go prints it, a repeated map-list key as compact JSON with sorted keys (as kube-apiserver prints them). */
  duplicate: (field: string, value: unknown): FieldError => ({
    reason: 'FieldValueDuplicate',
    field,
    body: `Duplicate value: ${typeof value === 'object' && value !== null ? canonicalJson(value) : goValue(value)}`,
  }),
};

/** kube-openapi's schema messages ("<path> in body ..."). */
export const schemaMessage = {
  mustBeOfType: (path: string, type: string, data?: string): string =>
    `${path} ${IN_BODY} must be of type ${type}${data === undefined ? '' : `: ${goQuote(data)}`}`,
  atLeastChars: (path: string, min: number): string => `${path} ${IN_BODY} should be at least ${min} chars long`,
  shouldMatch: (path: string, pattern: string): string => `${path} ${IN_BODY} should match '${pattern}'`,
  multipleOf: (path: string, factor: number): string => `${path} ${IN_BODY} should be a multiple of ${goNumber(factor)}`,
  lessThan: (path: string, max: number, exclusive: boolean): string =>
    `${path} ${IN_BODY} should be less than ${exclusive ? '' : 'or equal to '}${goNumber(max)}`,
  greaterThan: (path: string, min: number, exclusive: boolean): string =>
    `${path} ${IN_BODY} should be greater than ${exclusive ? '' : 'or equal to '}${goNumber(min)}`,
  atLeastItems: (path: string, min: number): string => `${path} ${IN_BODY} should have at least ${min} items`,
  noDuplicates: (path: string): string => `${path} ${IN_BODY} shouldn't contain duplicates`,
  atLeastProperties: (path: string, min: number): string => `${path} ${IN_BODY} should have at least ${min} properties`,
};

export function toCause(e: FieldError): StatusCause {
  return { reason: e.reason, message: e.body, field: e.field };
}

/** `FieldError.Error()`: the field and the body, as the aggregated Status message lists them. */
export function errorText(e: FieldError): string {
  return `${e.field}: ${e.body}`;
}

function withDetail(head: string, detail: string): string {
  return detail ? `${head}: ${detail}` : head;
}

/** An enum value as kube lists it: strings as they are, anything else as JSON. */
function enumText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Go's %v for a bad value of a field error: quoted strings, plain numbers and booleans, Go syntax for the rest. */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean') return String(value);
  return goSyntax(value);
}

/** Go's %#v of a decoded JSON value (map[string]interface {}{...}, []interface {}{...}). */
function goSyntax(value: unknown): string {
  if (Array.isArray(value)) return `[]interface {}{${value.map(goSyntaxElement).join(', ')}}`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `map[string]interface {}{${keys.map((k) => `${goQuote(k)}:${goSyntaxElement(value[k])}`).join(', ')}}`;
  }
  return goValue(value);
}

function goSyntaxElement(v: unknown): string {
  if (v === null || v === undefined) return 'interface {}(nil)';
  return goSyntax(v);
}

/** Go's strconv.Quote for the printable ASCII and common cases JSON.stringify agrees on. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's %v of an int64 or float64: exponent form below 1e-4 and from 1e21, with at least two exponent digits. */
export function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    const [mantissa, exp] = n.toExponential().split('e') as [string, string];
    const sign = exp.startsWith('-') ? '-' : '+';
    const digits = exp.replace(/^[-+]/, '').padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  return String(n);
}
