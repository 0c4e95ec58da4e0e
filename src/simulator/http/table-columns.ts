import type { KubeObject } from '../store/object.js';
import { isPlainObject } from '../store/object.js';
import { age, ageColumn, arr, get, nameColumn, str, type Column } from './table-cells.js';

/**
 * kube-apiserver's Table columns for built-in kinds (its printers): names,
 * types, priorities (1 = `-o wide`) and cells. Descriptions are our own
 * short words, not kube's API documentation.
 */

function nodeStatus(o: KubeObject): string {
  const ready = arr(get(o, 'status.conditions')).find((c) => c.type === 'Ready');
  const parts = [ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown'];
  if (get(o, 'spec.unschedulable') === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeRoles(o: KubeObject): string {
  const roles: string[] = [];
  for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.push(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v) roles.push(v);
  }
  return roles.length ? roles.sort().join(',') : '<none>';
}

function nodeAddress(type: string) {
  return (o: KubeObject): string => str(arr(get(o, 'status.addresses')).find((a) => a.type === type)?.address);
}

function podReady(o: KubeObject): string {
  const statuses = arr(get(o, 'status.containerStatuses'));
  const total = arr(get(o, 'spec.containers')).length;
  return `${statuses.filter((s) => s.ready === true).length}/${total}`;
}

function podStatus(o: KubeObject): string {
  if (o.metadata.deletionTimestamp) return 'Terminating';
  for (const s of arr(get(o, 'status.containerStatuses'))) {
    const waiting = get(s, 'state.waiting.reason');
    if (typeof waiting === 'string' && waiting) return waiting;
  }
  return str(get(o, 'status.reason'), str(get(o, 'status.phase'), 'Unknown'));
}

function podRestarts(o: KubeObject): number {
  return arr(get(o, 'status.containerStatuses')).reduce((n, s) => n + (typeof s.restartCount === 'number' ? s.restartCount : 0), 0);
}


const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** `k=v,k2=v2` sorted by key, or `<none>` (kube's labels.FormatLabels). */
function formatLabels(v: unknown): string {
  if (!isPlainObject(v) || Object.keys(v).length === 0) return '<none>';
  return Object.keys(v)
    .sort()
    .map((k) => `${k}=${String(v[k])}`)
    .join(',');
}

/** A metav1.LabelSelector as kubectl prints it: `app=web,tier in (a,b)`, `<none>` when empty. */
function formatSelector(v: unknown): string {
  if (!isPlainObject(v)) return '<none>';
  const parts: string[] = [];
  if (isPlainObject(v.matchLabels)) for (const k of Object.keys(v.matchLabels).sort()) parts.push(`${k}=${String(v.matchLabels[k])}`);
  for (const e of arr(v.matchExpressions)) {
    const values = Array.isArray(e.values) ? (e.values as unknown[]).map(String).sort().join(',') : '';
    const op = String(e.operator);
    if (op === 'In' || op === 'NotIn') parts.push(`${String(e.key)} ${op.toLowerCase()} (${values})`);
    else if (op === 'Exists') parts.push(String(e.key));
    else if (op === 'DoesNotExist') parts.push(`!${String(e.key)}`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

/** The wide columns of workloads: the template's container names and images, and the selector. */
function templateColumns(selectorPath: string): Column[] {
  const containers = (o: KubeObject): Record<string, unknown>[] => arr(get(o, 'spec.template.spec.containers'));
  return [
    { name: 'Containers', type: 'string', priority: 1, description: 'Names of each container in the template.', cell: (o) => containers(o).map((c) => String(c.name ?? '')).join(',') },
    { name: 'Images', type: 'string', priority: 1, description: 'Images referenced by each container in the template.', cell: (o) => containers(o).map((c) => String(c.image ?? '')).join(',') },
    { name: 'Selector', type: 'string', priority: 1, description: 'Label selector for the pods.', cell: (o) => formatSelector(get(o, selectorPath)) },
  ];
}

const createdAtColumn: Column = {
  name: 'Created At',
  type: 'date',
  priority: 0,
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  cell: (o) => str(o.metadata.creationTimestamp, ''),
};

function subjectsOf(kind: string, format: (s: Record<string, unknown>) => string): (o: KubeObject) => string {
  return (o) =>
    arr(o.subjects)
      .filter((s) => s.kind === kind)
      .map(format)
      .join(', ');
}

const bindingColumns: readonly Column[] = [
  nameColumn,
  { name: 'Role', type: 'string', priority: 0, description: 'The role the binding grants.', cell: (o) => `${String(get(o, 'roleRef.kind') ?? '')}/${String(get(o, 'roleRef.name') ?? '')}` },
  ageColumn,
  { name: 'Users', type: 'string', priority: 1, description: 'Users in the binding.', cell: subjectsOf('User', (s) => String(s.name ?? '')) },
  { name: 'Groups', type: 'string', priority: 1, description: 'Groups in the binding.', cell: subjectsOf('Group', (s) => String(s.name ?? '')) },
  { name: 'ServiceAccounts', type: 'string', priority: 1, description: 'ServiceAccounts in the binding.', cell: subjectsOf('ServiceAccount', (s) => `${String(s.namespace ?? '')}/${String(s.name ?? '')}`) },
];

/** When an Event was last seen: lastTimestamp, else (events.k8s.io style) the series or eventTime, else its creation. */
function eventLastSeen(o: KubeObject): unknown {
  return get(o, 'lastTimestamp') ?? get(o, 'series.lastObservedTime') ?? get(o, 'eventTime') ?? o.metadata.creationTimestamp;
}

/** `component, host` of an Event's source, else its reporting controller. */
function eventSource(o: KubeObject): string {
  const component = str(get(o, 'source.component'), '');
  const host = str(get(o, 'source.host'), '');
  if (component || host) return host ? `${component}, ${host}` : component;
  return str(get(o, 'reportingComponent'), '');
}

/** `port[:nodePort]/protocol` of each port, comma separated, `<none>` without ports (kube's service printer). */
function servicePorts(o: KubeObject): string {
  const ports = arr(get(o, 'spec.ports'));
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${String(p.port ?? '')}${typeof p.nodePort === 'number' && p.nodePort > 0 ? `:${p.nodePort}` : ''}/${str(p.protocol, 'TCP')}`).join(',');
}

/** External addresses: an ExternalName, the load balancer's, the spec's externalIPs, else `<none>` (`<pending>` for a LoadBalancer without one). */
function serviceExternalIP(o: KubeObject): string {
  const type = str(get(o, 'spec.type'), 'ClusterIP');
  if (type === 'ExternalName') return str(get(o, 'spec.externalName'), '<none>');
  const external = arr(get(o, 'spec.externalIPs') as unknown[] | undefined).map(String);
  if (type === 'LoadBalancer') {
    const ingress = arr(get(o, 'status.loadBalancer.ingress')).map((i) => str(i.ip, str(i.hostname, '')));
    const all = [...ingress, ...external].filter(Boolean);
    return all.length ? all.join(',') : '<pending>';
  }
  return external.length ? external.join(',') : '<none>';
}

/** How many addresses or ports a list cell shows before `+ N more...` (kube's printers). */
const LIST_CELL_MAX = 3;

function capped(items: readonly string[], empty: string): string {
  if (items.length === 0) return empty;
  const shown = items.slice(0, LIST_CELL_MAX).join(',');
  return items.length > LIST_CELL_MAX ? `${shown} + ${items.length - LIST_CELL_MAX} more...` : shown;
}

/** `ip:port` for every port and address of every subset (addresses alone without ports). */
function endpointsCell(o: KubeObject): string {
  const out: string[] = [];
  for (const subset of arr(o.subsets)) {
    const addresses = arr(subset.addresses).map((a) => str(a.ip, ''));
    const ports = arr(subset.ports);
    if (ports.length === 0) out.push(...addresses);
    else for (const p of ports) for (const ip of addresses) out.push(`${ip.includes(':') ? `[${ip}]` : ip}:${String(p.port ?? '')}`);
  }
  return capped(out, '<none>');
}

export const BUILTIN_COLUMNS: Readonly<Record<string, readonly Column[]>> = {
  '/nodes': [
    nameColumn,
    { name: 'Status', type: 'string', priority: 0, description: 'The status of the node', cell: nodeStatus },
    { name: 'Roles', type: 'string', priority: 0, description: 'The roles of the node', cell: nodeRoles },
    ageColumn,
    { name: 'Version', type: 'string', priority: 0, description: 'Kubelet Version reported by the node.', cell: (o) => str(get(o, 'status.nodeInfo.kubeletVersion'), '') },
    { name: 'Internal-IP', type: 'string', priority: 1, description: 'List of internal IPs.', cell: nodeAddress('InternalIP') },
    { name: 'External-IP', type: 'string', priority: 1, description: 'List of external IPs.', cell: nodeAddress('ExternalIP') },
    { name: 'OS-Image', type: 'string', priority: 1, description: 'OS Image reported by the node.', cell: (o) => str(get(o, 'status.nodeInfo.osImage'), '<unknown>') },
    { name: 'Kernel-Version', type: 'string', priority: 1, description: 'Kernel Version reported by the node.', cell: (o) => str(get(o, 'status.nodeInfo.kernelVersion'), '<unknown>') },
    { name: 'Container-Runtime', type: 'string', priority: 1, description: 'Container Runtime Version reported by the node.', cell: (o) => str(get(o, 'status.nodeInfo.containerRuntimeVersion'), '<unknown>') },
  ],
  '/pods': [
    nameColumn,
    { name: 'Ready', type: 'string', priority: 0, description: 'The aggregate readiness state of this pod for accepting traffic.', cell: podReady },
    { name: 'Status', type: 'string', priority: 0, description: 'The aggregate status of the containers in this pod.', cell: podStatus },
    { name: 'Restarts', type: 'string', priority: 0, description: 'The number of times the containers in this pod have been restarted.', cell: (o) => String(podRestarts(o)) },
    ageColumn,
    { name: 'IP', type: 'string', priority: 1, description: 'IP address allocated to the pod.', cell: (o) => str(get(o, 'status.podIP')) },
    { name: 'Node', type: 'string', priority: 1, description: 'Name of the Node the Pod is assigned to.', cell: (o) => str(get(o, 'spec.nodeName')) },
    { name: 'Nominated Node', type: 'string', priority: 1, description: 'Name of the Node nominated by the scheduler.', cell: (o) => str(get(o, 'status.nominatedNodeName')) },
    { name: 'Readiness Gates', type: 'string', priority: 1, description: 'Pod readiness gates.', cell: () => '<none>' },
  ],
  '/namespaces': [nameColumn, { name: 'Status', type: 'string', priority: 0, description: 'The status of the namespace', cell: (o) => str(get(o, 'status.phase'), '') }, ageColumn],
  '/configmaps': [nameColumn, { name: 'Data', type: 'string', priority: 0, description: 'Number of keys.', cell: (o) => Object.keys((o.data as object | undefined) ?? {}).length + Object.keys((o.binaryData as object | undefined) ?? {}).length }, ageColumn],
  '/secrets': [
    nameColumn,
    { name: 'Type', type: 'string', priority: 0, description: 'The type of the secret', cell: (o) => str(o.type, 'Opaque') },
    { name: 'Data', type: 'string', priority: 0, description: 'The number of keys in the secret.', cell: (o) => Object.keys((o.data as object | undefined) ?? {}).length },
    ageColumn,
  ],
  'apps/deployments': [
    nameColumn,
    { name: 'Ready', type: 'string', priority: 0, description: 'Number of the pod with ready state', cell: (o) => `${Number(get(o, 'status.readyReplicas') ?? 0)}/${Number(get(o, 'spec.replicas') ?? 1)}` },
    { name: 'Up-to-date', type: 'string', priority: 0, description: 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', cell: (o) => Number(get(o, 'status.updatedReplicas') ?? 0) },
    { name: 'Available', type: 'string', priority: 0, description: 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', cell: (o) => Number(get(o, 'status.availableReplicas') ?? 0) },
    ageColumn,
    ...templateColumns('spec.selector'),
  ],
  '/services': [
    nameColumn,
    { name: 'Type', type: 'string', priority: 0, description: 'The type of the service.', cell: (o) => str(get(o, 'spec.type'), 'ClusterIP') },
    { name: 'Cluster-IP', type: 'string', priority: 0, description: 'The cluster IP of the service.', cell: (o) => str(get(o, 'spec.clusterIP'), '<none>') },
    { name: 'External-IP', type: 'string', priority: 0, description: 'The external addresses of the service.', cell: serviceExternalIP },
    { name: 'Port(s)', type: 'string', priority: 0, description: 'The ports the service exposes.', cell: servicePorts },
    ageColumn,
    { name: 'Selector', type: 'string', priority: 1, description: 'The selector of the pods behind the service.', cell: (o) => formatLabels(get(o, 'spec.selector')) },
  ],
  '/endpoints': [nameColumn, { name: 'Endpoints', type: 'string', priority: 0, description: 'The addresses and ports of the endpoints.', cell: endpointsCell }, ageColumn],
  'discovery.k8s.io/endpointslices': [
    nameColumn,
    { name: 'AddressType', type: 'string', priority: 0, description: 'The type of address of the endpoints.', cell: (o) => str(o.addressType, '') },
    { name: 'Ports', type: 'string', priority: 0, description: 'The ports of the endpoints.', cell: (o) => capped(arr(o.ports).map((p) => (typeof p.port === 'number' ? String(p.port) : '<unset>')), '<unset>') },
    { name: 'Endpoints', type: 'string', priority: 0, description: 'The addresses of the endpoints.', cell: (o) => capped(arr(o.endpoints).flatMap((e) => (Array.isArray(e.addresses) ? e.addresses.map(String) : [])), '<none>') },
    ageColumn,
  ],
  'apps/replicasets': [
    nameColumn,
    { name: 'Desired', type: 'integer', priority: 0, description: 'Number of desired pods.', cell: (o) => num(get(o, 'spec.replicas') ?? 1) },
    { name: 'Current', type: 'integer', priority: 0, description: 'Number of actual running pods.', cell: (o) => num(get(o, 'status.replicas')) },
    { name: 'Ready', type: 'integer', priority: 0, description: 'Number of ready pods.', cell: (o) => num(get(o, 'status.readyReplicas')) },
    ageColumn,
    ...templateColumns('spec.selector'),
  ],
  'apps/daemonsets': [
    nameColumn,
    { name: 'Desired', type: 'integer', priority: 0, description: 'The number of nodes that should run the daemon pod.', cell: (o) => num(get(o, 'status.desiredNumberScheduled')) },
    { name: 'Current', type: 'integer', priority: 0, description: 'The number of nodes running at least one daemon pod.', cell: (o) => num(get(o, 'status.currentNumberScheduled')) },
    { name: 'Ready', type: 'integer', priority: 0, description: 'The number of nodes whose daemon pod is ready.', cell: (o) => num(get(o, 'status.numberReady')) },
    { name: 'Up-to-date', type: 'integer', priority: 0, description: 'The number of nodes running the updated daemon pod.', cell: (o) => num(get(o, 'status.updatedNumberScheduled')) },
    { name: 'Available', type: 'integer', priority: 0, description: 'The number of nodes whose daemon pod is available.', cell: (o) => num(get(o, 'status.numberAvailable')) },
    { name: 'Node Selector', type: 'string', priority: 0, description: 'The node selector of the daemon pods.', cell: (o) => formatLabels(get(o, 'spec.template.spec.nodeSelector')) },
    ageColumn,
    ...templateColumns('spec.selector'),
  ],
  '/events': [
    { name: 'Last Seen', type: 'string', priority: 0, description: 'When the event was last seen.', cell: (o, now) => age(eventLastSeen(o), now) },
    { name: 'Type', type: 'string', priority: 0, description: 'Normal or Warning.', cell: (o) => str(o.type, '') },
    { name: 'Reason', type: 'string', priority: 0, description: 'Why the event happened, in one word.', cell: (o) => str(o.reason, '') },
    { name: 'Object', type: 'string', priority: 0, description: 'The object the event is about.', cell: (o) => `${String(get(o, 'involvedObject.kind') ?? '').toLowerCase()}/${String(get(o, 'involvedObject.name') ?? '')}` },
    { name: 'Subobject', type: 'string', priority: 1, description: 'The part of the object the event is about.', cell: (o) => str(get(o, 'involvedObject.fieldPath'), '') },
    { name: 'Source', type: 'string', priority: 1, description: 'The component that reported the event.', cell: eventSource },
    { name: 'Message', type: 'string', priority: 0, description: 'What happened, for humans.', cell: (o) => str(o.message, '') },
    { name: 'First Seen', type: 'string', priority: 1, description: 'When the event was first seen.', cell: (o, now) => age(get(o, 'firstTimestamp') ?? get(o, 'eventTime') ?? o.metadata.creationTimestamp, now) },
    { name: 'Count', type: 'string', priority: 1, description: 'How many times the event happened.', cell: (o) => (typeof o.count === 'number' && o.count > 0 ? o.count : 1) },
    { ...nameColumn, priority: 1 },
  ],
  '/serviceaccounts': [nameColumn, { name: 'Secrets', type: 'string', priority: 0, description: 'The number of secrets listed by the service account.', cell: (o) => arr(o.secrets).length }, ageColumn],
  'rbac.authorization.k8s.io/roles': [nameColumn, createdAtColumn],
  'rbac.authorization.k8s.io/clusterroles': [nameColumn, createdAtColumn],
  'rbac.authorization.k8s.io/rolebindings': bindingColumns,
  'rbac.authorization.k8s.io/clusterrolebindings': bindingColumns,
  'coordination.k8s.io/leases': [nameColumn, { name: 'Holder', type: 'string', priority: 0, description: 'The holder of the lease', cell: (o) => str(get(o, 'spec.holderIdentity'), '') }, ageColumn],
};

