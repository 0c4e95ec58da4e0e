import {
  API_VERSION,
  CLUSTER_NAME_LABEL,
  FAKE_NODE,
  MANAGED_BY_LABEL,
  SOURCE_ANNOTATION,
  type FakeNode,
  type FakeNodeSpec,
} from '../../operator/api/v1alpha1.js';
import { isNotFound, type KubeClient, type ResourcePath } from '../../operator/kube/client.js';
import type { Informer } from '../../operator/kube/informer.js';
import type { KubeMeta } from './capi-objects.js';
import type { DesiredFakeNode } from './node-decision.js';

/**
 * The FakeNodes one reconciler made. Each carries the label
 * `fkas.metal3.io/managed-by=<reconciler>` and the annotation
 * `fkas.metal3.io/source=<Kind>:<namespace>/<name>` of the object it was
 * made for, so the reconciler finds (and cleans up) exactly its own, and
 * never touches a FakeNode a user or another reconciler made.
 */

/** The spec fields a reconciler owns; `ready` and `internalIP` stay the user's to set. */
const OWNED_SPEC_FIELDS = ['clusterName', 'nodeName', 'providerID', 'uuid', 'labels', 'kubernetesVersion', 'role'] as const satisfies readonly (keyof FakeNodeSpec)[];

export type EnsureOutcome = 'created' | 'updated' | 'unchanged' | 'terminating' | { readonly conflict: string };

export const fakeNodePath = (namespace: string, name?: string): ResourcePath => ({ apiVersion: API_VERSION, plural: FAKE_NODE.plural, namespace, ...(name ? { name } : {}) });

export const sourceOf = (kind: string, key: string): string => `${kind}:${key}`;

/** The work-queue key (`namespace/name`) of a FakeNode's source, if it is of `kind`. */
export function sourceKeyOf(fn: { metadata: { annotations?: Record<string, string> } }, kind: string): string | undefined {
  const source = fn.metadata.annotations?.[SOURCE_ANNOTATION];
  const prefix = `${kind}:`;
  return source?.startsWith(prefix) ? source.slice(prefix.length) : undefined;
}

export class OwnedFakeNodes {
  constructor(
    private readonly client: KubeClient,
    /** Value of the managed-by label: which reconciler this is. */
    readonly manager: string,
    private readonly cache: Informer<FakeNode>,
  ) {}

  /** Our FakeNodes for a source (from the cache: a stale entry only costs a 404 or a 409 that is retried). */
  ofSource(source: string): FakeNode[] {
    return this.cache.list().filter((fn) => fn.metadata.labels?.[MANAGED_BY_LABEL] === this.manager && fn.metadata.annotations?.[SOURCE_ANNOTATION] === source);
  }

  /** Creates the FakeNode or brings the fields we own to the desired values. Idempotent. */
  async ensure(desired: DesiredFakeNode, source: string): Promise<EnsureOutcome> {
    const path = fakeNodePath(desired.namespace, desired.name);
    const metadata = ownedMetadata(desired, source, this.manager);
    let existing: FakeNode & { metadata: KubeMeta };
    try {
      existing = await this.client.get(path);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.client.create(fakeNodePath(desired.namespace), { apiVersion: API_VERSION, kind: FAKE_NODE.kind, metadata, spec: desired.spec });
      return 'created';
    }
    if (existing.metadata.labels?.[MANAGED_BY_LABEL] !== this.manager || existing.metadata.annotations?.[SOURCE_ANNOTATION] !== source) {
      const owner = existing.metadata.annotations?.[SOURCE_ANNOTATION] ?? existing.metadata.labels?.[MANAGED_BY_LABEL] ?? 'a user';
      return { conflict: `FakeNode ${desired.namespace}/${desired.name} already exists and belongs to ${owner}; leaving it alone` };
    }
    // A FakeNode on its way out (its Node being removed) is recreated once it is gone.
    if (existing.metadata.deletionTimestamp) return 'terminating';
    const patch = ownedFieldsPatch(existing, desired, metadata);
    if (!patch) return 'unchanged';
    await this.client.patch(path, 'merge', patch);
    return 'updated';
  }

  async remove(fn: FakeNode): Promise<boolean> {
    if (fn.metadata.deletionTimestamp) return false;
    try {
      await this.client.delete(fakeNodePath(fn.metadata.namespace!, fn.metadata.name));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}

/** The metadata a reconciler's FakeNode carries: whose it is, for which source, owned by the source when they share a namespace. */
export function ownedMetadata(desired: DesiredFakeNode, source: string, manager: string): KubeMeta {
  return {
    name: desired.name,
    namespace: desired.namespace,
    labels: { [MANAGED_BY_LABEL]: manager, [CLUSTER_NAME_LABEL]: desired.spec.clusterName },
    annotations: { [SOURCE_ANNOTATION]: source },
    ...(desired.owner ? { ownerReferences: [desired.owner] } : {}),
  };
}

/**
 * A JSON merge patch taking `existing` to `desired` on the fields we own, or
 * undefined when nothing differs. Fields we no longer want are nulled (merge
 * patch would keep them otherwise); labels and annotations of others stay.
 */
export function ownedFieldsPatch(existing: FakeNode & { metadata: KubeMeta }, desired: DesiredFakeNode, metadata: KubeMeta): Record<string, unknown> | undefined {
  const spec: Record<string, unknown> = {};
  const have = existing.spec as unknown as Record<string, unknown>;
  const want = desired.spec as unknown as Record<string, unknown>;
  for (const field of OWNED_SPEC_FIELDS) {
    if (field === 'labels') {
      const labels = mapPatch(existing.spec.labels, desired.spec.labels);
      if (labels) spec.labels = labels;
    } else if (have[field] !== want[field]) {
      spec[field] = want[field] ?? null;
    }
  }
  const meta: Record<string, unknown> = {};
  const labels = mapPatch(existing.metadata.labels, metadata.labels, false);
  if (labels) meta.labels = labels;
  const owners = metadata.ownerReferences ?? [];
  const haveOwners = existing.metadata.ownerReferences ?? [];
  if (JSON.stringify(owners) !== JSON.stringify(haveOwners)) meta.ownerReferences = owners.length ? owners : null;
  if (Object.keys(spec).length === 0 && Object.keys(meta).length === 0) return undefined;
  return { ...(Object.keys(meta).length ? { metadata: meta } : {}), ...(Object.keys(spec).length ? { spec } : {}) };
}

/** Merge patch of a string map; with `exact`, keys not wanted are removed. */
function mapPatch(have: Record<string, string> | undefined, want: Record<string, string> | undefined, exact = true): Record<string, string | null> | undefined {
  const patch: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(want ?? {})) if (have?.[k] !== v) patch[k] = v;
  if (exact) for (const k of Object.keys(have ?? {})) if (!want || !(k in want)) patch[k] = null;
  return Object.keys(patch).length ? patch : undefined;
}
