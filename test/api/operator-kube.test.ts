import { expect } from 'chai';
import net from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../src/operator/kube/client.js';
import { Informer, type KubeObjectLike } from '../../src/operator/kube/informer.js';
import { addFinalizer, patchStatus, removeFinalizer } from '../../src/operator/kube/objects.js';
import { componentLogger } from '../../src/telemetry/logger.js';
import { startFakeCluster, type FakeClusterFixture } from '../support/fake-cluster.js';
import { eventually } from '../support/operator-fixture.js';

const log = componentLogger('test');
const cms = { apiVersion: 'v1', plural: 'configmaps', namespace: 'default' };

/**
 * The operator's Kubernetes plumbing, where @dot-i/k8s-operator goes wrong:
 * it exits the process on watch errors, loses deletions that happen while no
 * watch is open, and rewrites whole finalizer lists and stale statuses.
 */
describe('operator plumbing against a live API server', function () {
  this.timeout(30_000);
  let f: FakeClusterFixture;
  let client: KubeClient;
  beforeEach(async () => {
    f = await startFakeCluster({ name: 'plumbing' });
    client = KubeClient.fromFile(f.kubeconfigPath);
  });
  afterEach(async () => {
    client.close();
    await f.close();
  });

  function recordingInformer(resource = cms): { informer: Informer; events: string[] } {
    const events: string[] = [];
    const informer = new Informer(client, { resource, log, onEvent: (type, o: KubeObjectLike) => events.push(`${type} ${o.metadata.name}`) });
    return { informer, events };
  }

  it('keeps one TLS connection for many calls instead of a handshake per call', async () => {
    // A TCP relay in front of the API server counts the connections the client opens.
    let connections = 0;
    const relay = net.createServer((socket) => {
      connections++;
      const upstream = net.connect(f.cluster.port, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const kc = new KubeConfig();
    kc.loadFromFile(f.kubeconfigPath);
    const port = (relay.address() as net.AddressInfo).port;
    kc.clusters = kc.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${port}` }));
    const relayed = new KubeClient(kc);
    try {
      for (let i = 0; i < 20; i++) await relayed.create(cms, { metadata: { name: `conn-${i}` } });
      await relayed.list(cms);
      expect(connections).to.equal(1);
    } finally {
      relayed.close();
      relay.close();
    }
  });

  it('lists, then watches adds, updates and deletes', async () => {
    await client.create(cms, { metadata: { name: 'pre' } });
    const { informer, events } = recordingInformer();
    informer.start();
    await informer.synced;
    await client.create(cms, { metadata: { name: 'a' } });
    await client.patch({ ...cms, name: 'a' }, 'merge', { data: { k: 'v' } });
    await client.delete({ ...cms, name: 'a' });
    await eventually(async () => events.length === 4, 'four events');
    expect(events).to.deep.equal(['ADDED pre', 'ADDED a', 'MODIFIED a', 'DELETED a']);
    informer.stop();
  });

  it('reports a deletion that happened while its watch was down (resumed from its resourceVersion)', async () => {
    await client.create(cms, { metadata: { name: 'victim' } });
    const { informer, events } = recordingInformer();
    informer.start();
    await informer.synced;
    f.cluster.dropConnections();
    await client.delete({ ...cms, name: 'victim' });
    await eventually(async () => events.includes('DELETED victim'), 'deletion seen');
    expect(informer.get('default/victim')).to.equal(undefined);
    informer.stop();
  });

  it('relists after 410 Gone and still reports what was deleted in the gap', async () => {
    await client.create(cms, { metadata: { name: 'victim' } });
    const { informer, events } = recordingInformer();
    informer.start();
    await informer.synced;
    // Make the watch fail to resume: drop it, then push its resourceVersion out of the history.
    f.cluster.dropConnections();
    await client.delete({ ...cms, name: 'victim' });
    const kind = f.cluster.kind('', 'v1', 'configmaps');
    for (let i = 0; i < 1200; i++) f.cluster.resources.create(kind, 'default', { metadata: { name: `noise-${i}` } });
    await eventually(async () => events.includes('DELETED victim') && informer.list().length === 1200, 'relisted state', 20_000);
    informer.stop();
  });

  it('keeps retrying, without exiting, while the watched kind does not exist, and syncs once its CRD appears', async () => {
    const widgets = { apiVersion: 'example.com/v1', plural: 'widgets', namespace: 'default' };
    const { informer, events } = recordingInformer(widgets);
    informer.start();
    await new Promise((r) => setTimeout(r, 600)); // a few 404s and retries
    await client.create({ apiVersion: 'apiextensions.k8s.io/v1', plural: 'customresourcedefinitions' }, {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' },
      spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' }, versions: [{ name: 'v1', served: true, storage: true }] },
    });
    await client.create(widgets, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } });
    await informer.synced;
    await eventually(async () => events.includes('ADDED w'), 'widget seen', 20_000);
    informer.stop();
  });

  it('adds and removes its finalizer without touching other finalizers', async () => {
    const obj = await client.create<{ metadata: { name: string; finalizers?: string[]; resourceVersion: string } }>(cms, { metadata: { name: 'f', finalizers: ['other.io/a'] } });
    await addFinalizer(client, { ...cms, name: 'f' }, obj, 'fkas.metal3.io/test');
    // Another controller adds one after we read the object.
    await client.patch({ ...cms, name: 'f' }, 'json', [{ op: 'add', path: '/metadata/finalizers/-', value: 'other.io/b' }]);
    const current = await client.get<{ metadata: { name: string; finalizers: string[] } }>({ ...cms, name: 'f' });
    await removeFinalizer(client, { ...cms, name: 'f' }, current, 'fkas.metal3.io/test');
    const after = await client.get<{ metadata: { finalizers: string[] } }>({ ...cms, name: 'f' });
    expect(after.metadata.finalizers).to.deep.equal(['other.io/a', 'other.io/b']);
  });

  it('refuses to add a finalizer on top of a list that changed since it was read (409/422), instead of overwriting it', async () => {
    const obj = await client.create<{ metadata: { name: string; finalizers?: string[]; resourceVersion: string } }>(cms, { metadata: { name: 'g', finalizers: ['other.io/a'] } });
    await client.patch({ ...cms, name: 'g' }, 'json', [{ op: 'add', path: '/metadata/finalizers/-', value: 'other.io/b' }]);
    let failed = false;
    try {
      await addFinalizer(client, { ...cms, name: 'g' }, obj, 'fkas.metal3.io/test');
    } catch {
      failed = true;
    }
    expect(failed).to.equal(true);
    const after = await client.get<{ metadata: { finalizers: string[] } }>({ ...cms, name: 'g' });
    expect(after.metadata.finalizers).to.deep.equal(['other.io/a', 'other.io/b']);
  });

  it('writes status from a stale copy without a conflict and without touching the rest of the object', async () => {
    await client.create({ apiVersion: 'apps/v1', plural: 'deployments', namespace: 'default' }, { metadata: { name: 'd' }, spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } });
    const path = { apiVersion: 'apps/v1', plural: 'deployments', namespace: 'default', name: 'd' };
    await client.patch(path, 'merge', { spec: { replicas: 5 } }); // our copy is now stale
    await patchStatus(client, path, { replicas: 1, readyReplicas: 1 });
    const d = await client.get<{ spec: { replicas: number }; status: { readyReplicas: number } }>(path);
    expect([d.spec.replicas, d.status.readyReplicas]).to.deep.equal([5, 1]);
  });
});
