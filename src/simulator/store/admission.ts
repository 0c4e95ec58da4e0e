import { randomInt } from 'node:crypto';
import { StatusError } from '../api/errors.js';
import type { KindInfo } from '../kinds/kind.js';
import { storageKey } from '../kinds/registry.js';
import type { ObjectStore } from './object-store.js';
import { isPlainObject, type KubeObject } from './object.js';

/**
 * What kube-apiserver's default mutating admission plugins and create
 * strategies add to objects created through the API (after managedFields
 * are recorded, so no manager owns it). Writes of the simulator itself are
 * not admitted.
 */

export const NOT_READY_TAINT_KEY = 'node.kubernetes.io/not-ready';

export const UNREACHABLE_TAINT_KEY = 'node.kubernetes.io/unreachable';
/** DefaultTolerationSeconds: how long a pod stays on a not-ready or unreachable node. */
const DEFAULT_TOLERATION_SECONDS = 300;

export function admitCreate(kind: KindInfo, obj: KubeObject, store: ObjectStore): void {
  switch (`${kind.group}/${kind.plural}`) {
    case '/nodes':
      return taintNewNode(obj);
    case '/pods':
      return admitPod(obj);
    case '/services':
      return admitService(obj, store);
    case '/persistentvolumeclaims':
      obj.metadata.finalizers = [...new Set([...(obj.metadata.finalizers ?? []), PVC_PROTECTION_FINALIZER])];
      obj.status = { phase: 'Pending' };
      return;
    case 'batch/jobs':
      return selectOwnPods(obj);
  }
}

/** Keeps a claim while pods use it (the StorageObjectInUseProtection plugin). */
const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';

/**
 * The Job strategy: unless the selector is manual, the Job selects its pods
 * by its own uid, and they (and it, when unlabelled) carry it and its name.
 */
function selectOwnPods(job: KubeObject): void {
  const spec = isPlainObject(job.spec) ? job.spec : (job.spec = {});
  if (spec.manualSelector === true) return;
  const uid = job.metadata.uid ?? '';
  const name = job.metadata.name ?? '';
  const labels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
  spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  const template = isPlainObject(spec.template) ? spec.template : (spec.template = {});
  const meta = isPlainObject(template.metadata) ? template.metadata : (template.metadata = {});
  meta.labels = { ...(isPlainObject(meta.labels) ? meta.labels : {}), ...labels };
  if (!job.metadata.labels || Object.keys(job.metadata.labels).length === 0) job.metadata.labels = { ...labels };
}

/** kubeadm's service CIDR (10.96.0.0/12): the fake cluster's ClusterIPs come from it. */
const SERVICE_CIDR_BASE = (10 << 24) | (96 << 16);
const SERVICE_CIDR_SIZE = 1 << 20;
/** .0 is the network, .1 the kubernetes Service. */
const FIRST_ALLOCATABLE = 2;
const MAX_ALLOCATION_ATTEMPTS = 64;

/** The service IP allocator: a free address of the service CIDR, single-stack IPv4. */
function admitService(svc: KubeObject, store: ObjectStore): void {
  const spec = isPlainObject(svc.spec) ? svc.spec : (svc.spec = {});
  if (spec.type === 'ExternalName') return;
  if (typeof spec.clusterIP !== 'string' || spec.clusterIP === '') spec.clusterIP = freeServiceIp(store);
  spec.clusterIPs ??= [spec.clusterIP];
  spec.ipFamilies ??= ['IPv4'];
  spec.ipFamilyPolicy ??= 'SingleStack';
}

function freeServiceIp(store: ObjectStore): string {
  const used = new Set(store.list(SERVICES).map((e) => (isPlainObject(e.object.spec) ? e.object.spec.clusterIP : undefined)));
  for (let i = 0; i < MAX_ALLOCATION_ATTEMPTS; i++) {
    const n = SERVICE_CIDR_BASE + FIRST_ALLOCATABLE + randomInt(SERVICE_CIDR_SIZE - FIRST_ALLOCATABLE - 1);
    const ip = [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
    if (!used.has(ip)) return ip;
  }
  throw new StatusError(500, 'InternalError', 'no free ClusterIP found in 10.96.0.0/12; delete unused Services and retry');
}

const SERVICES = storageKey({ group: '', plural: 'services' });

/**
 * A new Pod: the Priority plugin's priority (no PriorityClass: 0), the
 * DefaultTolerationSeconds tolerations, and the status the pod strategy
 * starts every Pod with (Pending, its QoS class).
 */
function admitPod(pod: KubeObject): void {
  const spec = isPlainObject(pod.spec) ? pod.spec : (pod.spec = {});
  if (spec.priority === undefined && !spec.priorityClassName) spec.priority = 0;
  if (spec.preemptionPolicy === undefined) spec.preemptionPolicy = 'PreemptLowerPriority';
  const tolerations = Array.isArray(spec.tolerations) ? [...(spec.tolerations as unknown[])] : [];
  for (const key of [NOT_READY_TAINT_KEY, UNREACHABLE_TAINT_KEY]) {
    const tolerated = tolerations.some((t) => isPlainObject(t) && (t.key === key || (!t.key && t.operator === 'Exists')) && (t.effect === 'NoExecute' || !t.effect));
    if (!tolerated) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
  }
  spec.tolerations = tolerations;
  pod.status = { phase: 'Pending', qosClass: qosClass(spec) };
}

/** BestEffort without any cpu/memory request or limit; Guaranteed when every container's limits equal its requests; else Burstable. */
function qosClass(spec: Record<string, unknown>): string {
  const containers = [...(Array.isArray(spec.containers) ? spec.containers : []), ...(Array.isArray(spec.initContainers) ? spec.initContainers : [])].filter(isPlainObject);
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const res = isPlainObject(c.resources) ? c.resources : {};
    const requests = isPlainObject(res.requests) ? res.requests : {};
    const limits = isPlainObject(res.limits) ? res.limits : {};
    for (const r of ['cpu', 'memory']) {
      if (requests[r] !== undefined || limits[r] !== undefined) any = true;
      if (limits[r] === undefined || (requests[r] !== undefined && String(requests[r]) !== String(limits[r]))) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/**
 * TaintNodesByCondition: a new Node gets the not-ready NoSchedule taint,
 * which the node lifecycle controller removes once the Node is Ready. A
 * fake cluster runs no such controller, so a Node created already Ready
 * (as the operator's fake nodes are) does not get it.
 */
function taintNewNode(node: KubeObject): void {
  const status = isPlainObject(node.status) ? node.status : undefined;
  const conditions = Array.isArray(status?.conditions) ? status.conditions : [];
  if (conditions.some((c) => isPlainObject(c) && c.type === 'Ready' && c.status === 'True')) return;
  const spec = isPlainObject(node.spec) ? node.spec : (node.spec = {});
  const taints = Array.isArray(spec.taints) ? spec.taints : [];
  if (taints.some((t) => isPlainObject(t) && t.key === NOT_READY_TAINT_KEY && t.effect === 'NoSchedule')) return;
  spec.taints = [...taints, { key: NOT_READY_TAINT_KEY, effect: 'NoSchedule' }];
}
