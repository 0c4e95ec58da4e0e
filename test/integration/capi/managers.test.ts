import { join } from 'node:path';
import { expect } from 'chai';
import { KubeClient } from '../../../src/operator/kube/client.js';
import { startCapi, type CapiManagers } from '../../harness/capi.js';
import { startControlPlane, type ControlPlane } from '../../harness/control-plane.js';
import { processesMatching } from '../../harness/processes.js';
import { REPO_ROOT } from '../../harness/tools.js';

const clusters = (version: string, namespace: string, name?: string) => ({ apiVersion: `cluster.x-k8s.io/${version}`, plural: 'clusters', namespace, ...(name ? { name } : {}) });
const machineDeployments = (namespace: string, name?: string) => ({ apiVersion: 'cluster.x-k8s.io/v1beta2', plural: 'machinedeployments', namespace, ...(name ? { name } : {}) });

describe('the real Cluster API managers of the test harness', function () {
  this.timeout(30 * 60_000); // includes building the managers on a cold cache
  let cp: ControlPlane | undefined;
  let capi: CapiManagers | undefined;
  let client: KubeClient;
  before(async () => {
    // The test provider's CRDs: converting a reference needs the referenced kind's CRD.
    cp = await startControlPlane({ withControllerManager: true, crds: [join(REPO_ROOT, 'test/e2e/provider/crds.yaml')] });
    capi = await startCapi(cp);
    client = KubeClient.fromFile(cp.kubeconfigPath);
    await client.create({ apiVersion: 'v1', plural: 'namespaces' }, { metadata: { name: 'capi-test' } });
  });
  after(async () => {
    client?.close();
    await capi?.stop();
    await cp?.stop();
  });

  it('installs the CRDs with the contract labels the release adds', async () => {
    const kcp = await client.get<{ metadata: { labels: Record<string, string> } }>({ apiVersion: 'apiextensions.k8s.io/v1', plural: 'customresourcedefinitions', name: 'kubeadmcontrolplanes.controlplane.cluster.x-k8s.io' });
    expect(kcp.metadata.labels).to.include({ 'cluster.x-k8s.io/v1beta2': 'v1beta2', 'cluster.x-k8s.io/provider': 'control-plane-kubeadm' });
  });

  it('defaults a v1beta2 MachineDeployment through the admission webhook', async () => {
    await client.create(machineDeployments('capi-test'), {
      apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'MachineDeployment', metadata: { name: 'md', namespace: 'capi-test' },
      spec: {
        clusterName: 'c1',
        template: { spec: { clusterName: 'c1', bootstrap: { dataSecretName: 'none' }, infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'DummyMachineTemplate', name: 'x' } } },
      },
    });
    const md = await client.get<{ metadata: { labels: Record<string, string> }; spec: { replicas: number; rollout: { strategy: { type: string } } } }>(machineDeployments('capi-test', 'md'));
    expect(md.metadata.labels['cluster.x-k8s.io/cluster-name']).to.equal('c1');
    expect(md.spec.replicas).to.equal(1);
    expect(md.spec.rollout.strategy.type).to.equal('RollingUpdate');
  });

  it('converts a Cluster written as v1beta1 to the v1beta2 storage version through the conversion webhook', async () => {
    await client.create(clusters('v1beta1', 'capi-test'), {
      apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Cluster', metadata: { name: 'old', namespace: 'capi-test' },
      spec: {
        controlPlaneEndpoint: { host: '127.0.0.1', port: 6443 },
        clusterNetwork: { pods: { cidrBlocks: ['10.244.0.0/16'] } },
        infrastructureRef: { apiVersion: 'e2e.fkas.metal3.io/v1alpha1', kind: 'E2ECluster', name: 'old' },
      },
    });
    const c = await client.get<{ apiVersion: string; spec: { infrastructureRef: unknown; controlPlaneEndpoint: { port: number }; clusterNetwork: { pods: { cidrBlocks: string[] } } } }>(clusters('v1beta2', 'capi-test', 'old'));
    expect(c.apiVersion).to.equal('cluster.x-k8s.io/v1beta2');
    // v1beta2 references name an API group, not an apiVersion: only the conversion webhook rewrites them.
    expect(c.spec.infrastructureRef).to.deep.equal({ apiGroup: 'e2e.fkas.metal3.io', kind: 'E2ECluster', name: 'old' });
    expect(c.spec.controlPlaneEndpoint.port).to.equal(6443);
    expect(c.spec.clusterNetwork.pods.cidrBlocks).to.deep.equal(['10.244.0.0/16']);
  });

  it('leaves no manager running once stopped', async () => {
    const marker = cp!.marker;
    await capi!.stop();
    capi = undefined;
    expect((await processesMatching(marker)).length).to.equal(3); // etcd, kube-apiserver, kube-controller-manager
  });
});
