import type { FakeCluster } from '../../simulator/cluster.js';
import type { KubeObject } from '../../simulator/store/object.js';
import type { KindInfo } from '../../simulator/kinds/kind.js';
import { storageKey } from '../../simulator/kinds/registry.js';
import type { ManagedFieldsEntry } from '../../simulator/store/managed-fields.js';
import { asCreatedBy } from '../../simulator/store/seeded-writes.js';

/**
 * The Events a new Node gets in a kubeadm cluster, as `kubectl describe
 * node` and `kubectl get events` show them: its kubelet starting and
 * reporting its conditions, and the node lifecycle controller registering
 * it. Recorded as the legacy (core/v1) event recorder writes them: in the
 * `default` namespace (a Node has none), named `<node>.<hex nanoseconds>`.
 * The kubelet refers to its Node with the node name as uid, as it does.
 */

const EVENT_NAMESPACE = 'default';
const KUBELET = 'kubelet';
const NODE_CONTROLLER = 'node-controller';

interface NodeEvent {
  readonly reason: string;
  readonly message: (node: string) => string;
  readonly component: typeof KUBELET | typeof NODE_CONTROLLER;
}

const status = (reason: string): NodeEvent => ({ reason, component: KUBELET, message: (node) => `Node ${node} status is now: ${reason}` });

const REGISTRATION_EVENTS: readonly NodeEvent[] = [
  { reason: 'Starting', component: KUBELET, message: () => 'Starting kubelet.' },
  status('NodeHasSufficientMemory'),
  status('NodeHasNoDiskPressure'),
  status('NodeHasSufficientPID'),
  { reason: 'NodeAllocatableEnforced', component: KUBELET, message: () => 'Updated Node Allocatable limit across pods' },
  { reason: 'RegisteredNode', component: NODE_CONTROLLER, message: (node) => `Node ${node} event: Registered Node ${node} in Controller` },
];
const READY_EVENT = status('NodeReady');

/** Event names must be unique: nanoseconds of the wall clock, made strictly increasing. */
let lastNanos = 0n;

/** Events are made here from the Node just stored: no client's JSON to type-check. */
const BUILT_BY_US = { typesChecked: true } as const;

/** Records the Events of a Node's registration (NodeReady too when it registers Ready). */
export function recordNodeRegistration(cluster: FakeCluster, node: KubeObject, now: string): void {
  const kind = cluster.kind('', 'v1', 'events');
  if (!cluster.resources.find(cluster.kind('', 'v1', 'namespaces'), undefined, EVENT_NAMESPACE)) return;
  const name = node.metadata.name!;
  const events = isReady(node) ? [...REGISTRATION_EVENTS, READY_EVENT] : REGISTRATION_EVENTS;
  // The parts every Event of one source about this Node has in common are one frozen object each.
  const kubelet = {
    involvedObject: Object.freeze({ kind: 'Node', name, uid: name }),
    source: Object.freeze({ component: KUBELET, host: name }),
    managedFields: managedFieldsOf(kind, KUBELET, now),
  };
  const controller = {
    involvedObject: Object.freeze({ kind: 'Node', name, uid: node.metadata.uid, apiVersion: 'v1' }),
    source: Object.freeze({ component: NODE_CONTROLLER }),
    managedFields: managedFieldsOf(kind, NODE_CONTROLLER, now),
  };
  for (const e of events) cluster.resources.create(kind, EVENT_NAMESPACE, eventObject(name, e, e.component === KUBELET ? kubelet : controller, now), BUILT_BY_US);
}

interface EventSource {
  readonly involvedObject: object;
  readonly source: object;
  readonly managedFields: unknown[];
}

