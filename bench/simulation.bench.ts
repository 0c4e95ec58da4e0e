import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCertificate } from '../src/pki/certificates.js';
import { generateEcKey, privateKeyToPem } from '../src/pki/keys.js';
import { RequestMetrics } from '../src/operator/request-metrics.js';
import type { FakeCluster } from '../src/simulator/cluster.js';
import { ADMIN_USER, Simulator } from '../src/simulator/simulator.js';
import { OperatorMetrics } from '../src/telemetry/metrics.js';
import { report, runWorker, type LoadResult } from './support.js';

/**
 * Issue 16: spec.simulation switched off costs nothing on the serving path. Two fake clusters in
 * one process, served the same way (request metrics on, as the operator serves every cluster):
 * one never simulated, one that went through every simulation (down, slow, faulty, etcd trouble)
 * and was switched off again. A third, switched on with a rule no request matches, shows what the
 * measurement can see: the price of an active simulation that changes nothing.
 */


const NODES = 10;
const CONNECTIONS = 16;
const DURATION_SECONDS = Number(process.env.BENCH_SIMULATION_SECONDS ?? '4');
/** Clusters are measured in turn this many times; medians, as other load on the machine shifts single runs. */
const ROUNDS = Number(process.env.BENCH_SIMULATION_ROUNDS ?? '3');
/** "Nothing measurable": switched off within this fraction of never simulated (run-to-run noise here is larger). */
const NOISE_FRACTION = 0.05;

const VARIANTS = ['never simulated', 'simulation switched off', 'simulation on, matching nothing'] as const;
type Variant = (typeof VARIANTS)[number];

interface Measured {
  readonly rps: number;
  /** Server CPU per answered request: steadier than requests/s on a shared machine. */
  readonly cpuUs: number;
}

const OPERATIONS = [
  { label: 'GET /api/v1/nodes', spec: { method: 'GET', path: '/api/v1/nodes' } },
  {
    label: 'PATCH nodes/node-0/status',
    spec: { method: 'PATCH', path: '/api/v1/nodes/node-0/status', contentType: 'application/strategic-merge-patch+json', bodyTemplate: '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"heartbeat {{n}}"}]}}' },
  },
] as const;

export async function benchSimulation(): Promise<void> {
  const sim = new Simulator();
  const requestMetrics = new RequestMetrics(new OperatorMetrics(), 'cluster');
  const dir = await mkdtemp(join(tmpdir(), 'fkas-bench-simulation-'));
  try {
    const clusters = new Map<Variant, FakeCluster>();
    for (const [i, variant] of VARIANTS.entries()) {
      const name = `sim-${i}`;
      const cluster = await sim.createCluster({ name });
      cluster.requestObserver = requestMetrics.forCluster('bench', name);
      for (let n = 0; n < NODES; n++) cluster.addNode({ name: `node-${n}`, providerID: `fake://${name}/${n}`, internalIP: `10.0.${i}.${n + 1}` });
      clusters.set(variant, cluster);
    }
    // What `kubectl patch fas ... spec.simulation` does through the operator, then `spec.simulation: null`.
    const switchedOff = clusters.get('simulation switched off')!;
    await switchedOff.setSimulation({ available: false, latencyMs: 200, jitterMs: 50, faults: [{ verbs: ['list'], code: 503, ratio: 0.5 }], etcd: { latencyMs: 50, unhealthyMembers: ['node-0'], alarms: ['NOSPACE'] } });
    await switchedOff.setSimulation({});
    await clusters.get('simulation on, matching nothing')!.setSimulation({ faults: [{ userAgent: 'no-such-client/*', code: 503 }] });

    const key = await generateEcKey();
    const certs = new Map<Variant, { certFile: string; keyFile: string }>();
    const keyFile = join(dir, 'client.key');
    await writeFile(keyFile, privateKeyToPem(key));
    for (const [i, variant] of VARIANTS.entries()) {
      const cert = issueCertificate(sim.caOf(`sim-${i}`)!, { commonName: ADMIN_USER.user, organizations: [...ADMIN_USER.groups], usages: ['client'], publicKey: key });
      const certFile = join(dir, `client-${i}.crt`);
      await writeFile(certFile, cert.certPem);
      certs.set(variant, { certFile, keyFile });
    }

    console.log(`Simulation switched off (fake clusters with ${NODES} nodes, request metrics on, autocannon in a separate process, ${CONNECTIONS} connections, ${DURATION_SECONDS}s each, median of ${ROUNDS} rounds in turn)`);
    for (const op of OPERATIONS) {
      const runs = new Map<Variant, Measured[]>(VARIANTS.map((v) => [v, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const variant of VARIANTS) {
          const cpuBefore = process.cpuUsage();
          const r = await runWorker<LoadResult>('./load-worker.ts', [JSON.stringify({ url: clusters.get(variant)!.endpoint.url, connections: CONNECTIONS, durationSeconds: DURATION_SECONDS, ...certs.get(variant)!, ...op.spec })]);
          if (r.non2xx > 0 || r.errors > 0 || r.total === 0) throw new Error(`${variant}: ${op.label}: ${r.non2xx} non-2xx answers, ${r.errors} errors of ${r.total} requests`);
          const cpu = process.cpuUsage(cpuBefore);
          runs.get(variant)!.push({ rps: r.requestsPerSecond, cpuUs: (cpu.user + cpu.system) / r.total });
        }
      }
      const median = (v: Variant, k: keyof Measured): number => [...runs.get(v)!].map((m) => m[k]).sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
      for (const v of VARIANTS) {
        report(`${op.label}, ${v}: requests/s`, median(v, 'rps'), 'req/s');
        report(`${op.label}, ${v}: server CPU per request`, median(v, 'cpuUs'), 'µs');
      }
      const never = 'never simulated';
      report(`${op.label}: switched off / never, requests/s`, median('simulation switched off', 'rps') / median(never, 'rps'), 'ratio', { min: 1 - NOISE_FRACTION });
      report(`${op.label}: switched off / never, CPU per request`, median('simulation switched off', 'cpuUs') / median(never, 'cpuUs'), 'ratio', { max: 1 + NOISE_FRACTION });
      report(`${op.label}: on (no match) / never, CPU per request`, median('simulation on, matching nothing', 'cpuUs') / median(never, 'cpuUs'), 'ratio');
    }
  } finally {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
}
