import { isPlainObject } from '../object.js';
import { fieldError, schemaMessage, type FieldError } from './field-errors.js';
import { validateListType } from './list-types.js';
import { canonicalJson, type SchemaNode } from './schema.js';

/**
 * Validation of a custom resource against its compiled schema, keyword by
 * keyword in the order kube-openapi checks them (type, string, format,
 * number, array, enum, object), each failure worded as kube-apiserver words
 * it. Three lists come back in kube-apiserver's order: schema errors, then
 * embedded-resource errors, then list-type (set/map) errors.
 */

interface Findings {
  readonly schema: FieldError[];
  readonly embedded: FieldError[];
  readonly listTypes: FieldError[];
}

export function validateResource(obj: Record<string, unknown>, root: SchemaNode): FieldError[] {
  const out: Findings = { schema: [], embedded: [], listTypes: [] };
  validateObject(obj, root, '', out, true);
  return [...out.schema, ...out.embedded, ...out.listTypes];
}

/**
 * A write of the status subresource: kube-apiserver checks only `status`,
 * against the status schema as if it were the root, so its messages name
 * fields relative to status (`conditions[0].status in body`) while the
 * causes' fields keep the `status.` prefix.
 */
export function validateStatus(obj: Record<string, unknown>, root: SchemaNode): FieldError[] {
  const node = root.properties?.get(STATUS);
  if (!node || !Object.hasOwn(obj, STATUS)) return [];
  const out: Findings = { schema: [], embedded: [], listTypes: [] };
  validateValue(obj[STATUS], node, '', out);
  return [...out.schema, ...out.embedded, ...out.listTypes].map((e) => ({
    ...e,
    field: e.field ? `${STATUS}.${e.field}` : STATUS,
    ...(e.at !== undefined ? { at: e.at ? `${STATUS}.${e.at}` : STATUS } : {}),
  }));
}

const STATUS = 'status';

function validateValue(value: unknown, node: SchemaNode, path: string, out: Findings): void {
  if (value === null || value === undefined) {
    if (node.type && !node.nullable) out.schema.push(typeError(path, node.type, 'null'));
    checkEnum(value ?? null, node, path, out);
    return;
  }
  const actual = jsonType(value);
  if (node.intOrString) {
    if (actual !== 'integer' && actual !== 'string') out.schema.push(typeError(path, 'integer,string', actual));
  } else {
    checkType(value, actual, node, path, out);
  }
  if (typeof value === 'string') checkString(value, node, path, out);
  else if (typeof value === 'number') checkNumber(value, node, path, out);
  else if (Array.isArray(value)) checkArray(value, node, path, out);
  checkEnum(value, node, path, out);
  if (isPlainObject(value)) validateObject(value, node, path, out, false);
}

/** kube-openapi's type check, including its quirks around formats: a string format on a non-string value names the format. */
function checkType(value: unknown, actual: string, node: SchemaNode, path: string, out: Findings): void {
  const format = node.formatCheck ? node.format : undefined;
  if (!node.type && !format) return;
  const floatInt = actual === 'number' && node.type === 'integer' && Number.isInteger(value);
  if (typeof value !== 'string' && !Array.isArray(value) && format && !(accepts(node, actual) || floatInt)) {
    out.schema.push(fieldError.typeInvalid(path, goFormatOf(value), schemaMessage.mustBeOfType(path, format, goFormatOf(value))));
    return;
  }
  if (format && node.type !== 'integer' && node.type !== 'number' && (typeof value === 'string' || Array.isArray(value))) return;
  if (node.type && !(accepts(node, actual) || floatInt)) out.schema.push(typeError(path, node.type, actual));
}

/** A number schema takes integers too. */
function accepts(node: SchemaNode, actual: string): boolean {
  return node.type === actual || (actual === 'integer' && node.type === 'number');
}

function typeError(path: string, expected: string, actual: string): FieldError {
  return fieldError.typeInvalid(path, actual, schemaMessage.mustBeOfType(path, expected, actual));
}

function checkString(value: string, node: SchemaNode, path: string, out: Findings): void {
  if (node.maxLength !== undefined && value.length > node.maxLength && codePoints(value) > node.maxLength)
    out.schema.push(fieldError.tooLong(path, node.maxLength));
  if (node.minLength !== undefined && (value.length < node.minLength || (value.length < 2 * node.minLength && codePoints(value) < node.minLength))) {
    out.schema.push(fieldError.invalid(path, value, schemaMessage.atLeastChars(path, node.minLength)));
  }
  if (node.pattern && !node.pattern.regex.test(value)) out.schema.push(fieldError.invalid(path, value, schemaMessage.shouldMatch(path, node.pattern.source)));
  if (node.formatCheck && !node.formatCheck(value)) out.schema.push(fieldError.typeInvalid(path, value, schemaMessage.mustBeOfType(path, node.format!, value)));
}

