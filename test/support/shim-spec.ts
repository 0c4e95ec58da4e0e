import { expect } from 'chai';
import http from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import type { FakeNode } from '../../src/operator/api/v1alpha1.js';
import { KubeClient } from '../../src/operator/kube/client.js';
import { startShim } from '../../src/shim/server.js';
import { componentLogger } from '../../src/telemetry/logger.js';
import { startFakeCluster } from './fake-cluster.js';
import { eventually } from './operator-fixture.js';
import { send, startShimFixture, type ShimFixture } from './shim-fixture.js';

const NAME_PART_91 = 'n'.repeat(91);
const node = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ cluster: 'shim-a', namespace: 'default', nodeName: 'w1', providerID: 'metal3://default/bmh/w1', ...over });

/** Bad requests, each with the answer the shim must give; none of them may change a FakeAPIServer or FakeNode. */
const BAD_INPUTS: readonly [what: string, method: string, path: string, body: unknown, status: number, field: string][] = [
  ['register into a namespace that does not exist', 'POST', '/register', { cluster: 'shim-x', namespace: 'no-such-namespace' }, 404, 'namespace'],
  ['register with a namespace that is no DNS label', 'POST', '/register', { cluster: 'shim-x', namespace: 'Default' }, 400, 'namespace'],
  ['register a cluster name with a dot (the CRD wants a DNS label)', 'POST', '/register', { cluster: 'a.b', namespace: 'default' }, 400, 'cluster'],
  ['register a 64-character cluster name', 'POST', '/register', { cluster: 'c'.repeat(64), namespace: 'default' }, 400, 'cluster'],
  ['register with an array body', 'POST', '/register', '[1,2]', 400, 'body'],
  ['register with a body nested 10,000 deep', 'POST', '/register', `${'['.repeat(10_000)}${']'.repeat(10_000)}`, 400, 'body'],
  ['updateNode with a label key whose name part has 91 characters', 'PUT', '/updateNode', node({ labels: { [`example.com/${NAME_PART_91}`]: 'x' } }), 400, 'labels'],
  ['updateNode with the same label in the string form', 'PUT', '/updateNode', node({ labels: `${NAME_PART_91}=x` }), 400, 'labels'],
  ['updateNode with a label prefix that is no DNS subdomain', 'PUT', '/updateNode', node({ labels: { 'Example.com/a': 'x' } }), 400, 'labels'],
  ['updateNode with a 64-character label value', 'PUT', '/updateNode', node({ labels: { a: 'v'.repeat(64) } }), 400, 'labels'],
  ['updateNode with a label value that is an object', 'PUT', '/updateNode', node({ labels: { a: { b: 'c' } } }), 400, 'labels'],
  ['updateNode with a uuid that cannot be the metal3.io/uuid label value', 'PUT', '/updateNode', node({ uuid: 'u'.repeat(100) }), 400, 'uuid'],
  ['updateNode with a uuid with a space', 'PUT', '/updateNode', node({ uuid: 'a b' }), 400, 'uuid'],
  ['updateNode with a providerID over the CRD maxLength', 'PUT', '/updateNode', node({ providerID: `metal3://${'p'.repeat(1020)}` }), 400, 'providerID'],
  ['updateNode with a version the CRD pattern refuses', 'PUT', '/updateNode', node({ k8sversion: 'v1.32' }), 400, 'k8sversion'],
  ['updateNode with a role outside the CRD enum', 'PUT', '/updateNode', node({ role: 'master' }), 400, 'role'],
  ['updateNode whose FakeNode name <cluster>-<nodeName> would exceed 253', 'PUT', '/updateNode', node({ nodeName: `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(62)}.e`, labels: { 'kubernetes.io/hostname': 'short' } }), 400, 'nodeName'],
  ['updateNode with a node name longer than its kubernetes.io/hostname label may be', 'PUT', '/updateNode', node({ nodeName: 'n'.repeat(64) }), 400, 'nodeName'],
  ['updateNode of a control-plane node whose static Pod names would exceed 253', 'PUT', '/updateNode', node({ nodeName: `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(50)}`, role: 'control-plane', labels: { 'kubernetes.io/hostname': 'short' } }), 400, 'nodeName'],
  ['updateNode with an upper-case node name', 'PUT', '/updateNode', node({ nodeName: 'Worker-1' }), 400, 'nodeName'],
  ['updateNode with a number as providerID', 'PUT', '/updateNode', node({ providerID: 42 }), 400, 'providerID'],
  ['updateNode for a cluster that is not registered', 'PUT', '/updateNode', node({ cluster: 'nobody' }), 404, 'cluster'],
  ['updateNode into a namespace that does not exist', 'PUT', '/updateNode', node({ namespace: 'no-such-namespace' }), 404, 'cluster'],
];

