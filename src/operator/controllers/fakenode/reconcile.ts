import type { FakeCluster } from '../../../simulator/cluster.js';
import { cloneObject, isPlainObject, jsonEqual, kubeTime, type KubeObject } from '../../../simulator/store/object.js';
import { nodeObject } from '../../../simulator/templates/node.js';
import {
  API_VERSION,
  FAKE_NODE,
  FAKE_NODE_FINALIZER,
  METAL3_UUID_LABEL,
  NODE_ROLE_CONTROL_PLANE_LABEL,
  type Condition,
  type FakeNode,
  type FakeNodeStatus,
} from '../../api/v1alpha1.js';
import { fakeApiServerKeyFor, splitKey, type OperatorContext, type ServedCluster } from '../../context.js';
import type { ResourcePath } from '../../kube/client.js';
import { addFinalizer, removeFinalizer, setCondition } from '../../kube/objects.js';
import { withProgress } from '../../kube/progress-conditions.js';
import type { ReconcileResult } from '../../queue/work-queue.js';
import { renderTemplate } from '../../workload/templates.js';
import { deferSettling, dnsServiceIP, watchKubeadmCluster } from '../../workload/kubeadm-addons.js';
import { nodeSpecProblems } from './spec.js';

/**
 * FakeNode → a Node in its fake cluster (plus, for control-plane nodes, the
 * static pods kubeadm would run and, on the first one, what `kubeadm init`
 * leaves behind). Fields CAPI adds to the Node (labels, annotations,
 * taints, spec.unschedulable) are kept: we only own what the FakeNode says.
 */

/** While its FakeAPIServer is not serving, look again this often (its events also wake us). */
const WAIT_FOR_SERVER_MS = 5_000;
const NODE_LEASE_DURATION_SECONDS = 40;
const CONTROL_PLANE_TAINT = { key: NODE_ROLE_CONTROL_PLANE_LABEL, effect: 'NoSchedule' };
/** kubeadm's defaults, used in the rendered kubeadm ClusterConfiguration. */
const POD_CIDR = '10.244.0.0/16';
const SERVICE_CIDR = '10.96.0.0/12';

export function fakeNodePath(namespace: string, name?: string): ResourcePath {
  return { apiVersion: API_VERSION, plural: FAKE_NODE.plural, namespace, ...(name ? { name } : {}) };
}

export async function reconcileFakeNode(ctx: OperatorContext, key: string): Promise<ReconcileResult | void> {
  const { namespace, name } = splitKey(key);
  const path = fakeNodePath(namespace, name);
  // From the informer's cache: the key was queued by its event, so the object is there unless it is gone.
  const fn = ctx.fakeNodes.get(key);
  if (!fn) return;
  const fasKey = fakeApiServerKeyFor(ctx, namespace, fn.spec?.clusterName ?? '');
  const served = fasKey ? ctx.served.get(fasKey) : undefined;
  if (!served && ctx.shard && !shardActsForNode(ctx, fn, fasKey)) return;
  if (fn.metadata.deletionTimestamp) {
    if (served && fn.spec?.nodeName) removeNode(served.cluster, fn.spec.nodeName);
    await removeFinalizer(ctx.client, path, fn, FAKE_NODE_FINALIZER);
    if (fasKey) ctx.fasQueue.add(fasKey);
    return;
  }
  await addFinalizer(ctx.client, path, fn, FAKE_NODE_FINALIZER);
  const gen = fn.metadata.generation;
  const now = ctx.now();
  let conditions = (ctx.statuses.fakeNodes.decided(key) ?? fn.status)?.conditions ?? [];
  const problems = nodeSpecProblems(fn);
  if (problems.length) {
    // Nothing to retry: the next spec change brings the object back.
    const message = `cannot register this spec: ${problems.join('; ')}`;
    conditions = setCondition(conditions, { type: 'Registered', status: 'False', reason: 'InvalidSpec', message }, gen, now);
    conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: 'InvalidSpec', message }, gen, now);
    conditions = withProgress(conditions, 'Stalled', 'InvalidSpec', message, gen, now);
    writeStatus(ctx, fn, { observedGeneration: gen ?? 0, conditions });
    return;
  }
  if (!served) {
    const message = fasKey
      ? `FakeAPIServer ${fasKey} is not serving yet`
      : `no FakeAPIServer with clusterName ${fn.spec.clusterName} in namespace ${namespace}; create one (or fix spec.clusterName)`;
    conditions = setCondition(conditions, { type: 'Registered', status: 'False', reason: 'WaitingForFakeAPIServer', message }, gen, now);
    conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: 'WaitingForFakeAPIServer', message }, gen, now);
    conditions = withProgress(conditions, 'Progressing', 'WaitingForFakeAPIServer', message, gen, now);
    writeStatus(ctx, fn, { observedGeneration: gen ?? 0, conditions });
    return { requeueAfterMs: WAIT_FOR_SERVER_MS };
  }
  try {
    registerNode(ctx, served, fn);
  } catch (err) {
    const message = `registering node ${fn.spec.nodeName} failed: ${(err as Error).message.split('\n')[0]}`;
    conditions = setCondition(conditions, { type: 'Registered', status: 'False', reason: 'RegistrationFailed', message }, gen, now);
    conditions = withProgress(conditions, 'Progressing', 'RegistrationFailed', message, gen, now); // retried with backoff
    writeStatus(ctx, fn, { observedGeneration: gen ?? 0, conditions });
    throw err;
  }
  // The FakeAPIServer's node count follows at once: its StatusWriter folds a burst of registrations, and
  // a new cluster's Ready, into one write.
  ctx.fasQueue.add(fasKey!);
  const ready = fn.spec.ready ?? true;
  conditions = setCondition(conditions, { type: 'Registered', status: 'True', reason: 'NodeRegistered', message: `node ${fn.spec.nodeName} is registered in ${fn.spec.clusterName}` }, gen, now);
  conditions = setCondition(
    conditions,
    ready
      ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'the fake node reports Ready' }
      : { type: 'Ready', status: 'False', reason: 'NotReadyBySpec', message: 'spec.ready is false: the node reports NotReady' },
    gen,
    now,
  );
  // Registered as the spec asks, NotReady included: nothing left to do.
  conditions = withProgress(conditions, 'Done', 'NodeRegistered', `node ${fn.spec.nodeName} is registered in ${fn.spec.clusterName}`, gen, now);
  writeStatus(ctx, fn, { observedGeneration: gen ?? 0, conditions });
}

