import { expect } from 'chai';
import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulator } from '../../src/simulator/simulator.js';
import { FileBackend } from '../../src/simulator/storage/file-backend.js';
import { storageFromFlag } from '../../src/simulator/storage/parse.js';
import { rawClient, type RawClient } from '../support/raw-client.js';
import { itBringsBackEveryAcknowledgedWrite } from '../support/store-crash-spec.js';

/**
 * `--store file:<dir>`: every acknowledged write is on disk. A "crash" here
 * is a second simulator opening the same directory while the first one is
 * abandoned without close() (nothing flushed at exit); the integration spec
 * does the same with kill -9 of the operator process.
 */
describe('the file store', function () {
  this.timeout(30_000);
  const NAME = 'default/durable';
  const CM = '/api/v1/namespaces/default/configmaps';
  let dir: string;
  const sims: Simulator[] = [];

  async function boot(compactBytes?: number): Promise<{ sim: Simulator; c: RawClient; storage: FileBackend }> {
    const storage = new FileBackend(dir, compactBytes ? { compactBytes } : {});
    await storage.open();
    const sim = new Simulator({ storage });
    sims.push(sim);
    const cluster = await sim.createCluster({ name: NAME });
    return { sim, c: await rawClient(cluster.endpoint, sim.caOf(NAME)!), storage };
  }
  const json = (body: unknown) => ({ contentType: 'application/json', body: JSON.stringify(body) });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fkas-file-store-'));
  });
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.close().catch(() => undefined)));
    await rm(dir, { recursive: true, force: true });
  });

  itBringsBackEveryAcknowledgedWrite(() => boot());

  it('serves restored custom resources (their CRD is registered again)', async () => {
    const first = await boot();
    const crd = { metadata: { name: 'widgets.example.com' }, spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] } };
    expect((await first.c.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', json(crd))).status).to.equal(201);
    expect((await first.c.request('POST', '/apis/example.com/v1/namespaces/default/widgets', json({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 3 } }))).status).to.equal(201);
    const second = await boot();
    const w = await second.c.request('GET', '/apis/example.com/v1/namespaces/default/widgets/w');
    expect(w.status, w.text).to.equal(200);
    expect(w.json<{ spec: unknown }>().spec).to.deep.equal({ size: 3 });
  });

  it('ignores a torn last line (a crash mid-write: that write was never acknowledged)', async () => {
    const first = await boot();
    expect((await first.c.request('POST', CM, json({ metadata: { name: 'whole' } }))).status).to.equal(201);
    const log = (await readdir(dir)).filter((f) => f.startsWith('wal-')).sort().at(-1)!;
    await appendFile(join(dir, log), '{"c":"default/durable","rv":9,"k":"/configm');
    const second = await boot();
    expect((await second.c.request('GET', `${CM}/whole`)).status).to.equal(200);
  });

  it('ends the log at a gap a crash left between two overlapping flushes: nothing after it was acknowledged', async () => {
    const first = await boot();
    expect((await first.c.request('POST', CM, json({ metadata: { name: 'before-gap' } }))).status).to.equal(201);
    const log = (await readdir(dir)).filter((f) => f.startsWith('wal-')).sort().at(-1)!;
    const after = '{"c":"default/durable","rv":1,"k":"/configmaps","d":"default/before-gap"}\n';
    await appendFile(join(dir, log), Buffer.concat([Buffer.alloc(64), Buffer.from(after)]));
    const second = await boot();
    expect((await second.c.request('GET', `${CM}/before-gap`)).status, 'the delete after the gap is not replayed').to.equal(200);
  });

  it('compacts the log into a snapshot and restores from snapshot plus log', async () => {
    const first = await boot();
    expect((await first.c.request('POST', CM, json({ metadata: { name: 'in-snapshot' } }))).status).to.equal(201);
    await first.sim.close(); // a clean stop, then a start: open() compacts the two segments
    const second = await boot();
    expect((await readdir(dir)).filter((f) => f.startsWith('snapshot')).length).to.equal(1);
    expect((await second.c.request('POST', CM, json({ metadata: { name: 'in-log' } }))).status).to.equal(201);
    const third = await boot();
    for (const name of ['in-snapshot', 'in-log']) expect((await third.c.request('GET', `${CM}/${name}`)).status, name).to.equal(200);
  });

  it('compacts while serving once the log passes its size limit, losing no write made meanwhile', async () => {
    const first = await boot(4096);
    const writes = await Promise.all(Array.from({ length: 60 }, (_, i) => first.c.request('POST', CM, json({ metadata: { name: `cm-${i}` }, data: { pad: 'x'.repeat(200) } }))));
    expect(writes.map((w) => w.status)).to.deep.equal(writes.map(() => 201));
    await first.sim.close(); // lets the compaction in progress finish
    expect((await readdir(dir)).filter((f) => f.startsWith('snapshot'))).to.deep.equal(['snapshot.jsonl']);
    const second = await boot();
    const names = (await second.c.request('GET', CM)).json<{ items: { metadata: { name: string } }[] }>().items.map((i) => i.metadata.name);
    expect(names.length).to.equal(60);
  });

  it('drops a forgotten cluster: it comes back empty', async () => {
    const first = await boot();
    expect((await first.c.request('POST', CM, json({ metadata: { name: 'gone' } }))).status).to.equal(201);
    await first.sim.forgetCluster(NAME);
    const second = await boot();
    expect((await second.c.request('GET', `${CM}/gone`)).status).to.equal(404);
  });

  it('keeps deleted default RBAC objects deleted after a crash and after compaction', async () => {
    const CRB = '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings';
    const first = await boot();
    expect((await first.c.request('DELETE', `${CRB}/system:basic-user`)).status).to.equal(200);
    const second = await boot(); // replays the log
    expect((await second.c.request('GET', `${CRB}/system:basic-user`)).status).to.equal(404);
    await second.sim.close(); // the next open compacts: the tombstone goes into the snapshot
    const third = await boot();
    expect((await third.c.request('GET', `${CRB}/system:basic-user`)).status).to.equal(404);
    expect((await third.c.request('GET', `${CRB}/system:discovery`)).status).to.equal(200);
  });

  it('--store accepts memory, file:<dir> and etcd:<urls>, and refuses anything else saying what it takes', () => {
    expect(storageFromFlag('memory').description).to.equal('memory');
    expect(storageFromFlag('file:/var/lib/fkas').description).to.equal('file:/var/lib/fkas');
    expect(() => storageFromFlag('sqlite:/tmp/x')).to.throw(/memory \| file:<dir> \| etcd:<url>/);
    expect(() => storageFromFlag('file:')).to.throw(/--store file:/);
  });
});
