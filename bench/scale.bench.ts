import { report, runWorker } from './support.js';

interface ScaleResult {
  count: number;
  mode: string;
  createMs: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  rssPerClusterKiB: number;
}

/** Targets from the simulator issue. */
const TARGET_RSS_PER_CLUSTER_KIB = 100;
const TARGET_CREATE_1000_MS = 10_000;

export async function benchScale(): Promise<void> {
  const big = Number(process.env.BENCH_MAX_CLUSTERS ?? '10000');
  console.log('Scale (each run in a fresh process; idle clusters; RSS after GC)');
  const shared = await runWorker<ScaleResult>('./scale-worker.ts', ['1000', 'shared-ca'], ['--expose-gc']);
  report('1,000 clusters, CA supplied (as from CAPI Secrets): create time', shared.createMs, 'ms', { max: TARGET_CREATE_1000_MS });
  report('1,000 clusters, CA supplied: RSS per idle cluster', shared.rssPerClusterKiB, 'KiB', { max: TARGET_RSS_PER_CLUSTER_KIB });
  const own = await runWorker<ScaleResult>('./scale-worker.ts', ['1000', 'own-ca'], ['--expose-gc']);
  report('1,000 clusters, CA generated per cluster (EC): create time', own.createMs, 'ms', { max: TARGET_CREATE_1000_MS });
  report('1,000 clusters, CA generated: RSS per idle cluster', own.rssPerClusterKiB, 'KiB', { max: TARGET_RSS_PER_CLUSTER_KIB });
  if (big > 1000) {
    const many = await runWorker<ScaleResult>('./scale-worker.ts', [String(big), 'shared-ca'], ['--expose-gc']);
    report(`${big.toLocaleString('en')} clusters in one process: create time`, many.createMs, 'ms');
    report(`${big.toLocaleString('en')} clusters: process RSS`, many.rssAfterMiB, 'MiB');
    report(`${big.toLocaleString('en')} clusters: RSS per idle cluster`, many.rssPerClusterKiB, 'KiB', { max: TARGET_RSS_PER_CLUSTER_KIB });
  }
}
