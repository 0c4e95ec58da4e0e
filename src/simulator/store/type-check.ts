import { messageType, typeSchemaFor, type FieldSchema, type MessageType, type ScalarType } from '../schema/index.js';
import { isPlainObject } from './object.js';

/**
 * Type checks for objects of built-in kinds against the kube-types schema,
 * finding what kube-apiserver's typed JSON decoding would refuse: a value
 * of the wrong JSON type for its Go field, an integer out of range, a
 * quantity, time or base64 string that does not parse. Only the first
 * mismatch in document order is reported, as Go's decoder does. Fields the
 * schema does not know are left alone (kube-apiserver drops them; that is
 * not a type error). The walk is iterative: decoded bodies are depth-checked
 * before, but a type check must not be the place where a stack overflows.
 */

/** What a value is in Go's JSON error messages. */
export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'bool';

export interface TypeMismatch {
  /** JSON field names from the root, as Go's decoder reports them: no map keys, no list indices. */
  readonly fieldPath: readonly string[];
  /** Full path with map keys and list indices, for messages that name the exact place (server-side apply). */
  readonly valuePath: readonly (string | number)[];
  /** The innermost Go struct around the field, e.g. `ContainerPort`. */
  readonly struct: string;
  /** The Go type expected there, e.g. `int32`, `[]v1.Container`, `map[string]string`. */
  readonly goType: string;
  /** The Go kind of the Go type expected (`string`, `int32`, `map`, `slice`, `struct`). */
  readonly goKind: string;
  /** What arrived. */
  readonly got: JsonKind;
  readonly value: unknown;
  /** Set when the value parses with a format of its own (quantity, time, base64) and failed: Go's message as is. */
  readonly formatError?: string;
}

/** Go's names for protobuf scalar types as they appear in the Go structs. */
const GO_SCALAR: Readonly<Record<ScalarType, string>> = {
  string: 'string',
  bytes: '[]uint8',
  bool: 'bool',
  int32: 'int32',
  int64: 'int64',
  uint32: 'uint32',
  uint64: 'uint64',
  sint32: 'int32',
  sint64: 'int64',
  double: 'float64',
  float: 'float32',
  fixed32: 'uint32',
  fixed64: 'uint64',
  sfixed32: 'int32',
  sfixed64: 'int64',
};

const INT_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [-(2 ** 63), 2 ** 63],
  uint64: [0, 2 ** 64],
};

const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const QUANTITY_SUFFIX = /^(|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][-+]?[0-9]+)$/;
export const QUANTITY_MESSAGE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const BASE64_CHAR = /[A-Za-z0-9+/]/;
// µ and μ are escaped: one character above Latin-1 anywhere makes V8 keep the whole bundle's source at two bytes a character.
const DURATION = /^[-+]?(\d+(\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h))*$|^[-+]?0$/;

/** Go's short name of a message type: `io.k8s.api.core.v1.Container` → `v1.Container`. */
function goTypeName(ref: string): string {
  // Asked for every struct a write's check descends into, for a few hundred schema types: named once each.
  let name = goTypeNames.get(ref);
  if (name === undefined) goTypeNames.set(ref, (name = ref.split('.').slice(-2).join('.')));
  return name;
}

function structName(message: MessageType): string {
  let name = structNames.get(message);
  if (name === undefined) structNames.set(message, (name = message.name.split('.').pop() ?? message.name));
  return name;
}

/** Bounded by the schema's type names (they live as long as the process). */
const goTypeNames = new Map<string, string>();
const structNames = new WeakMap<MessageType, string>();

export function jsonKindOf(v: unknown): JsonKind {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return 'object';
}

/** The Go type of one element of a field (a list item, a map value, or the field itself). */
function elementGoType(field: FieldSchema): string {
  if (field.type === 'message') return field.ref ? goTypeName(field.ref) : 'interface {}';
  if (field.type === 'map') return field.value === 'message' && field.ref ? goTypeName(field.ref) : GO_SCALAR[(field.value ?? 'string') as ScalarType];
  return GO_SCALAR[field.type];
}

function fieldGoType(field: FieldSchema): string {
  if (field.type === 'map') return `map[${GO_SCALAR[field.key ?? 'string']}]${elementGoType(field)}`;
  return field.repeated ? `[]${elementGoType(field)}` : elementGoType(field);
}

export interface CheckOptions {
  /**
   * Any JSON number fits any numeric Go field (it is converted, not
   * decoded): how the unstructured converter behind strategic merge patch
   * and server-side apply treats numbers.
   */
  readonly numbersConvert?: boolean;
}

/** One step of the path to a value: a field name, a map key or a list index. Linked, so paths cost nothing until reported. */
interface PathLink {
  readonly key: string | number;
  /** A struct field name (Go's error paths name only these). */
  readonly isField: boolean;
  readonly parent: PathLink | undefined;
}

interface Pending {
  readonly value: unknown;
  /** What the value must be. */
  readonly expect: Expectation;
  readonly path: PathLink | undefined;
  readonly struct: string;
}

