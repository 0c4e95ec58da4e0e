import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedManagementApi, type EmbeddedManagementApi } from '../../src/operator/embedded.js';
import { KubeApiError, KubeClient, TRANSPORT_REQUEST_CHANNEL } from '../../src/operator/kube/client.js';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

type ConfigMap = { metadata: { name: string; namespace: string; uid?: string; resourceVersion?: string; creationTimestamp?: string; managedFields?: unknown[] }; data?: Record<string, string> };

/**
 * The operator calls its embedded management API in-process (`npm start`):
 * every answer must be the one the same call gets over HTTPS with the
 * kubeconfig, watches included, and nothing of the caller may run inside
 * the server's write.
 */
describe('in-process calls to the embedded management API', function () {
  this.timeout(30_000);
  let api: EmbeddedManagementApi;
  let dir: string;
  let https: KubeClient;
  let loopback: KubeClient;
  const cms = (name?: string) => ({ apiVersion: 'v1', plural: 'configmaps', namespace: 'default', ...(name ? { name } : {}) });
  const cm = (name: string, data: Record<string, string> = { a: '1' }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data });
  /** What differs between two creates of the same object, whoever sends them. */
  const comparable = (o: ConfigMap) => ({ ...o, metadata: { ...o.metadata, uid: undefined, resourceVersion: undefined, creationTimestamp: undefined, managedFields: (o.metadata.managedFields as { time?: string }[] | undefined)?.map((m) => ({ ...m, time: undefined })) } });
  const failure = async (p: Promise<unknown>): Promise<KubeApiError> => {
    try {
      await p;
    } catch (err) {
      return err as KubeApiError;
    }
    throw new Error('the call succeeded');
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fkas-loopback-'));
    api = await startEmbeddedManagementApi({ port: 0, kubeconfigPath: join(dir, 'management.kubeconfig') });
    https = KubeClient.fromFile(api.kubeconfigPath);
    loopback = new KubeClient(https.kubeConfig, undefined, api.transport);
  });
  after(async () => {
    https?.close();
    await api?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers a create, get, merge patch and list as the same calls over HTTPS answer them', async () => {
    const viaHttps = await https.create<ConfigMap>(cms(), cm('over-https'));
    const viaLoopback = await loopback.create<ConfigMap>(cms(), cm('over-loopback'));
    expect(comparable(viaLoopback)).to.deep.equal({ ...comparable(viaHttps), metadata: { ...comparable(viaHttps).metadata, name: 'over-loopback' } });
    expect(await loopback.get(cms('over-https'))).to.deep.equal(await https.get(cms('over-https')));
    const patched = await loopback.patch<ConfigMap>(cms('over-loopback'), 'merge', { data: { b: '2' } });
    expect(patched.data).to.deep.equal({ a: '1', b: '2' });
    expect((await https.get<ConfigMap>(cms('over-loopback'))).metadata.resourceVersion).to.equal(patched.metadata.resourceVersion);
    const names = (l: { items: ConfigMap[] }) => l.items.map((i) => i.metadata.name).sort();
    expect(names(await loopback.list<ConfigMap>(cms()))).to.deep.equal(names(await https.list<ConfigMap>(cms())));
  });

  it('fails with the same Status and code as HTTPS: 404 for a missing object, 409 for a second create, 422 for an invalid one', async () => {
    for (const call of [
      (c: KubeClient) => c.get(cms('missing')),
      (c: KubeClient) => c.create(cms(), cm('over-https')),
      (c: KubeClient) => c.create(cms(), { ...cm('Not_A_Name') }),
    ]) {
      const [a, b] = [await failure(call(loopback)), await failure(call(https))];
      expect(a).to.be.instanceOf(KubeApiError);
      expect({ code: a.code, reason: a.reason, body: a.body }).to.deep.equal({ code: b.code, reason: b.reason, body: b.body });
    }
  });

  it('acts as the kubeconfig user: a SelfSubjectReview names kubernetes-admin in system:masters', async () => {
    const review = await loopback.create<{ status: { userInfo: { username: string; groups: string[] } } }>(
      { apiVersion: 'authentication.k8s.io/v1', plural: 'selfsubjectreviews' },
      { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    );
    expect(review.status.userInfo.username).to.equal('kubernetes-admin');
    expect(review.status.userInfo.groups).to.include('system:masters');
  });

  it('streams watch events in order, runs handlers after the server write that sent them (never on its stack), lets them write back, and stops on abort', async () => {
    const seen: string[] = [];
    const stacks: string[] = [];
    let ended = false;
    const list = await loopback.list<ConfigMap>(cms());
    const echoed = new Promise<void>((resolve) => {
      const handle = loopback.watch(
        '/api/v1/namespaces/default/configmaps',
        { resourceVersion: list.metadata.resourceVersion },
        (type, object) => {
          const name = (object as ConfigMap).metadata.name;
          seen.push(`${type} ${name}`);
          stacks.push(new Error('where the handler runs').stack ?? '');
          // A handler that writes from inside the event: the server's write that sent it has finished.
          if (name === 'w-1') void loopback.create(cms(), cm('w-1-echo'));
          if (name === 'w-1-echo') {
            handle.abort();
            resolve();
          }
        },
        () => (ended = true),
      );
    });
    await loopback.create(cms(), cm('w-0'));
    await loopback.create(cms(), cm('w-1'));
    await echoed;
    expect(seen).to.deep.equal(['ADDED w-0', 'ADDED w-1', 'ADDED w-1-echo']);
    // Delivered after the request handler's synchronous work, as from a socket: never on its stack.
    for (const stack of stacks) expect(stack).to.not.include('handleApiRequest');
    expect(ended).to.equal(true);
    await loopback.create(cms(), cm('w-after-abort'));
    await new Promise((r) => setImmediate(r));
    expect(seen).to.have.length(3);
  });

  it('ends a watch the server closes (timeoutSeconds) without an error, and reports a refused watch as its Status', async () => {
    const done = await new Promise<Error | undefined>((resolve) => loopback.watch('/api/v1/namespaces/default/configmaps', { timeoutSeconds: '1' }, () => undefined, resolve));
    expect(done).to.equal(undefined);
    const refused = await new Promise<Error | undefined>((resolve) => loopback.watch('/api/v1/namespaces/default/nosuchthings', {}, () => undefined, resolve));
    expect(refused).to.be.instanceOf(KubeApiError);
    expect((refused as KubeApiError).code).to.equal(404);
  });

  it('publishes every in-process call on its diagnostics channel, as node:http publishes its requests', async () => {
    const calls: string[] = [];
    const listener = (m: unknown): void => void calls.push(`${(m as { method: string }).method} ${(m as { path: string }).path}`);
    subscribe(TRANSPORT_REQUEST_CHANNEL, listener);
    try {
      await loopback.get(cms('over-https'));
    } finally {
      unsubscribe(TRANSPORT_REQUEST_CHANNEL, listener);
    }
    expect(calls).to.deep.equal(['GET /api/v1/namespaces/default/configmaps/over-https']);
  });
});
