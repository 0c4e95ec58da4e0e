import { join } from 'node:path';
import type { FakeAPIServer } from '../src/operator/api/v1alpha1.js';
import { KubeClient } from '../src/operator/kube/client.js';
import { loadCertificateAuthority } from '../src/pki/certificates.js';
import { freePort, startControlPlane, waitUntil } from '../test/harness/control-plane.js';
import type { ManagedProcess } from '../test/harness/processes.js';
import { REPO_ROOT } from '../test/harness/tools.js';
import { startOperatorProcess } from '../test/support/operator-process.js';
import { rawClient } from '../test/support/raw-client.js';
import { report } from './support.js';

/** FakeAPIServers the operator serves when it is killed (issue 13: restart time with 1,000 clusters); 0 skips. */
const CLUSTERS = Number(process.env.BENCH_STORE_OPERATOR_CLUSTERS ?? '1000');
const CREATE_CONCURRENCY = 16;
const READY_TIMEOUT_MS = 20 * 60_000;
/** Clusters whose endpoint is asked, before and after the restart, for its kube-system namespace. */
const SAMPLED = 20;
const PORT_BASE = 41000;
const FAS = { apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace: 'default' };

/**
 * The operator process, against a real kube-apiserver, serving 1,000
 * FakeAPIServers with each `--store`: started once (clusters created, or
 * loaded), killed with SIGKILL, started again with the same flags. Measured:
 * from the second start (a new process from the sources: Node and tsx start
 * included, a few seconds on a loaded machine) until /readyz answers 200, which the operator gives
 * once every FakeAPIServer is reconciled and its fake cluster listening;
 * a sample of clusters is asked for its kube-system namespace before and
 * after: a durable store brings back the same one (same UID).
 */
export async function benchOperatorRestart(dir: string, etcdEndpoint: string): Promise<void> {
  if (CLUSTERS === 0) return;
  console.log(`Operator restart (kill -9, then the same flags; ${CLUSTERS} FakeAPIServers against a real kube-apiserver, until /readyz)`);
  const cp = await startControlPlane({ crds: [join(REPO_ROOT, 'crds')] });
  const client = KubeClient.fromFile(cp.kubeconfigPath);
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: CREATE_CONCURRENCY }, async () => {
        for (let i = next++; i < CLUSTERS; i = next++) await client.create(FAS, { apiVersion: FAS.apiVersion, kind: 'FakeAPIServer', metadata: { name: `r-${i}`, namespace: 'default' }, spec: {} });
      }),
    );
    const backends: readonly (readonly [string, readonly string[], boolean])[] = [
      ['memory', ['--store', 'memory'], false],
      ['file', ['--store', `file:${join(dir, 'operator-store')}`], true],
      ['etcd', ['--store', `etcd:${etcdEndpoint}`], true],
    ];
    for (const [name, storeArgs, durable] of backends) {
      const probePort = await freePort();
      const start = (): ManagedProcess =>
        startOperatorProcess({ extraArgs: storeArgs, kubeconfigPath: cp.kubeconfigPath, portRange: `${PORT_BASE}-${PORT_BASE + CLUSTERS + 99}`, probePort, logFile: join(cp.dir, `operator-${name}.log`) });
      const ready = (p: ManagedProcess): Promise<void> => waitUntil('fkas operator', p, async () => (await fetch(`http://127.0.0.1:${probePort}/readyz`).catch(() => undefined))?.status === 200, READY_TIMEOUT_MS);
      let op = start();
      try {
        const first = performance.now();
        await ready(op);
        report(`${name}: first start, ${CLUSTERS} FakeAPIServers served`, (performance.now() - first) / 1000, 's');
        const before = await askSample(client);
        op.killGroup('SIGKILL');
        while (op.running) await new Promise((r) => setTimeout(r, 50));
        const restart = performance.now();
        op = start();
        await ready(op);
        report(`${name}: restart after kill -9, all ${CLUSTERS} serving again`, (performance.now() - restart) / 1000, 's');
        const after = await askSample(client);
        const kept = [...before].filter(([cluster, uid]) => after.get(cluster) === uid).length;
        if (kept !== (durable ? before.size : 0)) throw new Error(`${name}: ${kept} of ${before.size} sampled clusters came back with the same kube-system namespace`);
      } finally {
        await op.stop();
      }
    }
  } finally {
    client.close();
    await cp.stop();
  }
}

/** The UID of the kube-system namespace of a sample of clusters, asked at their endpoints. */
async function askSample(client: KubeClient): Promise<Map<string, string>> {
  const uids = new Map<string, string>();
  for (let i = 0; i < SAMPLED; i++) {
    const name = `r-${Math.floor((i * CLUSTERS) / SAMPLED)}`;
    const fas = await client.get<FakeAPIServer>({ ...FAS, name });
    const secret = await client.get<{ data: Record<string, string> }>({ apiVersion: 'v1', plural: 'secrets', namespace: 'default', name: `${name}-ca` });
    const ca = loadCertificateAuthority(Buffer.from(secret.data['tls.crt']!, 'base64').toString(), Buffer.from(secret.data['tls.key']!, 'base64').toString());
    const c = await rawClient(fas.status!.endpoint!, ca);
    const res = await c.request('GET', '/api/v1/namespaces/kube-system');
    if (res.status !== 200) throw new Error(`${name} answered ${res.status} for its kube-system namespace: ${res.text}`);
    uids.set(name, res.json<{ metadata: { uid: string } }>().metadata.uid);
  }
  return uids;
}