const kubeconfigOption = (path: string | undefined): { kubeconfigPath?: string } => (path ? { kubeconfigPath: path } : {});

/**
 * What the legacy shim must do for its users, against the embedded
 * management API (test/api) or a real kube-apiserver (test/integration).
 */
export function shimBehaviour(kubeconfig: () => string | undefined): void {
  describe('the legacy shim (POST /register, PUT /updateNode)', function () {
    this.timeout(60_000);
    let f: ShimFixture;

    before(async () => {
      f = await startShimFixture({ portRange: { min: 30000, max: 30199 }, informers: 'operator', ...kubeconfigOption(kubeconfig()) });
      const r = await f.send('POST', '/register', { cluster: 'shim-a', namespace: 'default' });
      expect(r.status, JSON.stringify(r.json)).to.equal(200);
    });
    after(async () => f?.close());

    describe('refuses bad input with a 4xx {error, field} before writing anything', () => {
      for (const [what, method, path, body, status, field] of BAD_INPUTS) {
        it(`${what}: ${status} naming "${field}"`, async () => {
          const before = await f.snapshot();
          const r = await f.send(method, path, body);
          expect([r.status, r.json.field], JSON.stringify(r.json)).to.deep.equal([status, field]);
          expect(r.json.error).to.be.a('string').and.not.empty;
          expect(await f.snapshot()).to.deep.equal(before);
        });
      }

      it('leaves no FakeNode behind for the 91-character label name (the operator could never register it)', async () => {
        const r = await f.send('PUT', '/updateNode', node({ nodeName: 'label-91', labels: { [NAME_PART_91]: 'x' } }));
        expect(r.status).to.equal(400);
        const nodes = await f.client.list<FakeNode>({ apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakenodes', namespace: 'default' });
        expect(nodes.items.map((n) => n.metadata.name)).to.not.include('shim-a-label-91');
      });
    });

    describe('routes', () => {
      it('answers 405 with Allow for other methods on its paths, TRACE and made-up methods included', async () => {
        for (const method of ['GET', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH']) {
          const r = await f.send(method, '/register');
          expect([method, r.status, r.headers.allow], JSON.stringify(r.json)).to.deep.equal([method, 405, 'POST']);
          expect(r.json.error).to.be.a('string');
        }
        const put = await f.send('POST', '/updateNode', node());
        expect([put.status, put.headers.allow]).to.deep.equal([405, 'PUT']);
      });

      it('matches paths exactly and case-sensitively, as the original: /REGISTER and /register/ are 404', async () => {
        const before = await f.snapshot();
        for (const path of ['/REGISTER', '/Register', '/register/', '/updatenode', '/register/x']) {
          const r = await f.send('POST', path, { cluster: 'shim-case', namespace: 'default' });
          expect([path, r.status]).to.deep.equal([path, 404]);
        }
        expect(await f.snapshot()).to.deep.equal(before);
      });
    });

    describe('concurrent first calls converge', () => {
      it('answers 20 concurrent identical first PUT /updateNode calls all with 200, with one FakeNode', async () => {
        const body = node({ nodeName: 'race-1', role: 'worker', labels: { zone: 'a' } });
        const answers = await Promise.all(Array.from({ length: 20 }, () => f.send('PUT', '/updateNode', body)));
        expect(answers.map((a) => a.status), JSON.stringify(answers.find((a) => a.status !== 200)?.json)).to.deep.equal(Array(20).fill(200));
        const fn = await f.client.get<FakeNode>({ apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakenodes', namespace: 'default', name: 'shim-a-race-1' });
        expect(fn.spec.labels).to.deep.equal({ zone: 'a' });
      });

      it('answers 20 concurrent identical first POST /register calls all with 200 and the same endpoint', async () => {
        const answers = await Promise.all(Array.from({ length: 20 }, () => f.send('POST', '/register', { cluster: 'shim-race', namespace: 'default' })));
        expect(answers.map((a) => a.status)).to.deep.equal(Array(20).fill(200));
        expect(new Set(answers.map((a) => `${a.json.Host}:${a.json.Port}`)).size).to.equal(1);
      });
    });

    describe('names that collide', () => {
      it('refuses with 409 a node whose <cluster>-<nodeName> is another cluster node, and leaves that node alone', async () => {
        expect((await f.send('POST', '/register', { cluster: 'shim-a-x', namespace: 'default' })).status).to.equal(200);
        expect((await f.send('PUT', '/updateNode', node({ nodeName: 'x-n', role: 'worker' }))).status).to.equal(200);
        const before = await f.snapshot();
        const r = await f.send('PUT', '/updateNode', node({ cluster: 'shim-a-x', nodeName: 'n', role: 'worker' }));
        expect([r.status, r.json.field], JSON.stringify(r.json)).to.deep.equal([409, 'nodeName']);
        expect(r.json.error).to.contain('stands for node x-n of cluster shim-a');
        expect(await f.snapshot()).to.deep.equal(before);
      });
    });

    describe('management-API calls and waiting', () => {
      it('registers a new cluster with one management-API call (the create) and answers a serving one with none', async () => {
        const fresh = await f.shimClient.count(async () => expect((await f.send('POST', '/register', { cluster: 'shim-count', namespace: 'default' })).status).to.equal(200));
        expect(fresh).to.deep.equal(['POST /apis/fkas.metal3.io/v1alpha1/namespaces/default/fakeapiservers']);
        const again = await f.shimClient.count(async () => expect((await f.send('POST', '/register', { cluster: 'shim-count', namespace: 'default' })).status).to.equal(200));
        expect(again).to.deep.equal([]);
      });

      it('writes a node with one call when the role is given, and answers a repeat without waiting for a new generation', async () => {
        const body = node({ cluster: 'shim-count', nodeName: 'cp-1', role: 'control-plane' });
        const first = await f.shimClient.count(async () => expect((await f.send('PUT', '/updateNode', body)).status).to.equal(200));
        expect(first).to.deep.equal(['POST /apis/fkas.metal3.io/v1alpha1/namespaces/default/fakenodes']);
        const again = await f.shimClient.count(async () => expect((await f.send('PUT', '/updateNode', body)).status).to.equal(200));
        expect(again).to.deep.equal(['PATCH /apis/fkas.metal3.io/v1alpha1/namespaces/default/fakenodes/shim-count-cp-1']);
      });

      it('replaces the labels on a second PUT /updateNode and waits for that generation', async () => {
        const key = { apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakenodes', namespace: 'default', name: 'shim-a-relabel' };
        expect((await f.send('PUT', '/updateNode', node({ nodeName: 'relabel', labels: 'a=1,b=2' }))).status).to.equal(200);
        expect((await f.send('PUT', '/updateNode', node({ nodeName: 'relabel', labels: { c: '3' } }))).status).to.equal(200);
        const fn = await f.client.get<FakeNode>(key);
        expect(fn.spec.labels).to.deep.equal({ c: '3' });
        // The answer came once the operator acted on generation 2; its status write follows in a batch.
        await eventually(async () => (await f.client.get<FakeNode>(key)).status?.observedGeneration === fn.metadata.generation, 'the FakeNode status observes generation 2', 5_000);
      });

      it('leaves no request waiting once all are answered', () => {
        expect(f.shim.waiting()).to.equal(0);
      });
    });

    describe('deadline', () => {
      it('answers 504 at its deadline, saying what it waited for and the object condition, and keeps no waiter', async () => {
        const taken = (await f.send('POST', '/register', { cluster: 'shim-a', namespace: 'default' })).json.Port as number;
        // A FakeAPIServer that asks for a port already served never becomes Ready.
        await f.client.create({ apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace: 'default' }, { apiVersion: 'fkas.metal3.io/v1alpha1', kind: 'FakeAPIServer', metadata: { name: 'shim-stuck', namespace: 'default' }, spec: { port: taken } });
        const short = await startShim({ client: f.shimClient, log: componentLogger('shim'), host: '127.0.0.1', port: 0, waitMs: 1_000, informers: f.operator.context! });
        try {
          const r = await send(f.agent, short.port, 'POST', '/register', { cluster: 'shim-stuck', namespace: 'default' });
          expect(r.status).to.equal(504);
          expect(r.ms).to.be.below(5_000);
          expect(r.json.error).to.match(/no answer within 1000 ms while waiting for the operator to serve FakeAPIServer default\/shim-stuck/);
          expect(short.waiting()).to.equal(0);
        } finally {
          await short.close();
        }
      });
    });

    describe('management API trouble', () => {
      it('answers 502 when the management API does not serve FakeAPIServers (CRDs missing): not a client mistake', async () => {
        const bare = await startFakeCluster({ name: 'no-crds' });
        const noCrds = KubeClient.fromFile(bare.kubeconfigPath);
        const shim = await startShim({ client: noCrds, log: componentLogger('shim'), host: '127.0.0.1', port: 0, informers: f.operator.context! });
        try {
          const r = await send(f.agent, shim.port, 'POST', '/register', { cluster: 'shim-no-crd', namespace: 'default' });
          expect(r.status, JSON.stringify(r.json)).to.equal(502);
          expect(r.json.error).to.match(/CRDs installed/);
        } finally {
          await shim.close();
          noCrds.close();
          await bare.close();
        }
      });

      it('answers 503 naming the management API when it is unreachable (not a 4xx, not a hang)', async () => {
        const kc = new KubeConfig();
        kc.loadFromString(f.client.kubeConfig.exportConfig());
        const closed = http.createServer();
        await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
        const port = (closed.address() as { port: number }).port;
        await new Promise<void>((r) => closed.close(() => r()));
        kc.clusters[0] = { ...kc.clusters[0]!, server: `https://127.0.0.1:${port}` };
        const dead = new KubeClient(kc);
        const shim = await startShim({ client: dead, log: componentLogger('shim'), host: '127.0.0.1', port: 0, informers: f.operator.context! });
        try {
          const r = await send(f.agent, shim.port, 'POST', '/register', { cluster: 'shim-dead', namespace: 'default' });
          expect(r.status).to.equal(503);
          expect(r.json.error).to.match(/management API is unreachable/);
        } finally {
          await shim.close();
          dead.close();
        }
      });
    });
  });

  describe('the legacy shim alone (its own watches, no operator informers)', function () {
    this.timeout(60_000);
    let f: ShimFixture;
    before(async () => (f = await startShimFixture({ portRange: { min: 30200, max: 30299 }, informers: 'own', ...kubeconfigOption(kubeconfig()) })));
    after(async () => f?.close());

    it('registers a cluster and a node, woken by its own watch, without polling', async () => {
      const calls = await f.shimClient.count(async () => {
        expect((await f.send('POST', '/register', { cluster: 'alone', namespace: 'default' })).status).to.equal(200);
        expect((await f.send('PUT', '/updateNode', { cluster: 'alone', namespace: 'default', nodeName: 'n1', providerID: 'p://1', role: 'worker' })).status).to.equal(200);
      });
      // Its watches run on their own connections; the requests themselves cost one write each.
      expect(calls.filter((c) => !c.startsWith('GET /apis/fkas.metal3.io/v1alpha1/fakeapiservers') && !c.startsWith('GET /apis/fkas.metal3.io/v1alpha1/fakenodes'))).to.deep.equal([
        'POST /apis/fkas.metal3.io/v1alpha1/namespaces/default/fakeapiservers',
        'POST /apis/fkas.metal3.io/v1alpha1/namespaces/default/fakenodes',
      ]);
      expect(f.shim.waiting()).to.equal(0);
    });
  });
}
