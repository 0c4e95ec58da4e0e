/**
 * `npm run bench`: prints the figures the issues set targets for. Not a
 * test: it measures, prints figures and ratios to targets, and fails only
 * when a benchmark cannot run.
 */
import { benchScaleAnchor } from './anchor.bench.js';
import { benchEtcd } from './etcd.bench.js';
import { benchHttp } from './http.bench.js';
import { benchOperator } from './operator.bench.js';
import { benchScale } from './scale.bench.js';
import { benchSimulation } from './simulation.bench.js';
import { benchStore } from './store.bench.js';

const SECTIONS: Record<string, () => Promise<void>> = { http: benchHttp, scale: benchScale, etcd: benchEtcd, operator: benchOperator, 'scale-anchor': benchScaleAnchor, store: benchStore, simulation: benchSimulation };

const only = process.argv.slice(2);
for (const [name, run] of Object.entries(SECTIONS)) {
  if (only.length && !only.includes(name)) continue;
  await run();
  console.log('');
}