type Expectation =
  | { readonly as: 'message'; readonly message: MessageType; readonly goType: string }
  | { readonly as: 'list'; readonly field: FieldSchema }
  | { readonly as: 'map'; readonly field: FieldSchema }
  | { readonly as: 'element'; readonly field: FieldSchema };

/**
 * The first value of a built-in kind's object that kube-apiserver's typed
 * decoding refuses, or undefined when it decodes (or the kind is not in the
 * schema, e.g. a custom resource).
 */
export function findTypeMismatch(apiVersion: string, kind: string, obj: Record<string, unknown>, opts: CheckOptions = {}): TypeMismatch | undefined {
  const top = typeSchemaFor(apiVersion, kind);
  if (!top || top.format) return undefined;
  const stack: Pending[] = [{ value: obj, expect: { as: 'message', message: top, goType: goTypeName(top.name) }, path: undefined, struct: structName(top) }];
  const children: Pending[] = [];
  const numbersConvert = opts.numbersConvert ?? false;
  while (stack.length > 0) {
    const p = stack.pop()!;
    children.length = 0;
    const found = checkOne(p, children, numbersConvert);
    if (found) return found;
    // Reversed, so the first child in document order is checked first.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return undefined;
}

function mismatch(p: Pending, goType: string, goKind: string, formatError?: string): TypeMismatch {
  const valuePath: (string | number)[] = [];
  const fieldPath: string[] = [];
  for (let l = p.path; l; l = l.parent) {
    valuePath.push(l.key);
    if (l.isField) fieldPath.push(String(l.key));
  }
  return {
    fieldPath: fieldPath.reverse(),
    valuePath: valuePath.reverse(),
    struct: p.struct,
    goType,
    goKind,
    got: jsonKindOf(p.value),
    value: p.value,
    ...(formatError !== undefined ? { formatError } : {}),
  };
}

const expectations = new WeakMap<FieldSchema, Expectation>();

function expectationOf(field: FieldSchema): Expectation {
  let e = expectations.get(field);
  if (!e) {
    e = field.type === 'map' ? { as: 'map', field } : field.repeated ? { as: 'list', field } : { as: 'element', field };
    expectations.set(field, e);
  }
  return e;
}

/** A scalar element type, or undefined when the elements are messages. */
function scalarElement(field: FieldSchema): ScalarType | undefined {
  const t: string = field.type === 'map' ? (field.value ?? 'string') : field.type;
  return t === 'message' || t === 'map' ? undefined : (t as ScalarType);
}

/** The common cases that need no closer look: a string for a string, a boolean for a bool, a small integer for an integer. */
function plainlyFits(value: unknown, type: ScalarType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'bytes':
      return false;
    default:
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value < 2 ** 31;
  }
}

/** Checks one collected value; containers add their members to `children` (scalars are checked in place). */
function checkOne(p: Pending, children: Pending[], numbersConvert: boolean): TypeMismatch | undefined {
  const e = p.expect;
  switch (e.as) {
    case 'message': {
      if (!isPlainObject(p.value)) return mismatch(p, e.goType, 'struct');
      const struct = structName(e.message);
      const fields = fieldIndex(e.message);
      for (const key of Object.keys(p.value)) {
        const value = p.value[key];
        if (value === null || value === undefined) continue; // Go leaves a JSON null as the zero value
        const field = fields.get(key);
        if (!field) continue;
        const scalar = field.type !== 'map' && !field.repeated ? scalarElement(field) : undefined;
        if (scalar !== undefined && plainlyFits(value, scalar)) continue;
        const child: Pending = { value, expect: expectationOf(field), path: { key, isField: true, parent: p.path }, struct };
        if (scalar === undefined) children.push(child);
        else {
          const found = checkScalar(child, scalar, numbersConvert);
          if (found) return found;
        }
      }
      return undefined;
    }
    case 'list':
    case 'map': {
      const isList = e.as === 'list';
      if (isList ? !Array.isArray(p.value) : !isPlainObject(p.value)) return mismatch(p, fieldGoType(e.field), isList ? 'slice' : 'map');
      const container = p.value as Record<string, unknown> | unknown[];
      const scalar = scalarElement(e.field);
      const element: Expectation = { as: 'element', field: e.field };
      const keys: (string | number)[] = Array.isArray(container) ? container.map((_, i) => i) : Object.keys(container);
      for (const key of keys) {
        const value = (container as Record<string | number, unknown>)[key];
        if (value === null || value === undefined) continue;
        if (scalar !== undefined && plainlyFits(value, scalar)) continue;
        const child: Pending = { value, expect: element, path: { key, isField: false, parent: p.path }, struct: p.struct };
        if (scalar === undefined) children.push(child);
        else {
          const found = checkScalar(child, scalar, numbersConvert);
          if (found) return found;
        }
      }
      return undefined;
    }
    case 'element':
      return checkElement(p, e.field, children, numbersConvert);
  }
}

const fieldIndexes = new Map<string, ReadonlyMap<string, FieldSchema>>();