/**
 * Sharded, a FakeNode is the business of the replica serving its cluster
 * (or, for a cluster no FakeAPIServer names, of the replica its key is
 * assigned to). While its cluster is not served here nobody writes its
 * status — it is moving between replicas, and the FakeAPIServer's reconcile
 * queues its nodes once it serves — but the replica that will serve it
 * takes a deletion's finalizer off.
 */
function shardActsForNode(ctx: OperatorContext, fn: FakeNode, fasKey: string | undefined): boolean {
  const shard = ctx.shard!;
  const fas = fasKey ? ctx.fakeApiServers.get(fasKey) : undefined;
  if (!fas) return shard.actsForOrphan(`${fn.metadata.namespace}/${fn.spec?.clusterName ?? ''}`);
  return Boolean(fn.metadata.deletionTimestamp) && shard.actsFor(fasKey!, fas);
}

/** Creates or updates the Node and what comes with its role. Idempotent. */
export function registerNode(ctx: OperatorContext, served: ServedCluster, fn: FakeNode): void {
  // The Node, its static Pods and kubeadm's objects are many writes: the addons settle once, after them.
  deferSettling(served.cluster, kubeTime(ctx.now()), () => writeNode(ctx, served, fn));
}

function writeNode(ctx: OperatorContext, served: ServedCluster, fn: FakeNode): void {
  const cluster = served.cluster;
  const role = fn.spec.role ?? 'worker';
  const nodeName = fn.spec.nodeName;
  const labels: Record<string, string> = { ...fn.spec.labels };
  if (fn.spec.uuid) labels[METAL3_UUID_LABEL] = fn.spec.uuid;
  if (role === 'control-plane') labels[NODE_ROLE_CONTROL_PLANE_LABEL] = '';
  const now = kubeTime(ctx.now());
  // Before the Node is written: its creation records its Events and settles the addons.
  if (ctx.clusterContents === 'kubeadm') watchKubeadmCluster(cluster, { podCIDR: POD_CIDR });
  const desired = nodeObject(
    {
      name: nodeName,
      ...(fn.spec.providerID ? { providerID: fn.spec.providerID } : {}),
      ...(fn.spec.uuid ? { uuid: fn.spec.uuid } : {}),
      labels,
      kubeletVersion: fn.spec.kubernetesVersion || served.version,
      ready: fn.spec.ready ?? true,
      ...(fn.spec.internalIP ? { internalIP: fn.spec.internalIP } : {}),
      ...(role === 'control-plane' ? { taints: [CONTROL_PLANE_TAINT] } : {}),
    },
    now,
  );
  const nodeKind = cluster.kind('', 'v1', 'nodes');
  const existing = cluster.resources.find(nodeKind, undefined, nodeName);
  const node = existing ? mergeNode(existing, desired, role === 'control-plane') : cluster.applyObject(desired);
  if (existing && !jsonEqual(existing, node)) {
    const main = cluster.resources.update(nodeKind, undefined, nodeName, { ...node, metadata: { ...node.metadata, resourceVersion: '' } });
    if (!jsonEqual(main.status, node.status)) cluster.resources.update(nodeKind, undefined, nodeName, { ...node, metadata: { ...node.metadata, resourceVersion: '' } }, { subresource: 'status' });
  }
  const nodeUID = cluster.resources.get(nodeKind, undefined, nodeName).metadata.uid!;
  cluster.applyObject(nodeLease(nodeName, nodeUID, now));
  const nodeIP = fn.spec.internalIP ?? '127.0.0.1';
  if (role === 'control-plane') {
    const vars = {
      nodeName,
      nodeUID,
      nodeIP,
      kubernetesVersion: fn.spec.kubernetesVersion || served.version,
      clusterName: fn.spec.clusterName,
      podCIDR: POD_CIDR,
      serviceCIDR: SERVICE_CIDR,
      now,
    };
    const etcdPodExisted = !!cluster.resources.find(cluster.kind('', 'v1', 'pods'), 'kube-system', `etcd-${nodeName}`);
    for (const obj of renderTemplate('control-plane-node', vars, ctx.workloadTemplateDir)) applyOnce(cluster, obj);
    // The node's etcd joins once, when its etcd pod first appears; a member that CAPI removed later stays removed.
    if (!etcdPodExisted) cluster.etcd.addMember(nodeName, { ip: nodeIP });
    if (!cluster.resources.find(cluster.kind('', 'v1', 'configmaps'), 'kube-system', 'kubeadm-config')) {
      const init = renderTemplate(
        'kubeadm-init',
        {
          clusterName: fn.spec.clusterName,
          kubernetesVersion: served.version,
          controlPlaneEndpoint: `${served.host}:${served.port}`,
          podCIDR: POD_CIDR,
          serviceCIDR: SERVICE_CIDR,
          dnsServiceIP: dnsServiceIP(SERVICE_CIDR),
          caCertBase64: Buffer.from(ctx.simulator.caOf(cluster.name)?.certPem ?? '').toString('base64'),
          now,
        },
        ctx.workloadTemplateDir,
      );
      for (const obj of init) applyOnce(cluster, obj);
    }
  } else {
    // A node that stopped being control-plane loses its static pods.
    for (const c of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) cluster.deleteObject('v1', 'Pod', 'kube-system', `${c}-${nodeName}`);
    cluster.etcd.removeMemberByName(nodeName);
  }
}

