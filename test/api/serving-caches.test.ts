import { expect } from 'chai';
import { Simulator } from '../../src/simulator/simulator.js';
import type { FakeCluster } from '../../src/simulator/cluster.js';
import { managerFromUserAgent } from '../../src/simulator/store/managed-fields.js';
import { jsonOf } from '../../src/simulator/store/object-store.js';
import { cloneObject, type KubeObject } from '../../src/simulator/store/object.js';
import { rawClient, type RawClient } from '../support/raw-client.js';

/**
 * What the serving path keeps from request to request (a list item's
 * bytes, the live managedFields a write does not copy, the manager of the
 * last User-Agent) never outlives the version or the request it belongs to.
 */
describe('what the fake API server reuses between requests follows every write', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let cluster: FakeCluster;
  let c: RawClient;
  const NODES = '/api/v1/nodes';
  const heartbeat = (message: string) => JSON.stringify({ status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message }] } });
  const patchStatus = (name: string, manager: string, message: string) =>
    c.request('PATCH', `${NODES}/${name}/status?fieldManager=${manager}`, { body: heartbeat(message), contentType: 'application/strategic-merge-patch+json' });
  const node = (name: string): KubeObject => cluster.resources.find(cluster.kind('', 'v1', 'nodes'), undefined, name)!;
  /** A NodeList as kube-apiserver writes it, from the stored objects: items without apiVersion and kind. */
  const expectedList = (): string => {
    const items = cluster.resources.store.list('/nodes').map(({ object }) => ({ ...object, apiVersion: undefined, kind: undefined }));
    return JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: String(cluster.resources.store.resourceVersion) }, items });
  };

  before(async () => {
    sim = new Simulator();
    cluster = await sim.createCluster({ name: 'serving-caches' });
    for (const name of ['node-a', 'node-b']) cluster.addNode({ name, providerID: `fake://serving-caches/${name}`, internalIP: '10.0.0.1' });
    c = await rawClient(cluster.endpoint, sim.caOf('serving-caches')!);
  });
  after(async () => sim.close());

  it('a Node list is its stored items byte for byte, and a write shows in the next list', async () => {
    const first = await c.request('GET', NODES);
    expect(first.status).to.equal(200);
    expect(first.text).to.equal(expectedList());
    expect((await c.request('GET', NODES)).text, 'the same list again, from the cached items').to.equal(first.text);

    expect((await patchStatus('node-a', 'heartbeat', 'after the first list')).status).to.equal(200);
    const second = await c.request('GET', NODES);
    expect(second.text).to.equal(expectedList());
    const items = second.json<{ items: KubeObject[] }>().items;
    const ready = (items[0]!.status as { conditions: { type: string; message: string }[] }).conditions.find((x) => x.type === 'Ready')!;
    expect(ready.message).to.equal('after the first list');
    expect(items[0]!.metadata.resourceVersion).to.equal(node('node-a').metadata.resourceVersion);
    const tail = (text: string): string => text.slice(text.indexOf('"name":"node-b"'));
    expect(tail(second.text), 'the unchanged node (the last item) as it was').to.equal(tail(first.text));
  });

  it('a status PATCH by another manager leaves the previous version as it was, and the new one records the change', async () => {
    expect((await patchStatus('node-b', 'alice', 'from alice')).status).to.equal(200);
    const previous = node('node-b');
    const snapshot = cloneObject(previous);
    const res = await patchStatus('node-b', 'bob', 'from bob');
    expect(res.status).to.equal(200);
    expect(previous, 'the previous version, kept by watch history').to.deep.equal(snapshot);
    const entries = res.json<KubeObject>().metadata.managedFields as { manager: string; fieldsV1: Record<string, unknown> }[];
    const managers = entries.map((e) => e.manager);
    // alice owned only the message bob changed: her entry is left empty, and dropped (as kube-apiserver drops it).
    expect(managers).to.include('bob').and.not.include('alice');
    expect(entries.find((e) => e.manager === 'bob')!.fieldsV1).to.deep.equal({ 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { 'f:message': {} } } } });
    expect(node('node-b').metadata.managedFields).to.deep.equal(entries);
  });
});

describe('a watched object\'s answer to its write', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let cluster: FakeCluster;
  let c: RawClient;
  before(async () => {
    sim = new Simulator();
    cluster = await sim.createCluster({ name: 'watched-writes' });
    cluster.addNode({ name: 'node-w', providerID: 'fake://watched-writes/node-w', internalIP: '10.0.0.1' });
    c = await rawClient(cluster.endpoint, sim.caOf('watched-writes')!);
  });
  after(async () => sim.close());

  it('is the JSON its watchers got for that version, and a dry run (no event) answers what it would store', async () => {
    const events: string[] = [];
    // As a watch serializes every event (store/watch.ts).
    const unsubscribe = cluster.resources.store.subscribe('/nodes', (e) => events.push(jsonOf(e.object)));
    const patch = (message: string, query = '') =>
      c.request('PATCH', `/api/v1/nodes/node-w/status?fieldManager=hb${query}`, { body: JSON.stringify({ status: { conditions: [{ type: 'Ready', status: 'True', message }] } }), contentType: 'application/strategic-merge-patch+json' });
    for (const message of ['one', 'two']) {
      const res = await patch(message);
      expect(res.status).to.equal(200);
      expect(res.text).to.equal(events.at(-1));
      expect(res.json<KubeObject>().metadata.resourceVersion).to.equal(cluster.resources.find(cluster.kind('', 'v1', 'nodes'), undefined, 'node-w')!.metadata.resourceVersion);
    }
    const dry = await patch('dry', '&dryRun=All');
    unsubscribe();
    expect(events).to.have.length(2);
    expect(JSON.stringify(dry.json<{ status: unknown }>().status)).to.include('"message":"dry"');
  });
});

describe('the field manager of a request without a fieldManager parameter', () => {
  it('follows the User-Agent of each request, also when a client alternates', () => {
    const agents = ['kubectl/v1.34.1 (linux/amd64) kubernetes/abc', 'cluster-api-controller-manager/v1.11.0', 'kubectl/v1.34.1 (linux/amd64) kubernetes/abc', undefined, 'kubectl/v1.34.1'];
    expect(agents.map(managerFromUserAgent)).to.deep.equal(['kubectl', 'cluster-api-controller-manager', 'kubectl', 'unknown', 'kubectl']);
  });
});

describe('a copy that keeps one container', () => {
  it('shares only that container with the original and copies every other', () => {
    const managedFields = [{ manager: 'kubelet', fieldsV1: { 'f:spec': {} } }];
    const original = { metadata: { name: 'n', labels: { a: '1' }, managedFields }, spec: { taints: [{ key: 'k' }] } };
    const copy = cloneObject(original, { kept: managedFields });
    expect(copy).to.deep.equal(original);
    expect(copy.metadata.managedFields).to.equal(managedFields);
    expect(copy.metadata).to.not.equal(original.metadata);
    expect(copy.metadata.labels).to.not.equal(original.metadata.labels);
    expect(copy.spec.taints[0]).to.not.equal(original.spec.taints[0]);
  });
});
