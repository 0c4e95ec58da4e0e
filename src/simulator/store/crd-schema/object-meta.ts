import { isPlainObject } from '../object.js';

/**
 * The fields of metav1.ObjectMeta. kube-apiserver decodes a custom
 * resource's metadata (and the metadata of every embedded resource in it)
 * into that Go type, so a key it does not know there is dropped and
 * reported as an unknown field, whatever the CRD schema says about
 * `metadata`.
 */
const OBJECT_META_FIELDS: ReadonlySet<string> = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

const OWNER_REFERENCE_FIELDS: ReadonlySet<string> = new Set(['apiVersion', 'kind', 'name', 'uid', 'controller', 'blockOwnerDeletion']);
const MANAGED_FIELDS_ENTRY_FIELDS: ReadonlySet<string> = new Set(['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1', 'subresource']);

/** Drops the keys ObjectMeta does not have from `meta` (at `path`), recording each path in `unknown`. */
export function pruneObjectMeta(meta: Record<string, unknown>, path: string, unknown: string[] | undefined): void {
  dropUnknownKeys(meta, OBJECT_META_FIELDS, path, unknown);
  pruneEntries(meta.ownerReferences, OWNER_REFERENCE_FIELDS, `${path}.ownerReferences`, unknown);
  pruneEntries(meta.managedFields, MANAGED_FIELDS_ENTRY_FIELDS, `${path}.managedFields`, unknown);
}

function pruneEntries(list: unknown, known: ReadonlySet<string>, path: string, unknown: string[] | undefined): void {
  if (!Array.isArray(list)) return;
  list.forEach((entry, i) => {
    if (isPlainObject(entry)) dropUnknownKeys(entry, known, `${path}[${i}]`, unknown);
  });
}

function dropUnknownKeys(obj: Record<string, unknown>, known: ReadonlySet<string>, path: string, unknown: string[] | undefined): void {
  for (const key of Object.keys(obj)) {
    if (known.has(key)) continue;
    unknown?.push(`${path}.${key}`);
    delete obj[key];
  }
}
