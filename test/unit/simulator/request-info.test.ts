import { expect } from 'chai';
import { parseRequestInfo } from '../../../src/simulator/http/request-info.js';

const q = (s = ''): URLSearchParams => new URLSearchParams(s);

describe('request paths map to resources the way kube-apiserver reads them', () => {
  it('reads a namespaced core object with a subresource', () => {
    expect(parseRequestInfo('PUT', '/api/v1/namespaces/kube-system/pods/etcd-cp0/status', q())).to.deep.equal({
      isResource: true, verb: 'update', group: '', version: 'v1', namespace: 'kube-system', resource: 'pods', name: 'etcd-cp0', subresource: 'status',
    });
  });

  it('reads group resources, lists across namespaces and cluster-scoped kinds', () => {
    expect(parseRequestInfo('GET', '/apis/apps/v1/deployments', q())).to.include({ verb: 'list', group: 'apps', resource: 'deployments' });
    expect(parseRequestInfo('GET', '/api/v1/nodes/n1', q())).to.include({ verb: 'get', resource: 'nodes', name: 'n1' });
    expect(parseRequestInfo('DELETE', '/api/v1/namespaces/default/configmaps', q())).to.include({ verb: 'deletecollection', namespace: 'default' });
  });

  it('treats the namespace object itself as a cluster-scoped resource', () => {
    expect(parseRequestInfo('GET', '/api/v1/namespaces/default', q())).to.deep.equal({
      isResource: true, verb: 'get', group: '', version: 'v1', resource: 'namespaces', name: 'default',
    });
    expect(parseRequestInfo('PUT', '/api/v1/namespaces/gone/finalize', q())).to.include({ resource: 'namespaces', name: 'gone', subresource: 'finalize' });
  });

  it('recognizes watches by query and by the legacy /watch/ prefix', () => {
    expect(parseRequestInfo('GET', '/api/v1/pods', q('watch=true'))).to.include({ verb: 'watch' });
    expect(parseRequestInfo('GET', '/api/v1/watch/namespaces/default/pods', q())).to.include({ verb: 'watch', namespace: 'default', resource: 'pods' });
  });

  it('marks port-forward and exec as connections', () => {
    expect(parseRequestInfo('POST', '/api/v1/namespaces/kube-system/pods/etcd-a/portforward', q())).to.include({ verb: 'connect', subresource: 'portforward' });
  });

  it('leaves discovery and other paths as non-resource requests', () => {
    for (const p of ['/', '/api', '/api/v1', '/apis/apps', '/apis/apps/v1', '/version', '/openapi/v3/api/v1']) {
      expect(parseRequestInfo('GET', p, q()).isResource, p).to.equal(false);
    }
    expect(parseRequestInfo('GET', '/api/v1/namespaces/a/pods/b/status/extra', q()).isResource).to.equal(false);
  });
});
