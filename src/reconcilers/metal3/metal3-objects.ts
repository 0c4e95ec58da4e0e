import type { ResourcePath } from '../../operator/kube/client.js';
import type { KubeMeta } from '../shared/capi-objects.js';

/**
 * The parts of Metal3's BareMetalHost (baremetal-operator) and Metal3Machine
 * (cluster-api-provider-metal3) that the Metal3 reconciler reads.
 */

export const BMH_API_VERSION = 'metal3.io/v1alpha1';
export const BARE_METAL_HOST = { kind: 'BareMetalHost', plural: 'baremetalhosts' } as const;
/** CAPM3 v1.11+ stores v1beta2; the fields we read are the same in v1beta1. */
export const DEFAULT_METAL3_MACHINE_API_VERSION = 'infrastructure.cluster.x-k8s.io/v1beta2';
export const METAL3_MACHINE = { kind: 'Metal3Machine', plural: 'metal3machines' } as const;

/** BareMetalHost status.provisioning.state values the reconciler reasons about. */
export const HOST_STATE = {
  available: 'available',
  provisioning: 'provisioning',
  provisioned: 'provisioned',
  deprovisioning: 'deprovisioning',
} as const;

export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

export interface BareMetalHost {
  apiVersion: string;
  kind: 'BareMetalHost';
  metadata: KubeMeta;
  spec?: { consumerRef?: ObjectReference; online?: boolean };
  status?: { provisioning?: { state?: string } };
}

export interface Metal3Machine {
  apiVersion: string;
  kind: 'Metal3Machine';
  metadata: KubeMeta;
  spec?: { providerID?: string };
}

export const hostPath = (namespace?: string, name?: string): ResourcePath => ({ apiVersion: BMH_API_VERSION, plural: BARE_METAL_HOST.plural, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) });
export const metal3MachinePath = (apiVersion: string, namespace?: string, name?: string): ResourcePath => ({ apiVersion, plural: METAL3_MACHINE.plural, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) });

/** The Metal3Machine a host's consumerRef names (namespace defaults to the host's), or undefined for other consumers. */
export function consumerMetal3Machine(host: BareMetalHost): { namespace: string; name: string } | undefined {
  const ref = host.spec?.consumerRef;
  if (!ref?.name || ref.kind !== METAL3_MACHINE.kind) return undefined;
  return { namespace: ref.namespace || host.metadata.namespace || 'default', name: ref.name };
}
