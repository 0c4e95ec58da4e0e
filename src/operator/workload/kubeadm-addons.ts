import type { FakeCluster } from '../../simulator/cluster.js';
import type { KindInfo } from '../../simulator/kinds/kind.js';
import { storageKey } from '../../simulator/kinds/registry.js';
import { jsonEqual, kubeTime, type KubeObject, type OwnerReference } from '../../simulator/store/object.js';
import { asCreatedBy, managedFieldsAfterStatusWrite } from '../../simulator/store/seeded-writes.js';
import type { ManagedFieldsEntry } from '../../simulator/store/managed-fields.js';
import { forgetNodeEvents, recordNodeRegistration, recordReadinessChange } from './node-events.js';
import { bindPod, daemonPodExtras, frozenTemplate, matchesNodeSelector, podFromTemplate, templateHash, toleratesTaints, type PodPlacement } from './workload-pods.js';

/**
 * What kube-controller-manager, the scheduler and the kubelets make of the
 * addons `kubeadm init` installs, in a cluster that has settled: one
 * Running kube-proxy Pod per Node (DaemonSet), the coredns ReplicaSet and
 * its Running Pods (Deployment), the kube-dns Service's EndpointSlice and
 * Endpoints, and status counts that agree with the Pods. Settled again
 * whenever a Node comes or goes — through the operator or through the API.
 * A cluster without the kube-proxy DaemonSet or coredns Deployment (a
 * template directory of one's own) gets none of it.
 */

type Obj = Record<string, unknown>;

const KUBE_SYSTEM = 'kube-system';
const KUBE_PROXY = 'kube-proxy';
const COREDNS = 'coredns';
const KUBE_DNS = 'kube-dns';
const CONTROLLER_MANAGER = 'kube-controller-manager';
const KUBELET = 'kubelet';
/** The label EndpointSlices carry for their Service, and the controller that manages them. */
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const ENDPOINTSLICE_CONTROLLER = 'endpointslice-controller.k8s.io';
const DEPLOYMENT_REVISION = 'deployment.kubernetes.io/revision';
/** What a Node without an InternalIP reports as its address (the FakeNode reconciler's default). */
const DEFAULT_NODE_IP = '127.0.0.1';
const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';
/** Settling writes workloads, which reports them changed: one more round sees them settled; more would be a bug. */
const MAX_SETTLE_ROUNDS = 3;
/** kubeadm gives kube-dns the tenth address of the service network (10.96.0.10 for 10.96.0.0/12). */
const DNS_SERVICE_OFFSET = 10;

/**
 * What a fake cluster holds beyond what CAPI reads (`--cluster-contents`): `kubeadm` settles it as
 * a running kubeadm cluster (this module: addon Pods, kube-dns endpoints, Node events); `minimal`
 * keeps the kubeadm objects CAPI reads (ConfigMaps, RBAC, static Pods, Nodes) and the addons'
 * DaemonSet and Deployment unsettled: ~35 KiB less per cluster and ~9 KiB less per Node, for
 * scale tests where nobody lists Pods or Events.
 */
export const CLUSTER_CONTENTS = ['kubeadm', 'minimal'] as const;
export type ClusterContents = (typeof CLUSTER_CONTENTS)[number];
export const DEFAULT_CLUSTER_CONTENTS: ClusterContents = 'kubeadm';

export interface AddonSettings {
  /** The cluster's pod network (kubeadm's podSubnet): coredns Pods get addresses from it. */
  readonly podCIDR: string;
}

interface Kinds {
  readonly node: KindInfo;
  readonly pod: KindInfo;
  readonly daemonSet: KindInfo;
  readonly deployment: KindInfo;
  readonly replicaSet: KindInfo;
  readonly service: KindInfo;
  readonly endpoints: KindInfo;
  readonly endpointSlice: KindInfo;
}

/** Pods, ReplicaSets and endpoints made here come from stored (type-checked) templates and our own code. */
const BUILT_FROM_STORED = { typesChecked: true } as const;

