import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCertificate } from '../src/pki/certificates.js';
import { generateEcKey, privateKeyToPem } from '../src/pki/keys.js';
import { ADMIN_USER, Simulator } from '../src/simulator/simulator.js';
import { RequestMetrics, REQUEST_METRICS_MODES, type RequestMetricsMode } from '../src/operator/request-metrics.js';
import { OperatorMetrics } from '../src/telemetry/metrics.js';
import { report, runWorker, type LoadResult } from './support.js';
import { inProcessRequestCost } from './in-process-requests.js';


const NODES = 10;
const DURATION_SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? '5');
/**
 * `BENCH_HTTP_USER=rbac` sends the requests as a user that RBAC must evaluate (bound to cluster-admin
 * through a ClusterRoleBinding) instead of the admin in system:masters, which skips evaluation.
 */
const RBAC_USER = { user: 'bench-user', groups: ['bench:operators'] };
const CLIENT = process.env.BENCH_HTTP_USER === 'rbac' ? RBAC_USER : ADMIN_USER;
/**
 * BENCH_HTTP_REQUEST_METRICS=cluster|aggregate attaches the operator's per-cluster request metrics
 * (what every served FakeAPIServer gets by default): compare with `off` (the default here) for
 * their cost on the serving path.
 */
const REQUEST_METRICS = (process.env.BENCH_HTTP_REQUEST_METRICS ?? 'off') as RequestMetricsMode;

/** Requests/s and latency of the hot paths CAPI hits, from a separate autocannon process. */
export async function benchHttp(): Promise<void> {
  const sim = new Simulator();
  const cluster = await sim.createCluster({ name: 'bench' });
  if (!REQUEST_METRICS_MODES.includes(REQUEST_METRICS)) throw new Error(`BENCH_HTTP_REQUEST_METRICS=${REQUEST_METRICS} must be one of ${REQUEST_METRICS_MODES.join(', ')}`);
  cluster.requestObserver = new RequestMetrics(new OperatorMetrics(), REQUEST_METRICS).forCluster('default', 'bench');
  for (let i = 0; i < NODES; i++) cluster.addNode({ name: `node-${i}`, providerID: `fake://bench/${i}`, internalIP: `10.0.0.${i + 1}` });
  cluster.applyObject({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'bench-operators' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: RBAC_USER.groups[0]! }],
  });
  const dir = await mkdtemp(join(tmpdir(), 'fkas-bench-'));
  const key = await generateEcKey();
  const cert = issueCertificate(sim.caOf('bench')!, { commonName: CLIENT.user, organizations: [...CLIENT.groups], usages: ['client'], publicKey: key });
  const certFile = join(dir, 'client.crt');
  const keyFile = join(dir, 'client.key');
  await writeFile(certFile, cert.certPem);
  await writeFile(keyFile, privateKeyToPem(key));
  try {
    console.log(`HTTP (fake cluster with ${NODES} nodes, client ${CLIENT.user} (${CLIENT.groups.join(',')}), autocannon in a separate process, HTTP/1.1 keep-alive, ${DURATION_SECONDS}s each, request metrics ${REQUEST_METRICS})`);
    for (const connections of [1, 64]) {
      const base = { url: cluster.endpoint.url, connections, durationSeconds: DURATION_SECONDS, certFile, keyFile };
      const cpuBefore = process.cpuUsage();
      const list = await runWorker<LoadResult>('./load-worker.ts', [JSON.stringify({ ...base, method: 'GET', path: '/api/v1/nodes' })]);
      check(list, 'GET /api/v1/nodes');
      // CPU the serving process spent per answered request: steadier than requests/s on a shared machine.
      const cpu = process.cpuUsage(cpuBefore);
      report(`GET /api/v1/nodes, ${connections} conn: server CPU per request`, (cpu.user + cpu.system) / list.total, 'µs');
      report(`GET /api/v1/nodes, ${connections} conn: requests/s`, list.requestsPerSecond, 'req/s');
      report(`GET /api/v1/nodes, ${connections} conn: p50 latency`, list.p50Ms, 'ms');
      report(`GET /api/v1/nodes, ${connections} conn: p99 latency`, list.p99Ms, 'ms');
      const body = '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"heartbeat {{n}}"}]}}';
      const patchCpuBefore = process.cpuUsage();
      const patch = await runWorker<LoadResult>('./load-worker.ts', [
        JSON.stringify({ ...base, method: 'PATCH', path: '/api/v1/nodes/node-0/status', contentType: 'application/strategic-merge-patch+json', bodyTemplate: body }),
      ]);
      check(patch, 'PATCH node status');
      const patchCpu = process.cpuUsage(patchCpuBefore);
      report(`PATCH nodes/node-0/status, ${connections} conn: server CPU per request`, (patchCpu.user + patchCpu.system) / patch.total, 'µs');
      report(`PATCH nodes/node-0/status, ${connections} conn: requests/s`, patch.requestsPerSecond, 'req/s');
      report(`PATCH nodes/node-0/status, ${connections} conn: p50 latency`, patch.p50Ms, 'ms');
      report(`PATCH nodes/node-0/status, ${connections} conn: p99 latency`, patch.p99Ms, 'ms');
    }
    // After the load runs: the same paths in-process, steadier than requests/s on a shared machine.
    await inProcessRequestCost(cluster);
    if (REQUEST_METRICS !== 'off') observerCost();
  } finally {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Calls per measurement of the observer alone. */
const OBSERVER_CALLS = 200_000;

/** What the request observer costs per request by itself, in-process (no sockets): steadier than a load test. */
function observerCost(): void {
  const observer = new RequestMetrics(new OperatorMetrics(), 'cluster').forCluster('default', 'micro')!;
  const info = { isResource: true as const, verb: 'list' as const, group: '', version: 'v1', resource: 'nodes' };
  const ex = { res: { statusCode: 200, writableEnded: true }, req: { headers: { 'user-agent': 'cluster-api-controller-manager/v1.13.6 (linux/amd64) kubernetes/abc' } }, method: 'GET', onClose: () => undefined };
  const call = (): void => observer.requestDone(ex as unknown as Parameters<typeof observer.requestDone>[0], info, performance.now());
  for (let i = 0; i < OBSERVER_CALLS; i++) call(); // warm up
  const started = process.hrtime.bigint();
  for (let i = 0; i < OBSERVER_CALLS; i++) call();
  report('request observer alone (list nodes, one label set): per request', Number(process.hrtime.bigint() - started) / OBSERVER_CALLS / 1000, 'µs');
}

function check(r: LoadResult, what: string): void {
  if (r.non2xx > 0 || r.errors > 0 || r.total === 0) throw new Error(`${what}: ${r.non2xx} non-2xx answers, ${r.errors} errors of ${r.total} requests`);
}
