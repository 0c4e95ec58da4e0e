import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCertificate } from '../src/pki/certificates.js';
import { generateEcKey, privateKeyToPem } from '../src/pki/keys.js';
import { ADMIN_USER, Simulator } from '../src/simulator/simulator.js';
import { MemoryBackend, type StorageBackend } from '../src/simulator/storage/backend.js';
import { EtcdBackend } from '../src/simulator/storage/etcd-backend.js';
import { FileBackend } from '../src/simulator/storage/file-backend.js';
import { startEtcd, type TestEtcd } from '../test/harness/etcd.js';
import { benchOperatorRestart } from './store-operator-restart.bench.js';
import { benchStoreRestart } from './store-restart.bench.js';
import { report, runWorker, type LoadResult } from './support.js';


const NODES = 10;
const CONNECTIONS = 16;
const DURATION_SECONDS = Number(process.env.BENCH_STORE_SECONDS ?? '4');
/** Backends run alternately this many times and report medians: other load on the machine shifts single runs a lot. */
const ROUNDS = Number(process.env.BENCH_STORE_ROUNDS ?? '3');
/** Issue 13: a durable store keeps at least half of memory's PATCH throughput. */
const DURABLE_PATCH_RATIO_TARGET = 0.5;

/**
 * Each `--store` backend against memory in the same run: creates and node
 * status PATCHes at 16 connections, every answer acknowledged only once
 * durable (fdatasync per event-loop turn for file:, an etcd Txn per batch
 * for etcd: on a real etcd that fsyncs as in production), then the restart
 * of 1,000 clusters: of the simulator engine (store-restart.bench.ts) and of
 * the operator process (store-operator-restart.bench.ts).
 */
export async function benchStore(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fkas-bench-store-'));
  let etcd: TestEtcd | undefined;
  try {
    etcd = await startEtcd({ fsync: true });
    const endpoint = etcd.endpoint;
    console.log(`Storage backends (fake cluster with ${NODES} nodes, autocannon in a separate process, ${CONNECTIONS} connections, ${DURATION_SECONDS}s each, median of ${ROUNDS} alternating rounds; etcd ${endpoint} with fsync)`);
    const backends: readonly (readonly [string, (round: number) => StorageBackend])[] = [
      ['memory', () => new MemoryBackend()],
      ['file', (round) => new FileBackend(join(dir, `store-${round}`))],
      ['etcd', (round) => new EtcdBackend({ endpoints: [endpoint], prefix: `/fkas-bench-${round}/` })],
    ];
    const runs = new Map<string, Measured[]>(backends.map(([name]) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) for (const [name, make] of backends) runs.get(name)!.push(await measure(make(round), dir));
    const medians = new Map([...runs].map(([name, r]) => [name, median(r)]));
    for (const [name, r] of medians) {
      report(`${name}: POST configmaps: requests/s`, r.create.requestsPerSecond, 'req/s');
      report(`${name}: POST configmaps: p99 latency`, r.create.p99Ms, 'ms');
      report(`${name}: PATCH nodes/node-0/status: requests/s`, r.patch.requestsPerSecond, 'req/s');
      report(`${name}: PATCH nodes/node-0/status: p99 latency`, r.patch.p99Ms, 'ms');
    }
    const memory = medians.get('memory')!;
    for (const name of ['file', 'etcd']) {
      const r = medians.get(name)!;
      report(`${name} / memory: POST configmaps throughput`, r.create.requestsPerSecond / memory.create.requestsPerSecond, 'ratio');
      report(`${name} / memory: PATCH node status throughput`, r.patch.requestsPerSecond / memory.patch.requestsPerSecond, 'ratio', { min: DURABLE_PATCH_RATIO_TARGET });
    }
    await benchStoreRestart(dir, endpoint);
    await benchOperatorRestart(dir, endpoint);
  } finally {
    await etcd?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

interface Measured {
  readonly create: LoadResult;
  readonly patch: LoadResult;
}

/** The run with the median throughput, per operation. */
function median(runs: readonly Measured[]): Measured {
  const pick = (op: keyof Measured): LoadResult => [...runs].map((r) => r[op]).sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(runs.length / 2)]!;
  return { create: pick('create'), patch: pick('patch') };
}

async function measure(storage: StorageBackend, dir: string): Promise<Measured> {
  await storage.open();
  const sim = new Simulator({ storage });
  try {
    const cluster = await sim.createCluster({ name: 'bench/store' });
    for (let i = 0; i < NODES; i++) cluster.addNode({ name: `node-${i}`, providerID: `fake://bench/${i}`, internalIP: `10.0.0.${i + 1}` });
    await cluster.resources.store.durable();
    const key = await generateEcKey();
    const cert = issueCertificate(sim.caOf('bench/store')!, { commonName: ADMIN_USER.user, organizations: [...ADMIN_USER.groups], usages: ['client'], publicKey: key });
    const certFile = join(dir, 'client.crt');
    const keyFile = join(dir, 'client.key');
    await writeFile(certFile, cert.certPem);
    await writeFile(keyFile, privateKeyToPem(key));
    const base = { url: cluster.endpoint.url, connections: CONNECTIONS, durationSeconds: DURATION_SECONDS, certFile, keyFile };
    const create = await runWorker<LoadResult>('./load-worker.ts', [
      JSON.stringify({ ...base, method: 'POST', path: '/api/v1/namespaces/default/configmaps', contentType: 'application/json', bodyTemplate: '{"metadata":{"generateName":"bench-"},"data":{"n":"{{n}}"}}' }),
    ]);
    check(create, `${storage.description}: POST configmaps`);
    const patch = await runWorker<LoadResult>('./load-worker.ts', [
      JSON.stringify({
        ...base,
        method: 'PATCH',
        path: '/api/v1/nodes/node-0/status',
        contentType: 'application/strategic-merge-patch+json',
        bodyTemplate: '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"heartbeat {{n}}"}]}}',
      }),
    ]);
    check(patch, `${storage.description}: PATCH node status`);
    return { create, patch };
  } finally {
    await sim.close();
  }
}

function check(r: LoadResult, what: string): void {
  if (r.non2xx > 0 || r.errors > 0 || r.total === 0) throw new Error(`${what}: ${r.non2xx} non-2xx answers, ${r.errors} errors of ${r.total} requests`);
}