/** Clusters already watched: the observer is set once per cluster. */
const watched = new WeakMap<FakeCluster, AddonSettings>();
/** Clusters being settled right now, and whether a change arrived meanwhile (settling writes, and writes tell the observer). */
const settling = new WeakMap<FakeCluster, { again: boolean }>();
/** Clusters whose settling waits for a batch of writes to end (deferSettling). */
const deferred = new WeakSet<FakeCluster>();

/**
 * Runs `writes` with settling put off until they end, then settles once (when the cluster is
 * watched): registering a control-plane Node writes the Node, its static Pods and what kubeadm
 * leaves, and each would otherwise settle the addons again.
 */
export function deferSettling(cluster: FakeCluster, now: string, writes: () => void): void {
  if (deferred.has(cluster)) return writes();
  deferred.add(cluster);
  try {
    writes();
  } finally {
    deferred.delete(cluster);
  }
  settleKubeadmAddons(cluster, now);
}

/**
 * Starts keeping the cluster's addons settled as Nodes come and go and the
 * addons' specs change (CAPI upgrades kube-proxy's and CoreDNS's images),
 * and records a new Node's events; call before the cluster's first Node is
 * registered, so that one gets its events too. Idempotent.
 */
export function watchKubeadmCluster(cluster: FakeCluster, settings: AddonSettings): void {
  if (watched.has(cluster)) return;
  watched.set(cluster, settings);
  cluster.observer = {
    nodeAdded: (node) => {
      const now = kubeTime(new Date());
      recordNodeRegistration(cluster, node, now);
      settleKubeadmAddons(cluster, now);
    },
    nodeChanged: (node, previous) => recordReadinessChange(cluster, node, previous, kubeTime(new Date())),
    nodeRemoved: (node) => {
      forgetNodeEvents(cluster, node.metadata.name!);
      settleKubeadmAddons(cluster, kubeTime(new Date()));
    },
    workloadChanged: (workload) => {
      if (workload.metadata.namespace === KUBE_SYSTEM && (workload.metadata.name === KUBE_PROXY || workload.metadata.name === COREDNS)) settleKubeadmAddons(cluster, kubeTime(new Date()));
    },
    // A deleted addon Pod (kubectl delete pod, an eviction) is made again, as its controller would.
    podRemoved: (pod) => {
      const owner = pod.metadata.ownerReferences?.find((r) => r.controller === true);
      if (pod.metadata.namespace === KUBE_SYSTEM && (owner?.kind === 'DaemonSet' || owner?.kind === 'ReplicaSet')) settleKubeadmAddons(cluster, kubeTime(new Date()));
    },
  };
}

/**
 * Brings the addons' Pods, endpoints and status counts in line with the
 * cluster's Nodes and the addons' specs. Idempotent. A change that arrives
 * while settling (its own writes included) is settled once more after.
 */
export function settleKubeadmAddons(cluster: FakeCluster, now: string): void {
  const settings = watched.get(cluster);
  if (!settings || deferred.has(cluster)) return;
  const running = settling.get(cluster);
  if (running) {
    running.again = true;
    return;
  }
  const state = { again: true };
  settling.set(cluster, state);
  try {
    for (let round = 0; state.again && round < MAX_SETTLE_ROUNDS; round++) {
      state.again = false;
      settleOnce(cluster, settings, now);
    }
  } finally {
    settling.delete(cluster);
  }
}

function settleOnce(cluster: FakeCluster, settings: AddonSettings, now: string): void {
  const kinds = kindsOf(cluster);
  const nodes = cluster.resources.store.list(storageKey(kinds.node)).map((e) => e.object);
  const pods = cluster.resources.store.list(storageKey(kinds.pod), KUBE_SYSTEM).map((e) => e.object);
  settleKubeProxy(cluster, kinds, nodes, pods, now);
  settleCoreDns(cluster, kinds, nodes, pods, settings, now);
}

function kindsOf(cluster: FakeCluster): Kinds {
  return {
    node: cluster.kind('', 'v1', 'nodes'),
    pod: cluster.kind('', 'v1', 'pods'),
    daemonSet: cluster.kind('apps', 'v1', 'daemonsets'),
    deployment: cluster.kind('apps', 'v1', 'deployments'),
    replicaSet: cluster.kind('apps', 'v1', 'replicasets'),
    service: cluster.kind('', 'v1', 'services'),
    endpoints: cluster.kind('', 'v1', 'endpoints'),
    endpointSlice: cluster.kind('discovery.k8s.io', 'v1', 'endpointslices'),
  };
}

