/**
 * Scale benchmark process: creates N idle fake clusters in a fresh process
 * and prints creation time and RSS per cluster as one JSON line. A fresh
 * process keeps the RSS baseline clean.
 */
import { createCertificateAuthority } from '../src/pki/certificates.js';
import { generateRsaKey } from '../src/pki/keys.js';
import { Simulator } from '../src/simulator/simulator.js';
import { populateLikeKubeadm } from '../test/support/kubeadm-cluster.js';

const count = Number(process.argv[2] ?? '1000');
const mode = (process.argv[3] ?? 'shared-ca') as 'shared-ca' | 'own-ca';
/** Nodes per cluster, registered through the FakeNode reconciler's registration (0: empty clusters). */
const nodes = Number(process.argv[4] ?? '0');
const gc = (globalThis as { gc?: () => void }).gc;

/** RSS and V8's live heap after a forced GC: RSS is what the issue's targets count; the heap says what objects hold, without allocator slack. */
function settle(): { rss: number; heap: number } {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

const sim = new Simulator();
// Warm up code paths and the shared serving key, so the baseline includes them.
const caKey = await generateRsaKey();
const ca = await createCertificateAuthority({ commonName: 'kubernetes', key: caKey });
populateLikeKubeadm(await sim.createCluster({ name: 'warmup', ca }), nodes, { caCertPem: ca.certPem });
await sim.closeCluster('warmup');
const before = settle();
const start = performance.now();
// CPU time too: on a machine shared with other work, wall time says as much about the neighbours.
const cpuStart = process.cpuUsage();
// Created in batches: the way an operator reconciling many CRs would, without unbounded concurrency.
const BATCH = 100;
for (let i = 0; i < count; i += BATCH) {
  const batch: Promise<unknown>[] = [];
  for (let j = i; j < Math.min(count, i + BATCH); j++) {
    batch.push(sim.createCluster({ name: `c${j}`, ...(mode === 'shared-ca' ? { ca } : {}) }).then((c) => populateLikeKubeadm(c, nodes, { caCertPem: sim.caOf(c.name)?.certPem ?? '' })));
  }
  await Promise.all(batch);
}
const createMs = performance.now() - start;
const cpu = process.cpuUsage(cpuStart);
const createCpuMs = (cpu.user + cpu.system) / 1000;
const after = settle();
process.stdout.write(
  JSON.stringify({
    count,
    mode,
    nodes,
    createMs,
    createCpuMs,
    rssBeforeMiB: before.rss / 2 ** 20,
    rssAfterMiB: after.rss / 2 ** 20,
    rssPerClusterKiB: (after.rss - before.rss) / count / 1024,
    heapPerClusterKiB: (after.heap - before.heap) / count / 1024,
  }) + '\n',
);
await sim.close();
process.exit(0);
