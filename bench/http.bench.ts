import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCertificate } from '../src/pki/certificates.js';
import { generateEcKey, privateKeyToPem } from '../src/pki/keys.js';
import { ADMIN_USER, Simulator } from '../src/simulator/simulator.js';
import { report, runWorker } from './support.js';

interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  total: number;
}

const NODES = 10;
const DURATION_SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? '5');
/**
 * `BENCH_HTTP_USER=rbac` sends the requests as a user that RBAC must evaluate (bound to cluster-admin
 * through a ClusterRoleBinding) instead of the admin in system:masters, which skips evaluation.
 */
const RBAC_USER = { user: 'bench-user', groups: ['bench:operators'] };
const CLIENT = process.env.BENCH_HTTP_USER === 'rbac' ? RBAC_USER : ADMIN_USER;

/** Requests/s and latency of the hot paths CAPI hits, from a separate autocannon process. */
export async function benchHttp(): Promise<void> {
  const sim = new Simulator();
  const cluster = await sim.createCluster({ name: 'bench' });
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
    console.log(`HTTP (fake cluster with ${NODES} nodes, client ${CLIENT.user} (${CLIENT.groups.join(',')}), autocannon in a separate process, HTTP/1.1 keep-alive, ${DURATION_SECONDS}s each)`);
    for (const connections of [1, 64]) {
      const base = { url: cluster.endpoint.url, connections, durationSeconds: DURATION_SECONDS, certFile, keyFile };
      const list = await runWorker<LoadResult>('./load-worker.ts', [JSON.stringify({ ...base, method: 'GET', path: '/api/v1/nodes' })]);
      check(list, 'GET /api/v1/nodes');
      report(`GET /api/v1/nodes, ${connections} conn: requests/s`, list.requestsPerSecond, 'req/s');
      report(`GET /api/v1/nodes, ${connections} conn: p50 latency`, list.p50Ms, 'ms');
      report(`GET /api/v1/nodes, ${connections} conn: p99 latency`, list.p99Ms, 'ms');
      const body = '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"heartbeat {{n}}"}]}}';
      const patch = await runWorker<LoadResult>('./load-worker.ts', [
        JSON.stringify({ ...base, method: 'PATCH', path: '/api/v1/nodes/node-0/status', contentType: 'application/strategic-merge-patch+json', bodyTemplate: body }),
      ]);
      check(patch, 'PATCH node status');
      report(`PATCH nodes/node-0/status, ${connections} conn: requests/s`, patch.requestsPerSecond, 'req/s');
      report(`PATCH nodes/node-0/status, ${connections} conn: p50 latency`, patch.p50Ms, 'ms');
      report(`PATCH nodes/node-0/status, ${connections} conn: p99 latency`, patch.p99Ms, 'ms');
    }
  } finally {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function check(r: LoadResult, what: string): void {
  if (r.non2xx > 0 || r.errors > 0 || r.total === 0) throw new Error(`${what}: ${r.non2xx} non-2xx answers, ${r.errors} errors of ${r.total} requests`);
}
