import type { E2EEnvironment } from './environment.js';

/** What a fake workload cluster holds, read with the real kubectl as a user would check it. */

export interface WorkloadObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid: string; resourceVersion: string; creationTimestamp: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

/** Events are a log, not state: kube-apiserver itself lets them expire. */
const NOT_STATE = new Set(['events', 'events.events.k8s.io']);
/** The annotations the CAPI Machine controller writes on the Nodes of a workload cluster. */
export const CAPI_ANNOTATION_PREFIX = 'cluster.x-k8s.io/';

export const objectKey = (o: WorkloadObject): string => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Every object of every kind the cluster lists (its own discovery says which), by apiVersion/kind/namespace/name. */
export async function workloadObjects(env: E2EEnvironment, ns: string, cluster: string): Promise<Map<string, WorkloadObject>> {
  const kinds = (await env.workloadKubectl(ns, cluster, ['api-resources', '--verbs=list', '-o', 'name'])).split('\n').filter((k) => k && !NOT_STATE.has(k));
  const list = JSON.parse(await env.workloadKubectl(ns, cluster, ['get', kinds.join(','), '-A', '-o', 'json'])) as { items: WorkloadObject[] };
  return new Map(list.items.map((o) => [objectKey(o), o]));
}

/** The `cluster.x-k8s.io/*` annotations of each Node, by node name. */
export function capiNodeAnnotations(objects: ReadonlyMap<string, WorkloadObject>): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const o of objects.values()) {
    if (o.kind !== 'Node') continue;
    out[o.metadata.name] = Object.fromEntries(Object.entries(o.metadata.annotations ?? {}).filter(([k]) => k.startsWith(CAPI_ANNOTATION_PREFIX)));
  }
  return out;
}

export const highestResourceVersion = (objects: ReadonlyMap<string, WorkloadObject>): number => Math.max(...[...objects.values()].map((o) => Number(o.metadata.resourceVersion)));
