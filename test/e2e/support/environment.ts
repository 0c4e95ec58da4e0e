import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeAPIServer } from '../../../src/operator/api/v1alpha1.js';
import { KubeClient, type ResourcePath } from '../../../src/operator/kube/client.js';
import { componentLogger } from '../../../src/telemetry/logger.js';
import { startCapi, type CapiManagers } from '../../harness/capi.js';
import { freePort, KEEP_DIRS, logTail, startControlPlane, waitUntil, type ControlPlane } from '../../harness/control-plane.js';
import { ManagedProcess } from '../../harness/processes.js';
import { binary, REPO_ROOT, versions } from '../../harness/tools.js';
import { eventually, kubeconfigFromCaSecret } from '../../support/operator-fixture.js';
import { E2EInfrastructureProvider } from '../provider/provider.js';

/**
 * Everything a CAPI provider's CI has, with fake workload clusters: a real
 * management cluster, the real CAPI managers, our operator as users run it
 * (`fkas operator --machine-nodes`, a separate process), and the test
 * infrastructure provider.
 */

export const TEMPLATE = join(REPO_ROOT, 'test/e2e/templates/cluster-template.yaml');
const OPERATOR_READY_MS = 120_000;
/** Fake clusters of the e2e suite get ports from here. */
const PORT_RANGE = '30500-30999';

export interface E2EEnvironment {
  readonly cp: ControlPlane;
  readonly capi: CapiManagers;
  readonly client: KubeClient;
  readonly dir: string;
  readonly shimUrl: string;
  readonly kubernetesVersion: string;
  /** Runs the real kubectl against the management cluster; rejects with its output on failure. */
  kubectl(args: string[], input?: string): Promise<string>;
  /** `clusterctl generate cluster` from the test template, as a user runs it. */
  generateCluster(opts: { name: string; namespace: string; endpoint: { host: string; port: number }; controlPlane: number; workers: number }): Promise<string>;
  /**
   * The user's flow: FakeAPIServer (with `simulation` as its spec.simulation, when given) →
   * .status.endpoint → clusterctl generate cluster → kubectl apply, in a new namespace.
   */
  provision(opts: { namespace: string; name: string; controlPlane: number; workers: number; simulation?: Record<string, unknown> }): Promise<void>;
  /** A FakeAPIServer's endpoint once it is Ready. */
  fakeApiServerEndpoint(namespace: string, name: string): Promise<{ host: string; port: number }>;
  /** Runs kubectl against a fake workload cluster, with a kubeconfig made from its CA Secret. */
  workloadKubectl(namespace: string, cluster: string, args: string[]): Promise<string>;
  get<T>(path: ResourcePath): Promise<T>;
  /** The operator's Prometheus text from its probe port (`/metrics`). */
  operatorMetrics(): Promise<string>;
  /**
   * Stops the operator (`SIGKILL`: as a crash, nothing flushed; `SIGTERM`: a clean shutdown) and
   * starts it again with the same flags, or with `store` in place of the store it had; resolves
   * once its `/readyz` answers 200 (every FakeAPIServer and FakeNode served again).
   */
  restartOperator(opts: { signal: 'SIGKILL' | 'SIGTERM'; store?: E2EStore }): Promise<void>;
  /** Explains what state CAPI is in, for failure messages. */
  describe(namespace: string): Promise<string>;
  stop(): Promise<void>;
}

/** The operator's `--store`: `file` keeps fake-cluster contents in `<environment dir>/store`. */
export type E2EStore = 'memory' | 'file';

export interface E2EOptions {
  readonly store?: E2EStore;
}