function checkNumber(value: number, node: SchemaNode, path: string, out: Findings): void {
  if (node.multipleOf !== undefined && node.multipleOf > 0 && !isMultipleOf(value, node.multipleOf)) {
    out.schema.push(fieldError.invalid(path, value, schemaMessage.multipleOf(path, node.multipleOf)));
  }
  if (node.maximum !== undefined && (node.exclusiveMaximum ? value >= node.maximum : value > node.maximum)) {
    out.schema.push(fieldError.invalid(path, value, schemaMessage.lessThan(path, node.maximum, node.exclusiveMaximum)));
  }
  if (node.minimum !== undefined && (node.exclusiveMinimum ? value <= node.minimum : value < node.minimum)) {
    out.schema.push(fieldError.invalid(path, value, schemaMessage.greaterThan(path, node.minimum, node.exclusiveMinimum)));
  }
}

function checkArray(value: unknown[], node: SchemaNode, path: string, out: Findings): void {
  if (node.items) value.forEach((item, i) => validateValue(item, node.items!, `${path}[${i}]`, out));
  if (node.minItems !== undefined && value.length < node.minItems)
    out.schema.push(fieldError.invalid(path, value.length, schemaMessage.atLeastItems(path, node.minItems)));
  if (node.maxItems !== undefined && value.length > node.maxItems) out.schema.push(fieldError.tooMany(path, value.length, node.maxItems));
  if (node.uniqueItems && new Set(value.map(canonicalJson)).size !== value.length)
    out.schema.push(fieldError.invalid(path, '', schemaMessage.noDuplicates(path)));
  out.listTypes.push(...validateListType(value, node, path));
}

function checkEnum(value: unknown, node: SchemaNode, path: string, out: Findings): void {
  if (!node.enumJson) return;
  const member = value === null || typeof value !== 'object' ? node.enumScalars!.has(value) : node.enumJson.has(canonicalJson(value));
  if (!member) out.schema.push(fieldError.notSupported(path, value, node.enumValues!));
}

function validateObject(value: Record<string, unknown>, node: SchemaNode, path: string, out: Findings, isRoot: boolean): void {
  const keys = Object.keys(value);
  if (node.minProperties !== undefined && keys.length < node.minProperties) {
    out.schema.push(fieldError.invalid(path, keys.length, schemaMessage.atLeastProperties(path, node.minProperties)));
    return;
  }
  if (node.maxProperties !== undefined && keys.length > node.maxProperties) {
    out.schema.push(fieldError.tooMany(path, keys.length, node.maxProperties));
    return;
  }
  const extra = node.additionalProperties === true ? undefined : node.additionalProperties;
  for (const key of keys) {
    const prop = node.properties?.get(key) ?? extra;
    if (prop) validateValue(value[key], prop, childPath(path, key), out);
  }
  for (const key of node.required) if (!Object.hasOwn(value, key)) out.schema.push({ ...fieldError.required(childPath(path, key)), at: path });
  if (node.embeddedResource && !isRoot) out.embedded.push(...validateEmbeddedTypeMeta(value, path));
}

function childPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** An embedded resource must name its apiVersion and kind. */
function validateEmbeddedTypeMeta(value: Record<string, unknown>, path: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const key of ['apiVersion', 'kind'] as const) {
    const v = value[key];
    const field = `${path}.${key}`;
    if (!Object.hasOwn(value, key)) errors.push(fieldError.required(field));
    else if (typeof v !== 'string') errors.push(fieldError.invalid(field, v, 'must be a string'));
    else if (v === '') errors.push(fieldError.invalid(field, v, 'must not be empty'));
  }
  return errors;
}

/** Length in characters, as go-openapi counts runes; a UTF-16 length is never smaller, so it is counted only when that decides. */
function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

function jsonType(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

/** The Go format name kube-openapi infers for a decoded value (int64 for integers, float64 for other numbers, none otherwise). */
function goFormatOf(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return '';
}

function isMultipleOf(value: number, factor: number): boolean {
  const q = value / factor;
  return Math.abs(q - Math.round(q)) < 1e-9;
}
