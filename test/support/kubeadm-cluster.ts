import type { FakeCluster } from '../../src/simulator/cluster.js';
import { registerNode, type ServingFacts } from '../../src/operator/controllers/fakenode/register-node.js';

/**
 * Registers Nodes in a fake cluster through the FakeNode reconciler's own
 * registration (src/operator/controllers/fakenode/register-node.ts), with
 * no operator around it: the Node, and for a control-plane node its static
 * pods and, on the first, what `kubeadm init` leaves; then the addons
 * settle. The scale bench uses it to price a cluster that has nodes; the
 * specs to build one without an operator.
 */

export interface KubeadmNode {
  readonly name: string;
  readonly ip: string;
  readonly controlPlane?: boolean;
  readonly ready?: boolean;
}

export interface KubeadmClusterOptions {
  /** The cluster CA's certificate for kubeadm's cluster-info ConfigMap (empty by default). */
  readonly caCertPem?: string;
}

/** What the operator would serve the cluster with, taken from the fake cluster itself. */
function servingFacts(cluster: FakeCluster, options: KubeadmClusterOptions): ServingFacts {
  return { kubernetesVersion: cluster.kubernetesVersion, controlPlaneEndpoint: cluster.serverAddress, caCertPem: options.caCertPem ?? '', contents: 'kubeadm' };
}

export function registerLikeKubeadm(cluster: FakeCluster, node: KubeadmNode, options: KubeadmClusterOptions = {}): void {
  const spec = { clusterName: cluster.name, nodeName: node.name, internalIP: node.ip, role: node.controlPlane ? ('control-plane' as const) : ('worker' as const), ...(node.ready !== undefined ? { ready: node.ready } : {}) };
  registerNode(cluster, servingFacts(cluster, options), spec, new Date());
}

/** `nodes` Nodes, the first control-plane, named `<cluster>-cp-0`, `<cluster>-w-1`, … */
export function populateLikeKubeadm(cluster: FakeCluster, nodes: number, options: KubeadmClusterOptions = {}): void {
  for (let i = 0; i < nodes; i++) {
    registerLikeKubeadm(cluster, { name: `${cluster.name}-${i === 0 ? 'cp' : 'w'}-${i}`, ip: `10.0.${Math.floor(i / 250)}.${(i % 250) + 2}`, controlPlane: i === 0 }, options);
  }
}
