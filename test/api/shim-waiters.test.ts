import { expect } from 'chai';
import { KubeClient } from '../../src/operator/kube/client.js';
import { Informer, type KubeObjectLike } from '../../src/operator/kube/informer.js';
import { Waiters, type Verdict } from '../../src/shim/waiters.js';
import { componentLogger } from '../../src/telemetry/logger.js';
import { startFakeCluster, type FakeClusterFixture } from '../support/fake-cluster.js';
import { eventually } from '../support/operator-fixture.js';

const log = componentLogger('test');
const cms = { apiVersion: 'v1', plural: 'configmaps', namespace: 'default' };
type ConfigMap = KubeObjectLike & { data?: Record<string, string> };
/** Done once the ConfigMap says ready=yes; failed when it says ready=never. */
const readyCheck = (o: ConfigMap | undefined): Verdict<string> =>
  o?.data?.ready === 'yes' ? { done: o.metadata.name } : o?.data?.ready === 'never' ? { fail: new Error(`${o.metadata.name} will never be ready`) } : undefined;

/** The informer's listener API and the shim's waiter registry on it, against a live API server. */
describe('informer listeners and the shim waiters on them', function () {
  this.timeout(30_000);
  let f: FakeClusterFixture;
  let client: KubeClient;
  let informer: Informer<ConfigMap>;
  const ownerEvents: string[] = [];

  beforeEach(async () => {
    f = await startFakeCluster({ name: 'waiters' });
    client = KubeClient.fromFile(f.kubeconfigPath);
    await client.create(cms, { metadata: { name: 'early' }, data: { ready: 'yes' } });
    informer = new Informer<ConfigMap>(client, { resource: cms, log, onEvent: (type, o) => ownerEvents.push(`${type} ${o.metadata.name}`) });
    informer.start();
    await informer.synced;
  });
  afterEach(async () => {
    informer.stop();
    client.close();
    await f.close();
  });

  it('gives subscribed listeners every later event, next to the owner onEvent, until they unsubscribe', async () => {
    const seen: string[] = [];
    const unsubscribe = informer.subscribe((type, o) => seen.push(`${type} ${o.metadata.name} ${informer.get(`default/${o.metadata.name}`) ? 'cached' : 'gone'}`));
    await client.create(cms, { metadata: { name: 'one' } });
    await eventually(async () => seen.length === 1, 'the ADDED event');
    unsubscribe();
    await client.create(cms, { metadata: { name: 'two' } });
    await eventually(async () => ownerEvents.includes('ADDED two'), 'the owner sees two');
    expect(seen).to.deep.equal(['ADDED one cached']);
  });

  it('keeps delivering to other listeners when one throws', async () => {
    const seen: string[] = [];
    const unsubscribeBad = informer.subscribe(() => {
      throw new Error('listener bug');
    });
    const unsubscribe = informer.subscribe((type, o) => seen.push(`${type} ${o.metadata.name}`));
    await client.create(cms, { metadata: { name: 'three' } });
    await eventually(async () => seen.includes('ADDED three'), 'the good listener sees three');
    unsubscribeBad();
    unsubscribe();
  });

  it('answers from the cache at once, wakes a waiter on the event that satisfies it, and forgets answered waiters', async () => {
    const waiters = new Waiters(informer);
    expect(await waiters.wait('default/early', readyCheck).result).to.equal('early');
    expect(waiters.size).to.equal(0);
    const later = waiters.wait('default/later', readyCheck);
    expect(waiters.size).to.equal(1);
    await client.create(cms, { metadata: { name: 'later' }, data: { ready: 'no' } });
    await eventually(async () => informer.get('default/later'), 'later cached');
    expect(waiters.size, 'an event that does not satisfy it leaves it waiting').to.equal(1);
    await client.patch({ ...cms, name: 'later' }, 'merge', { data: { ready: 'yes' } });
    expect(await later.result).to.equal('later');
    expect(waiters.size).to.equal(0);
    waiters.close(new Error('closed'));
  });

  it('fails a waiter when its check says so, removes a cancelled one, and fails the rest on close', async () => {
    const waiters = new Waiters(informer);
    const doomed = waiters.wait('default/doomed', readyCheck);
    const cancelled = waiters.wait('default/cancelled', readyCheck);
    const open = waiters.wait('default/open', readyCheck);
    cancelled.cancel();
    expect(waiters.size).to.equal(2);
    await client.create(cms, { metadata: { name: 'doomed' }, data: { ready: 'never' } });
    const failure = await doomed.result.then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    expect(failure).to.equal('doomed will never be ready');
    waiters.close(new Error('shim closing'));
    expect(await open.result.catch((e: Error) => e.message)).to.equal('shim closing');
    expect(waiters.size).to.equal(0);
  });
});