export async function startE2EEnvironment(opts: E2EOptions = {}): Promise<E2EEnvironment> {
  const dir = await mkdtemp(join(tmpdir(), 'fkas-e2e-'));
  const cp = await startControlPlane({ withControllerManager: true, crds: [join(REPO_ROOT, 'crds'), join(REPO_ROOT, 'test/e2e/provider/crds.yaml')] });
  let capi: CapiManagers | undefined;
  let operator: ManagedProcess | undefined;
  let provider: E2EInfrastructureProvider | undefined;
  const client = KubeClient.fromFile(cp.kubeconfigPath);
  try {
    capi = await startCapi(cp);
    const probePort = await freePort();
    const shimPort = await freePort();
    let store = opts.store ?? 'memory';
    // Assigns `operator` before waiting, so a start that never turns ready is still stopped.
    const startOperator = async (): Promise<void> => {
      const p = new ManagedProcess('fkas-operator', process.execPath, [
        '--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'operator',
        '--kubeconfig', cp.kubeconfigPath, '--machine-nodes', '--port-range', PORT_RANGE,
        '--probe-port', String(probePort), '--shim-port', String(shimPort),
        '--store', store === 'file' ? `file:${join(dir, 'store')}` : 'memory',
      ], join(dir, 'operator.log'), { ...process.env, FKAS_LOG_LEVEL: process.env.FKAS_LOG_LEVEL ?? 'info' });
      p.start();
      operator = p;
      await waitUntil('fkas operator', p, async () => (await fetch(`http://127.0.0.1:${probePort}/readyz`).catch(() => undefined))?.status === 200, OPERATOR_READY_MS);
    };
    await startOperator();
    provider = new E2EInfrastructureProvider(client, componentLogger('e2e-provider'));
    await provider.start();
    const kubectlIn = (kubeconfig: string, args: string[], input?: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const child = execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, HOME: dir }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
          err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
        );
        if (input !== undefined) child.stdin?.end(input);
      });
    const env: E2EEnvironment = {
      cp,
      capi,
      client,
      dir,
      shimUrl: `http://127.0.0.1:${shimPort}`,
      kubernetesVersion: versions().KUBERNETES_VERSION!,
      kubectl: (args, input) => kubectlIn(cp.kubeconfigPath, args, input),
      generateCluster: ({ name, namespace, endpoint, controlPlane, workers }) =>
        new Promise((resolve, reject) => {
          const args = ['generate', 'cluster', name, '--from', TEMPLATE, '--kubernetes-version', env.kubernetesVersion, '--control-plane-machine-count', String(controlPlane), '--worker-machine-count', String(workers), '--target-namespace', namespace];
          execFile(binary('clusterctl'), args, { env: { ...process.env, HOME: dir, CLUSTER_APIENDPOINT_HOST: endpoint.host, CLUSTER_APIENDPOINT_PORT: String(endpoint.port) } }, (err, stdout, stderr) =>
            err ? reject(new Error(`clusterctl ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
          );
        }),
      async provision({ namespace, name, controlPlane, workers, simulation }) {
        await env.kubectl(['create', 'namespace', namespace]);
        const fas = { apiVersion: 'fkas.metal3.io/v1alpha1', kind: 'FakeAPIServer', metadata: { name, namespace }, spec: { kubernetesVersion: env.kubernetesVersion, ...(simulation ? { simulation } : {}) } };
        await env.kubectl(['apply', '-f', '-'], JSON.stringify(fas));
        const endpoint = await env.fakeApiServerEndpoint(namespace, name);
        await env.kubectl(['apply', '-f', '-'], await env.generateCluster({ name, namespace, endpoint, controlPlane, workers }));
      },
      fakeApiServerEndpoint: (namespace, name) =>
        eventually(async () => {
          const o = await client.get<FakeAPIServer>({ apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace, name });
          return o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? o.status.endpoint : undefined;
        }, `FakeAPIServer ${namespace}/${name} Ready`, 60_000),
      async workloadKubectl(namespace, cluster, args) {
        const endpoint = await env.fakeApiServerEndpoint(namespace, cluster);
        const kubeconfig = await kubeconfigFromCaSecret({ client, dir }, namespace, cluster, endpoint);
        return kubectlIn(kubeconfig, args);
      },
      get: (path) => client.get(path),
      async operatorMetrics() {
        const res = await fetch(`http://127.0.0.1:${probePort}/metrics`);
        if (res.status !== 200) throw new Error(`operator /metrics answered ${res.status}`);
        return res.text();
      },
      async restartOperator({ signal, store: next }) {
        const old = operator!;
        if (signal === 'SIGKILL') {
          old.killGroup('SIGKILL');
          await eventually(async () => !old.running, 'operator gone after SIGKILL', OPERATOR_READY_MS);
        } else {
          await old.stop();
        }
        if (next) store = next;
        await startOperator();
      },
      async describe(namespace) {
        const state = await kubectlIn(cp.kubeconfigPath, ['get', 'cluster,kcp,md,machine,fakenode,fakeapiserver', '-n', namespace, '-o', 'wide']).catch((e: Error) => e.message);
        const conditions = await kubectlIn(cp.kubeconfigPath, ['get', 'kcp,cluster,machine', '-n', namespace, '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name}: {range .status.conditions[?(@.status!="True")]}{.type}={.status} {.reason} {.message}; {end}{"\\n"}{end}']).catch((e: Error) => e.message);
        return `${state}\n${conditions}\noperator log:\n${await logTail(join(dir, 'operator.log'), 10)}\nKCP log:\n${await logTail(capi!.logs['capi-kubeadm-control-plane']!, 10)}`;
      },
      async stop() {
        await provider?.stop();
        await operator?.stop();
        await capi?.stop();
        client.close();
        await cp.stop();
        if (!KEEP_DIRS) await rm(dir, { recursive: true, force: true });
      },
    };
    return env;
  } catch (err) {
    await provider?.stop();
    await operator?.stop();
    await capi?.stop();
    client.close();
    await cp.stop();
    throw err;
  }
}
