import { badRequest, conflict, StatusError } from '../api/errors.js';
import type { KindInfo } from '../kinds/kind.js';
import { applyPatch, type PatchOptions } from '../patch/index.js';
import { cloneObject, isPlainObject, type KubeObject } from '../store/object.js';
import type { UpdateOptions } from '../store/resources.js';
import { findTypeMismatch } from '../store/type-check.js';
import { goDecodeMessage, rejectWrongPatchResult, type PatchType } from '../store/type-errors.js';
import type { ClusterView } from './cluster-view.js';

/**
 * The scale subresource (`kubectl scale`, HPA-style clients): an
 * autoscaling/v1 Scale that is a view of a workload's spec.replicas,
 * status.replicas and selector. GET shows it; PUT and PATCH change the
 * workload's spec.replicas, which managedFields record as an Update through
 * subresource "scale" (without a time: kube-apiserver v1.34 writes none for
 * it). Shapes and messages as kube-apiserver's.
 */

type Obj = Record<string, unknown>;

const SCALE_API_VERSION = 'autoscaling/v1';
const SCALE_KIND = 'Scale';

/** The Scale of `obj`, as kube-apiserver answers GET …/scale. */
export function scaleOf(kind: KindInfo, obj: KubeObject): Obj {
  const spec = (isPlainObject(obj.spec) ? obj.spec : {}) as Obj;
  const status = (isPlainObject(obj.status) ? obj.status : {}) as Obj;
  const m = obj.metadata;
  const selector = selectorString(kind, spec.selector);
  return {
    kind: SCALE_KIND,
    apiVersion: SCALE_API_VERSION,
    metadata: { name: m.name, ...(m.namespace !== undefined ? { namespace: m.namespace } : {}), uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    // ScaleSpec.replicas is omitempty; ScaleStatus.replicas is not.
    spec: typeof spec.replicas === 'number' && spec.replicas !== 0 ? { replicas: spec.replicas } : {},
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, ...(selector ? { selector } : {}) },
  };
}

/** PUT …/scale: the body is a Scale; its spec.replicas becomes the workload's. */
export function updateScale(cluster: ClusterView, kind: KindInfo, existing: KubeObject, body: Obj, write: UpdateOptions): Obj {
  const m = findTypeMismatch(SCALE_API_VERSION, SCALE_KIND, body);
  if (m) throw badRequest(`${SCALE_KIND} in version "v1" cannot be handled as a ${SCALE_KIND}: ${goDecodeMessage(m)}`);
  return writeScale(cluster, kind, existing, body, write);
}

/** PATCH …/scale: the patch applies to the Scale, and its spec.replicas becomes the workload's. */
export function patchScale(cluster: ClusterView, kind: KindInfo, existing: KubeObject, contentType: string, patchType: PatchType, body: Buffer, opts: PatchOptions, write: UpdateOptions): Obj {
  const patched = applyPatch(contentType, scaleOf(kind, existing) as KubeObject, body, { ...opts, apiVersion: SCALE_API_VERSION, kind: SCALE_KIND });
  rejectWrongPatchResult(SCALE_AS_KIND, patchType, () => JSON.parse(body.toString('utf8')), patched, existing.metadata.name!);
  return writeScale(cluster, kind, existing, patched, write);
}

/** The Scale type, for the type check of patch results. */
const SCALE_AS_KIND = { group: 'autoscaling', version: 'v1', kind: SCALE_KIND, plural: 'scale', custom: false } as KindInfo;

function writeScale(cluster: ClusterView, kind: KindInfo, existing: KubeObject, scale: Obj, write: UpdateOptions): Obj {
  const name = existing.metadata.name!;
  const ref = { group: kind.group, resource: kind.plural, name };
  const meta = (isPlainObject(scale.metadata) ? scale.metadata : {}) as Obj;
  const rv = meta.resourceVersion;
  if (typeof rv === 'string' && rv !== '' && rv !== existing.metadata.resourceVersion) {
    throw conflict(ref, 'the object has been modified; please apply your changes to the latest version and try again');
  }
  const replicas = isPlainObject(scale.spec) && typeof scale.spec.replicas === 'number' ? scale.spec.replicas : 0;
  if (replicas < 0) {
    const cause = { reason: 'FieldValueInvalid', message: `Invalid value: ${replicas}: must be greater than or equal to 0`, field: 'spec.replicas' };
    throw new StatusError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: ${cause.message}`, { name, group: 'autoscaling', kind: SCALE_KIND, causes: [cause] });
  }
  const next = cloneObject(existing);
  next.spec = { ...(isPlainObject(existing.spec) ? existing.spec : {}), replicas };
  const stored = cluster.resources.commit(kind, existing, next, { ...write, subresource: 'scale' });
  return scaleOf(kind, stored);
}

/**
 * status.selector: a ReplicationController's selector map, or a LabelSelector, as
 * Kubernetes prints selectors (requirements sorted by key; `k=v`, `k in (a,b)`,
 * `k notin (a,b)`, `k`, `!k`). Empty for no selector (then left out).
 */
function selectorString(kind: KindInfo, selector: unknown): string {
  if (!isPlainObject(selector)) return '';
  const requirements: [string, string][] = [];
  const labels = kind.group === '' ? selector : isPlainObject(selector.matchLabels) ? selector.matchLabels : {};
  for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') requirements.push([k, `${k}=${v}`]);
  if (kind.group !== '' && Array.isArray(selector.matchExpressions)) {
    for (const e of selector.matchExpressions as Obj[]) {
      const key = String(e.key);
      const values = Array.isArray(e.values) ? [...(e.values as string[])].sort().join(',') : '';
      const text = { In: `${key} in (${values})`, NotIn: `${key} notin (${values})`, Exists: key, DoesNotExist: `!${key}` }[String(e.operator)];
      if (text !== undefined) requirements.push([key, text]);
    }
  }
  return requirements
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, text]) => text)
    .join(',');
}
