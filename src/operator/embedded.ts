import { writeFile } from 'node:fs/promises';
import type { FakeCluster } from '../simulator/cluster.js';
import { serveLoopback } from '../simulator/http/loopback.js';
import { ADMIN_USER, Simulator } from '../simulator/simulator.js';
import { componentLogger, type Logger } from '../telemetry/logger.js';
import type { KubeTransport } from './kube/client.js';

/**
 * The embedded management API: when there is no cluster to run against,
 * the simulator engine itself serves our CRDs at https://127.0.0.1:6443 and
 * the operator reconciles against it exactly as against a real cluster.
 * State lives in memory: it is gone when the process stops.
 *
 * kubectl and every other client reach it over HTTPS with the kubeconfig
 * written here. The operator in the same process calls it through
 * `transport` instead: the same handlers and answers, as the kubeconfig's
 * admin user, without HTTP and TLS on both ends of every call.
 */

export const EMBEDDED_PORT = 6443;
export const EMBEDDED_KUBECONFIG = './fkas-management.kubeconfig';
const MANAGEMENT_CLUSTER_NAME = 'fkas-management';

export interface EmbeddedManagementApi {
  readonly cluster: FakeCluster;
  readonly kubeconfigPath: string;
  readonly server: string;
  /** In-process calls as the kubeconfig's user. */
  readonly transport: KubeTransport;
  close(): Promise<void>;
}

export async function startEmbeddedManagementApi(opts: { host?: string; port?: number; kubeconfigPath?: string } = {}): Promise<EmbeddedManagementApi> {
  const log = componentLogger('management-api');
  const sim = new Simulator({ bindHost: opts.host ?? '127.0.0.1', logger: log });
  const cluster = await sim.createCluster({ name: MANAGEMENT_CLUSTER_NAME, port: opts.port ?? EMBEDDED_PORT });
  const kubeconfigPath = opts.kubeconfigPath ?? EMBEDDED_KUBECONFIG;
  await writeFile(kubeconfigPath, await sim.adminKubeconfig(MANAGEMENT_CLUSTER_NAME, ADMIN_USER), { mode: 0o600 });
  return { cluster, kubeconfigPath, server: cluster.endpoint.url, transport: loopbackTransport(cluster, log), close: () => sim.close() };
}

function loopbackTransport(cluster: FakeCluster, log: Logger): KubeTransport {
  return {
    call: (method, path, headers, body, on) =>
      serveLoopback(cluster, ADMIN_USER, { method, path, headers, ...(body !== undefined ? { body: Buffer.from(body) } : {}) }, { head: (code) => on.head(code), data: on.data, end: on.end }, log),
  };
}
