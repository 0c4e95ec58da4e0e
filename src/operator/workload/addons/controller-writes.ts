import type { FakeCluster } from '../../../simulator/cluster.js';
import type { KindInfo } from '../../../simulator/kinds/kind.js';
import type { ManagedFieldsEntry } from '../../../simulator/store/managed-fields.js';
import { jsonEqual, type KubeObject } from '../../../simulator/store/object.js';
import { asCreatedBy, managedFieldsAfterStatusWrite } from '../../../simulator/store/seeded-writes.js';
import { bindPod, templateHash } from '../workload-pods.js';
import { CONTROLLER_MANAGER, KUBE_SYSTEM, KUBELET, type Kinds, type Obj } from './settling.js';
import { asCreatedByShared, STAND_IN_HOST_IP, STAND_IN_OWNER_UID, STAND_IN_POD_IP, withKeys } from './stand-ins.js';

/**
 * The writes kube-controller-manager's controllers and the kubelets make for
 * the addons, with the managedFields real ones leave: Pods a controller
 * creates and the kubelet runs, status subresource writes, objects the
 * endpoint controllers own whole.
 */

/** Pods, ReplicaSets and endpoints made here come from stored (type-checked) templates and our own code. */
export const BUILT_FROM_STORED = { typesChecked: true } as const;

/** Bound on each cache of shared field sets: templates a user changes often must not grow it forever. */
const MAX_SHARED_FIELD_SETS = 1024;

interface PodFieldSets {
  readonly main: Obj;
  readonly status: Obj;
}

/**
 * Field sets of the Pods made from one template (same owner kind and name,
 * same template hash, same phase), shared by every cluster: they differ
 * only in the keys that name the owner's uid and the Pod's addresses, which
 * stand-ins hold here.
 */
const podFieldSets = new Map<string, PodFieldSets>();
/** Field sets of other objects made the same way in every cluster (a ReplicaSet of one template), by key. */
const fieldSets = new Map<string, Obj>();

export function sharedFieldSet(key: string, compute: () => Obj): Obj {
  let set = fieldSets.get(key);
  if (!set) {
    if (fieldSets.size >= MAX_SHARED_FIELD_SETS) fieldSets.clear();
    fieldSets.set(key, (set = compute()));
  }
  return set;
}

/**
 * Creates a Pod a controller made from `template`, with the managedFields a
 * real one has: kube-controller-manager's create, the kubelet's status.
 * Every Pod of one template and owner has the same field sets but for its
 * addresses, so they are worked out once (with stand-in addresses) and
 * shared; a Pod gets the few keys that name its own addresses.
 */
export function createPod(cluster: FakeCluster, kinds: Kinds, pod: KubeObject, template: Obj, now: string): void {
  const owner = pod.metadata.ownerReferences![0]!;
  const key = `${owner.kind}/${owner.name}/${templateHash(template)}/${pod.status && (pod.status as Obj).phase}`;
  let sets = podFieldSets.get(key);
  if (!sets) {
    if (podFieldSets.size >= MAX_SHARED_FIELD_SETS) podFieldSets.clear();
    podFieldSets.set(key, (sets = podFieldSetsOf(kinds.pod, pod, now)));
  }
  const status = (pod.status ?? {}) as { hostIP?: string; podIP?: string };
  const names = new Map<string, string>([[STAND_IN_OWNER_UID, owner.uid]]);
  if (status.hostIP) names.set(STAND_IN_HOST_IP, status.hostIP);
  if (status.podIP) names.set(STAND_IN_POD_IP, status.podIP);
  pod.metadata.managedFields = [
    { manager: CONTROLLER_MANAGER, operation: 'Update', apiVersion: 'v1', time: now, fieldsType: 'FieldsV1', fieldsV1: withKeys(sets.main, names) },
    { manager: KUBELET, operation: 'Update', apiVersion: 'v1', time: now, fieldsType: 'FieldsV1', fieldsV1: withKeys(sets.status, names), subresource: 'status' },
  ];
  cluster.resources.create(kinds.pod, KUBE_SYSTEM, pod, BUILT_FROM_STORED);
}

function podFieldSetsOf(podKind: KindInfo, pod: KubeObject, now: string): PodFieldSets {
  const owner = { ...pod.metadata.ownerReferences![0]!, uid: STAND_IN_OWNER_UID };
  const phase = (pod.status as Obj | undefined)?.phase;
  const status = phase === 'Running' ? bindPod(pod, { nodeName: 'stand-in', hostIP: STAND_IN_HOST_IP, podIP: STAND_IN_POD_IP }, now).status : pod.status;
  const probe: KubeObject = { ...pod, metadata: { ...pod.metadata, ownerReferences: [owner] }, status };
  asCreatedBy(podKind, probe, { manager: CONTROLLER_MANAGER, statusManager: KUBELET }, now, { share: true });
  const entries = probe.metadata.managedFields as ManagedFieldsEntry[];
  return { main: entries.find((e) => !e.subresource)!.fieldsV1 as Obj, status: (entries.find((e) => e.subresource === 'status')?.fieldsV1 ?? {}) as Obj };
}

