import { expect } from 'chai';
import { Simulator } from '../../src/simulator/simulator.js';
import type { FakeCluster } from '../../src/simulator/cluster.js';
import { ObjectStore } from '../../src/simulator/store/object-store.js';
import { RESOURCE_VERSIONS_PER_MS, TOO_LARGE_RESOURCE_VERSION_WAIT_MS, epochResourceVersion } from '../../src/simulator/store/resource-version.js';
import { rawClient, type RawClient } from '../support/raw-client.js';

/**
 * resourceVersion semantics clients rely on to notice a restart: versions
 * never go backwards, a version the server no longer holds is 410 Expired,
 * and one from the future waits, then 504 ResourceVersionTooLarge. A
 * "restart" here is a fresh simulator after the first one closed, as the
 * operator process builds its clusters anew. Expected bodies are what
 * kube-apiserver v1.34 (the harness's) answered to the same requests.
 */
describe('resourceVersions across restarts', function () {
  this.timeout(30_000);
  const CM = '/api/v1/namespaces/default/configmaps';
  const NAME = 'rv-spec';
  let sim: Simulator;
  let cluster: FakeCluster;
  let c: RawClient;
  /** What a client remembered from the cluster before the restart. */
  let old: { listRv: string; continueToken: string; objectRv: string };

  async function startCluster(): Promise<void> {
    sim = new Simulator();
    cluster = await sim.createCluster({ name: NAME });
    c = await rawClient(cluster.endpoint, sim.caOf(NAME)!);
  }
  const create = (name: string) => c.request('POST', CM, { contentType: 'application/json', body: JSON.stringify({ metadata: { name } }) });

  before(async () => {
    await startCluster();
    for (const name of ['a', 'b', 'c']) expect((await create(name)).status).to.equal(201);
    const page = (await c.request('GET', `${CM}?limit=1`)).json<{ metadata: { resourceVersion: string; continue: string } }>();
    const obj = (await c.request('GET', `${CM}/a`)).json<{ metadata: { resourceVersion: string } }>();
    old = { listRv: page.metadata.resourceVersion, continueToken: page.metadata.continue, objectRv: obj.metadata.resourceVersion };
    await sim.close();
    await startCluster();
  });
  after(async () => sim.close());

  it('are decimal integers that fit a JS safe integer (and so a uint64)', () => {
    expect(old.listRv).to.match(/^[1-9][0-9]*$/);
    expect(Number.isSafeInteger(Number(old.listRv))).to.equal(true);
  });

  it('start after a restart above every version handed out before it', async () => {
    const res = await create('after');
    expect(res.status).to.equal(201);
    expect(Number(res.json<{ metadata: { resourceVersion: string } }>().metadata.resourceVersion)).to.be.greaterThan(Number(old.listRv));
    expect(cluster.resources.store.oldestResumableVersion).to.be.greaterThan(Number(old.listRv));
  });

  it('start from the wall clock, so a million writes a second for the store\'s whole life stay below the next start', () => {
    const t = Date.UTC(2026, 10, 25);
    const first = new ObjectStore(epochResourceVersion(t));
    for (let i = 0; i < RESOURCE_VERSIONS_PER_MS * 10 - 1; i++) first.nextResourceVersion();
    const restarted = new ObjectStore(epochResourceVersion(t + 10));
    expect(restarted.resourceVersion).to.be.greaterThan(first.resourceVersion);
  });

  it('a watch resumed from a version before the restart gets 410 Expired as an ERROR event, so the client relists', async () => {
    const res = await c.request('GET', `${CM}?watch=1&resourceVersion=${old.listRv}&timeoutSeconds=2`);
    expect(res.status).to.equal(200);
    const event = JSON.parse(res.text.trim().split('\n')[0]!) as { type: string; object: Record<string, unknown> };
    expect(event.type).to.equal('ERROR');
    expect(event.object).to.deep.equal({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `too old resource version: ${old.listRv} (${cluster.resources.store.oldestResumableVersion})`,
      reason: 'Expired',
      code: 410,
    });
  });

  it('an Exact list of a version before the restart is 410 Expired, as a compacted etcd revision', async () => {
    const res = await c.request('GET', `${CM}?resourceVersion=${old.listRv}&resourceVersionMatch=Exact`);
    expect(res.status).to.equal(410);
    expect(res.json()).to.deep.equal({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'The resourceVersion for the provided list is too old.', reason: 'Expired', code: 410 });
  });

  it('a NotOlderThan list or a GET at a version before the restart is served from the current state', async () => {
    const list = await c.request('GET', `${CM}?resourceVersion=${old.listRv}&resourceVersionMatch=NotOlderThan`);
    expect(list.status).to.equal(200);
    expect(Number(list.json<{ metadata: { resourceVersion: string } }>().metadata.resourceVersion)).to.equal(cluster.resources.store.resourceVersion);
    expect((await c.request('GET', `${CM}/after?resourceVersion=${old.objectRv}`)).status).to.equal(200);
  });

  it('a continue token from before the restart is 410 Expired with a token that goes on from now', async () => {
    const res = await c.request('GET', `${CM}?limit=1&continue=${old.continueToken}`);
    expect(res.status).to.equal(410);
    const status = res.json<{ reason: string; message: string; metadata: { continue?: string } }>();
    expect(status.reason).to.equal('Expired');
    expect(status.message).to.match(/^The provided continue parameter is too old to display a consistent list result\. You can start a new list without the continue parameter, or use the continue token in this response/);
    expect(status.metadata.continue).to.be.a('string');
    const next = await c.request('GET', `${CM}?limit=10&continue=${status.metadata.continue!}`);
    expect(next.status).to.equal(200);
    const names = next.json<{ items: { metadata: { name: string } }[] }>().items.map((i) => i.metadata.name);
    expect(names).to.deep.equal(['after'], 'the new state after the first page\'s last key (a), not the old objects');
  });

  describe('a version from the future', () => {
    const future = (): number => cluster.resources.store.resourceVersion + 1_000;
    const tooLarge = (wanted: number) => ({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `Timeout: Too large resource version: ${wanted}, current: ${cluster.resources.store.resourceVersion}`,
      reason: 'Timeout',
      details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
      code: 504,
    });
    for (const [what, query] of [
      ['a list', ''],
      ['a NotOlderThan list', '&resourceVersionMatch=NotOlderThan'],
      ['an Exact list', '&resourceVersionMatch=Exact'],
    ] as const) {
      it(`${what}: waits ${TOO_LARGE_RESOURCE_VERSION_WAIT_MS / 1000} s, then 504 with cause ResourceVersionTooLarge`, async () => {
        const wanted = future();
        const t0 = Date.now();
        const res = await c.request('GET', `${CM}?resourceVersion=${wanted}${query}`);
        expect(Date.now() - t0).to.be.at.least(TOO_LARGE_RESOURCE_VERSION_WAIT_MS - 50);
        expect(res.status).to.equal(504);
        expect(res.json()).to.deep.equal(tooLarge(wanted));
      });
    }

    it('a GET: the same 504', async () => {
      const wanted = future();
      const res = await c.request('GET', `${CM}/after?resourceVersion=${wanted}`);
      expect(res.status).to.equal(504);
      expect(res.json()).to.deep.equal(tooLarge(wanted));
    });

    it('a list answers as soon as a write brings the store to that version (no polling, no full wait)', async () => {
      const wanted = cluster.resources.store.resourceVersion + 1;
      const t0 = Date.now();
      const listing = c.request('GET', `${CM}?resourceVersion=${wanted}`);
      setTimeout(() => void create('arrives'), 200);
      const res = await listing;
      expect(res.status).to.equal(200);
      expect(Date.now() - t0).to.be.below(TOO_LARGE_RESOURCE_VERSION_WAIT_MS);
      expect(res.json<{ items: { metadata: { name: string } }[] }>().items.map((i) => i.metadata.name)).to.include('arrives');
    });

    it('a watch stays open and silent until the store passes that version, as kube-apiserver\'s does', async () => {
      const from = cluster.resources.store.resourceVersion + 1;
      const watching = c.request('GET', `${CM}?watch=1&resourceVersion=${from}&timeoutSeconds=2`);
      setTimeout(() => {
        void create('skipped').then(() => create('seen'));
      }, 200);
      const res = await watching;
      expect(res.status).to.equal(200);
      const names = res.text.trim().split('\n').map((l) => (JSON.parse(l) as { object: { metadata: { name: string } } }).object.metadata.name);
      expect(names).to.deep.equal(['seen'], 'the write at exactly that version is not after it');
    });

    it('leaves no version waiter behind once requests are answered', () => {
      expect((cluster.resources.store as unknown as { waiters?: unknown[] }).waiters).to.equal(undefined);
    });
  });

  it('an unparsable resourceVersion is 400 with kube-apiserver\'s message, for a list and a watch', async () => {
    for (const path of [`${CM}?resourceVersion=abc`, `${CM}?watch=1&resourceVersion=abc`]) {
      const res = await c.request('GET', path);
      expect(res.status).to.equal(400);
      expect(res.json<{ message: string }>().message).to.equal('invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax');
    }
    const huge = await c.request('GET', `${CM}?resourceVersion=99999999999999999999999`);
    expect(huge.status).to.equal(400);
    expect(huge.json<{ message: string }>().message).to.match(/value out of range$/);
  });
});
