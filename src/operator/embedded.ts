import { writeFile } from 'node:fs/promises';
import type { FakeCluster } from '../simulator/cluster.js';
import { Simulator } from '../simulator/simulator.js';
import { componentLogger } from '../telemetry/logger.js';

/**
 * The embedded management API: when there is no cluster to run against,
 * the simulator engine itself serves our CRDs at https://127.0.0.1:6443 and
 * the operator reconciles against it exactly as against a real cluster.
 * State lives in memory: it is gone when the process stops.
 */

export const EMBEDDED_PORT = 6443;
export const EMBEDDED_KUBECONFIG = './fkas-management.kubeconfig';
const MANAGEMENT_CLUSTER_NAME = 'fkas-management';

export interface EmbeddedManagementApi {
  readonly cluster: FakeCluster;
  readonly kubeconfigPath: string;
  readonly server: string;
  close(): Promise<void>;
}

export async function startEmbeddedManagementApi(opts: { host?: string; port?: number; kubeconfigPath?: string } = {}): Promise<EmbeddedManagementApi> {
  const sim = new Simulator({ bindHost: opts.host ?? '127.0.0.1', logger: componentLogger('management-api') });
  const cluster = await sim.createCluster({ name: MANAGEMENT_CLUSTER_NAME, port: opts.port ?? EMBEDDED_PORT });
  const kubeconfigPath = opts.kubeconfigPath ?? EMBEDDED_KUBECONFIG;
  await writeFile(kubeconfigPath, await sim.adminKubeconfig(MANAGEMENT_CLUSTER_NAME), { mode: 0o600 });
  return { cluster, kubeconfigPath, server: cluster.endpoint.url, close: () => sim.close() };
}
