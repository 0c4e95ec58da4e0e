import type { KindInfo } from '../kinds/kind.js';
import { isPlainObject, type KubeObject } from './object.js';

/**
 * kube-apiserver's defaulting of built-in kinds (what its decoder fills in
 * on every write, before managedFields are recorded, so the writer owns
 * it): pod specs wherever they appear, workload strategies and limits.
 * Applied in place to the writer's own copy, for API writes only.
 */

type Obj = Record<string, unknown>;

const TERMINATION_MESSAGE_PATH = '/dev/termination-log';
const DEFAULT_GRACE_PERIOD_SECONDS = 30;
const DEFAULT_SCHEDULER = 'default-scheduler';
const DEFAULT_REVISION_HISTORY_LIMIT = 10;
const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
/** Volume files are world-readable by default (0644). */
const DEFAULT_VOLUME_MODE = 0o644;
const PROBE_DEFAULTS: Readonly<Obj> = { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 };
/** The annotation a DaemonSet's template generation is kept in (apps/v1 has no field for it). */
/** Every namespace is labelled with its own name (so selectors can pick namespaces by name). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
export const DAEMONSET_TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';

export function applyDefaults(kind: KindInfo, obj: KubeObject, creating: boolean): void {
  if (kind.custom) return;
  const spec = isPlainObject(obj.spec) ? obj.spec : undefined;
  switch (`${kind.group}/${kind.plural}`) {
    case '/pods':
      if (!spec) return;
      defaultPodSpec(spec);
      // A Pod's own default, not its template's.
      setIfAbsent(spec, 'enableServiceLinks', true);
      return;
    case '/namespaces':
      obj.metadata.labels = { ...obj.metadata.labels, [NAMESPACE_NAME_LABEL]: obj.metadata.name ?? '' };
      return;
    case '/replicationcontrollers': {
      if (!spec) return;
      setIfAbsent(spec, 'replicas', 1);
      defaultTemplate(spec);
      // Selector and labels come from the template's labels when left out.
      const labels = isPlainObject(spec.template) && isPlainObject(spec.template.metadata) ? spec.template.metadata.labels : undefined;
      if (isPlainObject(labels)) {
        setIfAbsent(spec, 'selector', { ...labels });
        if (!obj.metadata.labels || Object.keys(obj.metadata.labels).length === 0) obj.metadata.labels = { ...(labels as Record<string, string>) };
      }
      return;
    }
    case 'apps/replicasets':
      if (!spec) return;
      setIfAbsent(spec, 'replicas', 1);
      defaultTemplate(spec);
      return;
    case 'apps/deployments':
      if (!spec) return;
      setIfAbsent(spec, 'replicas', 1);
      defaultStrategy(spec, 'strategy', { maxUnavailable: '25%', maxSurge: '25%' });
      setIfAbsent(spec, 'revisionHistoryLimit', DEFAULT_REVISION_HISTORY_LIMIT);
      setIfAbsent(spec, 'progressDeadlineSeconds', DEFAULT_PROGRESS_DEADLINE_SECONDS);
      defaultTemplate(spec);
      return;
    case 'apps/statefulsets':
      if (!spec) return;
      setIfAbsent(spec, 'replicas', 1);
      setIfAbsent(spec, 'podManagementPolicy', 'OrderedReady');
      defaultStrategy(spec, 'updateStrategy', { partition: 0 });
      setIfAbsent(spec, 'revisionHistoryLimit', DEFAULT_REVISION_HISTORY_LIMIT);
      setIfAbsent(spec, 'persistentVolumeClaimRetentionPolicy', { whenDeleted: 'Retain', whenScaled: 'Retain' });
      defaultTemplate(spec);
      return;
    case 'batch/jobs':
      if (spec) defaultJobSpec(spec);
      return;
    case 'batch/cronjobs': {
      if (!spec) return;
      setIfAbsent(spec, 'concurrencyPolicy', 'Allow');
      setIfAbsent(spec, 'suspend', false);
      setIfAbsent(spec, 'successfulJobsHistoryLimit', DEFAULT_SUCCESSFUL_JOBS_HISTORY);
      setIfAbsent(spec, 'failedJobsHistoryLimit', DEFAULT_FAILED_JOBS_HISTORY);
      const jobTemplate = isPlainObject(spec.jobTemplate) ? spec.jobTemplate : undefined;
      if (jobTemplate && isPlainObject(jobTemplate.spec)) defaultTemplate(jobTemplate.spec);
      return;
    }
    case '/services':
      if (spec) defaultServiceSpec(spec);
      return;
    case '/endpoints':
      for (const subset of Array.isArray(obj.subsets) ? obj.subsets : []) {
        if (isPlainObject(subset) && Array.isArray(subset.ports)) for (const p of subset.ports) if (isPlainObject(p)) setIfAbsent(p, 'protocol', 'TCP');
      }
      return;
    case 'discovery.k8s.io/endpointslices':
      for (const p of Array.isArray(obj.ports) ? obj.ports : []) {
        if (!isPlainObject(p)) continue;
        setIfAbsent(p, 'name', '');
        setIfAbsent(p, 'protocol', 'TCP');
      }
      return;
    case '/persistentvolumeclaims':
      if (spec) setIfAbsent(spec, 'volumeMode', 'Filesystem');
      return;
    case '/limitranges':
      for (const item of spec && Array.isArray(spec.limits) ? spec.limits : []) if (isPlainObject(item)) defaultLimitRangeItem(item);
      return;
    case 'networking.k8s.io/networkpolicies':
      // Ingress always; Egress when the policy has egress rules.
      if (spec && !Array.isArray(spec.policyTypes)) spec.policyTypes = Array.isArray(spec.egress) ? ['Ingress', 'Egress'] : ['Ingress'];
      return;
    case 'networking.k8s.io/ingresses':
      setIfAbsent(obj, 'status', { loadBalancer: {} });
      return;
    case 'storage.k8s.io/storageclasses':
      setIfAbsent(obj, 'reclaimPolicy', 'Delete');
      setIfAbsent(obj, 'volumeBindingMode', 'Immediate');
      return;
    case 'storage.k8s.io/csidrivers': {
      const s = spec ?? (obj.spec = {});
      for (const [k, v] of Object.entries(CSI_DRIVER_DEFAULTS)) setIfAbsent(s, k, v);
      if (!Array.isArray(s.volumeLifecycleModes)) s.volumeLifecycleModes = ['Persistent'];
      return;
    }
    case 'scheduling.k8s.io/priorityclasses':
      setIfAbsent(obj, 'preemptionPolicy', 'PreemptLowerPriority');
      return;
    case 'apps/daemonsets':
      if (!spec) return;
      defaultStrategy(spec, 'updateStrategy', { maxUnavailable: 1, maxSurge: 0 });
      setIfAbsent(spec, 'revisionHistoryLimit', DEFAULT_REVISION_HISTORY_LIMIT);
      defaultTemplate(spec);
      if (creating) obj.metadata.annotations = { ...obj.metadata.annotations, [DAEMONSET_TEMPLATE_GENERATION]: '1' };
      return;
  }
}

const CSI_DRIVER_DEFAULTS: Readonly<Obj> = {
  attachRequired: true,
  podInfoOnMount: false,
  requiresRepublish: false,
  storageCapacity: false,
  seLinuxMount: false,
  fsGroupPolicy: 'ReadWriteOnceWithFSType',
};
const DEFAULT_BACKOFF_LIMIT = 6;
const DEFAULT_SUCCESSFUL_JOBS_HISTORY = 3;
const DEFAULT_FAILED_JOBS_HISTORY = 1;

function defaultJobSpec(spec: Obj): void {
  // Without either, a Job runs one pod to completion.
  if ((spec.completions === undefined || spec.completions === null) && (spec.parallelism === undefined || spec.parallelism === null)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setIfAbsent(spec, 'parallelism', 1);
  setIfAbsent(spec, 'backoffLimit', DEFAULT_BACKOFF_LIMIT);
  setIfAbsent(spec, 'completionMode', 'NonIndexed');
  setIfAbsent(spec, 'suspend', false);
  setIfAbsent(spec, 'manualSelector', false);
  setIfAbsent(spec, 'podReplacementPolicy', 'TerminatingOrFailed');
  defaultTemplate(spec);
}

function defaultServiceSpec(spec: Obj): void {
  setIfAbsent(spec, 'type', 'ClusterIP');
  setIfAbsent(spec, 'sessionAffinity', 'None');
  if (spec.type !== 'ExternalName') setIfAbsent(spec, 'internalTrafficPolicy', 'Cluster');
  for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
    if (!isPlainObject(p)) continue;
    setIfAbsent(p, 'protocol', 'TCP');
    setIfAbsent(p, 'targetPort', p.port);
  }
}

/** A Container limit's default is its max, its default request the default. */
function defaultLimitRangeItem(item: Obj): void {
  if (item.type !== 'Container') return;
  const max = isPlainObject(item.max) ? item.max : {};
  const def = { ...max, ...(isPlainObject(item.default) ? item.default : {}) };
  if (Object.keys(def).length > 0) item.default = def;
  const min = isPlainObject(item.min) ? item.min : {};
  const request = { ...min, ...def, ...(isPlainObject(item.defaultRequest) ? item.defaultRequest : {}) };
  if (Object.keys(request).length > 0) item.defaultRequest = request;
}

