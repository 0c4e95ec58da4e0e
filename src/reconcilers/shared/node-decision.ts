import type { FakeNodeSpec } from '../../operator/api/v1alpha1.js';
import type { OwnerReference } from './capi-objects.js';

/**
 * What a node reconciler decides for one source object (a BareMetalHost, a
 * Machine): pure data, so the mapping from CAPI/Metal3 objects to FakeNodes
 * is a function that unit tests can read as a table.
 */

/** A FakeNode as a reconciler wants it; `name` is the FakeNode's (and the Node's) name. */
export interface DesiredFakeNode {
  readonly namespace: string;
  readonly name: string;
  readonly spec: FakeNodeSpec;
  /** Set when the source lives in the FakeNode's namespace, so garbage collection follows the source. */
  readonly owner?: OwnerReference;
}

/** Bad or partial data: becomes a log line and a Warning Event on the source object. */
export interface Problem {
  readonly reason: string;
  readonly message: string;
}

export type NodeDecision =
  /** The source should have exactly this FakeNode. */
  | { readonly kind: 'present'; readonly node: DesiredFakeNode }
  /** The source should have no FakeNode (not provisioned, being deleted, not opted in, ...). */
  | { readonly kind: 'absent'; readonly why: string; readonly problem?: Problem }
  /** The data does not say yet: keep what exists, report, and look again later. */
  | { readonly kind: 'wait'; readonly problem: Problem };

/** Event reasons the node reconcilers use (on the source object). */
export const REASON = {
  fakeNodeCreated: 'FakeNodeCreated',
  fakeNodeUpdated: 'FakeNodeUpdated',
  fakeNodeDeleted: 'FakeNodeDeleted',
  fakeNodeConflict: 'FakeNodeConflict',
  fakeNodeInvalid: 'FakeNodeInvalid',
  unknownCluster: 'UnknownCluster',
  noClusterName: 'NoClusterName',
  noConsumerRef: 'NoConsumerRef',
  unsupportedConsumer: 'UnsupportedConsumer',
  metal3MachineNotFound: 'Metal3MachineNotFound',
  missingProviderID: 'MissingProviderID',
} as const;

const ownerFor = (source: { apiVersion: string; kind: string; metadata: { name: string; uid?: string } }): OwnerReference | undefined =>
  source.metadata.uid ? { apiVersion: source.apiVersion, kind: source.kind, name: source.metadata.name, uid: source.metadata.uid } : undefined;

/** An owner reference to `source` when it may own an object in `namespace` (owners must share it). */
export function ownerIn(namespace: string, source: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; uid?: string } }): OwnerReference | undefined {
  return source.metadata.namespace === namespace ? ownerFor(source) : undefined;
}
