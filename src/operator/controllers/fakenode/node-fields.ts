import type { KindInfo } from '../../../simulator/kinds/kind.js';
import type { ManagedFieldsEntry } from '../../../simulator/store/managed-fields.js';
import type { KubeObject } from '../../../simulator/store/object.js';
import { asCreatedBy } from '../../../simulator/store/seeded-writes.js';
import { nodeObject, type NodeSpec } from '../../../simulator/templates/node.js';

/**
 * The managedFields of a Node its kubelet registered (the kubelet wrote it,
 * status included), worked out once per shape of Node and shared: every
 * cluster's first control-plane node has the same field sets, only its
 * name, address, uuid and write time differ, and none of those is a key
 * of a field set. Worked out on a stand-in Node that has the same fields
 * with stand-in values; a field set that names a stand-in (a value became
 * a key) is not shared, so sharing can never hand out another node's keys.
 */

const NODE_WRITERS = { manager: 'kubelet', statusManager: 'kubelet' } as const;
/** Values no real Node has, standing in for a Node's own. Non-empty wherever the real one is, as emptiness can change a field set. */
const STAND_IN = { name: 'fkas-stand-in-node', internalIP: '192.0.2.3', uuid: 'fkas-stand-in-uuid', providerID: 'fkas-stand-in://id', time: '2000-01-01T00:00:00Z' } as const;
/** Bound on the table: Nodes of many label sets must not grow it forever. */
const MAX_SHAPES = 1024;

const byShape = new Map<string, readonly ManagedFieldsEntry[] | null>();

/** In place: the kubelet's managedFields on `node`, built by nodeObject(spec, now). */
export function asRegisteredByKubelet(kind: KindInfo, node: KubeObject, spec: NodeSpec, now: string): void {
  const probe = nodeObject(standInSpec(spec), STAND_IN.time);
  const shape = JSON.stringify(probe);
  let entries = byShape.get(shape);
  if (entries === undefined) {
    asCreatedBy(kind, probe, NODE_WRITERS, STAND_IN.time, { share: true });
    const computed = (probe.metadata.managedFields ?? []) as ManagedFieldsEntry[];
    const json = JSON.stringify(computed.map((e) => e.fieldsV1));
    entries = Object.values(STAND_IN).some((v) => json.includes(v)) ? null : computed;
    if (byShape.size >= MAX_SHAPES) byShape.clear();
    byShape.set(shape, entries);
  }
  if (entries === null) asCreatedBy(kind, node, NODE_WRITERS, now, { share: true });
  else node.metadata.managedFields = entries.map((e) => ({ ...e, time: now }));
}

function standInSpec(spec: NodeSpec): NodeSpec {
  // Label values are never keys of a field set; one naming the node or its uuid would only split the shapes.
  const standInValue = (v: string): string => (v === spec.name ? STAND_IN.name : spec.uuid && v === spec.uuid ? STAND_IN.uuid : v);
  return {
    ...spec,
    name: STAND_IN.name,
    ...(spec.labels ? { labels: Object.fromEntries(Object.entries(spec.labels).map(([k, v]) => [k, standInValue(v)])) } : {}),
    ...(spec.internalIP ? { internalIP: STAND_IN.internalIP } : {}),
    ...(spec.uuid ? { uuid: STAND_IN.uuid } : {}),
    ...(spec.providerID ? { providerID: STAND_IN.providerID } : {}),
  };
}
