import type { KubeClient } from '../../operator/kube/client.js';
import { keyOf, type Informer } from '../../operator/kube/informer.js';
import { componentLogger, type Logger } from '../../telemetry/logger.js';
import type { OperatorMetrics } from '../../telemetry/metrics.js';
import { machinePath, ownerMachineRef, type Machine } from '../shared/capi-objects.js';
import { getIfExists, splitKey } from '../shared/keys.js';
import { NodeController } from '../shared/node-controller.js';
import { decideHostNode, type ProviderIDFormat } from './host-mapping.js';
import {
  BARE_METAL_HOST,
  BMH_API_VERSION,
  consumerMetal3Machine,
  DEFAULT_METAL3_MACHINE_API_VERSION,
  HOST_STATE,
  hostPath,
  metal3MachinePath,
  METAL3_MACHINE,
  type BareMetalHost,
  type Metal3Machine,
} from './metal3-objects.js';

/**
 * The Metal3 reconciler: what the original metal3-fkas-reconciler sidecar
 * did with /updateNode, as a controller. It watches BareMetalHosts and keeps
 * one FakeNode per host provisioned into a cluster (following consumerRef →
 * Metal3Machine → owner Machine), and removes it when the host is
 * deprovisioned or deleted. Needs only the BareMetalHost and Metal3Machine
 * CRDs: no baremetal-operator, Ironic or CAPM3 controllers, and the CAPI
 * Machine is used when it exists.
 */

export const METAL3_RECONCILER_NAME = 'metal3-reconciler';

export interface Metal3ReconcilerConfig {
  readonly client: KubeClient;
  readonly log?: Logger;
  /** Form of providerID when the Metal3Machine has none yet (default: CAPM3's current namespaced form). */
  readonly providerIDFormat?: ProviderIDFormat;
  readonly metal3MachineApiVersion?: string;
  readonly concurrency?: number;
  readonly resyncMs?: number;
  readonly metrics?: OperatorMetrics;
}

const PROVIDER_ID_FORMATS: readonly ProviderIDFormat[] = ['namespaced', 'legacy'];

export function newMetal3Reconciler(config: Metal3ReconcilerConfig): NodeController {
  const format = config.providerIDFormat ?? 'namespaced';
  if (!PROVIDER_ID_FORMATS.includes(format)) throw new Error(`providerID format ${String(format)} is not one of ${PROVIDER_ID_FORMATS.join(', ')}`);
  const m3mVersion = config.metal3MachineApiVersion ?? DEFAULT_METAL3_MACHINE_API_VERSION;
  const client = config.client;
  const log = config.log ?? componentLogger(METAL3_RECONCILER_NAME);
  let hosts!: Informer<BareMetalHost>;
  /** Hosts whose consumerRef names a Metal3Machine satisfying `match`. */
  const hostsConsuming = (match: (ref: { namespace: string; name: string }) => boolean): string[] =>
    hosts.list().filter((h) => {
      const ref = consumerMetal3Machine(h);
      return ref !== undefined && match(ref);
    }).map(keyOf);

  const reconcile = async (key: string): ReturnType<NodeController['apply']> => {
    const { namespace, name } = splitKey(key);
    const host = await getIfExists<BareMetalHost>(client, hostPath(namespace, name));
    let metal3Machine: Metal3Machine | undefined;
    let machine: Machine | undefined;
    const consumer = host && consumerMetal3Machine(host);
    // Only a provisioned host needs its consumer chain read.
    if (consumer && !host.metadata.deletionTimestamp && host.status?.provisioning?.state === HOST_STATE.provisioned) {
      metal3Machine = await getIfExists<Metal3Machine>(client, metal3MachinePath(m3mVersion, consumer.namespace, consumer.name));
      const machineRef = metal3Machine && ownerMachineRef(metal3Machine.metadata);
      if (machineRef) machine = await getIfExists<Machine>(client, machinePath(machineRef.apiVersion, consumer.namespace, machineRef.name));
    }
    const subject = host ? { ...host, apiVersion: host.apiVersion ?? BMH_API_VERSION, kind: BARE_METAL_HOST.kind } : undefined;
    return controller.apply(key, subject, decideHostNode({ host, metal3Machine, machine, providerIDFormat: format }));
  };

  const controller: NodeController = new NodeController({
    name: METAL3_RECONCILER_NAME,
    sourceKind: BARE_METAL_HOST.kind,
    client,
    log,
    reconcile,
    // A cluster appearing unblocks the hosts provisioned into it.
    fakeApiServerKeys: (fas) => hostsConsuming((ref) => ref.namespace === fas.metadata.namespace),
    ...(config.concurrency !== undefined ? { concurrency: config.concurrency } : {}),
    ...(config.resyncMs !== undefined ? { resyncMs: config.resyncMs } : {}),
    ...(config.metrics ? { metrics: config.metrics } : {}),
  });
  hosts = controller.watch<BareMetalHost>({ apiVersion: BMH_API_VERSION, plural: BARE_METAL_HOST.plural }, (h) => [keyOf(h)], undefined, true);
  // CAPM3 sets a Metal3Machine's owner Machine and providerID over time; its host looks again.
  controller.watch<Metal3Machine>({ apiVersion: m3mVersion, plural: METAL3_MACHINE.plural }, (m) =>
    hostsConsuming((ref) => ref.namespace === m.metadata.namespace && ref.name === m.metadata.name),
  );
  return controller;
}
