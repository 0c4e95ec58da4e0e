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

  /** Every stored object's key and resourceVersion, but the node Leases' (the kubelet's heartbeat). */
  const versions = (c: FakeCluster): string[] =>
    c.resources.store
      .collectionNames()
      .filter((coll) => !coll.endsWith('/leases'))
      .flatMap((coll) => c.resources.store.list(coll).map((e) => `${e.key}@${e.object.metadata.resourceVersion}`));

  it('registering the same spec again (the operator reconciles on every event) renews the Lease and writes nothing else', async () => {
    const c = await sim.createCluster({ name: 'r' });
    const spec: FakeNodeSpec = { clusterName: 'r', nodeName: 'r-cp-0', role: 'control-plane', internalIP: '10.0.0.2' };
    registerNode(c, facts(c), spec, new Date('2030-01-01T00:00:00Z'));
    const before = versions(c);
    registerNode(c, facts(c), spec, new Date('2030-01-01T00:00:10Z'));
    expect(versions(c)).to.deep.equal(before);
    const lease = c.resources.get(c.kind('coordination.k8s.io', 'v1', 'leases'), 'kube-node-lease', 'r-cp-0');
    expect((lease.spec as { renewTime: string }).renewTime).to.equal('2030-01-01T00:00:10.000000Z');
  });

  it('registering again brings back a static Pod a client deleted, and follows a changed spec', async () => {
    const c = await sim.createCluster({ name: 'd' });
    const spec: FakeNodeSpec = { clusterName: 'd', nodeName: 'd-cp-0', role: 'control-plane' };
    registerNode(c, facts(c), spec, new Date());
    const pods = c.kind('', 'v1', 'pods');
    c.resources.delete(pods, 'kube-system', 'kube-scheduler-d-cp-0');
    registerNode(c, facts(c), spec, new Date());
    expect(c.resources.find(pods, 'kube-system', 'kube-scheduler-d-cp-0')).to.not.equal(undefined);
    registerNode(c, facts(c), { ...spec, ready: false }, new Date());
    const ready = ((node(c, 'd-cp-0').status as { conditions: { type: string; status: string }[] }).conditions).find((x) => x.type === 'Ready');
    expect(ready?.status).to.equal('False');
  });
});

