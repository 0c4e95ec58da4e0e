import type { IdentityName } from './targets.js';

/**
 * The scenarios: one request each, sent as one identity to both servers
 * after the same setup. Named `area: what is asked` so the summary and the
 * allowlist read as a list of behaviours.
 */

export interface Request {
  readonly as: IdentityName;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly token?: string;
  readonly accept?: string;
  /** A body sent as these exact characters (instead of `body` as JSON). */
  readonly rawBody?: string;
  /** Only the status code and content type are compared (documents too large and too version-specific to diff). */
  readonly presenceOnly?: boolean;
}

export interface Scenario extends Request {
  readonly name: string;
}

const NS = 'diff';
const RBAC = 'rbac.authorization.k8s.io';
const json = 'application/json';
const mergePatch = 'application/merge-patch+json';

/** Objects every scenario may rely on, created as admin on both servers, in this order. */
export const SETUP: readonly Request[] = [
  { as: 'admin', method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } },
  { as: 'admin', method: 'POST', path: `/api/v1/namespaces/${NS}/configmaps`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1', labels: { app: 'diff' } }, data: { a: '1' } } },
  { as: 'admin', method: 'POST', path: `/api/v1/namespaces/${NS}/secrets`, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, type: 'Opaque', data: { k: 'dg==' } } },
  { as: 'admin', method: 'POST', path: '/api/v1/nodes', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', labels: { role: 'worker' } } } },
  {
    as: 'admin',
    method: 'POST',
    path: `/apis/${RBAC}/v1/clusterrolebindings`,
    body: { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'viewers' }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'view' }, subjects: [{ apiGroup: RBAC, kind: 'Group', name: 'fkas:viewers' }] },
  },
  {
    as: 'admin',
    method: 'POST',
    path: `/apis/${RBAC}/v1/namespaces/${NS}/rolebindings`,
    body: { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'vera-edits' }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'edit' }, subjects: [{ apiGroup: RBAC, kind: 'User', name: 'vera' }] },
  },
  { as: 'admin', method: 'POST', path: `/apis/${RBAC}/v1/namespaces/${NS}/roles`, body: { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: 'reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] } },
  { as: 'admin', method: 'POST', path: `/apis/${RBAC}/v1/clusterroles`, body: { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: 'diff-reader' }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }] } },
  { as: 'admin', method: 'POST', path: `/api/v1/namespaces/${NS}/serviceaccounts`, body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot' } } },
  {
    as: 'admin',
    method: 'POST',
    path: `/api/v1/namespaces/${NS}/events`,
    body: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'ev1' },
      involvedObject: { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm1', namespace: NS },
      reason: 'Tested',
      message: 'the differential suite was here',
      type: 'Normal',
      source: { component: 'differential' },
      firstTimestamp: '2026-01-01T00:00:00Z',
      lastTimestamp: '2026-01-01T00:00:00Z',
      count: 1,
    },
  },
  { as: 'admin', method: 'POST', path: `/apis/apps/v1/namespaces/${NS}/daemonsets`, body: { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds' }, spec: { selector: { matchLabels: { app: 'ds' } }, template: { metadata: { labels: { app: 'ds' } }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } } } } },
  { as: 'admin', method: 'POST', path: `/apis/apps/v1/namespaces/${NS}/deployments`, body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', ports: [{ containerPort: 80 }] }] } } } } },
  { as: 'admin', method: 'POST', path: `/api/v1/namespaces/${NS}/pods`, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } } },
];