/** A Pod's status as its kubelet writes it (status subresource). */
export function commitPod(cluster: FakeCluster, kinds: Kinds, existing: KubeObject, next: KubeObject, now: string): void {
  const managedFields = statusWriteFields(kinds.pod, existing, next, KUBELET, now);
  cluster.resources.commit(kinds.pod, existing, { ...next, metadata: { ...next.metadata, ...(managedFields ? { managedFields } : {}) } });
}

/** Writes a workload's status as kube-controller-manager does (status subresource), unless it says that already. */
export function writeStatus(cluster: FakeCluster, kind: KindInfo, existing: KubeObject, status: Obj, now: string): void {
  if (jsonEqual(existing.status, status)) return;
  const next: KubeObject = { ...existing, status };
  const managedFields = statusWriteFields(kind, existing, next, CONTROLLER_MANAGER, now);
  cluster.resources.commit(kind, existing, { ...next, metadata: { ...existing.metadata, ...(managedFields ? { managedFields } : {}) } });
}

/**
 * The managedFields after a status write, by everything they follow from: the kind, the writer,
 * the time, the entries there were and the status before and after (a write through the status
 * subresource looks at nothing else). Clusters settling in the same second make the same writes
 * (their first node's addons), so most are worked out once and copied.
 */
const statusWrites = new Map<string, readonly ManagedFieldsEntry[] | undefined>();

/** Frozen field sets are shared and never change: their identity stands for their content. */
const frozenIds = new WeakMap<object, number>();
let nextFrozenId = 0;

function frozenId(tree: object): number {
  let id = frozenIds.get(tree);
  if (id === undefined) frozenIds.set(tree, (id = nextFrozenId++));
  return id;
}

function statusWriteFields(kind: KindInfo, existing: KubeObject, next: KubeObject, manager: string, now: string): ManagedFieldsEntry[] | undefined {
  if (jsonEqual(existing.status, next.status)) return existing.metadata.managedFields as ManagedFieldsEntry[] | undefined;
  const entries = (existing.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  // Only entries of shared (frozen) field sets make a short key; others (a ReplicaSet's, naming its owner's uid) are worked out each time.
  if (!entries.every((e) => e.fieldsV1 === undefined || Object.isFrozen(e.fieldsV1))) return managedFieldsAfterStatusWrite(kind, existing, next, manager, now);
  const entriesKey = entries.map((e) => [e.manager, e.operation, e.apiVersion, e.time, e.fieldsType, e.subresource, e.fieldsV1 && frozenId(e.fieldsV1)]);
  const key = JSON.stringify([kind.group, kind.version, kind.kind, manager, now, existing.metadata.uid !== undefined, entriesKey, existing.status, next.status]);
  let result = statusWrites.get(key);
  if (result === undefined && !statusWrites.has(key)) {
    result = managedFieldsAfterStatusWrite(kind, existing, next, manager, now);
    // Handed to many clusters: frozen whole (below the top they are shared and frozen already).
    for (const e of result ?? []) if (e.fieldsV1) Object.freeze(e.fieldsV1);
    if (statusWrites.size >= MAX_SHARED_FIELD_SETS) statusWrites.clear();
    statusWrites.set(key, result);
  }
  // Entries are copied, their frozen field sets shared: no object of one cluster is another's.
  return result?.map((e) => ({ ...e }));
}


/**
 * Creates or replaces an object kube-controller-manager owns whole (its fields, its managedFields).
 * `own` are its strings no other cluster's copy has (names, uids): its field sets are shared with
 * the copies of other clusters (asCreatedByShared).
 */
export function writeOwned(cluster: FakeCluster, kind: KindInfo, existing: KubeObject | undefined, desired: KubeObject, now: string, own: readonly string[]): void {
  if (existing) {
    const { managedFields: _m, ...meta } = existing.metadata;
    const body = { ...desired, metadata: { ...meta, labels: desired.metadata.labels } };
    const current = { ...existing, metadata: meta };
    if (jsonEqual(stripVolatile(current), stripVolatile(body))) return;
    asCreatedByShared(kind, body, CONTROLLER_MANAGER, now, [...own, ...ownOfStored(existing)]);
    cluster.resources.commit(kind, existing, body);
    return;
  }
  asCreatedByShared(kind, desired, CONTROLLER_MANAGER, now, own);
  cluster.resources.create(kind, KUBE_SYSTEM, desired, BUILT_FROM_STORED);
}

/** What a stored object has of its own: its name, uid, resourceVersion and creation time. */
function ownOfStored(o: KubeObject): string[] {
  const m = o.metadata;
  return [m.name, m.uid, m.resourceVersion, m.creationTimestamp].filter((v): v is string => typeof v === 'string');
}

function stripVolatile(o: KubeObject): KubeObject {
  const { resourceVersion: _rv, generation: _g, ...meta } = o.metadata;
  return { ...o, metadata: meta };
}
