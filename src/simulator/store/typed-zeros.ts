import { messageType, typeSchemaFor, type FieldSchema, type MessageType } from '../schema/index.js';
import { isPlainObject, type KubeObject } from './object.js';

/**
 * The fields Go's encoding/json always writes for a built-in kind: a struct
 * that is not a pointer (`"spec": {}`), a scalar without omitempty (a
 * Node's `status.daemonEndpoints.kubeletEndpoint.Port: 0`), a list or map
 * without omitempty (`"rules": null`). kube-apiserver decodes every write
 * into its Go type, so what it stores and answers has them; the fake
 * cluster adds them to objects written through its API.
 */

/** Nesting beyond which no zero struct is built (recursive types end in pointers long before). */
const MAX_ZERO_DEPTH = 16;

const zeroObjects = new Map<string, Readonly<KubeObject> | undefined>();

/**
 * The JSON of a kind's zero Go value, frozen and shared: what kube-apiserver
 * compares a created object with when it records the creator's managedFields.
 * Undefined for kinds outside the type schema.
 */
export function zeroObjectOf(apiVersion: string, kind: string): Readonly<KubeObject> | undefined {
  const key = `${apiVersion}/${kind}`;
  if (zeroObjects.has(key)) return zeroObjects.get(key);
  const message = typeSchemaFor(apiVersion, kind);
  const zero = message ? (deepFreeze(zeroOf(message, 0)) as KubeObject) : undefined;
  zeroObjects.set(key, zero);
  return zero;
}

function zeroOf(message: MessageType, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of flatFields(message)) {
    const v = zeroField(field, depth);
    if (v !== undefined) out[field.name] = v;
  }
  return out;
}

/** The zero JSON of one field, or undefined when Go leaves it out. */
export function zeroField(field: FieldSchema, depth: number): unknown {
  if (field.pointer) return undefined;
  if (field.repeated || field.type === 'map') return field.omitempty ? undefined : null;
  if (field.type === 'message') {
    const inner = field.ref ? messageType(field.ref) : undefined;
    if (!inner) return undefined;
    // omitempty never leaves a struct out: an unset time is written as null, except where the
    // Go type says omitzero (an object's creationTimestamp, e.g. in pod templates).
    if (inner.format === 'time' || inner.format === 'micro-time') return field.name === 'creationTimestamp' ? undefined : null;
    if (inner.format) return undefined;
    return depth < MAX_ZERO_DEPTH ? zeroOf(inner, depth + 1) : undefined;
  }
  if (field.omitempty) return undefined;
  return field.type === 'string' ? '' : field.type === 'bool' ? false : field.type === 'bytes' ? null : 0;
}

/** Fields of a message with inline (embedded) messages' fields in their place. */
export function flatFields(message: MessageType): FieldSchema[] {
  const out: FieldSchema[] = [];
  for (const field of message.fields) {
    if (field.inline) {
      const inner = field.ref ? messageType(field.ref) : undefined;
      if (inner) out.push(...flatFields(inner));
    } else out.push(field);
  }
  return out;
}

/**
 * Adds, in place, the fields Go would write that the object leaves out,
 * everywhere in it (inside list items and map values too). The object must
 * be the writer's own copy. Kinds outside the type schema are left as they are.
 * Returns whether it added any field.
 */
export function fillTypedZeros(obj: KubeObject, apiVersion: string, kind: string): boolean {
  const top = typeSchemaFor(apiVersion, kind);
  if (!top) return false;
  let added = false;
  const stack: { value: Record<string, unknown>; message: MessageType; depth: number }[] = [{ value: obj, message: top, depth: 0 }];
  while (stack.length > 0) {
    const { value, message, depth } = stack.pop()!;
    for (const step of zeroPlanOf(message, depth)) {
      const v = value[step.name];
      if (v === undefined) {
        const zero = step.zero;
        if (zero !== undefined) {
          value[step.name] = zero === null || typeof zero !== 'object' ? zero : cloneZero(zero);
          added = true;
        }
        continue;
      }
      const inner = step.inner;
      if (!inner) continue;
      if (step.shape === 'list') {
        if (Array.isArray(v)) for (const item of v) if (isPlainObject(item)) stack.push({ value: item, message: inner, depth: depth + 1 });
      } else if (step.shape === 'one') {
        if (isPlainObject(v)) stack.push({ value: v, message: inner, depth: depth + 1 });
      } else if (isPlainObject(v)) {
        for (const item of Object.values(v)) if (isPlainObject(item)) stack.push({ value: item, message: inner, depth: depth + 1 });
      }
    }
  }
  return added;
}

/** What fillTypedZeros does with one field of a message: the zero to write when it is absent, the message to visit inside it. */
interface ZeroStep {
  readonly name: string;
  /** Go's zero for the field when absent (undefined: left out); shared, so copied when written. */
  readonly zero: unknown;
  readonly inner?: MessageType;
  /** The field holds one message, a list of them, or a map to them. */
  readonly shape?: 'one' | 'list' | 'map';
}

/**
 * The steps for a message's fields at one depth, built once: only fields
 * that have a zero or hold messages (every write walks every object, and
 * most fields are omitempty scalars with nothing to do).
 */
const zeroPlans = new Map<MessageType, (readonly ZeroStep[])[]>();

function zeroPlanOf(message: MessageType, depth: number): readonly ZeroStep[] {
  let byDepth = zeroPlans.get(message);
  if (!byDepth) zeroPlans.set(message, (byDepth = []));
  return (byDepth[depth] ??= buildZeroPlan(message, depth));
}

function buildZeroPlan(message: MessageType, depth: number): ZeroStep[] {
  const plan: ZeroStep[] = [];
  for (const field of flatFields(message)) {
    const zero = deepFreeze(zeroField(field, depth));
    let inner: MessageType | undefined;
    let shape: ZeroStep['shape'];
    if (field.type === 'message' && field.ref) {
      const m = messageType(field.ref);
      if (m && !m.format && depth < MAX_ZERO_DEPTH) [inner, shape] = [m, field.repeated ? 'list' : 'one'];
    } else if (field.type === 'map' && field.value === 'message' && field.ref) {
      const m = messageType(field.ref);
      if (m && !m.format) [inner, shape] = [m, 'map'];
    }
    if (zero !== undefined || inner) plan.push({ name: field.name, zero, ...(inner ? { inner, shape } : {}) });
  }
  return plan;
}

function cloneZero(v: object): unknown {
  return JSON.parse(JSON.stringify(v)) as unknown;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
