import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedManagementApi, type EmbeddedManagementApi } from '../../src/operator/embedded.js';
import { FkasOperator } from '../../src/operator/manager.js';
import { KubeClient } from '../../src/operator/kube/client.js';
import type { FakeAPIServer, FakeNode } from '../../src/operator/api/v1alpha1.js';
import { startShim, type RunningShim } from '../../src/shim/server.js';
import { componentLogger } from '../../src/telemetry/logger.js';

/** A real KubeClient that also records every call it makes (method and path), to count the shim's management-API calls. */
export class CountingKubeClient extends KubeClient {
  readonly calls: string[] = [];

  override request<T>(method: string, path: string, opts: { body?: unknown; contentType?: string; query?: Record<string, string> } = {}): Promise<T> {
    this.calls.push(`${method} ${path}`);
    return super.request<T>(method, path, opts);
  }

  /** Calls made while `work` ran. */
  async count(work: () => Promise<unknown>): Promise<string[]> {
    const from = this.calls.length;
    await work();
    return this.calls.slice(from);
  }
}

export interface ShimAnswer {
  readonly status: number;
  readonly json: Record<string, unknown>;
  readonly headers: http.IncomingHttpHeaders;
  readonly ms: number;
}

/**
 * The embedded management API, the operator on it, and the shim. With
 * `informers: 'operator'` the shim waits on the operator's informers (as
 * `fkas operator` runs it); with 'own' it runs its own watches (the shim alone).
 */
export interface ShimFixture {
  readonly client: KubeClient;
  /** The client the shim uses. */
  readonly shimClient: CountingKubeClient;
  readonly operator: FkasOperator;
  readonly shim: RunningShim;
  readonly agent: http.Agent;
  send(method: string, path: string, body?: unknown): Promise<ShimAnswer>;
  /** Every FakeAPIServer and FakeNode with what a write would change: generation, spec, labels. */
  snapshot(): Promise<Map<string, string>>;
  close(): Promise<void>;
}

export interface ShimFixtureOptions {
  readonly portRange: { min: number; max: number };
  readonly waitMs?: number;
  readonly informers: 'operator' | 'own';
  /** A real management API (the harness's kube-apiserver); without it, the embedded one. */
  readonly kubeconfigPath?: string;
}

/** How long close() waits for the operator to finalize what a test left in a real management API. */
const CLEANUP_TIMEOUT_MS = 60_000;
const FKAS_GROUP_VERSION = 'fkas.metal3.io/v1alpha1';

export async function startShimFixture(opts: ShimFixtureOptions): Promise<ShimFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'fkas-shim-'));
  const management: EmbeddedManagementApi | undefined = opts.kubeconfigPath ? undefined : await startEmbeddedManagementApi({ port: 0, kubeconfigPath: join(dir, 'management.kubeconfig') });
  const kubeconfigPath = opts.kubeconfigPath ?? management!.kubeconfigPath;
  const operator = new FkasOperator({
    kubeconfigPath,
    bindHost: '127.0.0.1',
    advertiseHost: '127.0.0.1',
    portRange: opts.portRange,
    probePort: 0,
    probeHost: '127.0.0.1',
    installCrds: true,
    resyncMs: 60_000,
  });
  await operator.start();
  const client = KubeClient.fromFile(kubeconfigPath);
  const shimClient = new CountingKubeClient(client.kubeConfig, 'metal3-fkas-shim');
  const informers = opts.informers === 'operator' ? operator.context : undefined;
  const shim = await startShim({ client: shimClient, log: componentLogger('shim'), host: '127.0.0.1', port: 0, ...(opts.waitMs ? { waitMs: opts.waitMs } : {}), ...(informers ? { informers } : {}) });
  // No socket limit: 100 requests in flight must reach the shim at once, not queue in the test's own agent.
  const agent = new http.Agent({ keepAlive: true });
  const snapshotOf = async (plural: string): Promise<[string, string][]> => {
    const list = await client.list<FakeAPIServer | FakeNode>({ apiVersion: FKAS_GROUP_VERSION, plural });
    return list.items.map((o) => [`${plural}/${o.metadata.namespace}/${o.metadata.name}`, JSON.stringify([o.metadata.generation, o.spec, o.metadata.labels ?? {}])]);
  };
  return {
    client,
    shimClient,
    operator,
    shim,
    agent,
    send: (method, path, body) => send(agent, shim.port, method, path, body),
    snapshot: async () => new Map([...(await snapshotOf('fakeapiservers')), ...(await snapshotOf('fakenodes'))]),
    async close() {
      agent.destroy();
      await shim.close();
      // A real management API outlives the fixture: the operator finalizes what the tests made before it stops.
      if (!management) await deleteAll(client);
      await operator.shutdown();
      shimClient.close();
      client.close();
      await management?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function deleteAll(client: KubeClient): Promise<void> {
  for (const plural of ['fakenodes', 'fakeapiservers']) {
    const list = await client.list<FakeNode | FakeAPIServer>({ apiVersion: FKAS_GROUP_VERSION, plural });
    await Promise.all(list.items.map((o) => client.delete({ apiVersion: FKAS_GROUP_VERSION, plural, namespace: o.metadata.namespace, name: o.metadata.name }).catch(() => undefined)));
  }
  const deadline = Date.now() + CLEANUP_TIMEOUT_MS;
  for (;;) {
    const left = (await client.list({ apiVersion: FKAS_GROUP_VERSION, plural: 'fakenodes' })).items.length + (await client.list({ apiVersion: FKAS_GROUP_VERSION, plural: 'fakeapiservers' })).items.length;
    if (left === 0) return;
    if (Date.now() > deadline) throw new Error(`${left} FakeNodes/FakeAPIServers still there ${CLEANUP_TIMEOUT_MS} ms after deleting them: the operator did not finalize them`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One request with node:http (fetch refuses TRACE and CONNECT); a string body is sent as it is, anything else as JSON. */
export function send(agent: http.Agent, port: number, method: string, path: string, body?: unknown): Promise<ShimAnswer> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers: payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let json: Record<string, unknown>;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = { unparsable: text };
        }
        resolve({ status: res.statusCode ?? 0, json, headers: res.headers, ms: Date.now() - started });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Runs `work` over the items with at most `limit` at a time. */
export async function inPool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!);
      }
    }),
  );
  return out;
}

export const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
