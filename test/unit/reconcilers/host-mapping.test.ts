import { expect } from 'chai';
import { decideHostNode, metal3ProviderID } from '../../../src/reconcilers/metal3/host-mapping.js';
import type { BareMetalHost, Metal3Machine } from '../../../src/reconcilers/metal3/metal3-objects.js';
import type { Machine } from '../../../src/reconcilers/shared/capi-objects.js';

const HOST_UID = '3f0d7a4e-6c1b-4d51-9d2e-1b6f7f8c9a01';

function host(state: string, consumer?: Partial<NonNullable<BareMetalHost['spec']>['consumerRef']>, extra: Partial<BareMetalHost['metadata']> = {}): BareMetalHost {
  return {
    apiVersion: 'metal3.io/v1alpha1',
    kind: 'BareMetalHost',
    metadata: { name: 'node-0', namespace: 'metal3', uid: HOST_UID, ...extra },
    spec: { online: true, ...(consumer ? { consumerRef: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', kind: 'Metal3Machine', name: 'test1-cp-x7k2p', namespace: 'metal3', ...consumer } } : {}) },
    status: { provisioning: { state } },
  };
}

const m3m = (extra: Partial<Metal3Machine> = {}, labels: Record<string, string> = { 'cluster.x-k8s.io/cluster-name': 'test1', 'cluster.x-k8s.io/control-plane': '' }): Metal3Machine => ({
  apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
  kind: 'Metal3Machine',
  metadata: {
    name: 'test1-cp-x7k2p',
    namespace: 'metal3',
    uid: 'm3m-uid',
    labels,
    ownerReferences: [{ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Machine', name: 'test1-cp-abcde', uid: 'machine-uid', controller: true }],
  },
  ...extra,
});

const machine: Machine = {
  apiVersion: 'cluster.x-k8s.io/v1beta2',
  kind: 'Machine',
  metadata: { name: 'test1-cp-abcde', namespace: 'metal3', uid: 'machine-uid', labels: { 'cluster.x-k8s.io/cluster-name': 'test1', 'cluster.x-k8s.io/control-plane': '' } },
  spec: { clusterName: 'test1', version: 'v1.33.2' },
};

describe('Metal3 reconciler: BareMetalHost → FakeNode', () => {
  it('gives a provisioned host the node its Machine expects: Machine name, CAPM3 providerID, host UID, version and role', () => {
    const d = decideHostNode({ host: host('provisioned', {}), metal3Machine: m3m(), machine, providerIDFormat: 'namespaced' });
    expect(d).to.deep.equal({
      kind: 'present',
      node: {
        namespace: 'metal3',
        name: 'test1-cp-abcde',
        spec: {
          clusterName: 'test1',
          nodeName: 'test1-cp-abcde',
          providerID: 'metal3://metal3/node-0/test1-cp-x7k2p',
          uuid: HOST_UID,
          labels: { 'metal3.io/uuid': HOST_UID },
          kubernetesVersion: 'v1.33.2',
          role: 'control-plane',
        },
        owner: { apiVersion: 'metal3.io/v1alpha1', kind: 'BareMetalHost', name: 'node-0', uid: HOST_UID },
      },
    });
  });

  it('uses the legacy metal3://<host uid> form when asked, and whatever providerID the Metal3Machine already has above both', () => {
    const legacy = decideHostNode({ host: host('provisioned', {}), metal3Machine: m3m(), machine, providerIDFormat: 'legacy' });
    expect(legacy.kind === 'present' && legacy.node.spec.providerID).to.equal(`metal3://${HOST_UID}`);
    const set = decideHostNode({ host: host('provisioned', {}), metal3Machine: m3m({ spec: { providerID: 'metal3://other/form' } }), machine, providerIDFormat: 'namespaced' });
    expect(set.kind === 'present' && set.node.spec.providerID).to.equal('metal3://other/form');
    expect(metal3ProviderID('namespaced', host('provisioned'), m3m())).to.equal('metal3://metal3/node-0/test1-cp-x7k2p');
  });

  it('wants no node while the host is available, provisioning or deprovisioning, or being deleted', () => {
    for (const state of ['available', 'provisioning', 'deprovisioning', 'externally provisioned', '']) {
      const d = decideHostNode({ host: host(state, {}), metal3Machine: m3m(), machine, providerIDFormat: 'namespaced' });
      expect(d.kind, state).to.equal('absent');
      expect(d.kind === 'absent' && d.problem, state).to.equal(undefined);
    }
    expect(decideHostNode({ host: host('provisioned', {}, { deletionTimestamp: '2025-01-01T00:00:00Z' }), metal3Machine: m3m(), machine, providerIDFormat: 'namespaced' }).kind).to.equal('absent');
    expect(decideHostNode({ providerIDFormat: 'namespaced' })).to.deep.equal({ kind: 'absent', why: 'the BareMetalHost is gone' });
  });

  it('reports a provisioned host without consumerRef, or consumed by something other than a Metal3Machine, and makes no node', () => {
    const none = decideHostNode({ host: host('provisioned'), providerIDFormat: 'namespaced' });
    expect(none.kind === 'absent' && none.problem?.reason).to.equal('NoConsumerRef');
    const other = decideHostNode({ host: host('provisioned', { kind: 'HostClaim', name: 'claim-1' }), providerIDFormat: 'namespaced' });
    expect(other.kind === 'absent' && other.problem?.reason).to.equal('UnsupportedConsumer');
    expect(other.kind === 'absent' && other.problem?.message).to.contain('HostClaim claim-1');
  });

  it('waits (keeping what exists) while the Metal3Machine is missing or names no cluster', () => {
    const missing = decideHostNode({ host: host('provisioned', {}), providerIDFormat: 'namespaced' });
    expect(missing).to.deep.include({ kind: 'wait' });
    expect(missing.kind === 'wait' && missing.problem.reason).to.equal('Metal3MachineNotFound');
    const noCluster = decideHostNode({ host: host('provisioned', {}), metal3Machine: m3m({}, {}), providerIDFormat: 'namespaced' });
    expect(noCluster.kind === 'wait' && noCluster.problem.reason).to.equal('NoClusterName');
  });

  it('works from the Metal3Machine alone when the Machine object is not there (only the Metal3 CRDs installed)', () => {
    const d = decideHostNode({ host: host('provisioned', {}), metal3Machine: m3m(), providerIDFormat: 'namespaced' });
    expect(d.kind).to.equal('present');
    if (d.kind !== 'present') return;
    expect(d.node.name).to.equal('test1-cp-abcde'); // from the owner reference
    expect(d.node.spec).to.include({ clusterName: 'test1', role: 'control-plane' });
    expect(d.node.spec.kubernetesVersion).to.equal(undefined); // the FakeAPIServer's version applies
    const orphan = decideHostNode({ host: host('provisioned', {}), metal3Machine: m3m({ metadata: { name: 'lonely', namespace: 'metal3', labels: { 'cluster.x-k8s.io/cluster-name': 'test1' } } }), providerIDFormat: 'namespaced' });
    expect(orphan.kind === 'present' && [orphan.node.name, orphan.node.spec.role]).to.deep.equal(['lonely', 'worker']);
  });

  it('defaults the consumer namespace to the host\'s, and owns the FakeNode only from the same namespace', () => {
    const d = decideHostNode({ host: host('provisioned', { namespace: undefined }), metal3Machine: m3m(), machine, providerIDFormat: 'namespaced' });
    expect(d.kind === 'present' && d.node.namespace).to.equal('metal3');
    const elsewhere = host('provisioned', {});
    elsewhere.metadata.namespace = 'hosts';
    const e = decideHostNode({ host: elsewhere, metal3Machine: m3m(), machine, providerIDFormat: 'namespaced' });
    expect(e.kind === 'present' && e.node.namespace).to.equal('metal3');
    expect(e.kind === 'present' && e.node.owner).to.equal(undefined);
  });
});
