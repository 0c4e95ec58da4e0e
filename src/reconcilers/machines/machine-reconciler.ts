import { MACHINE_NODES_ANNOTATION, clusterNameOf as fakeApiServerCluster } from '../../operator/api/v1alpha1.js';
import type { KubeClient } from '../../operator/kube/client.js';
import { keyOf, type Informer } from '../../operator/kube/informer.js';
import { componentLogger, type Logger } from '../../telemetry/logger.js';
import type { OperatorMetrics } from '../../telemetry/metrics.js';
import { CLUSTER, clusterNameOf, DEFAULT_CAPI_API_VERSION, MACHINE, machinePath, type Cluster, type Machine } from '../shared/capi-objects.js';
import { getIfExists, splitKey } from '../shared/keys.js';
import { NodeController } from '../shared/node-controller.js';
import { decideMachineNode } from './machine-mapping.js';

/**
 * Provider-free machine nodes: for clusters that opt in (FakeAPIServer
 * spec.machineNodes: true, or the annotation fkas.metal3.io/machine-nodes:
 * "true" on the CAPI Cluster), every CAPI Machine whose infrastructure is
 * ready and that has a spec.providerID gets a FakeNode, removed when the
 * Machine goes. Works with any infrastructure provider.
 */

export const MACHINE_RECONCILER_NAME = 'machine-reconciler';
const OPT_IN_VALUE = 'true';

export interface MachineReconcilerConfig {
  readonly client: KubeClient;
  readonly log?: Logger;
  /** cluster.x-k8s.io version to watch (v1beta2 for CAPI v1.11+, v1beta1 before). */
  readonly capiApiVersion?: string;
  readonly concurrency?: number;
  readonly resyncMs?: number;
  readonly metrics?: OperatorMetrics;
}

export function newMachineReconciler(config: MachineReconcilerConfig): NodeController {
  const apiVersion = config.capiApiVersion ?? DEFAULT_CAPI_API_VERSION;
  if (!apiVersion.startsWith('cluster.x-k8s.io/')) throw new Error(`CAPI API version ${apiVersion} must be cluster.x-k8s.io/<version>`);
  const client = config.client;
  const log = config.log ?? componentLogger(MACHINE_RECONCILER_NAME);
  let machines!: Informer<Machine>;
  let clusters!: Informer<Cluster>;
  const machinesOf = (namespace: string | undefined, clusterName: string): string[] =>
    machines.list().filter((m) => m.metadata.namespace === namespace && clusterNameOf(m) === clusterName).map(keyOf);

  const reconcile = async (key: string): ReturnType<NodeController['apply']> => {
    const { namespace, name } = splitKey(key);
    const machine = await getIfExists<Machine>(client, machinePath(apiVersion, namespace, name));
    const clusterName = machine && clusterNameOf(machine);
    let optedIn = false;
    if (clusterName) {
      const fas = controller.fakeApiServerFor(namespace, clusterName);
      const cluster = clusters.get(`${namespace}/${clusterName}`);
      optedIn = fas?.spec.machineNodes === true || cluster?.metadata.annotations?.[MACHINE_NODES_ANNOTATION] === OPT_IN_VALUE;
    }
    const subject = machine ? { ...machine, apiVersion: machine.apiVersion ?? apiVersion, kind: MACHINE.kind } : undefined;
    return controller.apply(key, subject, decideMachineNode({ machine, optedIn }));
  };

  const controller: NodeController = new NodeController({
    name: MACHINE_RECONCILER_NAME,
    sourceKind: MACHINE.kind,
    client,
    log,
    reconcile,
    fakeApiServerKeys: (fas) => machinesOf(fas.metadata.namespace, fakeApiServerCluster(fas)),
    ...(config.concurrency !== undefined ? { concurrency: config.concurrency } : {}),
    ...(config.resyncMs !== undefined ? { resyncMs: config.resyncMs } : {}),
    ...(config.metrics ? { metrics: config.metrics } : {}),
  });
  machines = controller.watch<Machine>({ apiVersion, plural: MACHINE.plural }, (m) => [keyOf(m)], undefined, true);
  // Annotating (or un-annotating) a Cluster switches its Machines' nodes on or off.
  clusters = controller.watch<Cluster>({ apiVersion, plural: CLUSTER.plural }, (c) => machinesOf(c.metadata.namespace, c.metadata.name));
  return controller;
}
