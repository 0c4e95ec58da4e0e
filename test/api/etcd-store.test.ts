import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Simulator } from '../../src/simulator/simulator.js';
import { EtcdBackend } from '../../src/simulator/storage/etcd-backend.js';
import { MAX_TXN_OPS } from '../../src/simulator/storage/etcd-commit.js';
import { storageFromFlag } from '../../src/simulator/storage/parse.js';
import { freePort } from '../harness/control-plane.js';
import { startEtcd, type TestEtcd } from '../harness/etcd.js';
import { binary } from '../harness/tools.js';
import { eventually } from '../support/operator-fixture.js';
import { rawClient, type RawClient } from '../support/raw-client.js';
import { itBringsBackEveryAcknowledgedWrite } from '../support/store-crash-spec.js';

/**
 * `--store etcd:<url>` against a real etcd v3.6: every acknowledged write is
 * in etcd, under one prefix per cluster, and any simulator (a replica) can
 * take a cluster over with its contents. A "crash" is a simulator abandoned
 * without close(); the operator spec does the same with kill -9.
 */
describe('the etcd store', function () {
  this.timeout(60_000);
  const NAME = 'default/durable';
  const CM = '/api/v1/namespaces/default/configmaps';
  const CRB = '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings';
  /** Long enough for the client's retries and its circuit breaker (open 5 s after 3 failures) to come into play. */
  const OUTAGE_MS = 7_000;
  /** Compaction interval of the spec of it: each tick compacts up to what the previous one saw. */
  const COMPACTION_MS = 300;
  let etcd: TestEtcd;
  const sims: Simulator[] = [];
  const fenced: string[] = [];

  async function boot(endpoint = etcd.endpoint): Promise<{ sim: Simulator; c: RawClient; storage: EtcdBackend }> {
    const storage = new EtcdBackend({ endpoints: [endpoint], onFenced: (cluster) => fenced.push(cluster) });
    await storage.open();
    const sim = new Simulator({ storage });
    sims.push(sim);
    const cluster = await sim.createCluster({ name: NAME });
    return { sim, c: await rawClient(cluster.endpoint, sim.caOf(NAME)!), storage };
  }
  const json = (body: unknown) => ({ contentType: 'application/json', body: JSON.stringify(body) });
  type Obj = { metadata: { name: string; uid: string; resourceVersion: string; creationTimestamp: string; annotations?: Record<string, string> }; data?: Record<string, string> };
  const etcdctl = async (...args: string[]): Promise<string> => (await promisify(execFile)(binary('etcdctl'), [`--endpoints=${etcd.endpoint}`, ...args])).stdout;

  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.stop();
  });
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.close().catch(() => undefined)));
    fenced.splice(0);
    await etcdctl('del', '--prefix', '/fkas/');
  });

  itBringsBackEveryAcknowledgedWrite(() => boot());

  it('keeps one cluster under one prefix, objects as JSON, readable with etcdctl', async () => {
    const first = await boot();
    expect((await first.c.request('POST', CM, json({ metadata: { name: 'visible' }, data: { a: '1' } }))).status).to.equal(201);
    const keys = (await etcdctl('get', '--prefix', '--keys-only', '/fkas/default/durable/')).split('\n').filter(Boolean);
    expect(keys).to.include.members(['/fkas/default/durable/owner', '/fkas/default/durable/rv', '/fkas/default/durable/objects//configmaps/default/visible', '/fkas/default/durable/objects//namespaces/kube-system']);
    const stored = JSON.parse((await etcdctl('get', '--print-value-only', '/fkas/default/durable/objects//configmaps/default/visible')).trim()) as Obj;
    expect(stored.data).to.deep.equal({ a: '1' });
  });

  it('keeps deleted default RBAC objects deleted after a restart (a tombstone, not a missing key)', async () => {
    const first = await boot();
    expect((await first.c.request('GET', `${CRB}/system:basic-user`)).status).to.equal(200);
    expect((await first.c.request('DELETE', `${CRB}/system:basic-user`)).status).to.equal(200);
    const second = await boot();
    expect((await second.c.request('GET', `${CRB}/system:basic-user`)).status).to.equal(404);
    const names = (await second.c.request('GET', CRB)).json<{ items: Obj[] }>().items.map((i) => i.metadata.name);
    expect(names).to.not.include('system:basic-user');
    expect(names).to.include('system:discovery');
  });

  it('refuses the writes of a replica whose cluster another one took over (fencing), and tells it', async () => {
    const first = await boot();
    expect((await first.c.request('POST', CM, json({ metadata: { name: 'before-takeover' } }))).status).to.equal(201);
    const second = await boot(); // takes the cluster over while the first still serves it
    const late = await first.c.request('POST', CM, json({ metadata: { name: 'late' } }));
    expect(late.status, late.text).to.equal(503);
    expect(fenced).to.deep.equal([NAME]);
    const third = await boot();
    expect((await third.c.request('GET', `${CM}/before-takeover`)).status).to.equal(200);
    expect((await third.c.request('GET', `${CM}/late`)).status, 'the refused write is not in etcd').to.equal(404);
    expect((await second.c.request('GET', `${CM}/late`)).status).to.equal(404);
  });

  it('moves a released cluster to another replica with every write, and gives the owner key up', async () => {
    const first = await boot();
    const writes = await Promise.all(Array.from({ length: 40 }, (_, i) => first.c.request('POST', CM, json({ metadata: { name: `cm-${i}` } }))));
    expect(writes.map((w) => w.status)).to.deep.equal(writes.map(() => 201));
    await first.sim.closeCluster(NAME);
    expect((await etcdctl('get', '--keys-only', '/fkas/default/durable/owner')).trim()).to.equal('');
    const second = await boot();
    const names = (await second.c.request('GET', CM)).json<{ items: Obj[] }>().items.map((i) => i.metadata.name);
    expect(names.length).to.equal(40);
  });

  it(`stores a burst larger than one etcd Txn (${MAX_TXN_OPS} operations) whole`, async () => {
    const first = await boot();
    const writes = await Promise.all(Array.from({ length: 3 * MAX_TXN_OPS }, (_, i) => first.c.request('POST', CM, json({ metadata: { name: `burst-${i}` }, data: { pad: 'x'.repeat(100) } }))));
    expect(writes.filter((w) => w.status !== 201).map((w) => w.text)).to.deep.equal([]);
    const second = await boot();
    const list = (await second.c.request('GET', CM)).json<{ items: Obj[] }>();
    expect(list.items.length).to.equal(3 * MAX_TXN_OPS);
  });

  it('applies overlapping and split batches in order: the last write of every key wins', async () => {
    const first = await boot();
    const cluster = first.sim.get(NAME)!;
    const KEYS = 2 * MAX_TXN_OPS + 10; // every round's batch is split over three Txns
    const ROUNDS = 5;
    for (let round = 0; round < ROUNDS; round++) {
      // One round per event-loop turn: each is its own batch, sent while the previous one may still be in flight.
      for (let i = 0; i < KEYS; i++) cluster.applyObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `k-${i}`, namespace: 'default' }, data: { round: String(round) } });
      await new Promise((r) => setImmediate(r));
    }
    await cluster.resources.store.durable();
    const second = await boot();
    const items = (await second.c.request('GET', CM)).json<{ items: Obj[] }>().items;
    expect(items.length).to.equal(KEYS);
    expect(items.filter((o) => o.data?.round !== String(ROUNDS - 1)).map((o) => o.metadata.name)).to.deep.equal([]);
    expect((await etcdctl('get', '--print-value-only', '/fkas/default/durable/rv')).trim()).to.match(/^\d+$/);
  });

  it('holds a write while etcd is down and acknowledges it once etcd is back: it survives a crash', async () => {
    const first = await boot();
    await etcd.pause();
    let answered = false;
    const pending = first.c.request('POST', CM, json({ metadata: { name: 'during-outage' } }));
    try {
      void pending.then(() => (answered = true));
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
    } finally {
      await etcd.start();
    }
    expect(answered, 'acknowledged while etcd was down').to.equal(false);
    expect((await pending).status).to.equal(201);
    const second = await boot();
    expect((await second.c.request('GET', `${CM}/during-outage`)).status).to.equal(200);
  });

  it("compacts etcd's history as kube-apiserver does, so node heartbeats cannot fill etcd's quota", async () => {
    const storage = new EtcdBackend({ endpoints: [etcd.endpoint], compactionIntervalMs: COMPACTION_MS });
    await storage.open();
    const sim = new Simulator({ storage });
    sims.push(sim);
    const cluster = await sim.createCluster({ name: NAME });
    cluster.addNode({ name: 'n-0', providerID: 'fake://n-0', internalIP: '10.0.0.1' });
    await cluster.resources.store.durable();
    const firstRevision = JSON.parse(await etcdctl('get', '/fkas/default/durable/rv', '-w', 'json')) as { kvs: { mod_revision: number }[] };
    for (let i = 0; i < 3; i++) {
      cluster.addNode({ name: 'n-0', providerID: 'fake://n-0', internalIP: `10.0.0.${i + 2}` });
      await cluster.resources.store.durable();
    }
    const oldRevision = String(firstRevision.kvs[0]!.mod_revision);
    await eventually(
      async () => (await etcdctl('get', '--rev', oldRevision, '/fkas/default/durable/rv').then(() => false, (err: Error) => /compacted/.test(err.message))) || undefined,
      'history up to the first write compacted',
      10 * COMPACTION_MS,
      COMPACTION_MS / 2,
    );
  });

  it('drops a forgotten cluster: it comes back empty', async () => {
    const first = await boot();
    expect((await first.c.request('POST', CM, json({ metadata: { name: 'gone' } }))).status).to.equal(201);
    await first.sim.forgetCluster(NAME);
    expect((await etcdctl('get', '--prefix', '--keys-only', '/fkas/default/durable/')).trim()).to.equal('');
    const second = await boot();
    expect((await second.c.request('GET', `${CM}/gone`)).status).to.equal(404);
  });

  it('fails at start when etcd cannot be reached, saying what to check', async () => {
    const storage = storageFromFlag(`etcd:http://127.0.0.1:${await freePort()}`);
    let err: Error | undefined;
    await storage.open().catch((e: Error) => (err = e));
    expect(err?.message).to.match(/cannot reach etcd at http:\/\/127\.0\.0\.1:\d+ .*check that etcd runs there/);
  });

  it('--store etcd: refuses bad endpoints and TLS flags that cannot work, naming the flag', () => {
    expect(storageFromFlag('etcd:http://127.0.0.1:2379').description).to.equal('etcd:http://127.0.0.1:2379');
    expect(() => storageFromFlag('etcd:')).to.throw(/needs endpoints/);
    expect(() => storageFromFlag('etcd:127.0.0.1:2379')).to.throw(/client URL with scheme and port/);
    expect(() => storageFromFlag('etcd:http://a:2379,https://b:2379')).to.throw(/mix http/);
    expect(() => storageFromFlag('etcd:https://127.0.0.1:2379', { caFile: '/nonexistent/ca.crt' })).to.throw(/--etcd-cafile \/nonexistent\/ca.crt cannot be read \(ENOENT\)/);
    expect(() => storageFromFlag('etcd:https://127.0.0.1:2379', { certFile: '/x.crt' })).to.throw(/--etcd-certfile and --etcd-keyfile come together/);
    expect(() => storageFromFlag('memory', { caFile: '/x' })).to.throw(/go with --store etcd/);
  });

  describe('over TLS with client certificates', () => {
    let secure: TestEtcd;
    before(async () => {
      secure = await startEtcd({ tls: true });
    });
    after(async () => {
      await secure?.stop();
    });

    it('stores and restores through https with --etcd-cafile/--etcd-certfile/--etcd-keyfile', async () => {
      const files = { caFile: secure.files!.ca, certFile: secure.files!.cert, keyFile: secure.files!.key };
      const open = async (): Promise<{ sim: Simulator; c: RawClient }> => {
        const storage = storageFromFlag(`etcd:${secure.endpoint}`, files);
        await storage.open();
        const sim = new Simulator({ storage });
        sims.push(sim);
        const cluster = await sim.createCluster({ name: NAME });
        return { sim, c: await rawClient(cluster.endpoint, sim.caOf(NAME)!) };
      };
      const first = await open();
      const created = await first.c.request('POST', CM, json({ metadata: { name: 'over-tls' } }));
      expect(created.status).to.equal(201);
      const second = await open();
      expect((await second.c.request('GET', `${CM}/over-tls`)).json<Obj>().metadata.uid).to.equal(created.json<Obj>().metadata.uid);
    });

    it('fails at start without a client certificate etcd trusts', async () => {
      const storage = storageFromFlag(`etcd:${secure.endpoint}`, { caFile: secure.files!.ca });
      let err: Error | undefined;
      await storage.open().catch((e: Error) => (err = e));
      expect(err?.message).to.match(/cannot reach etcd at https:.*--etcd-certfile\/--etcd-keyfile are a client certificate it trusts/s);
    });
  });
});
