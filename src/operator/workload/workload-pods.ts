import type { KubeObject, OwnerReference } from '../../simulator/store/object.js';

/**
 * The Pods kube-controller-manager's controllers would make from a
 * workload's pod template, already scheduled and Running as the kubelet
 * reports them. Their spec shares the template's parts (stored objects are
 * immutable), so a Pod costs its metadata and status, not a copy of its spec.
 */

type Obj = Record<string, unknown>;

/** Characters kube uses for generated suffixes and hashes (no vowels, no look-alikes). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** What the Priority admission plugin resolves the system priority classes to. */
const SYSTEM_PRIORITIES: Readonly<Record<string, number>> = { 'system-node-critical': 2000001000, 'system-cluster-critical': 2000000000 };
/** Tolerations the DaemonSet controller adds to every pod it makes, so node conditions never evict it. */
const DAEMON_TOLERATIONS: readonly Obj[] = Object.freeze(
  [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ].map((t) => Object.freeze(t)),
);
const HOST_NETWORK_TOLERATION: Obj = Object.freeze({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
const HOST_NETWORK_DAEMON_TOLERATIONS: readonly Obj[] = Object.freeze([...DAEMON_TOLERATIONS, HOST_NETWORK_TOLERATION]);
/** What the DefaultTolerationSeconds admission plugin adds to a pod without its own. */
const DEFAULT_TOLERATIONS: readonly Obj[] = Object.freeze([
  Object.freeze({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }),
  Object.freeze({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }),
]);
const POD_CONDITION_TYPES = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'] as const;

/**
 * Freezes a stored workload's pod template in place and returns it. Stored
 * objects never change (the store's rule), so this only lets the store
 * keep the template's parts by reference in every Pod made from it instead
 * of copying them (see cloneObject's shareFrozen).
 */
export function frozenTemplate(template: Obj): Obj {
  return deepFreeze(template);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const HIGH_SURROGATE_MIN = 0xd800;
const HIGH_SURROGATE_MAX = 0xdbff;
const isLowSurrogate = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff;

/** Hashes by template object: a template is hashed once, however many Pods and settles use it. */
const hashes = new WeakMap<object, string>();

/**
 * A template's hash as kube's controllers write it (pod-template-hash,
 * controller-revision-hash): FNV-1a of the template, its decimal digits
 * mapped onto the safe alphabet. Stable for equal templates.
 */
export function templateHash(template: object): string {
  const known = hashes.get(template);
  if (known !== undefined) return known;
  const text = JSON.stringify(template) ?? '';
  let h = 0x811c9dc5;
  // By code point, each contributing the low byte of its first UTF-16 unit: an astral character's second unit is skipped.
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    h ^= unit & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
    if (unit >= HIGH_SURROGATE_MIN && unit <= HIGH_SURROGATE_MAX && isLowSurrogate(text.charCodeAt(i + 1))) i++;
  }
  let out = '';
  for (const digit of String(h)) out += SAFE_ALPHABET[digit.charCodeAt(0) % SAFE_ALPHABET.length];
  hashes.set(template, out);
  return out;
}

export interface PodPlacement {
  readonly nodeName: string;
  /** The node's InternalIP: the pod's hostIP (and podIP with hostNetwork). */
  readonly hostIP: string;
  /** The pod's own IP; the host's for hostNetwork pods. */
  readonly podIP?: string;
}

export interface PodFromTemplate {
  readonly namePrefix: string;
  readonly namespace: string;
  readonly template: Obj;
  readonly labels: Readonly<Record<string, string>>;
  readonly owner: OwnerReference;
  /** Extra spec fields the controller sets (a DaemonSet's node affinity and tolerations). */
  readonly specExtras?: Obj;
  /** Unscheduled (Pending) when undefined. */
  readonly placement: PodPlacement | undefined;
  readonly now: string;
}

/** The Pod, Running on its node, or Pending and unschedulable without one. */
export function podFromTemplate(p: PodFromTemplate): KubeObject {
  const tspec = (p.template.spec ?? {}) as Obj;
  const spec: Obj = { ...tspec, ...p.specExtras, tolerations: podTolerations(tspec, p.specExtras), enableServiceLinks: tspec.enableServiceLinks ?? true, preemptionPolicy: 'PreemptLowerPriority' };
  const priority = SYSTEM_PRIORITIES[String(tspec.priorityClassName)];
  if (priority !== undefined) spec.priority = priority;
  if (p.placement) spec.nodeName = p.placement.nodeName;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: p.namePrefix, namespace: p.namespace, labels: p.labels, ownerReferences: [p.owner] },
    spec,
    status: p.placement ? runningStatus(tspec, p.placement, p.now) : pendingStatus(tspec, p.now),
  };
}

/** A Pending pod bound to a node that just became available: what the scheduler and kubelet make of it. */
export function bindPod(pod: KubeObject, placement: PodPlacement, now: string): KubeObject {
  const spec = { ...(pod.spec as Obj), nodeName: placement.nodeName };
  return { ...pod, spec, status: runningStatus(spec, placement, now) };
}