function settleKubeProxy(cluster: FakeCluster, kinds: Kinds, nodes: readonly KubeObject[], kubeSystemPods: readonly KubeObject[], now: string): void {
  const ds = cluster.resources.find(kinds.daemonSet, KUBE_SYSTEM, KUBE_PROXY);
  if (!ds) return;
  const template = frozenTemplate(templateOf(ds));
  const tspec = (template.spec ?? {}) as Obj;
  const eligible = nodes.filter((n) => matchesNodeSelector(tspec, n) && toleratesTaints(tspec.tolerations, (n.spec as Obj | undefined)?.taints));
  const eligibleNames = new Set(eligible.map((n) => n.metadata.name));
  const pods = kubeSystemPods.filter((p) => isControlledBy(p, ds));
  const hash = templateHash(template);
  // A Pod of an older template is replaced (the rolling update, finished); one per eligible node stays.
  const running = new Set<string>();
  for (const pod of pods) {
    const nodeName = nodeNameOf(pod);
    if (nodeName && eligibleNames.has(nodeName) && !running.has(nodeName) && pod.metadata.labels?.['controller-revision-hash'] === hash) running.add(nodeName);
    else cluster.deleteObject('v1', 'Pod', KUBE_SYSTEM, pod.metadata.name!);
  }
  const generation = ds.metadata.annotations?.['deprecated.daemonset.template.generation'] ?? '1';
  const labels = Object.freeze({ ...(templateLabels(template) ?? {}), 'controller-revision-hash': hash, 'pod-template-generation': generation });
  const owner = Object.freeze(controllerRef(ds));
  for (const node of eligible) {
    const nodeName = node.metadata.name!;
    if (running.has(nodeName)) continue;
    const hostIP = internalIP(node);
    createPod(cluster, kinds, podFromTemplate({ namePrefix: `${KUBE_PROXY}-`, namespace: KUBE_SYSTEM, template, labels, owner, specExtras: daemonPodExtras(tspec, nodeName), placement: { nodeName, hostIP }, now }), template, now);
    running.add(nodeName);
  }
  const count = running.size;
  writeStatus(cluster, kinds.daemonSet, ds, {
    currentNumberScheduled: count,
    numberMisscheduled: 0,
    desiredNumberScheduled: eligible.length,
    numberReady: count,
    observedGeneration: ds.metadata.generation ?? 1,
    updatedNumberScheduled: count,
    numberAvailable: count,
    ...(eligible.length > count ? { numberUnavailable: eligible.length - count } : {}),
  }, now);
}

