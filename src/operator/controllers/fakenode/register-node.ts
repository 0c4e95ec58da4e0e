import type { FakeCluster } from '../../../simulator/cluster.js';
import { cloneObject, isPlainObject, jsonEqual, kubeTime, type KubeObject } from '../../../simulator/store/object.js';
import { nodeObject, type NodeSpec } from '../../../simulator/templates/node.js';
import { METAL3_UUID_LABEL, NODE_ROLE_CONTROL_PLANE_LABEL, type FakeNodeSpec } from '../../api/v1alpha1.js';
import { deferSettling, dnsServiceIP, watchKubeadmCluster, type ClusterContents } from '../../workload/kubeadm-addons.js';
import { recordTypesPassed, renderTemplate, typesCheckedBefore } from '../../workload/templates.js';

/**
 * A FakeNode's spec → a Node in its fake cluster (plus, for control-plane
 * nodes, the static pods kubeadm would run and, on the first one, what
 * `kubeadm init` leaves behind), then the addons settle. Needs no operator:
 * the FakeNode reconciler calls it with what it serves, the engine bench
 * and the specs with a bare fake cluster, so both price the same path.
 * Fields CAPI adds to the Node (labels, annotations, taints,
 * spec.unschedulable) are kept: we only own what the spec says.
 */

const NODE_LEASE_DURATION_SECONDS = 40;
const CONTROL_PLANE_TAINT = { key: NODE_ROLE_CONTROL_PLANE_LABEL, effect: 'NoSchedule' };
/** kubeadm's defaults, used in the rendered kubeadm ClusterConfiguration. */
export const POD_CIDR = '10.244.0.0/16';
export const SERVICE_CIDR = '10.96.0.0/12';
/** What a Node without spec.internalIP reports as its address. */
const DEFAULT_NODE_IP = '127.0.0.1';
/**
 * The Node and its Lease are built here from a spec nodeSpecProblems passed (strings where kube
 * wants strings): kube-apiserver's type checks, there for a client's JSON, would find nothing.
 */
const BUILT_BY_US = { typesChecked: true } as const;
/** The static Pods kubeadm runs on a control-plane node, named `<component>-<node>`. */
const STATIC_POD_COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;

/** What the fake cluster is, as `kubeadm init` on its first control-plane node saw it. */
export interface ServingFacts {
  /** The Kubernetes version the cluster serves (a node's own kubernetesVersion wins for its kubelet). */
  readonly kubernetesVersion: string;
  /** host:port clients reach the cluster at. */
  readonly controlPlaneEndpoint: string;
  /** The cluster CA's certificate (PEM), for the cluster-info ConfigMap; empty when unknown. */
  readonly caCertPem: string;
  readonly contents: ClusterContents;
  /** --workload-templates: a directory of the user's templates, ours for those it lacks. */
  readonly templateDir?: string;
}

/** Creates or updates the Node and what comes with its role. Idempotent. */
export function registerNode(cluster: FakeCluster, facts: ServingFacts, spec: FakeNodeSpec, at: Date): void {
  const now = kubeTime(at);
  const registration = registrationOf(facts, spec);
  if (isRegisteredAlready(cluster, spec.nodeName, registration)) {
    // The kubelet's heartbeat is all a registration of the same spec into an untouched cluster changes.
    ensureLease(cluster, nodeLease(spec.nodeName, cluster.resources.get(cluster.kind('', 'v1', 'nodes'), undefined, spec.nodeName).metadata.uid!, now));
  } else {
    // Before the Node is written: its creation records its Events and settles the addons.
    if (facts.contents === 'kubeadm') watchKubeadmCluster(cluster, { podCIDR: POD_CIDR });
    // The Node, its static Pods and kubeadm's objects are many writes: the addons settle once, after them.
    deferSettling(cluster, now, () => writeNode(cluster, facts, spec, now));
  }
  recordRegistration(cluster, spec.nodeName, registration);
}

/**
 * What a Node was last registered from, and its cluster's resourceVersion right after. The
 * operator reconciles a FakeNode again on each of its events (its finalizer, its status): when
 * the spec and the serving facts are the same and nothing was written to the cluster since, the
 * Node, its static Pods, kubeadm's objects and the addons are as that registration left them,
 * and rendering and checking them all again would find nothing to do.
 */
interface Registration {
  /** The spec and the facts but the CA, as one string. */
  readonly key: string;
  /** The CA certificate, kept by reference: the operator hands out the same string for a cluster. */
  readonly caCertPem: string;
  resourceVersion?: number;
}
const registrations = new WeakMap<FakeCluster, Map<string, Registration>>();

function registrationOf(facts: ServingFacts, spec: FakeNodeSpec): Registration {
  return { key: JSON.stringify([spec, facts.kubernetesVersion, facts.controlPlaneEndpoint, facts.contents, facts.templateDir ?? '']), caCertPem: facts.caCertPem };
}