/** Objects that clients may change after we create them (CAPI upgrades images): create only. */
function applyOnce(cluster: FakeCluster, obj: KubeObject): void {
  const k = cluster.registry.byKind(obj.apiVersion ?? '', obj.kind ?? '');
  if (!k) throw new Error(`workload template object ${obj.kind ?? '?'}/${obj.metadata?.name ?? '?'} has a kind the fake cluster does not serve`);
  if (cluster.resources.find(k, obj.metadata.namespace, obj.metadata.name!)) return;
  cluster.applyObject(obj);
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
  cluster.removeNode(nodeName);
  cluster.etcd.removeMemberByName(nodeName);
}

/** Hands the status to the kind's StatusWriter (batched writes), unless it is what was decided last. */
function writeStatus(ctx: OperatorContext, fn: FakeNode, status: FakeNodeStatus): void {
  const strip = (s: FakeNodeStatus | undefined): unknown => (s ? { ...s, conditions: s.conditions?.map((c: Condition) => ({ ...c, lastTransitionTime: undefined })) } : undefined);
  const key = `${fn.metadata.namespace}/${fn.metadata.name}`;
  if (jsonEqual(strip(ctx.statuses.fakeNodes.decided(key) ?? fn.status), strip(status))) return;
  // Back to what the server holds before a write went out (a node that waited for its cluster at a restart).
  if (jsonEqual(strip(fn.status), strip(status)) && ctx.statuses.fakeNodes.withdraw(key)) return;
  ctx.statuses.fakeNodes.decide(key, fakeNodePath(fn.metadata.namespace!, fn.metadata.name), status, JSON.stringify(strip(status)));
}
