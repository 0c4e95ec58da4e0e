import { StatusError, badRequest } from '../api/errors.js';
import { apiVersionOf, type KindInfo } from '../kinds/kind.js';
import { isPlainObject } from './object.js';
import { findTypeMismatch, jsonKindOf, type TypeMismatch } from './type-check.js';

/**
 * kube-apiserver's answers to a body of a built-in kind with a value of the
 * wrong type. Where the value is caught depends on the verb, and so does
 * the answer (all measured against kube-apiserver v1.34.4):
 *
 * - create and update decode the body into the Go type: 400 BadRequest,
 *   `ConfigMap in version "v1" cannot be handled as a ConfigMap: json:
 *   cannot unmarshal object into Go struct field ConfigMap.data of type string`;
 * - JSON patch and merge patch decode the patched JSON: 422 Invalid on the
 *   field `patch`, quoting the patched document and the same Go error;
 * - strategic merge patch converts the patched map: 422 Invalid on `patch`,
 *   quoting the patch as Go prints a map, with the converter's error;
 * - server-side apply types the applied configuration: kube-apiserver
 *   answers 500 with `failed to create typed patch object (...)`. The
 *   simulator gives the same message as a 400 BadRequest: the mistake is
 *   the client's, and the simulator never answers a client mistake with 5xx;
 * - DeleteOptions bodies: kube-apiserver answers 500 with the Go decoding
 *   error; the simulator answers 400 with the same message, for the same reason.
 */

/** PUT and POST: refuses a built-in object that kube-apiserver could not decode. */
export function rejectWrongTypes(kind: KindInfo, obj: Record<string, unknown>): void {
  if (kind.custom) return;
  const m = findTypeMismatch(apiVersionOf(kind), kind.kind, obj);
  if (m) throw badRequest(`${kind.kind} in version "${kind.version}" cannot be handled as a ${kind.kind}: ${goDecodeMessage(m)}`);
}

/** A DeleteOptions body with a value of the wrong type. */
export function rejectWrongDeleteOptions(apiVersion: string, body: Record<string, unknown>): void {
  const m = findTypeMismatch(apiVersion, 'DeleteOptions', body) ?? findTypeMismatch('v1', 'DeleteOptions', body);
  if (m) throw badRequest(goDecodeMessage(m));
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/**
 * Refuses the result of a patch of a built-in kind that holds a value of
 * the wrong type, worded as kube-apiserver words it for that patch type.
 * `patch` decodes the patch document again, only for the strategic-merge message.
 */
export function rejectWrongPatchResult(kind: KindInfo, patchType: PatchType, patch: () => unknown, result: Record<string, unknown>, name: string): void {
  if (kind.custom) return;
  const numbersConvert = patchType === 'strategic' || patchType === 'apply';
  // The live object was checked when it was written: a merge patch can only have changed what it names.
  const checked = patchType === 'merge' || patchType === 'strategic' ? touchedBy(patch(), result) : result;
  const m = findTypeMismatch(apiVersionOf(kind), kind.kind, checked, { numbersConvert });
  if (!m) return;
  switch (patchType) {
    case 'json':
    case 'merge':
      throw invalidPatch(goQuote(JSON.stringify(result)), goDecodeMessage(m));
    case 'strategic':
      throw invalidPatch(goQuote(goPrint(patch())), m.formatError ?? converterMessage(m));
    case 'apply': {
      const gv = kind.group ? `${kind.group}/${kind.version}` : `/${kind.version}`;
      throw badRequest(`failed to create typed patch object (/${name}; ${gv}, Kind=${kind.kind}): ${applyPath(m)}: ${m.formatError ?? `expected ${applyTypeName(m)}, got &value.valueUnstructured{Value:${goSyntax(m.value)}}`}`);
    }
  }
}

/** Patch keys that are instructions to strategic merge, not fields. */
const DIRECTIVE_PREFIX = '$';

/**
 * The parts of `result` a merge-style patch named: the result's value at
 * every key the patch has, descending where both are objects. Lists are
 * taken whole (a merge can reorder or keep their items).
 */
function touchedBy(patch: unknown, result: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const todo: Array<[Record<string, unknown>, Record<string, unknown>, Record<string, unknown>]> = [];
  if (isPlainObject(patch)) todo.push([patch, result, out]);
  while (todo.length > 0) {
    const [p, r, o] = todo.pop()!;
    for (const key of Object.keys(p)) {
      if (key.startsWith(DIRECTIVE_PREFIX) || !Object.hasOwn(r, key)) continue;
      const pv = p[key];
      const rv = r[key];
      if (isPlainObject(pv) && isPlainObject(rv) && pv.$patch === undefined) {
        const sub: Record<string, unknown> = {};
        Object.defineProperty(o, key, { value: sub, enumerable: true, writable: true, configurable: true });
        todo.push([pv, rv, sub]);
      } else {
        Object.defineProperty(o, key, { value: rv, enumerable: true, writable: true, configurable: true });
      }
    }
  }
  return out;
}

function invalidPatch(quotedValue: string, why: string): StatusError {
  const message = `Invalid value: ${quotedValue}: ${why}`;
  return new StatusError(422, 'Invalid', ` "" is invalid: patch: ${message}`, { causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }] });
}

