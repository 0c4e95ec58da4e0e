import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../../../src/operator/kube/client.js';
import { DEFAULT_SHARD_LEASE_DURATION_MS } from '../../../src/operator/sharding/membership.js';
import { KEEP_DIRS, freePort, logTail, startControlPlane, waitUntil, type ControlPlane } from '../../harness/control-plane.js';
import { startEtcd, type TestEtcd } from '../../harness/etcd.js';
import type { ManagedProcess } from '../../harness/processes.js';
import { REPO_ROOT } from '../../harness/tools.js';
import { eventually } from '../../support/operator-fixture.js';
import { startOperatorProcess } from '../../support/operator-process.js';
import { adminTls, clusterRequest, readShardState, type ClusterAccess } from '../../support/sharded-clusters.js';

const NAMESPACE = 'default';
const REPLICAS = 3;
const CLUSTERS = 100;
const NODES_PER_CLUSTER = 3;
/** Each replica must get a fair share: rendezvous hashing of 100 keys over 3 members. */
const MIN_SHARE = 20;
/** The promise of --sharding: a dead replica's clusters are served again within this. */
const FAILOVER_MS = 15_000;
/** How long a member Lease lasts unrenewed (DEFAULT_SHARD_LEASE_DURATION_MS): a graceful stop must not wait for it. */
const MEMBER_LEASE_MS = DEFAULT_SHARD_LEASE_DURATION_MS;
const READY_MS = 120_000;
const PORT_RANGE = '31600-31799';
/** Requests in flight at once when the spec reads 100 clusters. */
const PARALLEL = 16;
/** How long the spec watches settled replicas for management-API calls other than Lease renewals. */
const IDLE_WINDOW_MS = 5_000;
/** What CAPI and kubeadm read and write in a workload cluster, and what the operator seeds. */
const RESOURCES = ['/api/v1/namespaces', '/api/v1/nodes', '/api/v1/configmaps', '/api/v1/secrets', '/api/v1/pods', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', '/apis/coordination.k8s.io/v1/leases'];

interface Item {
  readonly metadata: { name: string; namespace?: string; uid: string; resourceVersion: string };
}

interface Replica {
  readonly id: string;
  readonly address: string;
  readonly probePort: number;
  readonly logFile: string;
  process?: ManagedProcess;
}

/**
 * `--sharding` with three real operator processes, each on its own loopback
 * address, against a real kube-apiserver (member Leases, FakeAPIServer
 * claims, EndpointSlices) and a real etcd holding every fake cluster:
 * clusters spread over the replicas; a replica killed with -9 has its
 * clusters served again by the others within 15 s behind the same
 * endpoint, every object with the same UID and contents; when it comes
 * back, the clusters assigned to it move back with nothing lost.
 */
describe('sharding over three operator replicas (--sharding --store etcd:)', function () {
  this.timeout(10 * 60_000);
  let cp: ControlPlane;
  let etcd: TestEtcd;
  let client: KubeClient;
  let dir: string;
  const replicas: Replica[] = [];
  const access = new Map<string, ClusterAccess['tls']>();

  before(async () => {
    cp = await startControlPlane({ crds: [join(REPO_ROOT, 'crds')] });
    etcd = await startEtcd();
    client = KubeClient.fromFile(cp.kubeconfigPath);
    dir = await mkdtemp(join(tmpdir(), 'fkas-sharding-'));
    for (let i = 0; i < REPLICAS; i++) replicas.push({ id: `replica-${i}`, address: `127.0.0.${i + 2}`, probePort: await freePort(), logFile: join(dir, `replica-${i}.log`) });
  });
  after(async () => {
    for (const r of replicas) await r.process?.stop();
    client?.close();
    await etcd?.stop();
    await cp?.stop();
    if (!KEEP_DIRS) await rm(dir, { recursive: true, force: true });
  });

  const start = async (r: Replica): Promise<void> => {
    r.process = startOperatorProcess({
      kubeconfigPath: cp.kubeconfigPath,
      portRange: PORT_RANGE,
      probePort: r.probePort,
      logFile: r.logFile,
      extraArgs: ['--sharding', '--replica-id', r.id, '--sharding-namespace', NAMESPACE, '--bind-host', r.address, '--store', `etcd:${etcd.endpoint}`],
    });
    await waitUntil(r.id, r.process, async () => (await fetch(`http://127.0.0.1:${r.probePort}/readyz`).catch(() => undefined))?.status === 200, READY_MS);
  };

  /** How each cluster is reached now: the replica its EndpointSlice names, with the certificate of its ClusterIP. */
  const whereServed = async (): Promise<Map<string, { servedBy: string; endpoint: string; access: ClusterAccess }>> => {
    const { servers, slices } = await readShardState(client, NAMESPACE);
    const out = new Map<string, { servedBy: string; endpoint: string; access: ClusterAccess }>();
    for (const fas of servers) {
      const name = fas.metadata.name;
      const target = slices.get(`${name}-fkas`);
      const ready = fas.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      const tls = access.get(name);
      if (!ready || !target || !fas.status?.servedBy || !fas.status.endpoint || !tls) continue;
      out.set(name, { servedBy: fas.status.servedBy, endpoint: `${fas.status.endpoint.host}:${fas.status.endpoint.port}`, access: { target, endpointHost: fas.status.endpoint.host, tls } });
    }
    return out;
  };

  /** Names of clusters that answer at their slice's target from the replica their status names. */
  const answering = async (expected: (name: string, servedBy: string) => boolean): Promise<Map<string, { servedBy: string; endpoint: string; access: ClusterAccess }>> => {
    const state = await whereServed();
    const ok = new Map<string, { servedBy: string; endpoint: string; access: ClusterAccess }>();
    const address = new Map(replicas.map((r) => [r.id, r.address]));
    await forEach([...state], async ([name, s]) => {
      if (!expected(name, s.servedBy) || address.get(s.servedBy) !== s.access.target.host) return;
      const res = await clusterRequest(s.access, 'GET', '/api/v1/namespaces/default').catch(() => undefined);
      if (res?.code === 200) ok.set(name, s);
    });
    return ok;
  };

  const snapshot = async (served: Map<string, { access: ClusterAccess }>): Promise<Map<string, Item>> => {
    const all = new Map<string, Item>();
    await forEach([...served], async ([name, s]) => {
      for (const path of RESOURCES) {
        const res = await clusterRequest<{ items: Item[] }>(s.access, 'GET', path);
        expect(res.code, `${name} ${path}`).to.equal(200);
        for (const item of res.body.items) all.set(`${name}:${path}/${item.metadata.namespace ?? ''}/${item.metadata.name}`, item);
      }
    });
    return all;
  };

  const expectIntact = (before: Map<string, Item>, after: Map<string, Item>, when: string): void => {
    const missing = [...before.keys()].filter((k) => !after.has(k));
    expect(missing, `objects lost ${when}`).to.deep.equal([]);
    for (const [key, was] of before) {
      const now = after.get(key)!;
      expect(now.metadata.uid, `${key} uid ${when}`).to.equal(was.metadata.uid);
      expect(Number(now.metadata.resourceVersion), `${key} resourceVersion ${when}`).to.be.at.least(Number(was.metadata.resourceVersion));
      // Node leases are renewed by whoever serves the cluster; everything else is exactly as it was.
      if (!key.includes('/leases/')) expect(now, `${key} ${when}`).to.deep.equal(was);
    }
  };

  /** Management-API calls so far of the replicas given (their `fkas_management_api_requests_total`), by verb and resource. */
  const managementCalls = async (of: readonly Replica[]): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const r of of) {
      const text = await (await fetch(`http://127.0.0.1:${r.probePort}/metrics`)).text();
      for (const m of text.matchAll(/^fkas_management_api_requests_total\{([^}]*)\} (\d+)/gm)) {
        const resource = /resource="([^"]*)"/.exec(m[1]!)?.[1] ?? '?';
        const verb = /verb="([^"]*)"/.exec(m[1]!)?.[1] ?? '?';
        out[`${verb} ${resource}`] = (out[`${verb} ${resource}`] ?? 0) + Number(m[2]);
      }
    }
    return out;
  };
  const callsSince = (before: Record<string, number>, after: Record<string, number>): Record<string, number> =>
    Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => (v as number) > 0));

  it('spreads 100 clusters over the replicas, serves a killed replica’s again within 15 s with every object intact, moves them back when it returns, and hands them over at once on SIGTERM', async () => {
    await Promise.all(replicas.map((r) => start(r)));
    const objects: Record<string, unknown>[] = [];
    for (let c = 0; c < CLUSTERS; c++) {
      const name = `shard-${String(c).padStart(3, '0')}`;
      objects.push({ apiVersion: 'fkas.metal3.io/v1alpha1', kind: 'FakeAPIServer', metadata: { name, namespace: NAMESPACE }, spec: { exposure: 'Service' } });
      for (let n = 0; n < NODES_PER_CLUSTER; n++) {
        objects.push({ apiVersion: 'fkas.metal3.io/v1alpha1', kind: 'FakeNode', metadata: { name: `${name}-node-${n}`, namespace: NAMESPACE }, spec: { clusterName: name, nodeName: `${name}-node-${n}`, role: n === 0 ? 'control-plane' : 'worker' } });
      }
    }
    const created = Date.now();
    await cp.applyObjects(objects as never);
    const names = objects.filter((o) => o.kind === 'FakeAPIServer').map((o) => (o.metadata as { name: string }).name);
    // The CA Secrets exist once the operator made them; an admin certificate for each cluster.
    await eventually(async () => {
      await forEach(names.filter((n) => !access.has(n)), async (n) => {
        const tls = await adminTls(client, NAMESPACE, n).catch(() => undefined);
        if (tls) access.set(n, tls);
      });
      return access.size === CLUSTERS;
    }, 'every cluster CA Secret', READY_MS, 1000);
    const everyone = await eventually(async () => {
      const ok = await answering(() => true);
      if (ok.size < CLUSTERS) return undefined;
      // Every node registered (three per cluster) before anything is compared.
      const nodes = await Promise.all([...ok.values()].map(async (s) => (await clusterRequest<{ items: unknown[] }>(s.access, 'GET', '/api/v1/nodes')).body.items.length));
      return nodes.every((n) => n === NODES_PER_CLUSTER) ? ok : undefined;
    }, `all ${CLUSTERS} clusters served with ${NODES_PER_CLUSTER} nodes`, READY_MS, 1000).catch(async (err: Error) => {
      throw new Error(`${err.message}; replica logs:\n${(await Promise.all(replicas.map((r) => logTail(r.logFile)))).join('\n')}`);
    });
    const servedIn = Date.now() - created;
    const owners = new Map([...everyone].map(([name, s]) => [name, s.servedBy]));
    const share = (id: string): number => [...owners.values()].filter((o) => o === id).length;
    console.log(`      created and served in ${servedIn} ms; shares: ${replicas.map((r) => `${r.id}=${share(r.id)}`).join(' ')}`);
    for (const r of replicas) expect(share(r.id), `clusters served by ${r.id}`).to.be.at.least(MIN_SHARE);
    const endpoints = new Map([...everyone].map(([name, s]) => [name, s.endpoint]));

    // What clients write: a ConfigMap in every cluster, acknowledged before the kill.
    await forEach([...everyone], async ([name, s]) => {
      const res = await clusterRequest(s.access, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'written-before-kill' }, data: { cluster: name } });
      expect(res.code, `${name} create`).to.equal(201);
    });
    const before = await snapshot(everyone);
    // Settled, the replicas only renew their member Leases: no polling per cluster.
    const idle = await eventually(async () => {
      const start = await managementCalls(replicas);
      await new Promise((r) => setTimeout(r, IDLE_WINDOW_MS));
      const calls = callsSince(start, await managementCalls(replicas));
      return Object.keys(calls).every((k) => k === 'PUT leases') ? calls : undefined;
    }, 'a window with nothing but Lease renewals', 60_000, 0);
    console.log(`      idle for ${IDLE_WINDOW_MS} ms, all replicas: ${JSON.stringify(idle)}`);

    const victim = replicas[1]!;
    const survivors = replicas.filter((r) => r !== victim);
    const moved = [...owners].filter(([, o]) => o === victim.id).map(([n]) => n);
    const survivorsBefore = await managementCalls(survivors);
    victim.process!.killGroup('SIGKILL');
    const killed = Date.now();
    const afterKill = await eventually(async () => {
      const ok = await answering((_n, servedBy) => servedBy !== victim.id);
      return ok.size === CLUSTERS ? ok : undefined;
    }, `all ${CLUSTERS} clusters served by the survivors`, FAILOVER_MS + 30_000, 250);
    const failoverMs = Date.now() - killed;
    const failoverCalls = callsSince(survivorsBefore, await managementCalls(survivors));
    console.log(`      ${moved.length} clusters of ${victim.id} served again ${failoverMs} ms after kill -9; survivors' management-API calls: ${JSON.stringify(failoverCalls)}`);
    // Each cluster moved once: one claim and one EndpointSlice write, none taken twice or from a live replica.
    expect(failoverCalls['PATCH endpointslices'], 'EndpointSlice writes in the failover').to.equal(moved.length);
    expect(failoverMs, 'failover time').to.be.at.most(FAILOVER_MS);
    for (const [name, s] of afterKill) {
      expect(s.endpoint, `${name} .status.endpoint`).to.equal(endpoints.get(name));
      if (!moved.includes(name)) expect(s.servedBy, `${name} stays where it was`).to.equal(owners.get(name));
    }
    expectIntact(before, await snapshot(afterKill), 'after the kill');

    // Back with the same identity: the clusters assigned to it come back, nothing lost.
    const survivorsBeforeReturn = await managementCalls(survivors);
    const restarted = Date.now();
    await start(victim);
    const back = await eventually(async () => {
      const ok = await answering((name, servedBy) => servedBy === owners.get(name));
      return ok.size === CLUSTERS ? ok : undefined;
    }, `every cluster back with its first replica`, READY_MS, 250);
    const returnCalls = { survivors: callsSince(survivorsBeforeReturn, await managementCalls(survivors)), returned: await managementCalls([victim]) };
    console.log(`      ${moved.length} clusters back on ${victim.id} ${Date.now() - restarted} ms after its restart; management-API calls of the survivors: ${JSON.stringify(returnCalls.survivors)}, of ${victim.id}: ${JSON.stringify(returnCalls.returned)}`);
    // The returning replica takes exactly its own back (it claims nothing while it does not yet know every member).
    expect(returnCalls.returned['PATCH endpointslices'] ?? 0, `EndpointSlice writes of ${victim.id}`).to.equal(moved.length);
    expect(returnCalls.survivors['PATCH endpointslices'] ?? 0, 'EndpointSlice writes of the survivors').to.equal(0);
    for (const [name, s] of back) expect(s.endpoint, `${name} .status.endpoint`).to.equal(endpoints.get(name));
    const afterReturn = await snapshot(back);
    expectIntact(before, afterReturn, 'after the return');
    // Each cluster goes on above every version it held.
    const highest = new Map<string, number>();
    for (const [key, item] of afterReturn) {
      const name = key.slice(0, key.indexOf(':'));
      highest.set(name, Math.max(highest.get(name) ?? 0, Number(item.metadata.resourceVersion)));
    }
    await forEach(moved, async (name) => {
      const res = await clusterRequest<Item>(back.get(name)!.access, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'written-after-return' } });
      expect(res.code, `${name} create after return`).to.equal(201);
      expect(Number(res.body.metadata.resourceVersion), `${name} resourceVersion after return`).to.be.greaterThan(highest.get(name)!);
    });

    // Stopped gracefully, a replica hands its clusters over itself: sooner than its Lease could expire.
    const leaving = replicas[2]!;
    const leavingClusters = [...owners].filter(([, o]) => o === leaving.id).map(([n]) => n);
    const beforeLeave = await snapshot(await answering(() => true));
    const terminated = Date.now();
    leaving.process!.killGroup('SIGTERM');
    const handedOver = await eventually(async () => {
      const ok = await answering((_n, servedBy) => servedBy !== leaving.id);
      return ok.size === CLUSTERS ? ok : undefined;
    }, `all ${CLUSTERS} clusters served without ${leaving.id}`, READY_MS, 250);
    const handoverMs = Date.now() - terminated;
    console.log(`      ${leavingClusters.length} clusters of ${leaving.id} handed over ${handoverMs} ms after SIGTERM`);
    expect(handoverMs, 'graceful handover time (the member Lease lasts 8 s)').to.be.below(MEMBER_LEASE_MS);
    await eventually(async () => !leaving.process!.running, `${leaving.id} exits`, 30_000);
    expectIntact(beforeLeave, await snapshot(handedOver), 'after the graceful handover');

  });
});

async function forEach<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
}