function isRegisteredAlready(cluster: FakeCluster, nodeName: string, r: Registration): boolean {
  const last = registrations.get(cluster)?.get(nodeName);
  return last !== undefined && last.key === r.key && last.caCertPem === r.caCertPem && last.resourceVersion === cluster.resources.store.resourceVersion;
}

function recordRegistration(cluster: FakeCluster, nodeName: string, r: Registration): void {
  let byNode = registrations.get(cluster);
  if (!byNode) registrations.set(cluster, (byNode = new Map()));
  r.resourceVersion = cluster.resources.store.resourceVersion;
  byNode.set(nodeName, r);
}

function writeNode(cluster: FakeCluster, facts: ServingFacts, spec: FakeNodeSpec, now: string): void {
  const controlPlane = (spec.role ?? 'worker') === 'control-plane';
  const nodeUID = ensureNodeObject(cluster, facts, spec, controlPlane, now);
  ensureLease(cluster, nodeLease(spec.nodeName, nodeUID, now));
  if (controlPlane) ensureControlPlane(cluster, facts, spec, nodeUID, now);
  else removeControlPlane(cluster, spec.nodeName);
}

/** The Node as the spec says, merged into the one there is; returns its uid. */
function ensureNodeObject(cluster: FakeCluster, facts: ServingFacts, spec: FakeNodeSpec, controlPlane: boolean, now: string): string {
  const labels: Record<string, string> = { ...spec.labels };
  if (spec.uuid) labels[METAL3_UUID_LABEL] = spec.uuid;
  if (controlPlane) labels[NODE_ROLE_CONTROL_PLANE_LABEL] = '';
  const nodeSpec: NodeSpec = {
    name: spec.nodeName,
    ...(spec.providerID ? { providerID: spec.providerID } : {}),
    ...(spec.uuid ? { uuid: spec.uuid } : {}),
    labels,
    kubeletVersion: spec.kubernetesVersion || facts.kubernetesVersion,
    ready: spec.ready ?? true,
    ...(spec.internalIP ? { internalIP: spec.internalIP } : {}),
    ...(controlPlane ? { taints: [CONTROL_PLANE_TAINT] } : {}),
  };
  const desired = nodeObject(nodeSpec, now);
  const nodeKind = cluster.kind('', 'v1', 'nodes');
  const existing = cluster.resources.find(nodeKind, undefined, spec.nodeName);
  // Its managedFields are the kubelet's, set by the Node kind's own create (shared field sets).
  if (!existing) return cluster.resources.create(nodeKind, undefined, desired, BUILT_BY_US).metadata.uid!;
  const node = mergeNode(existing, desired, controlPlane);
  if (!jsonEqual(existing, node)) {
    const main = cluster.resources.update(nodeKind, undefined, spec.nodeName, { ...node, metadata: { ...node.metadata, resourceVersion: '' } });
    if (!jsonEqual(main.status, node.status)) cluster.resources.update(nodeKind, undefined, spec.nodeName, { ...node, metadata: { ...node.metadata, resourceVersion: '' } }, { subresource: 'status' });
  }
  return existing.metadata.uid!;
}

/** A control-plane node's static Pods and etcd member; on the cluster's first, what `kubeadm init` leaves. */
function ensureControlPlane(cluster: FakeCluster, facts: ServingFacts, spec: FakeNodeSpec, nodeUID: string, now: string): void {
  const nodeName = spec.nodeName;
  const nodeIP = spec.internalIP ?? DEFAULT_NODE_IP;
  const vars = { nodeName, nodeUID, nodeIP, kubernetesVersion: spec.kubernetesVersion || facts.kubernetesVersion, clusterName: spec.clusterName, podCIDR: POD_CIDR, serviceCIDR: SERVICE_CIDR, now };
  const etcdPodExisted = !!cluster.resources.find(cluster.kind('', 'v1', 'pods'), 'kube-system', `etcd-${nodeName}`);
  for (const obj of renderTemplate('control-plane-node', vars, facts.templateDir)) applyOnce(cluster, obj);
  // The node's etcd joins once, when its etcd pod first appears; a member that CAPI removed later stays removed.
  if (!etcdPodExisted) cluster.etcd.addMember(nodeName, { ip: nodeIP });
  if (cluster.resources.find(cluster.kind('', 'v1', 'configmaps'), 'kube-system', 'kubeadm-config')) return;
  const init = {
    clusterName: spec.clusterName,
    kubernetesVersion: facts.kubernetesVersion,
    controlPlaneEndpoint: facts.controlPlaneEndpoint,
    podCIDR: POD_CIDR,
    serviceCIDR: SERVICE_CIDR,
    dnsServiceIP: dnsServiceIP(SERVICE_CIDR),
    caCertBase64: Buffer.from(facts.caCertPem).toString('base64'),
    now,
  };
  for (const obj of renderTemplate('kubeadm-init', init, facts.templateDir)) applyOnce(cluster, obj);
}