/** A message's JSON field names (inline messages joined in) to their fields. */
function fieldIndex(message: MessageType): ReadonlyMap<string, FieldSchema> {
  let index = fieldIndexes.get(message.name);
  if (!index) {
    index = new Map(flatFields(message).map((f) => [f.name, f]));
    fieldIndexes.set(message.name, index);
  }
  return index;
}

const flattened = new Map<string, FieldSchema[]>();

/** A message's JSON fields with inline (embedded) messages' fields joined in. */
function flatFields(message: MessageType): FieldSchema[] {
  let out = flattened.get(message.name);
  if (out) return out;
  out = [];
  const seen = new Set<string>();
  const queue: MessageType[] = [message];
  while (queue.length > 0) {
    const m = queue.shift()!;
    if (seen.has(m.name)) continue;
    seen.add(m.name);
    for (const f of m.fields) {
      if (f.inline) {
        const inner = f.ref ? messageType(f.ref) : undefined;
        if (inner) queue.push(inner);
      } else if (!out.some((x) => x.name === f.name)) out.push(f);
    }
  }
  flattened.set(message.name, out);
  return out;
}

/** One value of a field's element type: a scalar, or a message (with or without a JSON form of its own). */
function checkElement(p: Pending, field: FieldSchema, children: Pending[], numbersConvert: boolean): TypeMismatch | undefined {
  const elementType = field.type === 'map' ? (field.value ?? 'string') : field.type;
  if (elementType === 'message') {
    const message = field.ref ? messageType(field.ref) : undefined;
    if (!message) return undefined;
    if (message.format) return checkFormatted(p, message);
    children.push({ ...p, expect: { as: 'message', message, goType: goTypeName(message.name) } });
    return undefined;
  }
  return checkScalar(p, elementType as ScalarType, numbersConvert);
}

function checkScalar(p: Pending, type: ScalarType, numbersConvert: boolean): TypeMismatch | undefined {
  const goType = GO_SCALAR[type];
  const v = p.value;
  if (type === 'string') return typeof v === 'string' ? undefined : mismatch(p, goType, 'string');
  if (type === 'bool') return typeof v === 'boolean' ? undefined : mismatch(p, goType, 'bool');
  if (type === 'bytes') {
    if (typeof v !== 'string') return mismatch(p, goType, 'slice');
    const bad = base64ErrorOffset(v);
    return bad === undefined ? undefined : mismatch(p, goType, 'slice', `illegal base64 data at input byte ${bad}`);
  }
  if (typeof v !== 'number') return mismatch(p, goType, goType);
  if (numbersConvert) return undefined;
  const range = INT_RANGE[goType];
  if (range && (!Number.isInteger(v) || v < range[0] || v >= range[1] + (goType.endsWith('64') ? 0 : 1))) {
    return mismatch(p, goType, goType);
  }
  return undefined;
}

/** Types with a JSON form of their own (see ../schema/README.md): what their UnmarshalJSON accepts. */
function checkFormatted(p: Pending, message: MessageType): TypeMismatch | undefined {
  const v = p.value;
  const goType = goTypeName(message.name);
  switch (message.format) {
    case 'time':
    case 'micro-time':
      if (typeof v !== 'string') return mismatch(p, 'string', 'string');
      if (v !== '' && !RFC3339.test(v)) return mismatch(p, goType, 'struct', `parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(v)} as "2006"`);
      return undefined;
    case 'duration':
      if (typeof v !== 'string') return mismatch(p, 'string', 'string');
      return DURATION.test(v) ? undefined : mismatch(p, goType, 'struct', `time: invalid duration ${JSON.stringify(v)}`);
    case 'quantity': {
      const text = typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : undefined;
      const m = text === undefined ? null : QUANTITY.exec(text);
      if (!m) return mismatch(p, goType, 'struct', QUANTITY_MESSAGE);
      return QUANTITY_SUFFIX.test(m[2]!) ? undefined : mismatch(p, goType, 'struct', "unable to parse quantity's suffix");
    }
    case 'int-or-string':
      if (typeof v === 'string') return undefined;
      if (typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31) return undefined;
      return mismatch(p, 'int32', 'int32');
    case 'items':
      return Array.isArray(v) ? undefined : mismatch(p, goType, 'slice');
    default:
      // raw JSON and the apiextensions schema unions take any JSON.
      return undefined;
  }
}

/** Where Go's strict, padded base64 decoder gives up, or undefined when the text decodes. */
function base64ErrorOffset(s: string): number | undefined {
  const fullQuanta = s.length - (s.length % 4);
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (BASE64_CHAR.test(c)) continue;
    if (c === '=' && i >= fullQuanta - 2 && i < fullQuanta && s.length % 4 === 0) {
      // Padding only at the end of the last quantum, and nothing but padding after it.
      if (s.slice(i).split('').every((x) => x === '=')) return undefined;
    }
    return i;
  }
  return s.length % 4 === 0 ? undefined : fullQuanta;
}