function settleCoreDns(cluster: FakeCluster, kinds: Kinds, nodes: readonly KubeObject[], kubeSystemPods: readonly KubeObject[], settings: AddonSettings, now: string): void {
  const deploy = cluster.resources.find(kinds.deployment, KUBE_SYSTEM, COREDNS);
  if (!deploy) return;
  const replicaSet = ensureReplicaSet(cluster, kinds, deploy, now);
  const rs = replicaSet.object;
  const template = frozenTemplate(templateOf(rs));
  const tspec = (template.spec ?? {}) as Obj;
  const wanted = Number((rs.spec as Obj | undefined)?.replicas ?? 1);
  const schedulable = nodes.filter((n) => (n.spec as Obj | undefined)?.unschedulable !== true && matchesNodeSelector(tspec, n) && toleratesTaints(tspec.tolerations, (n.spec as Obj | undefined)?.taints));
  const byName = new Map(nodes.map((n) => [n.metadata.name!, n]));
  let pods = kubeSystemPods.filter((p) => isControlledBy(p, rs));
  // Pods of nodes that are gone went with them (pod GC); more than wanted: the newest go (the ReplicaSet scales down).
  pods = pods.filter((p) => !nodeNameOf(p) || byName.has(nodeNameOf(p)!));
  for (const extra of pods.slice(wanted)) cluster.deleteObject('v1', 'Pod', KUBE_SYSTEM, extra.metadata.name!);
  pods = pods.slice(0, wanted);
  const perNode = new Map<string, number>();
  for (const p of pods) if (nodeNameOf(p)) perNode.set(nodeNameOf(p)!, (perNode.get(nodeNameOf(p)!) ?? 0) + 1);
  const usedIPs = new Set(pods.map((p) => (p.status as Obj | undefined)?.podIP).filter((ip): ip is string => typeof ip === 'string'));
  const place = (): PodPlacement | undefined => {
    const node = pickNode(schedulable, perNode);
    if (!node) return undefined;
    perNode.set(node.metadata.name!, (perNode.get(node.metadata.name!) ?? 0) + 1);
    const podIP = freePodIP(settings.podCIDR, usedIPs);
    usedIPs.add(podIP);
    return { nodeName: node.metadata.name!, hostIP: internalIP(node), podIP };
  };
  for (const pod of pods) {
    if (nodeNameOf(pod)) continue;
    const placement = place();
    if (placement) commitPod(cluster, kinds, pod, bindPod(pod, placement, now), now);
  }
  const labels = templateLabels(template) ?? {};
  const owner = Object.freeze(controllerRef(rs));
  for (let i = pods.length; i < wanted; i++) {
    createPod(cluster, kinds, podFromTemplate({ namePrefix: `${rs.metadata.name}-`, namespace: KUBE_SYSTEM, template, labels, owner, placement: place(), now }), template, now);
  }
  const current = cluster.resources.store.list(storageKey(kinds.pod), KUBE_SYSTEM).map((e) => e.object).filter((p) => isControlledBy(p, rs));
  const ready = current.filter((p) => (p.status as Obj | undefined)?.phase === 'Running');
  writeStatus(cluster, kinds.replicaSet, rs, { replicas: current.length, fullyLabeledReplicas: current.length, readyReplicas: ready.length, availableReplicas: ready.length, observedGeneration: rs.metadata.generation ?? 1 }, now);
  writeStatus(cluster, kinds.deployment, cluster.resources.get(kinds.deployment, KUBE_SYSTEM, COREDNS), deploymentStatus(deploy, rs.metadata.name!, current.length, ready.length, replicaSet.createdAt, now), now);
  settleDnsEndpoints(cluster, kinds, ready, now);
}

