/**
 * What the simulator knows about a kind. Everything the API layer does for
 * a kind (URLs, discovery, scope, verbs, subresources, tables) is derived
 * from this record, so adding a kind is adding data.
 */
export interface KindInfo {
  /** API group; '' for the core (legacy /api/v1) group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly listKind: string;
  /** Lower-case plural: the URL segment (`pods`). */
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
  /** Subresources served: 'status' splits spec and status writes; others are special handlers. */
  readonly subresources: readonly string[];
  /** The kind's strategy keeps metadata.generation: 1 on create, +1 when anything but metadata and status changes. */
  readonly tracksGeneration: boolean;
  /** DELETE answers with the deleted object, not a Success Status (kube-apiserver v1.34, checked by the differential suite). */
  readonly deleteReturnsObject: boolean;
  /** True for kinds that came from a CustomResourceDefinition. */
  readonly custom: boolean;
  /** A CRD's additionalPrinterColumns: extra Table columns for `kubectl get`. */
  readonly printerColumns?: readonly PrinterColumn[];
}

export interface PrinterColumn {
  readonly name: string;
  readonly type: string;
  readonly format?: string;
  readonly description?: string;
  readonly priority: number;
  /** A simple JSONPath such as `.status.endpoint.host`. */
  readonly jsonPath: string;
}

export const ALL_VERBS: readonly string[] = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

export function apiVersionOf(k: Pick<KindInfo, 'group' | 'version'>): string {
  return k.group ? `${k.group}/${k.version}` : k.version;
}

/** Key of a group/resource pair, e.g. `apps/deployments`, `/pods` for core. */
export function groupResourceKey(group: string, plural: string): string {
  return `${group}/${plural}`;
}