/** A node that stopped being control-plane loses its static pods and its etcd member. */
function removeControlPlane(cluster: FakeCluster, nodeName: string): void {
  for (const c of STATIC_POD_COMPONENTS) cluster.deleteObject('v1', 'Pod', 'kube-system', `${c}-${nodeName}`);
  cluster.etcd.removeMemberByName(nodeName);
}

/** Objects that clients may change after we create them (CAPI upgrades images): create only. */
function applyOnce(cluster: FakeCluster, obj: KubeObject): void {
  const k = cluster.registry.byKind(obj.apiVersion ?? '', obj.kind ?? '');
  if (!k) throw new Error(`workload template object ${obj.kind ?? '?'}/${obj.metadata?.name ?? '?'} has a kind the fake cluster does not serve`);
  if (cluster.resources.find(k, obj.metadata.namespace, obj.metadata.name!)) return;
  // Custom kinds are checked by their cluster's own CRD schema, which may differ between clusters.
  const checked = !k.custom && typesCheckedBefore(obj);
  cluster.resources.create(k, obj.metadata.namespace, obj, checked ? BUILT_BY_US : {});
  if (!k.custom) recordTypesPassed(obj);
}

/** Our fields from `desired`, everything else from `existing`. */
function mergeNode(existing: KubeObject, desired: KubeObject, controlPlane: boolean): KubeObject {
  const node = cloneObject(existing);
  node.metadata.labels = { ...existing.metadata.labels, ...desired.metadata.labels };
  if (!controlPlane && node.metadata.labels[NODE_ROLE_CONTROL_PLANE_LABEL] !== undefined && desired.metadata.labels?.[NODE_ROLE_CONTROL_PLANE_LABEL] === undefined) {
    delete node.metadata.labels[NODE_ROLE_CONTROL_PLANE_LABEL];
  }
  node.metadata.annotations = { ...desired.metadata.annotations, ...existing.metadata.annotations };
  const spec = isPlainObject(node.spec) ? node.spec : {};
  const want = desired.spec as { providerID?: string; taints?: Record<string, string>[] };
  if (want.providerID && !spec.providerID) spec.providerID = want.providerID; // providerID is immutable once set
  const taints = Array.isArray(spec.taints) ? (spec.taints as Record<string, string>[]) : [];
  const hasCpTaint = taints.some((t) => t.key === CONTROL_PLANE_TAINT.key);
  if (controlPlane && !hasCpTaint) spec.taints = [...taints, CONTROL_PLANE_TAINT];
  if (!controlPlane && hasCpTaint) spec.taints = taints.filter((t) => t.key !== CONTROL_PLANE_TAINT.key);
  node.spec = spec;
  const status = isPlainObject(node.status) ? node.status : {};
  const wantStatus = desired.status as { conditions: Record<string, string>[]; nodeInfo: Record<string, string>; addresses: unknown[] };
  const wantReady = wantStatus.conditions.find((c) => c.type === 'Ready')!;
  const conds = Array.isArray(status.conditions) ? (status.conditions as Record<string, string>[]) : [];
  const ready = conds.find((c) => c.type === 'Ready');
  if (!ready || ready.status !== wantReady.status) {
    status.conditions = [...conds.filter((c) => c.type !== 'Ready'), wantReady];
  }
  const info = isPlainObject(status.nodeInfo) ? status.nodeInfo : {};
  if (info.kubeletVersion !== wantStatus.nodeInfo.kubeletVersion) {
    status.nodeInfo = { ...info, kubeletVersion: wantStatus.nodeInfo.kubeletVersion, kubeProxyVersion: wantStatus.nodeInfo.kubeletVersion };
  }
  if (!jsonEqual(status.addresses, wantStatus.addresses)) status.addresses = wantStatus.addresses;
  node.status = status;
  return node;
}

/** The kubelet's Lease: created, or renewed when the node registers again. */
function ensureLease(cluster: FakeCluster, lease: KubeObject): void {
  const kind = cluster.kind('coordination.k8s.io', 'v1', 'leases');
  if (cluster.resources.find(kind, lease.metadata.namespace, lease.metadata.name!)) cluster.applyObject(lease);
  else cluster.resources.create(kind, lease.metadata.namespace, lease, BUILT_BY_US);
}

function nodeLease(nodeName: string, nodeUID: string, now: string): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: nodeName,
      namespace: 'kube-node-lease',
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUID }],
    },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS, renewTime: now.replace('Z', '.000000Z') },
  };
}

/** Removes a node; its static pods and lease go with it (owner references), and its etcd member leaves. */
export function removeNode(cluster: FakeCluster, nodeName: string): void {
  registrations.get(cluster)?.delete(nodeName);
  cluster.removeNode(nodeName);
  cluster.etcd.removeMemberByName(nodeName);
}
