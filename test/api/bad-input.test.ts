import { expect } from 'chai';
import { createCertificateAuthority } from '../../src/pki/certificates.js';
import { generateEcKey } from '../../src/pki/keys.js';
import { MAX_BODY_BYTES } from '../../src/simulator/http/exchange.js';
import { Simulator } from '../../src/simulator/simulator.js';
import type { FakeCluster } from '../../src/simulator/cluster.js';
import { rawClient, type RawClient, type RawResponse } from '../support/raw-client.js';

/**
 * Bad input gets a Kubernetes Status with the right code and reason, and
 * nothing stored changes. Every case names the bad input it sends.
 */
describe('the fake API server refuses bad input', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let cluster: FakeCluster;
  let c: RawClient;
  const CM = '/api/v1/namespaces/default/configmaps';

  before(async () => {
    sim = new Simulator();
    cluster = await sim.createCluster({ name: 'bad-input', tokens: { 'good-token': { user: 'robot', groups: ['system:masters'] } } });
    c = await rawClient(cluster.endpoint, sim.caOf('bad-input')!);
    await c.request('POST', CM, { body: JSON.stringify({ metadata: { name: 'existing' }, data: { a: '1' } }), contentType: 'application/json' });
    await c.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      contentType: 'application/json',
      body: JSON.stringify({ metadata: { name: 'widgets.example.com' }, spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' }, versions: [{ name: 'v1', served: true, storage: true }] } }),
    });
    await c.request('POST', '/apis/example.com/v1/namespaces/default/widgets', { contentType: 'application/json', body: JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }) });
  });
  after(async () => sim.close());

  /** Sends the request and checks the Status and that the store did not change. */
  async function refused(code: number, reason: string, send: () => Promise<RawResponse>): Promise<Record<string, unknown>> {
    const rv = cluster.resources.store.resourceVersion;
    const before = JSON.stringify(cluster.resources.store.list('/configmaps'));
    const res = await send();
    expect(res.status, `${res.status} ${res.text}`).to.equal(code);
    const status = res.json();
    expect(status).to.include({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
    expect(status.message).to.be.a('string').and.not.equal('');
    expect(cluster.resources.store.resourceVersion).to.equal(rv);
    expect(JSON.stringify(cluster.resources.store.list('/configmaps'))).to.equal(before);
    return status;
  }
  const post = (path: string, body: string, contentType = 'application/json') => () => c.request('POST', path, { body, contentType });

  it('invalid JSON → 400', () => refused(400, 'BadRequest', post(CM, '{"metadata": ')));
  it('YAML syntax error → 400', () => refused(400, 'BadRequest', post(CM, 'metadata: [unclosed', 'application/yaml')));
  it('a JSON array instead of an object → 400', () => refused(400, 'BadRequest', post(CM, '[]')));
  it('a Secret posted to configmaps → 400', () => refused(400, 'BadRequest', post(CM, JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }))));
  it('a wrong apiVersion → 400', () => refused(400, 'BadRequest', post(CM, JSON.stringify({ apiVersion: 'v2', kind: 'ConfigMap', metadata: { name: 's' } }))));
  it('a body namespace that differs from the URL → 400', () => refused(400, 'BadRequest', post(CM, JSON.stringify({ metadata: { name: 's', namespace: 'kube-system' } }))));
  it('a name with upper case → 422 naming metadata.name', async () => {
    const s = await refused(422, 'Invalid', post(CM, JSON.stringify({ metadata: { name: 'Bad_Name' } })));
    expect((s.details as { causes: { field: string }[] }).causes[0]!.field).to.equal('metadata.name');
  });
  it('a 254-character name → 422', () => refused(422, 'Invalid', post(CM, JSON.stringify({ metadata: { name: 'a'.repeat(254) } }))));
  it('no name and no generateName → 422', () => refused(422, 'Invalid', post(CM, JSON.stringify({ metadata: {} }))));
  it('a namespace that does not exist → 404', () => refused(404, 'NotFound', post('/api/v1/namespaces/nowhere/configmaps', JSON.stringify({ metadata: { name: 'x' } }))));
  it('a duplicate create → 409 AlreadyExists', () => refused(409, 'AlreadyExists', post(CM, JSON.stringify({ metadata: { name: 'existing' } }))));
  it('an update with a stale resourceVersion → 409 Conflict', () =>
    refused(409, 'Conflict', () => c.request('PUT', `${CM}/existing`, { contentType: 'application/json', body: JSON.stringify({ metadata: { name: 'existing', resourceVersion: '1' }, data: { a: '2' } }) })));
  it('an update of an object that does not exist → 404', () =>
    refused(404, 'NotFound', () => c.request('PUT', `${CM}/missing`, { contentType: 'application/json', body: JSON.stringify({ metadata: { name: 'missing' } }) })));
  it('a PUT whose body names another object than the URL → 400', () =>
    refused(400, 'BadRequest', () => c.request('PUT', `${CM}/existing`, { contentType: 'application/json', body: JSON.stringify({ metadata: { name: 'other' } }) })));
  it('a JSON patch that is not an array → 400', () =>
    refused(400, 'BadRequest', () => c.request('PATCH', `${CM}/existing`, { contentType: 'application/json-patch+json', body: '{"op":"add"}' })));
  it('a JSON patch removing a missing path → 422', () =>
    refused(422, 'Invalid', () => c.request('PATCH', `${CM}/existing`, { contentType: 'application/json-patch+json', body: '[{"op":"remove","path":"/data/nope"}]' })));
  it('a JSON patch with an unknown op → 400', () =>
    refused(400, 'BadRequest', () => c.request('PATCH', `${CM}/existing`, { contentType: 'application/json-patch+json', body: '[{"op":"explode","path":"/data"}]' })));
  it('a strategic merge patch of a custom resource → 415', () =>
    refused(415, 'UnsupportedMediaType', () => c.request('PATCH', '/apis/example.com/v1/namespaces/default/widgets/w', { contentType: 'application/strategic-merge-patch+json', body: '{"spec":{}}' })));
  it('an unknown patch content type → 415', () =>
    refused(415, 'UnsupportedMediaType', () => c.request('PATCH', `${CM}/existing`, { contentType: 'text/plain', body: 'x' })));
  it('an apply patch without fieldManager → 400', () =>
    refused(400, 'BadRequest', () => c.request('PATCH', `${CM}/existing`, { contentType: 'application/apply-patch+yaml', body: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: existing}\n' })));
  it('a create in an unsupported content type → 415', () => refused(415, 'UnsupportedMediaType', post(CM, '<xml/>', 'application/xml')));
  it('a body over the size limit → 413', () => refused(413, 'RequestEntityTooLarge', post(CM, JSON.stringify({ metadata: { name: 'big' }, data: { a: 'x'.repeat(MAX_BODY_BYTES) } }))));
  it('an unknown resource → 404', () => refused(404, 'NotFound', () => c.request('GET', '/api/v1/namespaces/default/gizmos')));
  it('an unknown API group → 404', () => refused(404, 'NotFound', () => c.request('GET', '/apis/nope.example.com/v1/things')));
  it('an OPTIONS request → 405', () => refused(405, 'MethodNotAllowed', () => c.request('OPTIONS', CM)));
  it('a POST to a named object → 405', () => refused(405, 'MethodNotAllowed', post(`${CM}/existing`, '{}')));
  it('a malformed labelSelector → 400', () => refused(400, 'BadRequest', () => c.request('GET', `${CM}?labelSelector=${encodeURIComponent('a in (b')}`)));
  it('an unsupported fieldSelector field → 400', () => refused(400, 'BadRequest', () => c.request('GET', `${CM}?fieldSelector=spec.replicas%3D1`)));
  it('a negative limit → 400', () => refused(400, 'BadRequest', () => c.request('GET', `${CM}?limit=-1`)));
  it('a forged continue token → 400', () => refused(400, 'BadRequest', () => c.request('GET', `${CM}?limit=1&continue=bm90LWEtdG9rZW4`)));
  it('a list at a resourceVersion from the future → 504', () => refused(504, 'Timeout', () => c.request('GET', `${CM}?resourceVersion=${Number.MAX_SAFE_INTEGER}`)));
  it('a delete with a uid precondition that does not match → 409', () =>
    refused(409, 'Conflict', () => c.request('DELETE', `${CM}/existing`, { contentType: 'application/json', body: JSON.stringify({ preconditions: { uid: 'not-the-uid' } }) })));
  // Nesting and wrong Go types: each expected message is what kube-apiserver v1.34.4 answered for the same request.
  const nest = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  const patch = (type: string, body: string, query = '') => () => c.request('PATCH', `${CM}/existing${query}`, { contentType: `application/${type}`, body });
  it('a 10,000-level nested JSON body → 400 (it was a 500: the stack overflowed)', async () => {
    const s = await refused(400, 'BadRequest', post(CM, `{"metadata":{"name":"d1"},"data":{"x":${nest(9999)}}}`));
    expect(s.message).to.equal(
      'the object provided is unrecognized (must be of type ConfigMap): couldn\'t get version/kind; json parse error: invalid character \'{\' exceeded max depth ({"metadata":{"name":"d1"},"dat ...)',
    );
  });
  it('a deeply nested YAML body, merge patch, strategic merge patch and apply patch → 400', async () => {
    await refused(400, 'BadRequest', post(CM, `metadata: {name: deep}\ndata: {x: ${nest(5000)}}\n`, 'application/yaml'));
    expect((await refused(400, 'BadRequest', patch('merge-patch+json', `{"data":${nest(5000)}}`))).message).to.equal("error decoding patch: invalid character '{' exceeded max depth");
    expect((await refused(400, 'BadRequest', patch('strategic-merge-patch+json', `{"data":${nest(5000)}}`))).message).to.equal("invalid character '{' exceeded max depth");
    const apply = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"existing"},"data":${nest(5000)}}`;
    expect((await refused(400, 'BadRequest', patch('apply-patch+yaml', apply, '?fieldManager=t'))).message).to.match(/^error decoding YAML: error converting YAML to JSON: yaml: exceeded max depth of \d+$/);
  });
  it('a YAML alias bomb → 400 excessive aliasing', async () => {
    const lines = ['metadata: {name: bomb}', 'data:', '  l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) lines.push(`  l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]`);
    expect((await refused(400, 'BadRequest', post(CM, lines.join('\n'), 'application/yaml'))).message).to.include('yaml: document contains excessive aliasing');
  });
  it('a JSON patch with more than 10,000 operations → 413', () =>
    refused(413, 'RequestEntityTooLarge', patch('json-patch+json', JSON.stringify(Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/data/a', value: '1' }))))));
  it('a ConfigMap whose data holds an object → 400 naming the Go field (it was stored: 201)', async () => {
    const s = await refused(400, 'BadRequest', post(CM, JSON.stringify({ metadata: { name: 'typed' }, data: { a: { b: 'c' } } })));
    expect(s.message).to.equal('ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal object into Go struct field ConfigMap.data of type string');
  });
  it('a Deployment with replicas "3" → 400 naming DeploymentSpec.spec.replicas', async () => {
    const body = { metadata: { name: 'd' }, spec: { replicas: '3', selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } };
    const s = await refused(400, 'BadRequest', post('/apis/apps/v1/namespaces/default/deployments', JSON.stringify(body)));
    expect(s.message).to.equal('Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32');
  });
  it('a merge patch or JSON patch that leaves a wrong type → 422 on the field "patch"', async () => {
    const s = await refused(422, 'Invalid', patch('merge-patch+json', '{"data":{"a":{"b":"c"}}}'));
    expect(s.message).to.match(/^ "" is invalid: patch: Invalid value: ".*": json: cannot unmarshal object into Go struct field ConfigMap.data of type string$/);
    expect((s.details as { causes: { field: string }[] }).causes[0]!.field).to.equal('patch');
    await refused(422, 'Invalid', patch('json-patch+json', '[{"op":"add","path":"/data/z","value":{"b":"c"}}]'));
  });
  it('a strategic merge patch that leaves a wrong type → 422 quoting the patch as Go prints it', async () => {
    const s = await refused(422, 'Invalid', patch('strategic-merge-patch+json', '{"data":{"a":5}}'));
    expect(s.message).to.equal(' "" is invalid: patch: Invalid value: "map[data:map[a:5]]": cannot convert int64 to string');
  });
  it('an apply patch with a wrong type → 400 (kube-apiserver says 500 with this message)', async () => {
    const s = await refused(400, 'BadRequest', patch('apply-patch+yaml', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"existing"},"data":{"a":5}}', '?fieldManager=t'));
    expect(s.message).to.equal('failed to create typed patch object (/existing; /v1, Kind=ConfigMap): .data.a: expected string, got &value.valueUnstructured{Value:5}');
  });
  it('DeleteOptions with a wrong type → 400 (kube-apiserver says 500 with this message)', async () => {
    const s = await refused(400, 'BadRequest', () => c.request('DELETE', `${CM}/existing`, { contentType: 'application/json', body: '{"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":"x"}' }));
    expect(s.message).to.equal('json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64');
  });
  it('a GET of a pod that does not exist → 404 (CAPI relies on it)', () => refused(404, 'NotFound', () => c.request('GET', '/api/v1/namespaces/kube-system/pods/nope')));

  it('no client certificate → anonymous: 403 on resources and `/`, while /healthz, /livez, /readyz?verbose and /version stay public', async () => {
    const s = await refused(403, 'Forbidden', () => c.request('GET', CM, { anonymous: true }));
    expect(s.message).to.equal('configmaps is forbidden: User "system:anonymous" cannot list resource "configmaps" in API group "" in the namespace "default"');
    await refused(403, 'Forbidden', () => c.request('GET', '/', { anonymous: true }));
    for (const path of ['/healthz', '/livez', '/readyz?verbose', '/version']) {
      expect((await c.request('GET', path, { anonymous: true })).status, path).to.equal(200);
    }
  });

  it('a client certificate from another CA → 401; CAPI-style admin certificates pass', async () => {
    const other = await createCertificateAuthority({ commonName: 'kubernetes', key: await generateEcKey() });
    const stranger = await rawClient(cluster.endpoint, other);
    // The stranger still trusts our serving certificate: only its own certificate is wrong.
    const res = await stranger.request('GET', CM).catch(() => undefined);
    if (res) expect(res.status).to.equal(401);
    expect((await c.request('GET', CM)).status).to.equal(200);
  });

  it('a configured bearer token passes and an unknown one gets 401', async () => {
    expect((await c.request('GET', CM, { anonymous: true, token: 'good-token' })).status).to.equal(200);
    await refused(401, 'Unauthorized', () => c.request('GET', CM, { anonymous: true, token: 'bad-token' }));
  });

  it('a watch resuming from a compacted resourceVersion gets an ERROR event with 410 Expired', async () => {
    const oldRv = cluster.resources.store.resourceVersion;
    const kind = cluster.kind('', 'v1', 'configmaps');
    for (let i = 0; i < 1100; i++) cluster.resources.create(kind, 'default', { metadata: { name: `churn-${i}` } });
    for (let i = 0; i < 1100; i++) cluster.resources.delete(kind, 'default', `churn-${i}`);
    const res = await c.request('GET', `${CM}?watch=true&resourceVersion=${oldRv}&timeoutSeconds=1`);
    const event = JSON.parse(res.text.trim().split('\n')[0]!) as { type: string; object: { code: number; reason: string } };
    expect(event.type).to.equal('ERROR');
    expect(event.object).to.include({ code: 410, reason: 'Expired' });
  });
});