function setIfAbsent(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

function defaultStrategy(spec: Obj, field: string, rolling: Obj): void {
  const strategy = isPlainObject(spec[field]) ? spec[field] : (spec[field] = {});
  setIfAbsent(strategy, 'type', 'RollingUpdate');
  if (strategy.type !== 'RollingUpdate') return;
  const r = isPlainObject(strategy.rollingUpdate) ? strategy.rollingUpdate : (strategy.rollingUpdate = {});
  for (const [k, v] of Object.entries(rolling)) setIfAbsent(r, k, v);
}

function defaultTemplate(spec: Obj): void {
  const template = isPlainObject(spec.template) ? spec.template : undefined;
  if (template && isPlainObject(template.spec)) defaultPodSpec(template.spec);
}

function defaultPodSpec(spec: Obj): void {
  setIfAbsent(spec, 'dnsPolicy', 'ClusterFirst');
  setIfAbsent(spec, 'restartPolicy', 'Always');
  setIfAbsent(spec, 'terminationGracePeriodSeconds', DEFAULT_GRACE_PERIOD_SECONDS);
  setIfAbsent(spec, 'securityContext', {});
  setIfAbsent(spec, 'schedulerName', DEFAULT_SCHEDULER);
  for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
    if (Array.isArray(spec[list])) for (const c of spec[list]) if (isPlainObject(c)) defaultContainer(c);
  }
  if (Array.isArray(spec.volumes)) for (const v of spec.volumes) if (isPlainObject(v)) defaultVolume(v);
}

