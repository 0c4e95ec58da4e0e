import { createHash } from 'node:crypto';
import type { Condition, ConditionStatus } from '../api/v1alpha1.js';
import { isAlreadyExists, type KubeClient, type ResourcePath } from './client.js';

/**
 * The writes every reconciler needs, done so they cannot clobber anybody:
 * finalizers are added and removed by JSON patch guarded with `test` ops
 * (never by rewriting the whole list, which drops other controllers'
 * finalizers); status is merge-patched on the status subresource without a
 * resourceVersion, so a stale cache can't make it fail or overwrite spec.
 */

interface Meta {
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; finalizers?: string[]; generation?: number };
}

export async function addFinalizer(client: KubeClient, path: ResourcePath, obj: Meta, finalizer: string): Promise<void> {
  const list = obj.metadata.finalizers;
  if (list?.includes(finalizer)) return;
  const ops = list
    ? [{ op: 'test', path: '/metadata/finalizers', value: list }, { op: 'add', path: '/metadata/finalizers/-', value: finalizer }]
    : [{ op: 'test', path: '/metadata/resourceVersion', value: obj.metadata.resourceVersion }, { op: 'add', path: '/metadata/finalizers', value: [finalizer] }];
  await client.patch(path, 'json', ops);
}

export async function removeFinalizer(client: KubeClient, path: ResourcePath, obj: Meta, finalizer: string): Promise<void> {
  const i = obj.metadata.finalizers?.indexOf(finalizer) ?? -1;
  if (i < 0) return;
  await client.patch(path, 'json', [
    { op: 'test', path: `/metadata/finalizers/${i}`, value: finalizer },
    { op: 'remove', path: `/metadata/finalizers/${i}` },
  ]);
}

export async function patchStatus(client: KubeClient, path: ResourcePath, status: unknown): Promise<void> {
  await client.patch({ ...path, subresource: 'status' }, 'merge', { status });
}

/**
 * Sets a condition, keeping lastTransitionTime when the status did not
 * change (metav1.Condition semantics). Returns a new list.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  c: { type: string; status: ConditionStatus; reason: string; message: string },
  generation: number | undefined,
  now: Date,
): Condition[] {
  const old = conditions?.find((x) => x.type === c.type);
  const next: Condition = {
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  return [...(conditions ?? []).filter((x) => x.type !== c.type), next].sort((a, b) => a.type.localeCompare(b.type));
}

export type EventType = 'Normal' | 'Warning';

const EVENT_SOURCE = 'metal3-fkas';

/**
 * Records a core/v1 Event about an object. The same reason and message on the
 * same object bumps one Event's count instead of creating another, so a
 * retrying reconcile can't flood the namespace.
 */
export async function recordEvent(
  client: KubeClient,
  involved: Meta & { apiVersion: string; kind: string },
  type: EventType,
  reason: string,
  message: string,
  now = new Date(),
): Promise<void> {
  const ns = involved.metadata.namespace ?? 'default';
  const digest = createHash('sha256').update(`${involved.metadata.uid}/${type}/${reason}/${message}`).digest('hex').slice(0, 16);
  const name = `${involved.metadata.name}.${digest}`;
  const time = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const path: ResourcePath = { apiVersion: 'v1', plural: 'events', namespace: ns };
  try {
    await client.create(path, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: { apiVersion: involved.apiVersion, kind: involved.kind, name: involved.metadata.name, namespace: ns, uid: involved.metadata.uid },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: time,
      lastTimestamp: time,
      source: { component: EVENT_SOURCE },
      reportingComponent: EVENT_SOURCE,
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const existing = await client.get<{ count?: number }>({ ...path, name });
    await client.patch({ ...path, name }, 'merge', { count: (existing.count ?? 1) + 1, lastTimestamp: time });
  }
}
