import { join } from 'node:path';
import type { CertificateAuthority } from '../src/pki/certificates.js';
import { Simulator } from '../src/simulator/simulator.js';
import { MemoryBackend, type StorageBackend } from '../src/simulator/storage/backend.js';
import { EtcdBackend } from '../src/simulator/storage/etcd-backend.js';
import { FileBackend } from '../src/simulator/storage/file-backend.js';
import { rawClient } from '../test/support/raw-client.js';
import { report } from './support.js';

/** Clusters a restart brings back (issue 13: restart time with 1,000 clusters). */
const CLUSTERS = Number(process.env.BENCH_STORE_CLUSTERS ?? '1000');
const NODES_PER_CLUSTER = 3;
const CONFIGMAPS_PER_CLUSTER = 5;
/** Clusters created, and restored, at a time: the operator's default --concurrency is 8. */
const PARALLEL = 16;

/**
 * The restart of a process serving 1,000 fake clusters, per backend: the
 * clusters are filled (3 nodes, 5 ConfigMaps each, every write durable),
 * the process's simulator is closed, and a new one — with a newly opened
 * backend — creates them all again with their CAs (as the operator does
 * from the CA Secrets). Measured: from opening the backend until every
 * cluster has answered a GET of its nodes with what was saved (memory: an
 * empty cluster, which is what memory offers). Certificate authorities are
 * made before the clock starts; the operator's own restart work (reading
 * FakeAPIServers and Secrets from its management cluster) is the same for
 * every backend and not part of it.
 */
export async function benchStoreRestart(dir: string, etcdEndpoint: string): Promise<void> {
  console.log(`Store restart (${CLUSTERS} clusters with ${NODES_PER_CLUSTER} nodes and ${CONFIGMAPS_PER_CLUSTER} ConfigMaps each, ${PARALLEL} clusters at a time; until every cluster answered GET nodes)`);
  const backends: readonly (readonly [string, () => StorageBackend, number])[] = [
    ['memory', () => new MemoryBackend(), 0],
    ['file', () => new FileBackend(join(dir, 'restart')), NODES_PER_CLUSTER],
    ['etcd', () => new EtcdBackend({ endpoints: [etcdEndpoint], prefix: '/fkas-bench-restart/' }), NODES_PER_CLUSTER],
  ];
  for (const [name, make, nodesBack] of backends) {
    const cas = await fill(make());
    const start = performance.now();
    const storage = make();
    await storage.open();
    const sim = new Simulator({ storage });
    try {
      await inParallel(cas, async ([cluster, ca]) => {
        const served = await sim.createCluster({ name: cluster, ca });
        const c = await rawClient(served.endpoint, ca);
        const nodes = (await c.request('GET', '/api/v1/nodes')).json<{ items: unknown[] }>().items.length;
        if (nodes !== nodesBack) throw new Error(`${name}: ${cluster} came back with ${nodes} nodes, not ${nodesBack}`);
      });
      report(`${name}: restart, ${CLUSTERS} clusters serving again`, (performance.now() - start) / 1000, 's');
    } finally {
      await sim.close();
    }
  }
}

/** Creates the clusters and their objects, waits until every write is durable, and closes the simulator. */
async function fill(storage: StorageBackend): Promise<Map<string, CertificateAuthority>> {
  await storage.open();
  const sim = new Simulator({ storage });
  const cas = new Map<string, CertificateAuthority>();
  try {
    const names = Array.from({ length: CLUSTERS }, (_, i) => `bench/restart-${i}`);
    await inParallel(
      names.map((n) => [n, undefined] as const),
      async ([name]) => {
        const cluster = await sim.createCluster({ name });
        cas.set(name, sim.caOf(name)!);
        for (let i = 0; i < NODES_PER_CLUSTER; i++) cluster.addNode({ name: `node-${i}`, providerID: `fake://${name}/${i}`, internalIP: `10.0.0.${i + 1}` });
        for (let i = 0; i < CONFIGMAPS_PER_CLUSTER; i++) cluster.applyObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'default' }, data: { i: String(i) } });
        await cluster.resources.store.durable();
      },
    );
  } finally {
    await sim.close();
  }
  return cas;
}

async function inParallel<T>(items: Iterable<T>, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}
