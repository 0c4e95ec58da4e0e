import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FakeAPIServer } from '../src/operator/api/v1alpha1.js';
import { KubeClient } from '../src/operator/kube/client.js';
import { Informer } from '../src/operator/kube/informer.js';
import { componentLogger } from '../src/telemetry/logger.js';
import { freePort, startControlPlane, waitUntil } from '../test/harness/control-plane.js';
import { ManagedProcess } from '../test/harness/processes.js';
import { REPO_ROOT } from '../test/harness/tools.js';
import { report } from './support.js';

/**
 * The operator against a real kube-apiserver (built by `npm run tools`):
 * N FakeAPIServers created, time from "the apiserver accepted it" (the
 * create call returned) to "Ready=True with an endpoint" as a watcher sees
 * it, and the operator process's RSS. The operator runs as users run it,
 * in its own process.
 */

const TARGET_P99_MS = 200;
/** Parallel creates, like a GitOps tool applying a folder. */
const CREATE_CONCURRENCY = 16;
/** CRs created one at a time (each waits for the previous to be Ready) before the flood. */
const SEQUENTIAL_CRS = 50;
const READY_TIMEOUT_MS = 10 * 60_000;
const FAS = { apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace: 'default' };

export async function benchOperator(): Promise<void> {
  const count = Number(process.env.BENCH_OPERATOR_CRS ?? '500');
  console.log(`Operator (${count} FakeAPIServers against a real kube-apiserver; operator in its own process)`);
  const cp = await startControlPlane({ crds: [join(REPO_ROOT, 'crds')] });
  const probePort = await freePort();
  const op = new ManagedProcess('fkas-operator', process.execPath, [
    '--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'operator',
    '--kubeconfig', cp.kubeconfigPath, '--port-range', `41000-${41000 + count + 99}`, '--probe-port', String(probePort), '--shim-port', '0',
  ], join(cp.dir, 'operator.log'), { ...process.env, FKAS_LOG_LEVEL: 'warn' });
  const client = KubeClient.fromFile(cp.kubeconfigPath);
  const accepted = new Map<string, number>();
  const readyAfter = new Map<string, number>();
  const informer = new Informer<FakeAPIServer>(client, {
    resource: FAS,
    log: componentLogger('bench'),
    onEvent: (_t, o) => {
      const fas = o as FakeAPIServer;
      const name = fas.metadata.name;
      if (readyAfter.has(name) || !fas.status?.endpoint || !fas.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
      const start = accepted.get(name);
      if (start === undefined) return; // seen before its create call returned: recorded below
      readyAfter.set(name, performance.now() - start);
    },
  });
  try {
    op.start();
    await waitUntil('fkas operator', op, async () => (await fetch(`http://127.0.0.1:${probePort}/readyz`).catch(() => undefined))?.status === 200, 120_000);
    const rssIdle = await rssMiB(op.pid!);
    informer.start();
    await informer.synced;
    const create = async (name: string): Promise<void> => {
      await client.create(FAS, { apiVersion: FAS.apiVersion, kind: 'FakeAPIServer', metadata: { name, namespace: 'default' }, spec: {} });
      accepted.set(name, performance.now());
      // Ready seen before the create call returned counts as 0 ms.
      const seen = informer.list().find((o) => o.metadata.name === name);
      if (!readyAfter.has(name) && seen?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) readyAfter.set(name, 0);
    };
    const waitReady = async (n: number): Promise<void> => {
      const deadline = performance.now() + READY_TIMEOUT_MS;
      while (readyAfter.size < n) {
        if (performance.now() > deadline) throw new Error(`only ${readyAfter.size} of ${n} FakeAPIServers Ready after ${READY_TIMEOUT_MS} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const percentiles = (names: string[]): { p50: number; p99: number } => {
      const sorted = names.map((n) => readyAfter.get(n)!).sort((a, b) => a - b);
      const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
      return { p50: pct(50), p99: pct(99) };
    };

    // One at a time: the latency a single CR sees once the apiserver accepted it.
    const single = Math.min(SEQUENTIAL_CRS, count);
    const singles: string[] = [];
    for (let i = 0; i < single; i++) {
      singles.push(`one-${i}`);
      await create(`one-${i}`);
      await waitReady(singles.length);
    }
    const s = percentiles(singles);
    report(`create → Ready, one CR at a time, p50 (${single} CRs)`, s.p50, 'ms');
    report('create → Ready, one CR at a time, p99', s.p99, 'ms', { max: TARGET_P99_MS });

    // Then the rest as a flood, as when GitOps applies a folder of FakeAPIServers: queueing shows.
    const burst = count - single;
    const burstNames: string[] = [];
    const started = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, async () => {
      while (next < burst) {
        const name = `burst-${next++}`;
        burstNames.push(name);
        await create(name);
      }
    }));
    await waitReady(count);
    const wall = performance.now() - started;
    const b = percentiles(burstNames);
    report(`create → Ready, flood of ${burst} (${CREATE_CONCURRENCY} creates in flight), p50`, b.p50, 'ms');
    report('create → Ready, flood, p99', b.p99, 'ms');
    report(`flood: all ${burst} Ready (wall time)`, wall, 'ms');
    report('flood: FakeAPIServers made Ready per second', burst / (wall / 1000), '/s');
    report('operator RSS idle', rssIdle, 'MiB');
    report(`operator RSS serving ${count} fake clusters`, await rssMiB(op.pid!), 'MiB');
  } finally {
    informer.stop();
    client.close();
    await op.stop();
    await cp.stop();
  }
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}
