import { apiVersionOf, type KindInfo } from '../kinds/kind.js';
import { applyDefaults } from './defaults.js';
import { managedFieldsAfterUpdate, type ManagedFieldsEntry } from './managed-fields.js';
import { jsonEqual, type KubeObject } from './object.js';
import { fillTypedZeros, zeroObjectOf } from './typed-zeros.js';

/**
 * Objects the simulator puts into a fake cluster itself (what kubeadm,
 * the kubelet and kube-controller-manager would have written: addons,
 * mirror pods, Nodes, Events, workload status) look as if their real writer
 * had sent them through the API: managedFields name that writer, so
 * `kubectl get --show-managed-fields` reads as on a kubeadm cluster and a
 * server-side apply conflicts with kubeadm's fields exactly where kube
 * would. The field sets are shared (frozen) across objects and clusters.
 */

export interface SeedWriters {
  /** Writer of everything but status: `kubeadm`, `kubelet`, `kube-controller-manager`. */
  readonly manager: string;
  /** Writer of .status through the status subresource, recorded when the object comes with a status. */
  readonly statusManager?: string;
}

export interface SeedOptions {
  /** Default and complete the object as its Go type, as kube-apiserver does on create (objects built once per process). */
  readonly complete?: boolean;
  /** Share the field sets with equal ones of other objects (not for objects whose strings are filled in later). */
  readonly share?: boolean;
}

/** In place: `obj` as `writers` would have created it at `time`. */
export function asCreatedBy(kind: KindInfo, obj: KubeObject, writers: SeedWriters, time: string, opts: SeedOptions = {}): void {
  const apiVersion = apiVersionOf(kind);
  const status = obj.status;
  if (opts.complete) {
    applyDefaults(kind, obj, true);
    if (!kind.custom) fillTypedZeros(obj, apiVersion, kind.kind);
  }
  delete obj.metadata.managedFields;
  const hasStatus = kind.subresources.includes('status');
  const zero = kind.custom ? undefined : zeroObjectOf(apiVersion, kind.kind);
  let entries = managedFieldsAfterUpdate(zero, obj, { manager: writers.manager }, apiVersion, kind.kind, hasStatus, time);
  if (hasStatus && writers.statusManager && status !== undefined) {
    const before: KubeObject = { ...obj, metadata: { ...obj.metadata, ...(entries ? { managedFields: entries } : {}) }, status: zero?.status };
    entries = managedFieldsAfterUpdate(before, obj, { manager: writers.statusManager, subresource: 'status' }, apiVersion, kind.kind, true, time);
  }
  if (entries) obj.metadata.managedFields = opts.share ? entries.map(sharedEntry) : entries;
}

/**
 * The managedFields after `manager` wrote `next`'s status over `existing`
 * through the status subresource (what kube-controller-manager and the
 * kubelet do); undefined when the status did not change.
 */
export function managedFieldsAfterStatusWrite(kind: KindInfo, existing: KubeObject, next: KubeObject, manager: string, time: string): ManagedFieldsEntry[] | undefined {
  if (jsonEqual(existing.status, next.status)) return existing.metadata.managedFields as ManagedFieldsEntry[] | undefined;
  const entries = managedFieldsAfterUpdate(existing, next, { manager, subresource: 'status' }, apiVersionOf(kind), kind.kind, true, time);
  return entries?.map(sharedEntry);
}

/** Field-set subtrees (two levels down) already handed out, by their JSON: equal ones are one frozen object. */
const sharedTrees = new Map<string, unknown>();
/** Bounds the table; when full it starts over (objects keep the trees they got). */
const MAX_SHARED_TREES = 8192;

function sharedEntry(entry: ManagedFieldsEntry): ManagedFieldsEntry {
  const tree = entry.fieldsV1;
  if (!tree || Object.isFrozen(tree)) return entry;
  const top: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tree)) {
    if (typeof v !== 'object' || v === null) {
      top[k] = v;
      continue;
    }
    const second: Record<string, unknown> = {};
    for (const [k2, v2] of Object.entries(v)) second[k2] = sharedTree(v2);
    top[k] = sharedTree(second);
  }
  return { ...entry, fieldsV1: top };
}

function sharedTree(tree: unknown): unknown {
  if (typeof tree !== 'object' || tree === null) return tree;
  const key = JSON.stringify(tree);
  const hit = sharedTrees.get(key);
  if (hit !== undefined) return hit;
  if (sharedTrees.size >= MAX_SHARED_TREES) sharedTrees.clear();
  sharedTrees.set(key, deepFreeze(tree));
  return tree;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
