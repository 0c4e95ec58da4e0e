/**
 * The fkas.metal3.io/v1alpha1 API: names, labels and the TypeScript shape
 * of our custom resources. The CRD YAML in crds/ is the schema's source of
 * truth; this mirrors it for the code.
 */

/** Kubernetes' own metadata types, one declaration for every layer (the operator uses the simulator). */
export type { OwnerReference } from '../../simulator/store/object.js';

export const GROUP = 'fkas.metal3.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const FAKE_API_SERVER = { kind: 'FakeAPIServer', plural: 'fakeapiservers' } as const;
export const FAKE_NODE = { kind: 'FakeNode', plural: 'fakenodes' } as const;

/** Finalizer that keeps a FakeAPIServer until its listener is closed and its port freed. */
export const FAKE_API_SERVER_FINALIZER = `${GROUP}/listener`;
/** Finalizer that keeps a FakeNode until its Node is gone from the fake cluster. */
export const FAKE_NODE_FINALIZER = `${GROUP}/node`;
/** Label on FakeNodes naming their FakeAPIServer's cluster, for listing a cluster's nodes. */
export const CLUSTER_NAME_LABEL = `${GROUP}/cluster-name`;
/** The label the original FKAS used to record a node's uuid. */
export const METAL3_UUID_LABEL = 'metal3.io/uuid';
/** CAPI's labels and annotations we read or write. */
export const CAPI_CLUSTER_NAME_LABEL = 'cluster.x-k8s.io/cluster-name';
export const CAPI_CONTROL_PLANE_LABEL = 'cluster.x-k8s.io/control-plane';
export const CAPI_SECRET_TYPE = 'cluster.x-k8s.io/secret';
export const NODE_ROLE_CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';
/** Which node reconciler made a FakeNode (src/reconcilers); FakeNodes without it are users'. */
export const MANAGED_BY_LABEL = `${GROUP}/managed-by`;
/** `<Kind>:<namespace>/<name>` of the object a reconciler made a FakeNode for. */
export const SOURCE_ANNOTATION = `${GROUP}/source`;
/** On a CAPI Cluster, "true" opts the cluster in to FakeNodes for its Machines (like FakeAPIServer spec.machineNodes). */
export const MACHINE_NODES_ANNOTATION = `${GROUP}/machine-nodes`;

export const DEFAULT_KUBERNETES_VERSION = 'v1.32.0';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** Shaped like metav1.Condition. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  deletionTimestamp?: string;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
}

export type Exposure = 'Direct' | 'Service';

export interface FakeAPIServerSpec {
  clusterName?: string;
  kubernetesVersion?: string;
  port?: number;
  advertiseHost?: string;
  exposure?: Exposure;
  caSecretName?: string;
  etcdCASecretName?: string;
  /** Opt in to FakeNodes for this cluster's CAPI Machines (the machine-nodes reconciler). */
  machineNodes?: boolean;
  /** Latency, faults, unavailability and etcd trouble, applied live. */
  simulation?: Simulation;
}

/** A duration as the CRD accepts it: `200ms`, `2s`, `1m30s`. */
export type Duration = string;

export type SimulatedVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface FaultSpec {
  verbs?: SimulatedVerb[];
  /** plural or plural/subresource */
  resources?: string[];
  /** glob on the User-Agent */
  userAgent?: string;
  /** 400-599 */
  code: number;
  /** 0-1, default 1 */
  ratio?: number;
  latency?: Duration;
}

export interface EtcdSimulationSpec {
  latency?: Duration;
  unhealthyMembers?: string[];
  alarms?: ('NOSPACE' | 'CORRUPT')[];
}

export interface Simulation {
  /** false: the endpoint refuses connections */
  available?: boolean;
  latency?: Duration;
  jitter?: Duration;
  faults?: FaultSpec[];
  etcd?: EtcdSimulationSpec;
}

export interface FakeAPIServerStatus {
  endpoint?: { host: string; port: number };
  observedGeneration?: number;
  nodes?: number;
  /** With --sharding: the replica (--replica-id) serving this cluster now. */
  servedBy?: string;
  conditions?: Condition[];
}

export interface FakeAPIServer {
  apiVersion: typeof API_VERSION;
  kind: 'FakeAPIServer';
  metadata: ObjectMeta;
  spec: FakeAPIServerSpec;
  status?: FakeAPIServerStatus;
}

export type NodeRole = 'control-plane' | 'worker';

export interface FakeNodeSpec {
  clusterName: string;
  nodeName: string;
  providerID?: string;
  uuid?: string;
  labels?: Record<string, string>;
  kubernetesVersion?: string;
  role?: NodeRole;
  ready?: boolean;
  internalIP?: string;
}

export interface FakeNodeStatus {
  observedGeneration?: number;
  conditions?: Condition[];
}

export interface FakeNode {
  apiVersion: typeof API_VERSION;
  kind: 'FakeNode';
  metadata: ObjectMeta;
  spec: FakeNodeSpec;
  status?: FakeNodeStatus;
}

export function clusterNameOf(fas: Pick<FakeAPIServer, 'metadata' | 'spec'>): string {
  return fas.spec.clusterName || fas.metadata.name;
}
