import { randomUUID } from 'node:crypto';

/**
 * The shape of a stored Kubernetes object, as far as the simulator needs
 * to know it. Everything outside metadata is opaque JSON.
 */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | null;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Objects are stored frozen-by-convention; writers clone before changing.
 * A deep copy of a JSON value, made without recursion (structuredClone
 * recurses natively and overflows the stack on deep values). Decoded
 * bodies are depth-checked first (../api/json-limits.ts), so the copy
 * itself is bounded; being iterative keeps it safe for any caller.
 *
 * With `shareFrozen`, a frozen value below the root is kept by reference
 * instead of copied: it cannot change, so every cluster may hold the same
 * one (the unchanging parts of the workload templates). The root is always
 * a fresh copy.
 *
 * `kept` is one container below the root kept by reference: a stored part
 * the caller knows is replaced as a whole, never changed in place (a live
 * object's managedFields, which every write recomputes into a new list).
 */
export function cloneObject<T>(obj: T, opts: CloneOptions = {}): T {
  if (typeof obj !== 'object' || obj === null) return obj;
  const share = opts.shareFrozen === true;
  const kept = opts.kept;
  const root = copyShallow(obj as object);
  const pending: Array<Record<string, unknown> | unknown[]> = [root];
  while (pending.length > 0) {
    const container = pending.pop()!;
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) {
        const v: unknown = container[i];
        if (isCopied(v, share, kept)) pending.push((container[i] = copyShallow(v)));
      }
    } else {
      for (const k of Object.keys(container)) {
        const v = container[k];
        if (isCopied(v, share, kept)) pending.push((container[k] = copyShallow(v)));
      }
    }
  }
  return root as T;
}

export interface CloneOptions {
  readonly shareFrozen?: boolean;
  readonly kept?: unknown;
}

/** Containers are copied; with `share`, frozen ones are kept, and so is `kept` (see cloneObject). */
function isCopied(v: unknown, share: boolean, kept: unknown): v is object {
  return typeof v === 'object' && v !== null && v !== kept && !(share && Object.isFrozen(v));
}

function copyShallow(v: object): Record<string, unknown> | unknown[] {
  if (Array.isArray(v)) return v.slice();
  const proto: unknown = Object.getPrototypeOf(v);
  // Not JSON (a Buffer, a Date): nothing deep inside, the platform copies it.
  if (proto !== Object.prototype && proto !== null) return structuredClone(v) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    // defineProperty, not assignment: a "__proto__" key from a client is data, not the prototype.
    if (k === '__proto__') Object.defineProperty(out, k, { value: (v as Record<string, unknown>)[k], enumerable: true, writable: true, configurable: true });
    else out[k] = (v as Record<string, unknown>)[k];
  }
  return out;
}

/** Structural equality for JSON values (key order ignored), without recursion. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  const pairs: unknown[] = [a, b];
  while (pairs.length > 0) {
    const y = pairs.pop();
    const x = pairs.pop();
    if (x === y) continue;
    if (typeof x !== typeof y || x === null || y === null || typeof x !== 'object') return false;
    if (Array.isArray(x)) {
      if (!Array.isArray(y) || x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) pairs.push(x[i], y[i]);
      continue;
    }
    if (Array.isArray(y)) return false;
    const xo = x as Record<string, unknown>;
    const yo = y as Record<string, unknown>;
    const xk = Object.keys(xo).filter((k) => xo[k] !== undefined);
    let yCount = 0;
    for (const k of Object.keys(yo)) if (yo[k] !== undefined) yCount++;
    if (xk.length !== yCount) return false;
    for (const k of xk) {
      if (!Object.hasOwn(yo, k)) return false;
      pairs.push(xo[k], yo[k]);
    }
  }
  return true;
}

/** `namespace/name`, or `name` for cluster-scoped objects: the key inside a collection. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** RFC 3339 with seconds precision, as metav1.Time serializes. */
export function kubeTime(date: Date): string {
  // Every API write stamps its managedFields entry: the second's text is made once.
  const second = Math.floor(date.getTime() / MS_PER_SECOND);
  if (second === lastKubeTime.second) return lastKubeTime.text;
  // Upper-casing (a no-op on these characters) copies the result into one flat string: a
  // timestamp is stored in every object of every cluster, and the replaced string would keep
  // its parts (113 bytes instead of 40).
  const text = date.toISOString().replace(/\.\d{3}Z$/, 'Z').toUpperCase();
  lastKubeTime = { second, text };
  return text;
}

const MS_PER_SECOND = 1000;
let lastKubeTime = { second: Number.NaN, text: '' };

/**
 * A fresh object uid. Node assembles randomUUID()'s result from ~20 concatenated parts, which
 * V8 keeps as a tree (490 bytes); lower-casing (a no-op on a uuid) copies it into one flat
 * string (64 bytes). Every stored object has a uid.
 */
export function newUid(): string {
  return randomUUID().toLowerCase();
}
