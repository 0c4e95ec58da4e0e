import type { KindInfo } from '../kinds/kind.js';
import { isPlainObject, type KubeObject } from './object.js';

/**
 * What kube-apiserver's default mutating admission plugins add to objects
 * created through the API (after managedFields are recorded, so no manager
 * owns it). Writes of the simulator itself are not admitted.
 */

export const NOT_READY_TAINT_KEY = 'node.kubernetes.io/not-ready';

export function admitCreate(kind: KindInfo, obj: KubeObject): void {
  if (kind.group === '' && kind.plural === 'nodes') taintNewNode(obj);
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