const GO_INTEGER_TYPES = new Set(['int32', 'int64', 'uint32', 'uint64']);

/** encoding/json's UnmarshalTypeError text (or a format's own error). */
export function goDecodeMessage(m: TypeMismatch): string {
  if (m.formatError !== undefined) return m.formatError;
  // Go quotes the number literal when it is a number that does not fit the integer type.
  const what = m.got === 'number' && GO_INTEGER_TYPES.has(m.goType) ? `number ${String(m.value)}` : m.got;
  const field = m.fieldPath.length > 0 ? `Go struct field ${m.struct}.${m.fieldPath.join('.')}` : 'Go value';
  return `json: cannot unmarshal ${what} into ${field} of type ${m.goType}`;
}

/** The Go kind an unstructured JSON value has (what the converter names). */
function unstructuredKind(v: unknown): string {
  switch (jsonKindOf(v)) {
    case 'object':
      return 'map';
    case 'array':
      return 'slice';
    case 'number':
      return Number.isInteger(v) ? 'int64' : 'float64';
    default:
      return jsonKindOf(v);
  }
}

/** apimachinery's unstructured converter errors (runtime.DefaultUnstructuredConverter). */
function converterMessage(m: TypeMismatch): string {
  const from = unstructuredKind(m.value);
  if (m.goKind === 'map' || m.goKind === 'struct' || m.goKind === 'slice') return `cannot restore ${m.goKind} from ${from}`;
  if (m.goKind === 'string' && (from === 'int64' || from === 'float64')) return `cannot convert ${from} to string`;
  return `unrecognized type: ${m.goKind}`;
}

function applyTypeName(m: TypeMismatch): string {
  if (m.goKind === 'map' || m.goKind === 'struct') return 'map';
  if (m.goKind === 'slice') return 'list';
  if (m.goKind === 'bool') return 'boolean';
  if (m.goKind === 'string') return 'string';
  return 'numeric (int or float)';
}

function applyPath(m: TypeMismatch): string {
  return m.valuePath.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
}

/** Go's %q of a string (close enough: JSON escaping, which agrees for printable text). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's %v of an unstructured value: `map[a:1 b:[x y]]`, keys sorted. Iterative: patches can be deep. */
export function goPrint(value: unknown): string {
  const out: string[] = [];
  const todo: unknown[] = [value];
  while (todo.length > 0) {
    const v = todo.pop();
    if (typeof v === 'symbol') {
      out.push(v.description!);
    } else if (Array.isArray(v)) {
      const parts: unknown[] = [Symbol('[')];
      v.forEach((x, i) => parts.push(...(i > 0 ? [Symbol(' ')] : []), x));
      parts.push(Symbol(']'));
      for (let i = parts.length - 1; i >= 0; i--) todo.push(parts[i]);
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v).sort();
      const parts: unknown[] = [Symbol('map[')];
      keys.forEach((k, i) => parts.push(Symbol(`${i > 0 ? ' ' : ''}${k}:`), (v as Record<string, unknown>)[k]));
      parts.push(Symbol(']'));
      for (let i = parts.length - 1; i >= 0; i--) todo.push(parts[i]);
    } else {
      out.push(v === null || v === undefined ? '<nil>' : String(v));
    }
  }
  return out.join('');
}

/** Go's %#v of an unstructured value, as server-side apply's errors print it. */
function goSyntax(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map((x) => (typeof x === 'object' && x !== null ? '…' : goSyntax(x))).join(', ')}}`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${typeof x === 'object' && x !== null ? '…' : goSyntax(x)}`);
    return `map[string]interface {}{${entries.join(', ')}}`;
  }
  return String(v);
}