/** A Pod's tolerations by template spec and what its controller adds: the same for every Pod of a template. */
const tolerationsOf = new WeakMap<Obj, WeakMap<object, unknown>>();

function podTolerations(tspec: Obj, extras: Obj | undefined): unknown {
  const added = (extras?.tolerations ?? NO_TOLERATIONS) as object;
  let byAdded = tolerationsOf.get(tspec);
  if (!byAdded) tolerationsOf.set(tspec, (byAdded = new WeakMap()));
  let list = byAdded.get(added);
  if (list === undefined) byAdded.set(added, (list = deepFreeze(computeTolerations(tspec, extras))));
  return list;
}
const NO_TOLERATIONS: readonly Obj[] = Object.freeze([]);

function computeTolerations(tspec: Obj, extras: Obj | undefined): Obj[] {
  const own = Array.isArray(tspec.tolerations) ? (tspec.tolerations as Obj[]) : [];
  const added = Array.isArray(extras?.tolerations) ? (extras.tolerations as Obj[]) : [];
  const all = [...own, ...added];
  const has = (key: string): boolean => all.some((t) => t.key === key && t.effect === 'NoExecute');
  const defaults = DEFAULT_TOLERATIONS.filter((t) => !has(String(t.key)));
  return [...all, ...defaults];
}

/** The tolerations and node affinity the DaemonSet controller gives the pod it makes for `nodeName`. */
export function daemonPodExtras(tspec: Obj, nodeName: string): Obj {
  return {
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] } } },
    tolerations: tspec.hostNetwork === true ? HOST_NETWORK_DAEMON_TOLERATIONS : DAEMON_TOLERATIONS,
  };
}

/** The last Running conditions and container statuses handed out: Pods made in one go share them. */
let lastConditions: { now: string; value: readonly Obj[] } | undefined;
const containerStatusesOf = new WeakMap<Obj, { now: string; value: readonly Obj[] }>();

function runningConditions(now: string): readonly Obj[] {
  if (lastConditions?.now !== now) lastConditions = { now, value: deepFreeze(POD_CONDITION_TYPES.map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now }))) };
  return lastConditions.value;
}

function runningContainerStatuses(tspec: Obj, now: string): readonly Obj[] {
  const known = containerStatusesOf.get(tspec);
  if (known?.now === now) return known.value;
  const value = deepFreeze(
    containers(tspec).map((c) => ({
      name: c.name,
      state: { running: { startedAt: now } },
      lastState: {},
      ready: true,
      restartCount: 0,
      image: c.image,
      imageID: '',
      started: true,
    })),
  );
  containerStatusesOf.set(tspec, { now, value });
  return value;
}

function runningStatus(tspec: Obj, placement: PodPlacement, now: string): Obj {
  const podIP = placement.podIP ?? placement.hostIP;
  return {
    phase: 'Running',
    conditions: runningConditions(now),
    hostIP: placement.hostIP,
    hostIPs: [{ ip: placement.hostIP }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: now,
    containerStatuses: runningContainerStatuses(tspec, now),
    qosClass: qosClass(tspec),
  };
}

function pendingStatus(tspec: Obj, now: string): Obj {
  return {
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: now, reason: 'Unschedulable', message: '0/0 nodes are available: no nodes available to schedule pods.' }],
    qosClass: qosClass(tspec),
  };
}

function containers(tspec: Obj): Obj[] {
  return Array.isArray(tspec.containers) ? (tspec.containers as Obj[]) : [];
}

/** Guaranteed when every container's requests equal its limits, BestEffort with none at all, else Burstable. */
function qosClass(tspec: Obj): string {
  const resources = containers(tspec).map((c) => (c.resources ?? {}) as { requests?: Obj; limits?: Obj });
  if (resources.every((r) => !Object.keys(r.requests ?? {}).length && !Object.keys(r.limits ?? {}).length)) return 'BestEffort';
  const guaranteed = resources.every((r) => {
    const limits = r.limits ?? {};
    const requests = { ...limits, ...r.requests };
    return ['cpu', 'memory'].every((k) => limits[k] !== undefined && requests[k] === limits[k]);
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** Whether a pod with these tolerations may run on a node with these taints. */
export function toleratesTaints(tolerations: unknown, taints: unknown): boolean {
  const tols = Array.isArray(tolerations) ? (tolerations as Obj[]) : [];
  const list = Array.isArray(taints) ? (taints as Obj[]) : [];
  return list.every(
    (taint) =>
      taint.effect === 'PreferNoSchedule' ||
      tols.some(
        (t) =>
          (t.effect === undefined || t.effect === '' || t.effect === taint.effect) &&
          (t.key === undefined || t.key === '' ? t.operator === 'Exists' : t.key === taint.key && (t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? ''))),
      ),
  );
}

/** Whether the node's labels satisfy a pod template's nodeSelector. */
export function matchesNodeSelector(tspec: Obj, node: KubeObject): boolean {
  const selector = (tspec.nodeSelector ?? {}) as Record<string, string>;
  const labels = node.metadata.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
