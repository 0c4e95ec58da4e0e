import { storageKey } from '../../../simulator/kinds/registry.js';
import type { KubeObject } from '../../../simulator/store/object.js';
import { bindPod, frozenTemplate, matchesNodeSelector, podFromTemplate, toleratesTaints, type PodPlacement } from '../workload-pods.js';
import { commitPod, createPod, writeStatus } from './controller-writes.js';
import { deploymentStatus, ensureReplicaSet } from './deployment-rollout.js';
import { COREDNS, controllerRef, internalIP, isControlledBy, KUBE_SYSTEM, nodeNameOf, templateLabels, templateOf, type Obj, type Settling } from './settling.js';

/**
 * The coredns Deployment as the Deployment and ReplicaSet controllers, the
 * scheduler and the kubelets keep it: its ReplicaSet's Pods Running on the
 * Nodes they may run on (Pending while there is none), addresses from the
 * pod network, and status counts that agree. Leaves the Running Pods for
 * the kube-dns endpoints step.
 */

const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';
/** The first address the pod network hands out (the first node's pod range starts at .2). */
const FIRST_POD_HOST = 2;

export function ensureCoreDns(s: Settling): void {
  const { cluster, kinds, now } = s;
  const deploy = cluster.resources.find(kinds.deployment, KUBE_SYSTEM, COREDNS);
  if (!deploy) return;
  const replicaSet = ensureReplicaSet(s, deploy);
  const rs = replicaSet.object;
  const template = frozenTemplate(templateOf(rs));
  const tspec = (template.spec ?? {}) as Obj;
  const wanted = Number((rs.spec as Obj | undefined)?.replicas ?? 1);
  const schedulable = s.nodes.filter((n) => (n.spec as Obj | undefined)?.unschedulable !== true && matchesNodeSelector(tspec, n) && toleratesTaints(tspec.tolerations, (n.spec as Obj | undefined)?.taints));
  const byName = new Map(s.nodes.map((n) => [n.metadata.name!, n]));
  let pods = s.kubeSystemPods.filter((p) => isControlledBy(p, rs));
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
    const podIP = freePodIP(s.settings.podCIDR, usedIPs);
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
  const current = cluster.resources.store
    .list(storageKey(kinds.pod), KUBE_SYSTEM)
    .map((e) => e.object)
    .filter((p) => isControlledBy(p, rs));
  const ready = current.filter((p) => (p.status as Obj | undefined)?.phase === 'Running');
  writeStatus(cluster, kinds.replicaSet, rs, { replicas: current.length, fullyLabeledReplicas: current.length, readyReplicas: ready.length, availableReplicas: ready.length, observedGeneration: rs.metadata.generation ?? 1 }, now);
  writeStatus(cluster, kinds.deployment, cluster.resources.get(kinds.deployment, KUBE_SYSTEM, COREDNS), deploymentStatus(deploy, rs.metadata.name!, current.length, ready.length, replicaSet.createdAt, now), now);
  s.dnsPods = ready;
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
  for (let i = FIRST_POD_HOST; ; i++) {
    const n = start + i;
    const ip = `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
    if (!used.has(ip)) return ip;
  }
}
