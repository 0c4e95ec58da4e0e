import { expect } from 'chai';
import type { RawClient } from './raw-client.js';

/**
 * The crash spec every durable store passes (`--store file:`, `etcd:`):
 * `boot()` opens a new simulator on the same storage while the one before
 * is abandoned without close(), so nothing is flushed at exit.
 */

const CM = '/api/v1/namespaces/default/configmaps';
const json = (body: unknown) => ({ contentType: 'application/json', body: JSON.stringify(body) });
type Obj = { metadata: { uid: string; resourceVersion: string; creationTimestamp: string; annotations?: Record<string, string> }; data?: Record<string, string> };
type NamespaceList = { items: Obj[]; metadata: { resourceVersion: string } };

export function itBringsBackEveryAcknowledgedWrite(boot: () => Promise<{ c: RawClient }>): void {
  it('brings back every acknowledged write after a crash, with UID, creationTimestamp and resourceVersion', async () => {
    const first = await boot();
    expect((await first.c.request('POST', CM, json({ metadata: { name: 'kept' }, data: { a: '1' } }))).status).to.equal(201);
    expect((await first.c.request('POST', CM, json({ metadata: { name: 'deleted' } }))).status).to.equal(201);
    const patched = await first.c.request('PATCH', `${CM}/kept`, { contentType: 'application/merge-patch+json', body: JSON.stringify({ metadata: { annotations: { edited: 'yes' } }, data: { a: '2' } }) });
    expect(patched.status).to.equal(200);
    expect((await first.c.request('DELETE', `${CM}/deleted`)).status).to.equal(200);
    const before = patched.json<Obj>();
    const namespaces = (await first.c.request('GET', '/api/v1/namespaces')).json<NamespaceList>();

    const second = await boot(); // the first is never closed
    const after = (await second.c.request('GET', `${CM}/kept`)).json<Obj>();
    expect(after).to.deep.equal(before);
    expect((await second.c.request('GET', `${CM}/deleted`)).status).to.equal(404);
    const nsAfter = (await second.c.request('GET', '/api/v1/namespaces')).json<NamespaceList>();
    expect(nsAfter.items.map((n) => n.metadata.uid)).to.deep.equal(namespaces.items.map((n) => n.metadata.uid), 'namespaces restored, not created anew');
    expect(Number(nsAfter.metadata.resourceVersion)).to.be.greaterThan(Number(namespaces.metadata.resourceVersion));
    const next = await second.c.request('POST', CM, json({ metadata: { name: 'later' } }));
    expect(Number(next.json<Obj>().metadata.resourceVersion)).to.be.greaterThan(Number(before.metadata.resourceVersion));
  });
}
