import { CAPI_CLUSTER_NAME_LABEL, CAPI_CONTROL_PLANE_LABEL, type NodeRole, type ObjectMeta, type OwnerReference } from '../../operator/api/v1alpha1.js';

export type { OwnerReference };
import type { ResourcePath } from '../../operator/kube/client.js';

/**
 * The parts of Cluster API's objects the node reconcilers read. Only what
 * we use is typed: the rest of each object passes through untouched. Both
 * v1beta1 and v1beta2 shapes are accepted, so either storage version works.
 */

export const CAPI_GROUP = 'cluster.x-k8s.io';
/** CAPI v1.11+ serves and stores v1beta2; older releases only v1beta1. */
export const DEFAULT_CAPI_API_VERSION = `${CAPI_GROUP}/v1beta2`;
export const MACHINE = { kind: 'Machine', plural: 'machines' } as const;
export const CLUSTER = { kind: 'Cluster', plural: 'clusters' } as const;

export interface KubeMeta extends ObjectMeta {
  ownerReferences?: OwnerReference[];
}

export interface Machine {
  apiVersion: string;
  kind: 'Machine';
  metadata: KubeMeta;
  spec?: { clusterName?: string; providerID?: string; version?: string };
  status?: {
    /** v1beta2. */
    initialization?: { infrastructureProvisioned?: boolean };
    /** v1beta1. */
    infrastructureReady?: boolean;
  };
}

export interface Cluster {
  apiVersion: string;
  kind: 'Cluster';
  metadata: KubeMeta;
}

export const machinePath = (apiVersion: string, namespace?: string, name?: string): ResourcePath => ({ apiVersion, plural: MACHINE.plural, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) });
export const clusterPath = (apiVersion: string, namespace?: string, name?: string): ResourcePath => ({ apiVersion, plural: CLUSTER.plural, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) });

/** The CAPI cluster an object belongs to, from the Machine's spec or the label CAPI puts on everything it makes. */
export function clusterNameOf(obj: { metadata: ObjectMeta; spec?: { clusterName?: string; [field: string]: unknown } }): string | undefined {
  return obj.spec?.clusterName || obj.metadata.labels?.[CAPI_CLUSTER_NAME_LABEL] || undefined;
}

/** KubeadmControlPlane (and every control-plane provider) labels its Machines and their infrastructure machines. */
export function roleOf(obj: { metadata: ObjectMeta }): NodeRole {
  return obj.metadata.labels?.[CAPI_CONTROL_PLANE_LABEL] !== undefined ? 'control-plane' : 'worker';
}

export function isInfrastructureReady(m: Machine): boolean {
  return m.status?.initialization?.infrastructureProvisioned === true || m.status?.infrastructureReady === true;
}

/** The owner reference to a CAPI Machine, whatever its API version. */
export function ownerMachineRef(meta: KubeMeta): OwnerReference | undefined {
  return meta.ownerReferences?.find((r) => r.kind === MACHINE.kind && r.apiVersion.split('/')[0] === CAPI_GROUP);
}
