import { ALL_VERBS, type KindInfo } from './kind.js';

/**
 * The built-in kinds a fake cluster serves: what Cluster API's controllers,
 * kubeadm and kubectl touch. One row per kind; everything else (discovery,
 * URLs, tables, scope) is derived. To serve another built-in kind, add a row.
 *
 * Row: [group, version, kind, plural, namespaced, shortNames, subresources, categories, traits]
 */
/**
 * How a kind's REST strategy differs from the plain one in kube-apiserver v1.34:
 * 'generation' keeps metadata.generation (workloads, pods with
 * PodObservedGenerationTracking, policy and networking objects, webhooks, CRDs);
 * 'returns-deleted' answers DELETE with the object instead of a Status.
 */
type KindTrait = 'generation' | 'returns-deleted';

type KindRow = readonly [
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  shortNames?: readonly string[],
  subresources?: readonly string[],
  categories?: readonly string[],
  traits?: readonly KindTrait[],
];

const ALL = ['all'] as const;
const GEN: readonly KindTrait[] = ['generation'];
const RETURNS_DELETED: readonly KindTrait[] = ['returns-deleted'];
const GEN_RETURNS_DELETED: readonly KindTrait[] = ['generation', 'returns-deleted'];

const ROWS: readonly KindRow[] = [
  ['', 'v1', 'Namespace', 'namespaces', false, ['ns'], ['status', 'finalize'], [], RETURNS_DELETED],
  ['', 'v1', 'Node', 'nodes', false, ['no'], ['status', 'proxy']],
  ['', 'v1', 'Pod', 'pods', true, ['po'], ['status', 'eviction', 'portforward', 'log', 'binding', 'ephemeralcontainers', 'exec', 'attach', 'proxy', 'resize'], ALL, GEN_RETURNS_DELETED],
  ['', 'v1', 'ConfigMap', 'configmaps', true, ['cm']],
  ['', 'v1', 'Secret', 'secrets', true],
  ['', 'v1', 'Service', 'services', true, ['svc'], ['status', 'proxy'], ALL, RETURNS_DELETED],
  ['', 'v1', 'Endpoints', 'endpoints', true, ['ep']],
  ['', 'v1', 'ServiceAccount', 'serviceaccounts', true, ['sa'], ['token'], [], RETURNS_DELETED],
  ['', 'v1', 'Event', 'events', true, ['ev']],
  ['', 'v1', 'PersistentVolume', 'persistentvolumes', false, ['pv'], ['status'], [], RETURNS_DELETED],
  ['', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, ['pvc'], ['status'], [], RETURNS_DELETED],
  ['', 'v1', 'ReplicationController', 'replicationcontrollers', true, ['rc'], ['status', 'scale'], ALL, GEN_RETURNS_DELETED],
  ['', 'v1', 'LimitRange', 'limitranges', true, ['limits']],
  ['', 'v1', 'ResourceQuota', 'resourcequotas', true, ['quota'], ['status'], [], RETURNS_DELETED],
  ['events.k8s.io', 'v1', 'Event', 'events', true, ['ev']],
  ['coordination.k8s.io', 'v1', 'Lease', 'leases', true],
  ['apps', 'v1', 'Deployment', 'deployments', true, ['deploy'], ['status', 'scale'], ALL, GEN],
  ['apps', 'v1', 'DaemonSet', 'daemonsets', true, ['ds'], ['status'], ALL, GEN],
  ['apps', 'v1', 'ReplicaSet', 'replicasets', true, ['rs'], ['status', 'scale'], ALL, GEN],
  ['apps', 'v1', 'StatefulSet', 'statefulsets', true, ['sts'], ['status', 'scale'], ALL, GEN],
  ['apps', 'v1', 'ControllerRevision', 'controllerrevisions', true],
  ['batch', 'v1', 'Job', 'jobs', true, [], ['status'], ALL, GEN_RETURNS_DELETED],
  ['batch', 'v1', 'CronJob', 'cronjobs', true, ['cj'], ['status'], ALL, GEN],
  ['rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true],
  ['rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false],
  ['policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, ['pdb'], ['status'], [], GEN],
  ['apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, ['crd', 'crds'], ['status'], ['api-extensions'], GEN],
  ['storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false, ['sc'], [], [], RETURNS_DELETED],
  ['storage.k8s.io', 'v1', 'CSIDriver', 'csidrivers', false, [], [], [], RETURNS_DELETED],
  ['storage.k8s.io', 'v1', 'CSINode', 'csinodes', false],
  ['storage.k8s.io', 'v1', 'VolumeAttachment', 'volumeattachments', false, [], ['status']],
  ['certificates.k8s.io', 'v1', 'CertificateSigningRequest', 'certificatesigningrequests', false, ['csr'], ['status', 'approval']],
  ['discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true, [], [], [], GEN],
  ['scheduling.k8s.io', 'v1', 'PriorityClass', 'priorityclasses', false, ['pc'], [], [], GEN],
  ['node.k8s.io', 'v1', 'RuntimeClass', 'runtimeclasses', false],
  ['networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, ['netpol'], [], [], GEN],
  ['networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, ['ing'], ['status'], [], GEN],
  ['admissionregistration.k8s.io', 'v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false, [], [], ['api-extensions'], GEN],
  ['admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false, [], [], ['api-extensions'], GEN],
  ['apiregistration.k8s.io', 'v1', 'APIService', 'apiservices', false, [], ['status'], ['api-extensions']],
];


function rowToKind([group, version, kind, plural, namespaced, shortNames, subresources, categories, traits]: KindRow): KindInfo {
  return {
    group,
    version,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    shortNames: shortNames ?? [],
    categories: categories ?? [],
    namespaced,
    verbs: ALL_VERBS,
    subresources: subresources ?? [],
    tracksGeneration: traits?.includes('generation') ?? false,
    deleteReturnsObject: traits?.includes('returns-deleted') ?? false,
    custom: false,
  };
}

/**
 * Review kinds: create-only questions about the caller's identity and
 * permissions, answered without storing anything (src/simulator/auth/reviews.ts).
 */
const REVIEW_ROWS: readonly KindRow[] = [
  ['authentication.k8s.io', 'v1', 'SelfSubjectReview', 'selfsubjectreviews', false],
  ['authentication.k8s.io', 'v1', 'TokenReview', 'tokenreviews', false],
  ['authorization.k8s.io', 'v1', 'LocalSubjectAccessReview', 'localsubjectaccessreviews', true],
  ['authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false],
  ['authorization.k8s.io', 'v1', 'SelfSubjectRulesReview', 'selfsubjectrulesreviews', false],
  ['authorization.k8s.io', 'v1', 'SubjectAccessReview', 'subjectaccessreviews', false],
];
const CREATE_ONLY: readonly string[] = ['create'];

export const BUILTIN_KINDS: readonly KindInfo[] = [...ROWS.map(rowToKind), ...REVIEW_ROWS.map((r) => ({ ...rowToKind(r), verbs: CREATE_ONLY }))];

/**
 * Order in which API groups are listed by discovery: kubectl resolves short
 * names and ambiguous plurals (`events`) by this order, so the core group
 * comes first and events.k8s.io after it, as in kube-apiserver.
 */
export const GROUP_PRIORITY: readonly string[] = [
  '',
  'apiregistration.k8s.io',
  'apps',
  'events.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'networking.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'node.k8s.io',
  'discovery.k8s.io',
];