function defaultContainer(c: Obj): void {
  setIfAbsent(c, 'terminationMessagePath', TERMINATION_MESSAGE_PATH);
  setIfAbsent(c, 'terminationMessagePolicy', 'File');
  if (typeof c.image === 'string') setIfAbsent(c, 'imagePullPolicy', pullsAlways(c.image) ? 'Always' : 'IfNotPresent');
  if (Array.isArray(c.ports)) for (const p of c.ports) if (isPlainObject(p)) setIfAbsent(p, 'protocol', 'TCP');
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const p = c[probe];
    if (!isPlainObject(p)) continue;
    for (const [k, v] of Object.entries(PROBE_DEFAULTS)) setIfAbsent(p, k, v);
    if (isPlainObject(p.httpGet)) setIfAbsent(p.httpGet, 'scheme', 'HTTP');
  }
}

/** An image without a tag, or tagged `latest`, is pulled every time. */
function pullsAlways(image: string): boolean {
  if (image.includes('@')) return false;
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  return colon < 0 || last.slice(colon + 1) === 'latest';
}

function defaultVolume(v: Obj): void {
  for (const source of ['secret', 'configMap', 'projected', 'downwardAPI']) {
    if (isPlainObject(v[source])) setIfAbsent(v[source], 'defaultMode', DEFAULT_VOLUME_MODE);
  }
}
