import type { KindInfo } from '../kinds/kind.js';
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

export function admitCreate(kind: KindInfo, obj: KubeObject): void {
  if (kind.group !== '') return;
  if (kind.plural === 'nodes') taintNewNode(obj);
  if (kind.plural === 'pods') admitPod(obj);
}

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
