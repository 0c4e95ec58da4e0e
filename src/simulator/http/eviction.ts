import { StatusError, badRequest } from '../api/errors.js';
import type { KindInfo } from '../kinds/kind.js';
import { isPlainObject, type KubeObject } from '../store/object.js';
import { labelSelectorFromObject, labelSelectorMatches } from '../store/selectors.js';
import type { ClusterView } from './cluster-view.js';

/**
 * pods/eviction: what `kubectl drain` and CAPI's machine drain call.
 * A PodDisruptionBudget that allows no disruption blocks it with 429, as in
 * kube-apiserver; otherwise the pod is deleted with the eviction's options.
 */
export function evictPod(cluster: ClusterView, podKind: KindInfo, namespace: string, name: string, body: KubeObject): void {
  if (body.kind !== undefined && body.kind !== 'Eviction') {
    throw badRequest(`the body of a pods/eviction request must be an Eviction, not ${String(body.kind)}`);
  }
  if (body.metadata?.name !== undefined && body.metadata.name !== name) {
    throw badRequest(`name in URL does not match name in Eviction object`);
  }
  const r = cluster.resources;
  const pod = r.get(podKind, namespace, name);
  const pdbKind = cluster.registry.byResource('policy', 'v1', 'poddisruptionbudgets');
  if (pdbKind && !pod.metadata.deletionTimestamp) {
    for (const { object: pdb } of r.store.list('policy/poddisruptionbudgets', namespace)) {
      const spec = isPlainObject(pdb.spec) ? pdb.spec : {};
      if (!isPlainObject(spec.selector)) continue;
      if (!labelSelectorMatches(labelSelectorFromObject(spec.selector), pod.metadata.labels)) continue;
      const allowed = isPlainObject(pdb.status) ? pdb.status.disruptionsAllowed : undefined;
      if (typeof allowed === 'number' && allowed <= 0) {
        throw new StatusError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
          causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${pdb.metadata.name!} needs more healthy pods to allow this eviction` }],
        });
      }
    }
  }
  const opts = isPlainObject(body.deleteOptions) ? body.deleteOptions : {};
  const pre = isPlainObject(opts.preconditions) ? opts.preconditions : undefined;
  r.delete(podKind, namespace, name, {
    ...(pre ? { preconditions: { ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}), ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}) } } : {}),
    dryRun: Array.isArray(opts.dryRun) && opts.dryRun.includes('All'),
  });
}
