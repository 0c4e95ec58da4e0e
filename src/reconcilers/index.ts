import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../operator/kube/client.js';
import type { OperatorMetrics } from '../telemetry/metrics.js';
import { newMachineReconciler } from './machines/machine-reconciler.js';
import { newMetal3Reconciler } from './metal3/metal3-reconciler.js';
import type { ProviderIDFormat } from './metal3/host-mapping.js';
import type { NodeController } from './shared/node-controller.js';

/**
 * The node reconcilers, started beside the operator. They only read
 * BareMetalHosts, Metal3Machines, Machines and Clusters and write FakeNodes
 * (and Events): the operator turns those FakeNodes into Nodes, so the
 * reconcilers need nothing from it but the management cluster.
 */

export interface NodeReconcilersConfig {
  readonly kubeConfig: KubeConfig;
  readonly metal3?: boolean | { readonly providerIDFormat?: ProviderIDFormat };
  readonly machineNodes?: boolean | { readonly capiApiVersion?: string };
  readonly metrics?: OperatorMetrics;
  readonly resyncMs?: number;
}

/** Writes from the reconcilers show up under their own field manager. */
const FIELD_MANAGER = 'metal3-fkas-node-reconcilers';

export interface NodeReconcilers {
  readonly controllers: readonly NodeController[];
  /** Resolves when every watched kind has been listed once. */
  synced(): Promise<void>;
  stop(): Promise<void>;
}

export function startNodeReconcilers(config: NodeReconcilersConfig): NodeReconcilers {
  const client = new KubeClient(config.kubeConfig, FIELD_MANAGER);
  const common = { client, ...(config.metrics ? { metrics: config.metrics } : {}), ...(config.resyncMs ? { resyncMs: config.resyncMs } : {}) };
  const controllers: NodeController[] = [];
  if (config.metal3) controllers.push(newMetal3Reconciler({ ...common, ...(typeof config.metal3 === 'object' ? config.metal3 : {}) }));
  if (config.machineNodes) controllers.push(newMachineReconciler({ ...common, ...(typeof config.machineNodes === 'object' ? config.machineNodes : {}) }));
  for (const c of controllers) c.start();
  return {
    controllers,
    synced: async () => {
      await Promise.all(controllers.map((c) => c.synced()));
    },
    stop: async () => {
      await Promise.all(controllers.map((c) => c.stop()));
      client.close();
    },
  };
}
