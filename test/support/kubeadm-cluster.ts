import type { FakeCluster } from '../../src/simulator/cluster.js';
import { kubeTime } from '../../src/simulator/store/object.js';
import { nodeObject } from '../../src/simulator/templates/node.js';
import { renderTemplate } from '../../src/operator/workload/templates.js';
import { deferSettling, dnsServiceIP, watchKubeadmCluster } from '../../src/operator/workload/kubeadm-addons.js';

/**
 * Registers Nodes in a fake cluster the way the operator's FakeNode
 * reconciler does (src/operator/controllers/fakenode/reconcile.ts): the
 * Node, and for a control-plane node its static pods and, on the first, what
 * `kubeadm init` leaves; then the addons settle. The scale bench uses it to
 * price a cluster that has nodes; the specs to build one without an operator.
 */

export const POD_CIDR = '10.244.0.0/16';
export const SERVICE_CIDR = '10.96.0.0/12';
const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';

export interface KubeadmNode {
  readonly name: string;
  readonly ip: string;
  readonly controlPlane?: boolean;
  readonly ready?: boolean;
}

export function registerLikeKubeadm(cluster: FakeCluster, spec: KubeadmNode): void {
  const now = kubeTime(new Date());
  watchKubeadmCluster(cluster, { podCIDR: POD_CIDR });
  deferSettling(cluster, now, () => writeLikeKubeadm(cluster, spec, now));
}

function writeLikeKubeadm(cluster: FakeCluster, spec: KubeadmNode, now: string): void {
  const node = cluster.applyObject(
    nodeObject(
      {
        name: spec.name,
        labels: spec.controlPlane ? { [CONTROL_PLANE_LABEL]: '' } : {},
        kubeletVersion: cluster.kubernetesVersion,
        internalIP: spec.ip,
        ready: spec.ready ?? true,
        ...(spec.controlPlane ? { taints: [{ key: CONTROL_PLANE_LABEL, effect: 'NoSchedule' }] } : {}),
      },
      now,
    ),
  );
  if (spec.controlPlane) {
    const vars = { nodeName: spec.name, nodeUID: node.metadata.uid!, nodeIP: spec.ip, kubernetesVersion: cluster.kubernetesVersion, clusterName: cluster.name, podCIDR: POD_CIDR, serviceCIDR: SERVICE_CIDR, now };
    for (const obj of renderTemplate('control-plane-node', vars)) cluster.applyObject(obj);
    if (!cluster.resources.find(cluster.kind('', 'v1', 'configmaps'), 'kube-system', 'kubeadm-config')) {
      const init = { clusterName: cluster.name, kubernetesVersion: cluster.kubernetesVersion, controlPlaneEndpoint: cluster.serverAddress, podCIDR: POD_CIDR, serviceCIDR: SERVICE_CIDR, dnsServiceIP: dnsServiceIP(SERVICE_CIDR), caCertBase64: '', now };
      for (const obj of renderTemplate('kubeadm-init', init)) cluster.applyObject(obj);
    }
  }
}

/** `nodes` Nodes, the first control-plane, named `<cluster>-cp-0`, `<cluster>-w-1`, … */
export function populateLikeKubeadm(cluster: FakeCluster, nodes: number): void {
  for (let i = 0; i < nodes; i++) {
    registerLikeKubeadm(cluster, { name: `${cluster.name}-${i === 0 ? 'cp' : 'w'}-${i}`, ip: `10.0.${Math.floor(i / 250)}.${(i % 250) + 2}`, controlPlane: i === 0 });
  }
}
