import { expect } from 'chai';
import type { FakeNode } from '../../../src/operator/api/v1alpha1.js';
import type { KubeMeta } from '../../../src/reconcilers/shared/capi-objects.js';
import type { DesiredFakeNode } from '../../../src/reconcilers/shared/node-decision.js';
import { ownedFieldsPatch, ownedMetadata, sourceKeyOf, sourceOf } from '../../../src/reconcilers/shared/owned-fakenodes.js';

const owner = { apiVersion: 'metal3.io/v1alpha1', kind: 'BareMetalHost', name: 'node-0', uid: 'u-1' };
const desired: DesiredFakeNode = {
  namespace: 'metal3',
  name: 'test1-cp-0',
  spec: { clusterName: 'test1', nodeName: 'test1-cp-0', providerID: 'metal3://metal3/node-0/m', uuid: 'u-1', labels: { 'metal3.io/uuid': 'u-1' }, kubernetesVersion: 'v1.33.1', role: 'control-plane' },
  owner,
};
const source = sourceOf('BareMetalHost', 'metal3/node-0');
const metadata = ownedMetadata(desired, source, 'metal3-reconciler');

/** The FakeNode as the apiserver returns it after we created it (plus what others added). */
function stored(spec: Partial<FakeNode['spec']> = {}, meta: Partial<KubeMeta> = {}): FakeNode & { metadata: KubeMeta } {
  return {
    apiVersion: 'fkas.metal3.io/v1alpha1',
    kind: 'FakeNode',
    metadata: { ...metadata, resourceVersion: '7', finalizers: ['fkas.metal3.io/node'], ...meta },
    spec: { ...desired.spec, ready: true, ...spec },
  };
}

describe('FakeNodes a node reconciler owns', () => {
  it('are marked with who made them and for which source, and owned by the source', () => {
    expect(metadata).to.deep.equal({
      name: 'test1-cp-0',
      namespace: 'metal3',
      labels: { 'fkas.metal3.io/managed-by': 'metal3-reconciler', 'fkas.metal3.io/cluster-name': 'test1' },
      annotations: { 'fkas.metal3.io/source': 'BareMetalHost:metal3/node-0' },
      ownerReferences: [owner],
    });
    expect(sourceKeyOf({ metadata: { annotations: { 'fkas.metal3.io/source': source } } }, 'BareMetalHost')).to.equal('metal3/node-0');
    expect(sourceKeyOf({ metadata: { annotations: { 'fkas.metal3.io/source': source } } }, 'Machine')).to.equal(undefined);
    expect(sourceKeyOf({ metadata: {} }, 'Machine')).to.equal(undefined);
  });

  it('need no write when they already say what the source says (what users set, like spec.ready, is not ours)', () => {
    expect(ownedFieldsPatch(stored({ ready: false, internalIP: '10.0.0.9' }, { labels: { ...metadata.labels, team: 'a' } }), desired, metadata)).to.equal(undefined);
  });

  it('get a merge patch of only the owned fields that changed, nulling what the source no longer says', () => {
    const patch = ownedFieldsPatch(stored({ kubernetesVersion: 'v1.32.0', labels: { 'metal3.io/uuid': 'u-1', stale: 'x' } }), { ...desired, spec: { ...desired.spec, kubernetesVersion: undefined } }, metadata);
    expect(patch).to.deep.equal({ spec: { labels: { stale: null }, kubernetesVersion: null } });
  });

  it('get their owner references and our labels back, leaving other labels alone', () => {
    const patch = ownedFieldsPatch(stored({}, { labels: { team: 'a' }, ownerReferences: [] }), desired, metadata);
    expect(patch).to.deep.equal({ metadata: { labels: { 'fkas.metal3.io/managed-by': 'metal3-reconciler', 'fkas.metal3.io/cluster-name': 'test1' }, ownerReferences: [owner] } });
  });
});
