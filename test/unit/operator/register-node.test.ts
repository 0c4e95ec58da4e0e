import { expect } from 'chai';
import type { FakeNodeSpec } from '../../../src/operator/api/v1alpha1.js';
import { registerNode, type ServingFacts } from '../../../src/operator/controllers/fakenode/register-node.js';
import type { FakeCluster } from '../../../src/simulator/cluster.js';
import type { KubeObject } from '../../../src/simulator/store/object.js';
import { asCreatedBy } from '../../../src/simulator/store/seeded-writes.js';
import { Simulator } from '../../../src/simulator/simulator.js';

/**
 * The FakeNode reconciler's registration, run on bare fake clusters: what
 * it writes does not depend on an operator, nor on what other clusters
 * registered before (field sets shared between Nodes of one shape).
 */
describe('registering a FakeNode in a fake cluster', () => {
  let sim: Simulator;
  const facts = (c: FakeCluster): ServingFacts => ({ kubernetesVersion: c.kubernetesVersion, controlPlaneEndpoint: c.serverAddress, caCertPem: '', contents: 'kubeadm' });
  const node = (c: FakeCluster, name: string): KubeObject => c.resources.get(c.kind('', 'v1', 'nodes'), undefined, name);
  /** What kube-apiserver records for the kubelet creating this Node and reporting its status, worked out afresh. */
  const kubeletFields = (c: FakeCluster, n: KubeObject): unknown => {
    const fresh = JSON.parse(JSON.stringify(n)) as KubeObject;
    asCreatedBy(c.kind('', 'v1', 'nodes'), fresh, { manager: 'kubelet', statusManager: 'kubelet' }, (n.metadata.managedFields![0] as { time: string }).time);
    return fresh.metadata.managedFields;
  };

  beforeEach(() => {
    sim = new Simulator();
  });
  afterEach(async () => sim.close());

  it("gives every Node its kubelet's managedFields, its own labels' keys included, in every cluster", async () => {
    const specs: Omit<FakeNodeSpec, 'clusterName'>[] = [
      { nodeName: 'cp-0', role: 'control-plane', internalIP: '10.0.0.2' },
      { nodeName: 'w-1', internalIP: '10.0.0.3', uuid: 'f0a4c1b2-1111-2222-3333-444455556666', providerID: 'metal3://ns/host-1/m-1', labels: { rack: 'r1' } },
      { nodeName: 'w-2', ready: false, labels: { rack: 'r2', zone: 'z' } },
    ];
    for (const name of ['a', 'b']) {
      const c = await sim.createCluster({ name });
      for (const spec of specs) registerNode(c, facts(c), { clusterName: name, ...spec }, new Date());
      for (const { nodeName } of specs) {
        const n = node(c, nodeName);
        expect(JSON.parse(JSON.stringify(n.metadata.managedFields)), `${name}/${nodeName}`).to.deep.equal(kubeletFields(c, n));
      }
      expect(JSON.stringify(node(c, 'w-2').metadata.managedFields)).to.include('f:zone').and.not.to.include('f:metal3.io/uuid');
    }
  });
});
