import type { FakeCluster } from '../src/simulator/cluster.js';
import { kubeTime } from '../src/simulator/store/object.js';
import { nodeObject } from '../src/simulator/templates/node.js';
import { renderTemplate } from '../src/operator/workload/templates.js';
import { dnsServiceIP, settleKubeadmAddons, watchKubeadmCluster } from '../src/operator/workload/kubeadm-addons.js';

/**
 * Fills a fake cluster the way the operator's FakeNode reconciler does for
 * `nodes` FakeNodes (the first one control-plane): Nodes, the control-plane
 * node's static pods, and what `kubeadm init` leaves. The scale bench uses
 * it to price a cluster that has nodes, not just an empty store.
 */
export function populateLikeKubeadm(cluster: FakeCluster, nodes: number): void {
  const now = kubeTime(new Date());
  watchKubeadmCluster(cluster, { podCIDR: '10.244.0.0/16' });
  for (let i = 0; i < nodes; i++) {
    const controlPlane = i === 0;
    const nodeName = `${cluster.name}-${controlPlane ? 'cp' : 'w'}-${i}`;
    const nodeIP = `10.0.${Math.floor(i / 250)}.${(i % 250) + 2}`;
    const node = cluster.applyObject(
      nodeObject(
        {
          name: nodeName,
          labels: controlPlane ? { 'node-role.kubernetes.io/control-plane': '' } : {},
          kubeletVersion: cluster.kubernetesVersion,
          internalIP: nodeIP,
          ...(controlPlane ? { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] } : {}),
        },
        now,
      ),
    );
    if (!controlPlane) continue;
    const vars = { nodeName, nodeUID: node.metadata.uid!, nodeIP, kubernetesVersion: cluster.kubernetesVersion, clusterName: cluster.name, podCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/12', now };
    for (const obj of renderTemplate('control-plane-node', vars)) cluster.applyObject(obj);
    const init = { clusterName: cluster.name, kubernetesVersion: cluster.kubernetesVersion, controlPlaneEndpoint: cluster.serverAddress, podCIDR: vars.podCIDR, serviceCIDR: vars.serviceCIDR, dnsServiceIP: dnsServiceIP(vars.serviceCIDR), caCertBase64: '', now };
    for (const obj of renderTemplate('kubeadm-init', init)) cluster.applyObject(obj);
    settleKubeadmAddons(cluster, now);
  }
}