/** The Deployment's ReplicaSet for its current template, created (with the revision annotations) when missing. */
function ensureReplicaSet(cluster: FakeCluster, kinds: Kinds, deploy: KubeObject, now: string): { object: KubeObject; createdAt: string } {
  const template = frozenTemplate(templateOf(deploy));
  const hash = templateHash(template);
  const owned = cluster.resources.store
    .list(storageKey(kinds.replicaSet), KUBE_SYSTEM)
    .map((e) => e.object)
    .filter((rs) => isControlledBy(rs, deploy));
  const existing = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
  // The rollout to the current template is over: older ReplicaSets are scaled to zero, their Pods gone.
  for (const old of owned) if (old !== existing) scaleToZero(cluster, kinds, old, now);
  if (existing) return { object: scaledToDeployment(cluster, kinds, existing, deploy), createdAt: existing.metadata.creationTimestamp ?? now };
  const revision = String(1 + Math.max(0, ...owned.map((rs) => Number(rs.metadata.annotations?.[DEPLOYMENT_REVISION] ?? 0))));
  const spec = deploy.spec as Obj;
  const replicas = Number(spec.replicas ?? 1);
  const selector = (spec.selector ?? {}) as { matchLabels?: Record<string, string> };
  const labels = { ...(templateLabels(template) ?? {}), 'pod-template-hash': hash };
  const rs: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${deploy.metadata.name}-${hash}`,
      namespace: KUBE_SYSTEM,
      labels,
      annotations: { 'deployment.kubernetes.io/desired-replicas': String(replicas), 'deployment.kubernetes.io/max-replicas': String(replicas + maxSurge(spec, replicas)), [DEPLOYMENT_REVISION]: revision },
      ownerReferences: [controllerRef(deploy)],
    },
    spec: { replicas, selector: { ...selector, matchLabels: { ...selector.matchLabels, 'pod-template-hash': hash } }, template: { ...template, metadata: { ...(template.metadata as Obj), labels } } },
  };
  const owner = deploy.metadata.uid!;
  const fields = sharedFieldSet(`ReplicaSet/${rs.metadata.name}/${revision}`, () => {
    const probe: KubeObject = { ...rs, metadata: { ...rs.metadata, ownerReferences: [{ ...controllerRef(deploy), uid: STAND_IN_OWNER_UID }] } };
    asCreatedBy(kinds.replicaSet, probe, { manager: CONTROLLER_MANAGER }, now, { share: true });
    return (probe.metadata.managedFields as ManagedFieldsEntry[])[0]!.fieldsV1 as Obj;
  });
  rs.metadata.managedFields = [{ manager: CONTROLLER_MANAGER, operation: 'Update', apiVersion: 'apps/v1', time: now, fieldsType: 'FieldsV1', fieldsV1: withKeys(fields, new Map([[STAND_IN_OWNER_UID, owner]])) }];
  const created = cluster.resources.create(kinds.replicaSet, KUBE_SYSTEM, rs, BUILT_FROM_STORED);
  // The Deployment controller records the revision on the Deployment too.
  const current = cluster.resources.get(kinds.deployment, KUBE_SYSTEM, deploy.metadata.name!);
  if (current.metadata.annotations?.[DEPLOYMENT_REVISION] !== revision) {
    const annotated = { ...current, metadata: { ...current.metadata, annotations: { ...current.metadata.annotations, [DEPLOYMENT_REVISION]: revision } } };
    cluster.resources.commit(kinds.deployment, current, annotated);
  }
  return { object: created, createdAt: now };
}

/** An old ReplicaSet after a finished rollout: no replicas, no Pods. */
/** The current ReplicaSet follows the Deployment's replicas (`kubectl scale deploy`), as the Deployment controller scales it. */
function scaledToDeployment(cluster: FakeCluster, kinds: Kinds, rs: KubeObject, deploy: KubeObject): KubeObject {
  const spec = deploy.spec as Obj;
  const replicas = Number(spec.replicas ?? 1);
  if ((rs.spec as Obj | undefined)?.replicas === replicas) return rs;
  const annotations = { ...rs.metadata.annotations, 'deployment.kubernetes.io/desired-replicas': String(replicas), 'deployment.kubernetes.io/max-replicas': String(replicas + maxSurge(spec, replicas)) };
  return cluster.resources.commit(kinds.replicaSet, rs, { ...rs, metadata: { ...rs.metadata, annotations }, spec: { ...(rs.spec as Obj), replicas } });
}

function scaleToZero(cluster: FakeCluster, kinds: Kinds, rs: KubeObject, now: string): void {
  for (const { object } of cluster.resources.store.list(storageKey(kinds.pod), KUBE_SYSTEM)) {
    if (isControlledBy(object, rs)) cluster.deleteObject('v1', 'Pod', KUBE_SYSTEM, object.metadata.name!);
  }
  let current = cluster.resources.get(kinds.replicaSet, KUBE_SYSTEM, rs.metadata.name!);
  if ((current.spec as Obj | undefined)?.replicas !== 0) {
    current = cluster.resources.commit(kinds.replicaSet, current, { ...current, spec: { ...(current.spec as Obj), replicas: 0 } });
  }
  writeStatus(cluster, kinds.replicaSet, current, { replicas: 0, observedGeneration: current.metadata.generation ?? 1 }, now);
}

/** A rolling update's maxSurge in pods (25% by default, rounded up). */
function maxSurge(spec: Obj, replicas: number): number {
  const rolling = ((spec.strategy as Obj | undefined)?.rollingUpdate ?? {}) as { maxSurge?: number | string };
  const surge = rolling.maxSurge ?? '25%';
  if (typeof surge === 'number') return surge;
  const percent = /^(\d+)%$/.exec(surge);
  return percent ? Math.ceil((replicas * Number(percent[1])) / 100) : Number(surge) || 0;
}

function deploymentStatus(deploy: KubeObject, rsName: string, replicas: number, ready: number, rsCreatedAt: string, now: string): Obj {
  const wanted = Number((deploy.spec as Obj | undefined)?.replicas ?? 1);
  const previous = ((deploy.status as Obj | undefined)?.conditions ?? []) as Obj[];
  const condition = (type: string, status: string, reason: string, message: string, since: string): Obj => {
    const old = previous.find((c) => c.type === type);
    const unchanged = old?.status === status && old.reason === reason;
    return { type, status, lastUpdateTime: unchanged ? old.lastUpdateTime : now, lastTransitionTime: old?.status === status ? old.lastTransitionTime : since, reason, message };
  };
  const available = ready >= Math.max(0, wanted - maxUnavailable(deploy, wanted));
  return {
    observedGeneration: deploy.metadata.generation ?? 1,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: ready,
    availableReplicas: ready,
    ...(replicas > ready ? { unavailableReplicas: replicas - ready } : {}),
    conditions: [
      available
        ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now)
        : condition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', now),
      ready >= wanted
        ? condition('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`, rsCreatedAt)
        : condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, rsCreatedAt),
    ],
  };
}

