import { expect } from 'chai';
import type { FakeCluster } from '../../../src/simulator/cluster.js';
import { storageKey } from '../../../src/simulator/kinds/registry.js';
import type { ManagedFieldsEntry } from '../../../src/simulator/store/managed-fields.js';
import type { KubeObject } from '../../../src/simulator/store/object.js';
import { asCreatedBy } from '../../../src/simulator/store/seeded-writes.js';
import { Simulator } from '../../../src/simulator/simulator.js';
import { populateLikeKubeadm } from '../../support/kubeadm-cluster.js';

/**
 * The addons' objects get field sets shared with other clusters' copies
 * (worked out once with stand-ins for their own names and uids): what each
 * one shows must still be what kube-apiserver records for its own write.
 */
describe("the kube-dns endpoints' managedFields, shared between clusters", () => {
  let sim: Simulator;
  beforeEach(() => {
    sim = new Simulator();
  });
  afterEach(async () => sim.close());

  const endpointObjects = (c: FakeCluster): KubeObject[] => [
    ...c.resources.store.list(storageKey({ group: 'discovery.k8s.io', plural: 'endpointslices' }), 'kube-system').map((e) => e.object),
    c.resources.get(c.kind('', 'v1', 'endpoints'), 'kube-system', 'kube-dns'),
  ];
  /** What kube-apiserver records for kube-controller-manager creating the object as it is now, worked out afresh. */
  const expectFreshFields = (c: FakeCluster, o: KubeObject): void => {
    const kind = o.kind === 'Endpoints' ? c.kind('', 'v1', 'endpoints') : c.kind('discovery.k8s.io', 'v1', 'endpointslices');
    const entries = o.metadata.managedFields as ManagedFieldsEntry[];
    const fresh = JSON.parse(JSON.stringify(o)) as KubeObject;
    asCreatedBy(kind, fresh, { manager: 'kube-controller-manager' }, entries[0]!.time!);
    expect(JSON.parse(JSON.stringify(entries)), `${c.name} ${o.kind}`).to.deep.equal(fresh.metadata.managedFields);
  };

  it('name each cluster its own Pods and Service, as a fresh computation does', async () => {
    for (const name of ['a', 'b']) {
      const c = await sim.createCluster({ name });
      populateLikeKubeadm(c, 2);
      for (const o of endpointObjects(c)) expectFreshFields(c, o);
      const slice = endpointObjects(c)[0]!;
      expect(JSON.stringify(slice.metadata.managedFields)).to.include(c.resources.get(c.kind('', 'v1', 'services'), 'kube-system', 'kube-dns').metadata.uid!);
    }
  });

  it('stay what kube-apiserver records after the endpoints change (a node and its Pods go)', async () => {
    const c = await sim.createCluster({ name: 'c' });
    populateLikeKubeadm(c, 3);
    c.resources.delete(c.kind('', 'v1', 'nodes'), undefined, 'c-w-2');
    c.resources.delete(c.kind('', 'v1', 'nodes'), undefined, 'c-w-1');
    for (const o of endpointObjects(c)) expectFreshFields(c, o);
  });
});