/** One Event as the legacy recorder writes it: counted once, first and last seen now. */
function eventObject(node: string, e: NodeEvent, from: EventSource, now: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${node}.${nextNanos().toString(16)}`, namespace: EVENT_NAMESPACE, managedFields: from.managedFields },
    involvedObject: from.involvedObject,
    reason: e.reason,
    message: e.message(node),
    source: from.source,
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    type: 'Normal',
    eventTime: null,
    reportingComponent: e.component,
    reportingInstance: e.component === KUBELET ? node : '',
  };
}

/** The writer an Event's managedFields name: the kubelet, or the process the node controller runs in. */
function writerOf(component: string): string {
  return component === KUBELET ? KUBELET : 'kube-controller-manager';
}

/** Every Event of one source has the same fields: their field set is worked out once per process and shared. */
const fieldSets = new Map<string, unknown>();
/** The managedFields of the Events recorded at one time by one source: one frozen array, shared by them. */
let lastManagedFields: { now: string; byComponent: Map<string, unknown[]> } | undefined;

function managedFieldsOf(kind: KindInfo, component: string, now: string): unknown[] {
  if (lastManagedFields?.now !== now) lastManagedFields = { now, byComponent: new Map() };
  let list = lastManagedFields.byComponent.get(component);
  if (!list) {
    const entry = Object.freeze({ manager: writerOf(component), operation: 'Update', apiVersion: 'v1', time: now, fieldsType: 'FieldsV1', fieldsV1: fieldSetOf(kind, component) });
    lastManagedFields.byComponent.set(component, (list = Object.freeze([entry]) as unknown as unknown[]));
  }
  return list;
}

/** The field set of an Event as its source writes it, from a stand-in Event with every field it sets. */
function fieldSetOf(kind: KindInfo, component: string): unknown {
  let set = fieldSets.get(component);
  if (set === undefined) {
    const byKubelet = component === KUBELET;
    const probe: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'stand-in.0', namespace: EVENT_NAMESPACE },
      involvedObject: byKubelet ? { kind: 'Node', name: 'n', uid: 'n' } : { kind: 'Node', name: 'n', uid: 'u', apiVersion: 'v1' },
      reason: 'r',
      message: 'm',
      source: byKubelet ? { component, host: 'n' } : { component },
      firstTimestamp: 't',
      lastTimestamp: 't',
      count: 1,
      type: 'Normal',
      eventTime: null,
      reportingComponent: component,
      reportingInstance: byKubelet ? 'n' : '',
    };
    asCreatedBy(kind, probe, { manager: writerOf(component) }, '', { share: true });
    set = (probe.metadata.managedFields as ManagedFieldsEntry[])[0]!.fieldsV1;
    fieldSets.set(component, set);
  }
  return set;
}

/** The kubelet's event when its Node's readiness flips (a FakeNode's spec.ready): NodeReady or NodeNotReady. */
export function recordReadinessChange(cluster: FakeCluster, node: KubeObject, previous: KubeObject, now: string): void {
  const ready = isReady(node);
  if (ready === isReady(previous)) return;
  const kind = cluster.kind('', 'v1', 'events');
  if (!cluster.resources.find(cluster.kind('', 'v1', 'namespaces'), undefined, EVENT_NAMESPACE)) return;
  const name = node.metadata.name!;
  const from = { involvedObject: { kind: 'Node', name, uid: name }, source: { component: KUBELET, host: name }, managedFields: managedFieldsOf(kind, KUBELET, now) };
  cluster.resources.create(kind, EVENT_NAMESPACE, eventObject(name, status(ready ? 'NodeReady' : 'NodeNotReady'), from, now), BUILT_BY_US);
}

/**
 * Drops the Events about a Node that is gone. kube-apiserver expires every
 * Event an hour after it was written (--event-ttl); a fake cluster has no
 * timers, so a Node's Events go with it instead, and a cluster whose
 * Machines are replaced again and again does not pile them up.
 */
export function forgetNodeEvents(cluster: FakeCluster, nodeName: string): void {
  const kind = cluster.kind('', 'v1', 'events');
  for (const { object } of cluster.resources.store.list(storageKey(kind), EVENT_NAMESPACE)) {
    const about = (object as { involvedObject?: { kind?: string; name?: string } }).involvedObject;
    if (about?.kind === 'Node' && about.name === nodeName) cluster.resources.delete(kind, EVENT_NAMESPACE, object.metadata.name!);
  }
}

function isReady(node: KubeObject): boolean {
  const conditions = ((node.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? []);
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

function nextNanos(): bigint {
  const nanos = BigInt(Date.now()) * 1_000_000n;
  lastNanos = nanos > lastNanos ? nanos : lastNanos + 1n;
  return lastNanos;
}