function maxUnavailable(deploy: KubeObject, replicas: number): number {
  const rolling = (((deploy.spec as Obj | undefined)?.strategy as Obj | undefined)?.rollingUpdate ?? {}) as { maxUnavailable?: number | string };
  const value = rolling.maxUnavailable ?? '25%';
  if (typeof value === 'number') return value;
  const percent = /^(\d+)%$/.exec(value);
  return percent ? Math.floor((replicas * Number(percent[1])) / 100) : Number(value) || 0;
}

/** The kube-dns Service's EndpointSlice and Endpoints: the Running coredns Pods' addresses. */
function settleDnsEndpoints(cluster: FakeCluster, kinds: Kinds, ready: readonly KubeObject[], now: string): void {
  const service = cluster.resources.find(kinds.service, KUBE_SYSTEM, KUBE_DNS);
  if (!service) return;
  const ports = (((service.spec as Obj | undefined)?.ports ?? []) as Obj[]).map((p) => ({ name: p.name ?? '', port: p.targetPort ?? p.port, protocol: p.protocol ?? 'TCP' }));
  const pods = [...ready].sort((a, b) => String((a.status as Obj).podIP).localeCompare(String((b.status as Obj).podIP)));
  const slice: KubeObject = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${KUBE_DNS}-`,
      namespace: KUBE_SYSTEM,
      labels: { ...service.metadata.labels, [MANAGED_BY_LABEL]: ENDPOINTSLICE_CONTROLLER, [SERVICE_NAME_LABEL]: KUBE_DNS },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: KUBE_DNS, uid: service.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType: 'IPv4',
    endpoints: pods.map((p) => ({
      addresses: [(p.status as Obj).podIP],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: nodeNameOf(p),
      targetRef: { kind: 'Pod', namespace: KUBE_SYSTEM, name: p.metadata.name, uid: p.metadata.uid },
    })),
    ports: [...ports].sort((a, b) => String(a.name).localeCompare(String(b.name))),
  };
  const existing = cluster.resources.store.list(storageKey(kinds.endpointSlice), KUBE_SYSTEM).map((e) => e.object).find((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === KUBE_DNS);
  writeOwned(cluster, kinds.endpointSlice, existing, slice, now);
  const endpoints: KubeObject = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: KUBE_DNS, namespace: KUBE_SYSTEM, labels: { ...service.metadata.labels, 'endpoints.kubernetes.io/managed-by': 'endpoint-controller' } },
    subsets: pods.length
      ? [{ addresses: pods.map((p) => ({ ip: (p.status as Obj).podIP, nodeName: nodeNameOf(p), targetRef: { kind: 'Pod', namespace: KUBE_SYSTEM, name: p.metadata.name, uid: p.metadata.uid } })), ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol })) }]
      : undefined,
  };
  if (!endpoints.subsets) delete endpoints.subsets;
  writeOwned(cluster, kinds.endpoints, cluster.resources.find(kinds.endpoints, KUBE_SYSTEM, KUBE_DNS), endpoints, now);
}

/** Creates or replaces an object kube-controller-manager owns whole (its fields, its managedFields). */
function writeOwned(cluster: FakeCluster, kind: KindInfo, existing: KubeObject | undefined, desired: KubeObject, now: string): void {
  if (existing) {
    const { managedFields: _m, ...meta } = existing.metadata;
    const body = { ...desired, metadata: { ...meta, labels: desired.metadata.labels } };
    const current = { ...existing, metadata: meta };
    if (jsonEqual(stripVolatile(current), stripVolatile(body))) return;
    asCreatedBy(kind, body, { manager: CONTROLLER_MANAGER }, now, { share: true });
    cluster.resources.commit(kind, existing, body);
    return;
  }
  asCreatedBy(kind, desired, { manager: CONTROLLER_MANAGER }, now, { share: true });
  cluster.resources.create(kind, KUBE_SYSTEM, desired, BUILT_FROM_STORED);
}

function stripVolatile(o: KubeObject): KubeObject {
  const { resourceVersion: _rv, generation: _g, ...meta } = o.metadata;
  return { ...o, metadata: meta };
}

/**
 * Creates a Pod a controller made from `template`, with the managedFields a
 * real one has: kube-controller-manager's create, the kubelet's status.
 * Every Pod of one template and owner has the same field sets but for its
 * addresses, so they are worked out once (with stand-in addresses) and
 * shared; a Pod gets the few keys that name its own addresses.
 */
function createPod(cluster: FakeCluster, kinds: Kinds, pod: KubeObject, template: Obj, now: string): void {
  const owner = pod.metadata.ownerReferences![0]!;
  const key = `${owner.kind}/${owner.name}/${templateHash(template)}/${pod.status && (pod.status as Obj).phase}`;
  let sets = podFieldSets.get(key);
  if (!sets) {
    if (podFieldSets.size >= MAX_POD_FIELD_SETS) podFieldSets.clear();
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

/**
 * Field sets of the Pods made from one template (same owner kind and name,
 * same template hash, same phase), shared by every cluster: they differ
 * only in the keys that name the owner's uid and the Pod's addresses, which
 * stand-ins hold here.
 */
const podFieldSets = new Map<string, PodFieldSets>();
const MAX_POD_FIELD_SETS = 1024;
interface PodFieldSets {
  readonly main: Obj;
  readonly status: Obj;
}
/** Field sets of other objects made the same way in every cluster (a ReplicaSet of one template), by key. */
const fieldSets = new Map<string, Obj>();

function sharedFieldSet(key: string, compute: () => Obj): Obj {
  let set = fieldSets.get(key);
  if (!set) {
    if (fieldSets.size >= MAX_POD_FIELD_SETS) fieldSets.clear();
    fieldSets.set(key, (set = compute()));
  }
  return set;
}

/** Values no Pod has, standing in for a Pod's own in the shared field sets. */
const STAND_IN_HOST_IP = '192.0.2.1';
const STAND_IN_POD_IP = '192.0.2.2';
const STAND_IN_OWNER_UID = '00000000-0000-0000-0000-0000000000aa';

function podFieldSetsOf(podKind: KindInfo, pod: KubeObject, now: string): PodFieldSets {
  const owner = { ...pod.metadata.ownerReferences![0]!, uid: STAND_IN_OWNER_UID };
  const phase = (pod.status as Obj | undefined)?.phase;
  const status = phase === 'Running' ? bindPod(pod, { nodeName: 'stand-in', hostIP: STAND_IN_HOST_IP, podIP: STAND_IN_POD_IP }, now).status : pod.status;
  const probe: KubeObject = { ...pod, metadata: { ...pod.metadata, ownerReferences: [owner] }, status };
  asCreatedBy(podKind, probe, { manager: CONTROLLER_MANAGER, statusManager: KUBELET }, now, { share: true });
  const entries = probe.metadata.managedFields as ManagedFieldsEntry[];
  return { main: entries.find((e) => !e.subresource)!.fieldsV1 as Obj, status: (entries.find((e) => e.subresource === 'status')?.fieldsV1 ?? {}) as Obj };
}

/** `tree` with every key naming a stand-in address naming the real one; unchanged subtrees are shared. */
function withKeys(tree: Obj, addresses: ReadonlyMap<string, string>): Obj {
  if (addresses.size === 0) return tree;
  let changed = false;
  const out: Obj = {};
  for (const [k, v] of Object.entries(tree)) {
    let key = k;
    for (const [from, to] of addresses) if (key.includes(from)) key = key.replace(from, to);
    const value = typeof v === 'object' && v !== null ? withKeys(v as Obj, addresses) : v;
    if (key !== k || value !== v) changed = true;
    out[key] = value;
  }
  return changed ? out : tree;
}

function commitPod(cluster: FakeCluster, kinds: Kinds, existing: KubeObject, next: KubeObject, now: string): void {
  const managedFields = managedFieldsAfterStatusWrite(kinds.pod, existing, next, KUBELET, now);
  cluster.resources.commit(kinds.pod, existing, { ...next, metadata: { ...next.metadata, ...(managedFields ? { managedFields } : {}) } });
}

/** Writes a workload's status as kube-controller-manager does (status subresource), unless it says that already. */
function writeStatus(cluster: FakeCluster, kind: KindInfo, existing: KubeObject, status: Obj, now: string): void {
  if (jsonEqual(existing.status, status)) return;
  const next: KubeObject = { ...existing, status };
  const managedFields = managedFieldsAfterStatusWrite(kind, existing, next, CONTROLLER_MANAGER, now);
  cluster.resources.commit(kind, existing, { ...next, metadata: { ...existing.metadata, ...(managedFields ? { managedFields } : {}) } });
}

function templateOf(workload: KubeObject): Obj {
  return ((workload.spec as Obj | undefined)?.template ?? {}) as Obj;
}

function templateLabels(template: Obj): Record<string, string> | undefined {
  return (template.metadata as { labels?: Record<string, string> } | undefined)?.labels;
}

function controllerRef(owner: KubeObject): OwnerReference {
  return { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  return obj.metadata.ownerReferences?.some((r) => r.controller === true && r.uid === owner.metadata.uid) ?? false;
}

function nodeNameOf(pod: KubeObject): string | undefined {
  const name = (pod.spec as Obj | undefined)?.nodeName;
  return typeof name === 'string' && name ? name : undefined;
}

function internalIP(node: KubeObject): string {
  const addresses = ((node.status as Obj | undefined)?.addresses ?? []) as { type?: string; address?: string }[];
  return addresses.find((a) => a.type === 'InternalIP')?.address ?? DEFAULT_NODE_IP;
}

/** The scheduler's choice, simplified: the node with fewest of these pods (anti-affinity spreads them), control-plane first, then by name. */
function pickNode(nodes: readonly KubeObject[], perNode: ReadonlyMap<string, number>): KubeObject | undefined {
  let best: KubeObject | undefined;
  const rank = (n: KubeObject): [number, number, string] => [perNode.get(n.metadata.name!) ?? 0, n.metadata.labels?.[CONTROL_PLANE_LABEL] !== undefined ? 0 : 1, n.metadata.name!];
  for (const n of nodes) {
    if (!best) {
      best = n;
      continue;
    }
    const [a, b] = [rank(n), rank(best)];
    if (a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])))) best = n;
  }
  return best;
}

/** The lowest free address of the pod network, from .2 on (the first node's pod range starts there). */
function freePodIP(cidr: string, used: ReadonlySet<string>): string {
  const [base] = cidr.split('/');
  const octets = (base ?? '10.244.0.0').split('.').map(Number);
  const start = (((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!) >>> 0;
  for (let i = 2; ; i++) {
    const n = start + i;
    const ip = `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
    if (!used.has(ip)) return ip;
  }
}


/** The kube-dns Service's ClusterIP as kubeadm picks it: the tenth address of the service network. */
export function dnsServiceIP(serviceCIDR: string): string {
  const [base] = serviceCIDR.split('/');
  const o = (base ?? '').split('.').map(Number);
  if (o.length !== 4 || o.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new Error(`service network ${serviceCIDR} is not an IPv4 CIDR`);
  const n = ((((o[0]! << 24) >>> 0) + (o[1]! << 16) + (o[2]! << 8) + o[3]!) >>> 0) + DNS_SERVICE_OFFSET;
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}
