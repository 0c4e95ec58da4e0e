import { expect } from 'chai';
import { resourceOfPath, resourceUrl } from '../../../src/operator/kube/client.js';

describe('management API paths', () => {
  it('name the resource of core, group, namespaced, cluster-scoped and subresource paths for metrics', () => {
    expect(resourceOfPath(resourceUrl({ apiVersion: 'v1', plural: 'secrets', namespace: 'ns', name: 'a' }))).to.equal('secrets');
    expect(resourceOfPath(resourceUrl({ apiVersion: 'v1', plural: 'namespaces', name: 'ns' }))).to.equal('namespaces');
    expect(resourceOfPath(resourceUrl({ apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace: 'ns' }))).to.equal('fakeapiservers');
    expect(resourceOfPath(resourceUrl({ apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakenodes', namespace: 'ns', name: 'n', subresource: 'status' }))).to.equal('fakenodes/status');
    expect(resourceOfPath('/apis/coordination.k8s.io/v1/leases?watch=true')).to.equal('leases');
  });
});