const template = { metadata: { labels: { app: 'k' } }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } };
/** One create per kind the fake cluster serves (beyond the setup's), answered with the stored object: defaults, status, generation, managedFields. */
const CREATES: readonly [string, string, Record<string, unknown>][] = [
  ['services', `/api/v1/namespaces/${NS}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' }, spec: { selector: { app: 'k' }, ports: [{ port: 80 }] } }],
  ['headless services', `/api/v1/namespaces/${NS}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'headless' }, spec: { clusterIP: 'None', selector: { app: 'k' }, ports: [{ name: 'web', port: 80, targetPort: 8080 }] } }],
  ['endpoints', `/api/v1/namespaces/${NS}/endpoints`, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'ep' }, subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }] }],
  ['persistentvolumeclaims', `/api/v1/namespaces/${NS}/persistentvolumeclaims`, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'pvc' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
  ['replicationcontrollers', `/api/v1/namespaces/${NS}/replicationcontrollers`, { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc' }, spec: { selector: { app: 'k' }, template } }],
  ['resourcequotas', `/api/v1/namespaces/${NS}/resourcequotas`, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'rq' }, spec: { hard: { pods: '10' } } }],
  ['limitranges', `/api/v1/namespaces/${NS}/limitranges`, { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr' }, spec: { limits: [{ type: 'Container', max: { cpu: '1' } }] } }],
  ['replicasets', `/apis/apps/v1/namespaces/${NS}/replicasets`, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs' }, spec: { selector: { matchLabels: { app: 'k' } }, template } }],
  ['statefulsets', `/apis/apps/v1/namespaces/${NS}/statefulsets`, { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'sts' }, spec: { serviceName: 'headless', selector: { matchLabels: { app: 'k' } }, template } }],
  ['jobs', `/apis/batch/v1/namespaces/${NS}/jobs`, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'job' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } } } }],
  ['cronjobs', `/apis/batch/v1/namespaces/${NS}/cronjobs`, { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'cj' }, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } } } } } }],
  ['leases', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'lease' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 15 } }],
  ['poddisruptionbudgets', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'pdb' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'k' } } } }],
  ['endpointslices', `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'eps' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ port: 80 }] }],
  ['networkpolicies', `/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np' }, spec: { podSelector: {} } }],
  ['ingresses', `/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses`, { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'ing' }, spec: { defaultBackend: { service: { name: 'svc', port: { number: 80 } } } } }],
  ['storageclasses', '/apis/storage.k8s.io/v1/storageclasses', { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'sc' }, provisioner: 'example.com/x' }],
  ['csidrivers', '/apis/storage.k8s.io/v1/csidrivers', { apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: 'csi.example.com' } }],
  ['priorityclasses', '/apis/scheduling.k8s.io/v1/priorityclasses', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'pc' }, value: 5 }],
  ['runtimeclasses', '/apis/node.k8s.io/v1/runtimeclasses', { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'rc' }, handler: 'h' }],
  ['validatingwebhookconfigurations', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'vwc' } }],
  ['namespaces', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'created' } }],
  ['nodes that are Ready', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-ready' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }],
];

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const PROTOBUF = 'application/vnd.kubernetes.protobuf';
/** The kinds whose Table columns the issue found wrong, and a few more kubectl users look at. */
const TABLE_PATHS: readonly [string, string][] = [
  ['events', `/api/v1/namespaces/${NS}/events?fieldSelector=reason%3DTested`],
  ['daemonsets', `/apis/apps/v1/namespaces/${NS}/daemonsets`],
  ['deployments', `/apis/apps/v1/namespaces/${NS}/deployments`],
  ['serviceaccounts', `/api/v1/namespaces/${NS}/serviceaccounts/robot`],
  ['roles', `/apis/${RBAC}/v1/namespaces/${NS}/roles`],
  ['rolebindings', `/apis/${RBAC}/v1/namespaces/${NS}/rolebindings`],
  ['clusterroles', `/apis/${RBAC}/v1/clusterroles/diff-reader`],
  ['clusterrolebindings', `/apis/${RBAC}/v1/clusterrolebindings/viewers`],
  ['configmaps', `/api/v1/namespaces/${NS}/configmaps/cm1`],
  ['secrets', `/api/v1/namespaces/${NS}/secrets`],
  ['nodes', '/api/v1/nodes/node-a'],
  ['pods', `/api/v1/namespaces/${NS}/pods`],
  ['namespaces', `/api/v1/namespaces/${NS}`],
];

/** `{"a":{"a":…}}` nested `depth` levels: kube-apiserver refuses it before decoding. */
const nested = (depth: number): string => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":${'{"a":'.repeat(depth)}"x"${'}'.repeat(depth)}}`;

const ssar = (resourceAttributes: Record<string, string>): unknown => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } });

export const SCENARIOS: readonly Scenario[] = [
  // Authentication and authorization of plain requests.
  { name: 'authn: anonymous GET /', as: 'anonymous', method: 'GET', path: '/' },
  { name: 'authn: anonymous GET /healthz', as: 'anonymous', method: 'GET', path: '/healthz' },
  { name: 'authn: anonymous GET /livez', as: 'anonymous', method: 'GET', path: '/livez' },
  { name: 'authn: anonymous GET /readyz', as: 'anonymous', method: 'GET', path: '/readyz' },
  { name: 'authn: anonymous GET /healthz/ping', as: 'anonymous', method: 'GET', path: '/healthz/ping' },
  { name: 'authn: anonymous GET /api', as: 'anonymous', method: 'GET', path: '/api' },
  { name: 'authn: anonymous lists nodes', as: 'anonymous', method: 'GET', path: '/api/v1/nodes' },
  { name: 'authn: unknown bearer token', as: 'anonymous', method: 'GET', path: '/api/v1/nodes', token: 'not-a-token' },
  { name: 'authz: jane lists nodes', as: 'jane', method: 'GET', path: '/api/v1/nodes' },
  { name: 'authz: jane gets a node', as: 'jane', method: 'GET', path: '/api/v1/nodes/node-a' },
  { name: 'authz: jane reads kube-system secrets', as: 'jane', method: 'GET', path: '/api/v1/namespaces/kube-system/secrets' },
  { name: 'authz: jane creates a namespace', as: 'jane', method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'jane' } } },
  { name: 'authz: jane lists deployments', as: 'jane', method: 'GET', path: `/apis/apps/v1/namespaces/${NS}/deployments` },
  { name: 'authz: jane reads pod logs', as: 'jane', method: 'GET', path: `/api/v1/namespaces/${NS}/pods/p/log` },
  { name: 'authz: jane watches one node by field selector', as: 'jane', method: 'GET', path: '/api/v1/nodes?watch=true&fieldSelector=metadata.name%3Dnode-a&timeoutSeconds=1' },
  { name: 'authz: jane GET /api', as: 'jane', method: 'GET', path: '/api' },
  { name: 'authz: jane GET /', as: 'jane', method: 'GET', path: '/' },
  { name: 'authz: jane GET /metrics', as: 'jane', method: 'GET', path: '/metrics' },
  { name: 'authz: vera (view) lists configmaps', as: 'vera', method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps` },
  { name: 'authz: vera (view) lists nodes', as: 'vera', method: 'GET', path: '/api/v1/nodes' },
  { name: 'authz: vera (view) lists secrets in default', as: 'vera', method: 'GET', path: '/api/v1/namespaces/default/secrets' },
  { name: 'authz: vera (edit in diff) gets a secret', as: 'vera', method: 'GET', path: `/api/v1/namespaces/${NS}/secrets/s1` },
  { name: 'authz: vera (edit in diff) creates a rolebinding', as: 'vera', method: 'POST', path: `/apis/${RBAC}/v1/namespaces/${NS}/rolebindings`, body: { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'x' }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'view' }, subjects: [] } },

  // Review APIs.
  { name: 'review: admin SelfSubjectReview', as: 'admin', method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } },
  { name: 'review: jane SelfSubjectReview', as: 'jane', method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } },
  { name: 'review: anonymous SelfSubjectReview', as: 'anonymous', method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } },
  { name: 'review: jane may list nodes?', as: 'jane', method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', body: ssar({ verb: 'list', resource: 'nodes' }) },
  { name: 'review: admin may list nodes?', as: 'admin', method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', body: ssar({ verb: 'list', resource: 'nodes' }) },
  { name: 'review: vera may get configmaps in diff?', as: 'vera', method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', body: ssar({ verb: 'get', resource: 'configmaps', namespace: NS }) },
  { name: 'review: vera may delete secrets in diff?', as: 'vera', method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', body: ssar({ verb: 'delete', resource: 'secrets', namespace: NS }) },
  {
    name: 'review: jane may GET /healthz?',
    as: 'jane',
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { nonResourceAttributes: { path: '/healthz', verb: 'get' } } },
  },
  { name: 'review: SelfSubjectAccessReview without attributes', as: 'jane', method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: {} } },
  {
    name: 'review: admin asks for vera (SubjectAccessReview)',
    as: 'admin',
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'vera', groups: ['fkas:viewers'], resourceAttributes: { verb: 'list', resource: 'pods', namespace: 'default' } } },
  },
  {
    name: 'review: jane may not ask for others (SubjectAccessReview)',
    as: 'jane',
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'vera', resourceAttributes: { verb: 'list', resource: 'pods' } } },
  },
  {
    name: 'review: admin asks in diff for vera (LocalSubjectAccessReview)',
    as: 'admin',
    method: 'POST',
    path: `/apis/authorization.k8s.io/v1/namespaces/${NS}/localsubjectaccessreviews`,
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', spec: { user: 'vera', resourceAttributes: { verb: 'create', resource: 'rolebindings', group: RBAC, namespace: NS } } },
  },
  { name: 'review: vera rules in diff', as: 'vera', method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: NS } } },
  { name: 'review: jane rules in default', as: 'jane', method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'default' } } },
  {
    name: 'review: admin TokenReview of a token nobody has',
    as: 'admin',
    method: 'POST',
    path: '/apis/authentication.k8s.io/v1/tokenreviews',
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'not-a-token', audiences: ['x'] } },
  },
  { name: 'review: TokenReview without a token', as: 'admin', method: 'POST', path: '/apis/authentication.k8s.io/v1/tokenreviews', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: {} } },
  { name: 'review: jane may not review tokens', as: 'jane', method: 'POST', path: '/apis/authentication.k8s.io/v1/tokenreviews', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'x' } } },
  { name: 'review: GET on selfsubjectaccessreviews', as: 'admin', method: 'GET', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews' },
  { name: 'discovery: /api', as: 'admin', method: 'GET', path: '/api' },
  { name: 'discovery: v1', as: 'admin', method: 'GET', path: '/api/v1' },
  { name: 'discovery: /apis', as: 'admin', method: 'GET', path: '/apis' },
  { name: 'discovery: apps/v1', as: 'admin', method: 'GET', path: '/apis/apps/v1' },
  { name: 'discovery: rbac.authorization.k8s.io/v1', as: 'admin', method: 'GET', path: `/apis/${RBAC}/v1` },
  { name: 'discovery: coordination.k8s.io/v1', as: 'admin', method: 'GET', path: '/apis/coordination.k8s.io/v1' },
  { name: 'discovery: batch/v1', as: 'admin', method: 'GET', path: '/apis/batch/v1' },
  { name: 'discovery: /version', as: 'admin', method: 'GET', path: '/version', presenceOnly: true },
  { name: 'discovery: authorization.k8s.io/v1', as: 'admin', method: 'GET', path: '/apis/authorization.k8s.io/v1' },
  { name: 'discovery: authentication.k8s.io/v1', as: 'admin', method: 'GET', path: '/apis/authentication.k8s.io/v1' },

  // Verbs on nodes, configmaps and secrets, error cases included.
  { name: 'nodes: get', as: 'admin', method: 'GET', path: '/api/v1/nodes/node-a' },
  { name: 'nodes: get one that does not exist', as: 'admin', method: 'GET', path: '/api/v1/nodes/nope' },
  { name: 'nodes: list by label', as: 'admin', method: 'GET', path: '/api/v1/nodes?labelSelector=role%3Dworker' },
  { name: 'nodes: unsupported field selector', as: 'admin', method: 'GET', path: '/api/v1/nodes?fieldSelector=status.phase%3DRunning' },
  { name: 'nodes: bad label selector', as: 'admin', method: 'GET', path: '/api/v1/nodes?labelSelector=a%20in%20b' },
  ...['a in (b', '=a', 'a,', 'a b', '!a=b', 'a in (b,c', 'a in ()', 'a notin (,b)', 'a>1', 'a<', 'a=b,,c', 'a==b', 'x in (a) y'].map(
    (sel): Scenario => ({ name: `nodes: label selector ${JSON.stringify(sel)}`, as: 'admin', method: 'GET', path: `/api/v1/nodes?labelSelector=${encodeURIComponent(sel)}` }),
  ),
  { name: 'nodes: merge-patch labels', as: 'admin', method: 'PATCH', path: '/api/v1/nodes/node-a', contentType: mergePatch, body: { metadata: { labels: { patched: 'yes' } } } },
  { name: 'configmaps: get', as: 'admin', method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps/cm1` },
  { name: 'configmaps: create a duplicate', as: 'admin', method: 'POST', path: `/api/v1/namespaces/${NS}/configmaps`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1' } } },
  { name: 'configmaps: update with a stale resourceVersion', as: 'admin', method: 'PUT', path: `/api/v1/namespaces/${NS}/configmaps/cm1`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1', resourceVersion: '1' }, data: { a: '2' } } },
  { name: 'configmaps: unsupported field selector', as: 'admin', method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps?fieldSelector=data.a%3D1` },
  { name: 'configmaps: an object as a data value', as: 'admin', method: 'POST', path: `/api/v1/namespaces/${NS}/configmaps`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'typed' }, data: { a: { b: 1 } } } },
  { name: 'configmaps: in a namespace that does not exist', as: 'admin', method: 'POST', path: '/api/v1/namespaces/nowhere/configmaps', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } },
  { name: 'configmaps: list with a label selector', as: 'admin', method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps?labelSelector=app%3Ddiff` },
  { name: 'secrets: list by type (a supported field selector)', as: 'admin', method: 'GET', path: `/api/v1/namespaces/${NS}/secrets?fieldSelector=type%3DOpaque` },
  { name: 'secrets: data that is not base64', as: 'admin', method: 'POST', path: `/api/v1/namespaces/${NS}/secrets`, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bad' }, data: { k: 'not base64!' } } },
  { name: 'secrets: delete one that does not exist', as: 'admin', method: 'DELETE', path: `/api/v1/namespaces/${NS}/secrets/nope` },
  { name: 'secrets: delete', as: 'admin', method: 'DELETE', path: `/api/v1/namespaces/${NS}/secrets/s1` },

  // Tables (kubectl get), protobuf, OpenAPI.
  ...TABLE_PATHS.map(([kind, path]): Scenario => ({ name: `table: ${kind}`, as: 'admin', method: 'GET', path, accept: TABLE })),
  { name: 'protobuf: get a configmap', as: 'admin', method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps/cm1`, accept: PROTOBUF },
  { name: 'protobuf: list nodes', as: 'admin', method: 'GET', path: '/api/v1/nodes', accept: PROTOBUF },
  { name: 'protobuf: preferred, JSON accepted', as: 'admin', method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps/cm1`, accept: `${PROTOBUF}, application/json` },
  { name: 'protobuf: JSON preferred', as: 'admin', method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps/cm1`, accept: `application/json, ${PROTOBUF}` },
  { name: 'protobuf: get a pod (defaults, status, tolerations)', as: 'admin', method: 'GET', path: `/api/v1/namespaces/${NS}/pods/p`, accept: PROTOBUF },
  { name: 'protobuf: list deployments', as: 'admin', method: 'GET', path: `/apis/apps/v1/namespaces/${NS}/deployments`, accept: PROTOBUF },
  { name: 'protobuf: get a node', as: 'admin', method: 'GET', path: '/api/v1/nodes/node-a', accept: PROTOBUF },
  { name: 'protobuf: a 404 as protobuf Status', as: 'admin', method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps/nope`, accept: PROTOBUF },
  { name: 'table: configmaps, asked for by a client that also takes protobuf', as: 'admin', method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps`, accept: `application/json;as=Table;v=v1;g=meta.k8s.io,${PROTOBUF}` },

  { name: 'openapi: /openapi/v2 is served', as: 'admin', method: 'GET', path: '/openapi/v2', presenceOnly: true },
  { name: 'openapi: /openapi/v3/api/v1 is served', as: 'admin', method: 'GET', path: '/openapi/v3/api/v1', presenceOnly: true },
  { name: 'openapi: /openapi/v3/apis/apps/v1 is served', as: 'admin', method: 'GET', path: '/openapi/v3/apis/apps/v1', presenceOnly: true },
  { name: 'openapi: /openapi/v3 lists the core group', as: 'admin', method: 'GET', path: '/openapi/v3', presenceOnly: true },

  // Pods, workloads and their subresources.
  { name: 'pods: get (defaults and status)', as: 'admin', method: 'GET', path: `/api/v1/namespaces/${NS}/pods/p` },
  { name: 'pods: log of a pod on no node', as: 'admin', method: 'GET', path: `/api/v1/namespaces/${NS}/pods/p/log` },
  { name: 'pods: log of a pod that does not exist', as: 'admin', method: 'GET', path: `/api/v1/namespaces/${NS}/pods/nope/log` },
  { name: 'deployments: get (defaults)', as: 'admin', method: 'GET', path: `/apis/apps/v1/namespaces/${NS}/deployments/web` },
  { name: 'daemonsets: get (defaults)', as: 'admin', method: 'GET', path: `/apis/apps/v1/namespaces/${NS}/daemonsets/ds` },
  { name: 'events: get', as: 'admin', method: 'GET', path: `/api/v1/namespaces/${NS}/events/ev1` },
  { name: 'serviceaccounts: get', as: 'admin', method: 'GET', path: `/api/v1/namespaces/${NS}/serviceaccounts/robot` },
  { name: 'roles: list', as: 'admin', method: 'GET', path: `/apis/${RBAC}/v1/namespaces/${NS}/roles` },

  ...CREATES.map(([what, path, body]): Scenario => ({ name: `create: ${what}`, as: 'admin', method: 'POST', path, body })),

  // Bodies kube-apiserver refuses before they reach storage.
  { name: 'bodies: JSON nested 10,000 levels', as: 'admin', method: 'POST', path: `/api/v1/namespaces/${NS}/configmaps`, rawBody: nested(10_000) },
  { name: 'bodies: JSON nested 200 levels in a data value', as: 'admin', method: 'POST', path: `/api/v1/namespaces/${NS}/configmaps`, rawBody: nested(200) },
  { name: 'configmaps: a number as a data value', as: 'admin', method: 'POST', path: `/api/v1/namespaces/${NS}/configmaps`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'typed2' }, data: { a: 1 } } },
  { name: 'configmaps: a string as data', as: 'admin', method: 'POST', path: `/api/v1/namespaces/${NS}/configmaps`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'typed3' }, data: 'x' } },

  // The scale subresource (kubectl scale), in this order: each write changes what the next one sees.
  { name: 'scale: a Deployment as a Scale', as: 'admin', method: 'GET', path: `/apis/apps/v1/namespaces/${NS}/deployments/web/scale` },
  { name: 'scale: kubectl scale (merge patch of spec.replicas)', as: 'admin', method: 'PATCH', path: `/apis/apps/v1/namespaces/${NS}/deployments/web/scale`, contentType: mergePatch, body: { spec: { replicas: 3 } } },
  { name: 'scale: the Deployment after it (generation, managedFields through scale)', as: 'admin', method: 'GET', path: `/apis/apps/v1/namespaces/${NS}/deployments/web` },
  { name: 'scale: a JSON patch of spec.replicas', as: 'admin', method: 'PATCH', path: `/apis/apps/v1/namespaces/${NS}/deployments/web/scale`, contentType: 'application/json-patch+json', body: [{ op: 'replace', path: '/spec/replicas', value: 4 }] },
  { name: 'scale: negative replicas are invalid', as: 'admin', method: 'PATCH', path: `/apis/apps/v1/namespaces/${NS}/deployments/web/scale`, contentType: mergePatch, body: { spec: { replicas: -1 } } },
  { name: 'scale: replicas that are not a number', as: 'admin', method: 'PATCH', path: `/apis/apps/v1/namespaces/${NS}/deployments/web/scale`, contentType: mergePatch, body: { spec: { replicas: 'x' } } },
  { name: 'scale: PUT of a Scale', as: 'admin', method: 'PUT', path: `/apis/apps/v1/namespaces/${NS}/deployments/web/scale`, body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: NS }, spec: { replicas: 2 } } },
  { name: 'scale: PUT with a stale resourceVersion', as: 'admin', method: 'PUT', path: `/apis/apps/v1/namespaces/${NS}/deployments/web/scale`, body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: NS, resourceVersion: '1' }, spec: { replicas: 5 } } },
  { name: 'scale: PUT of replicas that are not a number', as: 'admin', method: 'PUT', path: `/apis/apps/v1/namespaces/${NS}/deployments/web/scale`, body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: NS }, spec: { replicas: 'x' } } },
  { name: 'scale: to zero (spec.replicas left out of the Scale)', as: 'admin', method: 'PATCH', path: `/apis/apps/v1/namespaces/${NS}/deployments/web/scale`, contentType: mergePatch, body: { spec: { replicas: 0 } } },
  { name: 'scale: a kind without it', as: 'admin', method: 'GET', path: `/api/v1/namespaces/${NS}/configmaps/cm1/scale` },
  { name: 'scale: of a Deployment that does not exist', as: 'admin', method: 'GET', path: `/apis/apps/v1/namespaces/${NS}/deployments/nope/scale` },
];

export const JSON_TYPE = json;
