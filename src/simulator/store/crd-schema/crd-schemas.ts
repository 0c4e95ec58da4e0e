import type { KindInfo } from '../../kinds/kind.js';
import { storageKey } from '../../kinds/registry.js';
import type { ObjectStore } from '../object-store.js';
import { isPlainObject, type KubeObject } from '../object.js';
import { CustomResourceSchema } from './custom-resource-schema.js';
import { compileSchema } from './schema.js';

/**
 * Finds the compiled schema of a custom kind. A CRD's versions are compiled
 * once per stored version of the CRD object (the store never changes a
 * stored object, it replaces it), so a request costs one map lookup; a CRD
 * update or deletion is seen at once without any invalidation hook, and the
 * old compilation goes with the old object.
 */

const CRDS = storageKey({ group: 'apiextensions.k8s.io', plural: 'customresourcedefinitions' });
const compiled = new WeakMap<KubeObject, ReadonlyMap<string, CustomResourceSchema>>();

/** The schema objects of `kind` are checked against; undefined for built-in kinds and versions without a schema. */
export function customResourceSchema(store: ObjectStore, kind: KindInfo): CustomResourceSchema | undefined {
  if (!kind.custom) return undefined;
  const crd = store.get(CRDS, undefined, `${kind.plural}.${kind.group}`);
  if (!crd) return undefined;
  let versions = compiled.get(crd);
  if (!versions) {
    versions = compileCrd(crd, kind);
    compiled.set(crd, versions);
  }
  return versions.get(kind.version);
}

/** Every version of a CRD that has an openAPIV3Schema, compiled. */
export function compileCrd(crd: KubeObject, kind: Pick<KindInfo, 'group' | 'kind'>): ReadonlyMap<string, CustomResourceSchema> {
  const out = new Map<string, CustomResourceSchema>();
  const spec = isPlainObject(crd.spec) ? crd.spec : {};
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isPlainObject) : [];
  for (const v of versions) {
    const raw = isPlainObject(v.schema) ? v.schema.openAPIV3Schema : undefined;
    if (typeof v.name !== 'string' || !isPlainObject(raw)) continue;
    out.set(v.name, new CustomResourceSchema({ group: kind.group, kind: kind.kind, version: v.name }, compileSchema(raw)));
  }
  return out;
}
