import { expect } from 'chai';
import { decideMachineNode } from '../../../src/reconcilers/machines/machine-mapping.js';
import type { Machine } from '../../../src/reconcilers/shared/capi-objects.js';

function machine(opts: { providerID?: string; ready?: 'v1beta2' | 'v1beta1' | false; controlPlane?: boolean; deleting?: boolean } = {}): Machine {
  const { providerID = 'docker:////c1-md-0-abc', ready = 'v1beta2', controlPlane = false, deleting = false } = opts;
  return {
    apiVersion: 'cluster.x-k8s.io/v1beta2',
    kind: 'Machine',
    metadata: {
      name: 'c1-md-0-abc',
      namespace: 'ns1',
      uid: 'machine-uid',
      labels: { 'cluster.x-k8s.io/cluster-name': 'c1', ...(controlPlane ? { 'cluster.x-k8s.io/control-plane': '' } : {}) },
      ...(deleting ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}),
    },
    spec: { clusterName: 'c1', version: 'v1.32.4', ...(providerID ? { providerID } : {}) },
    status: ready === 'v1beta2' ? { initialization: { infrastructureProvisioned: true } } : ready === 'v1beta1' ? { infrastructureReady: true } : {},
  };
}

describe('Machine reconciler: CAPI Machine → FakeNode', () => {
  it('gives a Machine with ready infrastructure and a providerID a node of its name, providerID, version and role', () => {
    expect(decideMachineNode({ machine: machine(), optedIn: true })).to.deep.equal({
      kind: 'present',
      node: {
        namespace: 'ns1',
        name: 'c1-md-0-abc',
        spec: { clusterName: 'c1', nodeName: 'c1-md-0-abc', providerID: 'docker:////c1-md-0-abc', kubernetesVersion: 'v1.32.4', role: 'worker' },
        owner: { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Machine', name: 'c1-md-0-abc', uid: 'machine-uid' },
      },
    });
    const cp = decideMachineNode({ machine: machine({ controlPlane: true, ready: 'v1beta1' }), optedIn: true });
    expect(cp.kind === 'present' && cp.node.spec.role).to.equal('control-plane');
  });

  it('wants no node for clusters that did not opt in, before the infrastructure is ready, or when the Machine goes', () => {
    expect(decideMachineNode({ machine: machine(), optedIn: false }).kind).to.equal('absent');
    expect(decideMachineNode({ machine: machine({ ready: false }), optedIn: true }).kind).to.equal('absent');
    expect(decideMachineNode({ machine: machine({ deleting: true }), optedIn: true }).kind).to.equal('absent');
    expect(decideMachineNode({ optedIn: true }).kind).to.equal('absent');
  });

  it('reports a ready Machine without spec.providerID and makes no node', () => {
    const d = decideMachineNode({ machine: machine({ providerID: '' }), optedIn: true });
    expect(d.kind).to.equal('absent');
    expect(d.kind === 'absent' && d.problem?.reason).to.equal('MissingProviderID');
  });
});
