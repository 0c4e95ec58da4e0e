import type { KindInfo, PrinterColumn } from '../kinds/kind.js';
import { isPlainObject, type KubeObject } from '../store/object.js';

/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`),
 * which is what `kubectl get` renders. Columns for the kinds people look at
 * most (nodes, pods) match kube-apiserver; CRDs use their
 * additionalPrinterColumns; everything else gets NAME and AGE.
 */

interface Column {
  readonly name: string;
  readonly type: string;
  readonly format?: string;
  readonly priority: number;
  readonly description: string;
  readonly cell: (o: KubeObject, now: number) => string | number | boolean | null;
}

const nameColumn: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  priority: 0,
  description: 'Name must be unique within a namespace.',
  cell: (o) => o.metadata.name ?? '',
};
const ageColumn: Column = {
  name: 'Age',
  type: 'string',
  priority: 0,
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  cell: (o, now) => age(o.metadata.creationTimestamp, now),
};

const get = (o: unknown, path: string): unknown => {
  let cur: unknown = o;
  for (const p of path.split('.').filter(Boolean)) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
};
const arr = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);
const str = (v: unknown, fallback = '<none>'): string => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : fallback);

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

const BUILTIN_COLUMNS: Record<string, readonly Column[]> = {
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
  '/configmaps': [nameColumn, { name: 'Data', type: 'integer', priority: 0, description: 'Number of keys.', cell: (o) => Object.keys((o.data as object | undefined) ?? {}).length + Object.keys((o.binaryData as object | undefined) ?? {}).length }, ageColumn],
  '/secrets': [
    nameColumn,
    { name: 'Type', type: 'string', priority: 0, description: 'The type of the secret', cell: (o) => str(o.type, 'Opaque') },
    { name: 'Data', type: 'integer', priority: 0, description: 'The number of keys in the secret.', cell: (o) => Object.keys((o.data as object | undefined) ?? {}).length },
    ageColumn,
  ],
  'apps/deployments': [
    nameColumn,
    { name: 'Ready', type: 'string', priority: 0, description: 'Number of the pod with ready state', cell: (o) => `${Number(get(o, 'status.readyReplicas') ?? 0)}/${Number(get(o, 'spec.replicas') ?? 1)}` },
    { name: 'Up-to-date', type: 'integer', priority: 0, description: 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', cell: (o) => Number(get(o, 'status.updatedReplicas') ?? 0) },
    { name: 'Available', type: 'integer', priority: 0, description: 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', cell: (o) => Number(get(o, 'status.availableReplicas') ?? 0) },
    ageColumn,
  ],
  'coordination.k8s.io/leases': [nameColumn, { name: 'Holder', type: 'string', priority: 0, description: 'The holder of the lease', cell: (o) => str(get(o, 'spec.holderIdentity'), '') }, ageColumn],
};

function columnsFor(kind: KindInfo): readonly Column[] {
  const builtin = BUILTIN_COLUMNS[`${kind.group}/${kind.plural}`];
  if (builtin && !kind.custom) return builtin;
  // As kube-apiserver: a CRD that lists its columns gets NAME plus exactly those (Age only if listed).
  if (kind.printerColumns?.length) return [nameColumn, ...kind.printerColumns.map(printerColumn)];
  return [nameColumn, ageColumn];
}

function printerColumn(c: PrinterColumn): Column {
  return {
    name: c.name,
    type: c.type,
    ...(c.format ? { format: c.format } : {}),
    priority: c.priority,
    description: c.description ?? '',
    cell: (o, now) => {
      const v = evaluateJsonPath(o, c.jsonPath);
      if (c.type === 'date') return typeof v === 'string' ? age(v, now) : '<unknown>';
      if (v === undefined || v === null) return null;
      return typeof v === 'object' ? JSON.stringify(v) : (v as string | number | boolean);
    },
  };
}

/**
 * The JSONPath subset CRD printer columns use: `.a.b`, `[0]`, `[*]` and
 * filters `[?(@.type=="Ready")]`; the first match wins, as in kubectl.
 */
export function evaluateJsonPath(obj: unknown, path: string): unknown {
  const tokens = path.match(/\.[^.[\]]+|\[\?\(@\.[^)]*\)\]|\[\*\]|\[\d+\]/g) ?? [];
  let current: unknown[] = [obj];
  for (const t of tokens) {
    const next: unknown[] = [];
    for (const v of current) {
      if (t.startsWith('.')) {
        if (isPlainObject(v) && t.slice(1) in v) next.push(v[t.slice(1)]);
      } else if (t === '[*]') {
        if (Array.isArray(v)) next.push(...v);
      } else if (t.startsWith('[?(')) {
        const m = /^\[\?\(@\.([\w.]+)\s*==\s*["']?([^"']*)["']?\)\]$/.exec(t);
        if (m && Array.isArray(v)) next.push(...v.filter((x) => String(get(x, m[1]!)) === m[2]));
      } else if (Array.isArray(v)) {
        const i = Number(t.slice(1, -1));
        if (i < v.length) next.push(v[i]);
      }
    }
    current = next;
  }
  return current[0];
}

export type IncludeObject = 'None' | 'Object' | 'Metadata';

export function renderTable(kind: KindInfo, objects: readonly KubeObject[], listMeta: Record<string, unknown>, include: IncludeObject): unknown {
  const columns = columnsFor(kind);
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority })),
    rows: objects.map((o) => ({
      cells: columns.map((c) => c.cell(o, now)),
      ...(include === 'None' ? {} : { object: include === 'Object' ? o : partialObjectMetadata(o) }),
    })),
  };
}

export function partialObjectMetadata(o: KubeObject): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

/** Human-readable age the way kubectl prints it (`45s`, `3m12s`, `5h`, `12d`). */
export function age(timestamp: unknown, now: number): string {
  if (typeof timestamp !== 'string') return '<unknown>';
  const seconds = Math.floor((now - Date.parse(timestamp)) / 1000);
  if (Number.isNaN(seconds)) return '<unknown>';
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  const days = Math.floor(hours / 24);
  if (days < 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  return years < 8 ? `${years}y${days % 365}d` : `${years}y`;
}
