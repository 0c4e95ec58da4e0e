/**
 * What CRD schema enforcement costs per write: creates N FakeAPIServers
 * through a fake cluster's store with our CRD as shipped (pruning,
 * defaulting, validation) and with the same CRD without its schema (no
 * checks), and prints the time per create. Run: npx tsx test/integration/crd-validation/measure-store-cost.ts [N]
 */
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { FakeCluster } from '../../../src/simulator/cluster.js';
import type { KubeObject } from '../../../src/simulator/store/object.js';

const DEFAULT_COUNT = 10_000;
/** The machine may be busy: the fastest of several rounds is the figure least disturbed by others. */
const ROUNDS = 5;

function cluster(withSchema: boolean): FakeCluster {
  const c = new FakeCluster({ name: 'bench', kubernetesVersion: 'v1.34.4', advertiseHost: '127.0.0.1', now: () => new Date() });
  const crd = load(readFileSync(new URL('../../../crds/fkas.metal3.io_fakeapiservers.yaml', import.meta.url), 'utf8')) as KubeObject;
  if (!withSchema) for (const v of (crd.spec as { versions: Record<string, unknown>[] }).versions) delete v.schema;
  c.resources.create(c.kind('apiextensions.k8s.io', 'v1', 'customresourcedefinitions'), undefined, crd);
  return c;
}

function createMany(withSchema: boolean, count: number): number {
  const c = cluster(withSchema);
  const kind = c.kind('fkas.metal3.io', 'v1alpha1', 'fakeapiservers');
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    c.resources.create(kind, 'default', {
      apiVersion: 'fkas.metal3.io/v1alpha1',
      kind: 'FakeAPIServer',
      metadata: { name: `cluster-${i}`, labels: { 'cluster.x-k8s.io/cluster-name': `cluster-${i}` } },
      spec: { clusterName: `cluster-${i}`, port: 20000 + (i % 40000), advertiseHost: '10.0.0.1', machineNodes: true },
    });
  }
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const count = Number(process.argv[2] ?? DEFAULT_COUNT);
const perCreate = (ms: number): string => `${((ms * 1000) / count).toFixed(1)} µs`;
let bestWithout = Infinity;
let bestWith = Infinity;
for (let round = 1; round <= ROUNDS; round++) {
  const without = createMany(false, count);
  const withSchema = createMany(true, count);
  bestWithout = Math.min(bestWithout, without);
  bestWith = Math.min(bestWith, withSchema);
  console.log(
    `round ${round}: ${count} creates without schema ${without.toFixed(0)} ms (${perCreate(without)} each), with schema ${withSchema.toFixed(0)} ms (${perCreate(withSchema)} each)`,
  );
}
console.log(
  `fastest: without schema ${bestWithout.toFixed(0)} ms (${perCreate(bestWithout)}), with schema ${bestWith.toFixed(0)} ms (${perCreate(bestWith)}), cost ${perCreate(bestWith - bestWithout)} per create`,
);
