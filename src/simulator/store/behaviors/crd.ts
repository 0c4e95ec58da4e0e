import { isPlainObject, kubeTime, type KubeObject } from '../object.js';
import type { KindBehavior } from '../resources.js';
import { ALL_VERBS, type KindInfo, type PrinterColumn } from '../../kinds/kind.js';
import type { KindRegistry } from '../../kinds/registry.js';
import { storageKey } from '../../kinds/registry.js';

/**
 * Creating a CustomResourceDefinition makes its kinds servable at once
 * (Established), as kube-apiserver's apiextensions server does; deleting it
 * stops serving them and drops their objects.
 */
export function crdBehavior(registry: KindRegistry, now: () => Date): KindBehavior {
  return {
    prepareCreate(object: KubeObject): void {
      const names = isPlainObject(object.spec) && isPlainObject(object.spec.names) ? object.spec.names : {};
      const time = kubeTime(now());
      object.status = {
        acceptedNames: names,
        storedVersions: kindsOfCrd(object).filter((k) => k.storage).map((k) => k.info.version),
        conditions: [
          { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: time },
          { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: time },
        ],
      };
    },
    afterWrite(object: KubeObject, previous: KubeObject | undefined): void {
      if (previous) for (const k of kindsOfCrd(previous)) registry.unregisterCustom(k.info.group, k.info.plural, k.info.version);
      registry.registerCustom(kindsOfCrd(object).map((k) => k.info));
    },
    afterRemove(object: KubeObject, resources): void {
      const kinds = kindsOfCrd(object);
      const first = kinds[0];
      // Custom objects go with their definition; watchers see them deleted.
      if (first) for (const { object: cr } of resources.store.list(storageKey(first.info))) resources.removeNow(first.info, cr);
      for (const k of kinds) registry.unregisterCustom(k.info.group, k.info.plural, k.info.version);
    },
  };
}

/** The served versions of a CRD as kinds. Malformed CRDs serve nothing (validation rejects them earlier). */
export function kindsOfCrd(crd: KubeObject): { info: KindInfo; storage: boolean }[] {
  const spec = crd.spec;
  if (!isPlainObject(spec) || !isPlainObject(spec.names) || typeof spec.group !== 'string') return [];
  const names = spec.names;
  const kind = typeof names.kind === 'string' ? names.kind : '';
  const plural = typeof names.plural === 'string' ? names.plural : '';
  if (!kind || !plural) return [];
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isPlainObject) : [];
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
  return versions
    .filter((v) => v.served !== false && typeof v.name === 'string')
    .map((v) => ({
      storage: v.storage === true,
      info: {
        group: spec.group as string,
        version: v.name as string,
        kind,
        listKind: typeof names.listKind === 'string' ? names.listKind : `${kind}List`,
        plural,
        singular: typeof names.singular === 'string' && names.singular ? names.singular : kind.toLowerCase(),
        shortNames: strings(names.shortNames),
        categories: strings(names.categories),
        namespaced: spec.scope !== 'Cluster',
        verbs: ALL_VERBS,
        subresources: [
          ...(isPlainObject(v.subresources) && v.subresources.status !== undefined ? ['status'] : []),
          ...(isPlainObject(v.subresources) && v.subresources.scale !== undefined ? ['scale'] : []),
        ],
        // Custom resources keep a generation and answer DELETE with the object, as every CR does.
        tracksGeneration: true,
        deleteReturnsObject: true,
        custom: true,
        printerColumns: printerColumns(v.additionalPrinterColumns),
      },
    }));
}

function printerColumns(raw: unknown): PrinterColumn[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isPlainObject).flatMap((c) =>
    typeof c.name === 'string' && typeof c.jsonPath === 'string'
      ? [
          {
            name: c.name,
            type: typeof c.type === 'string' ? c.type : 'string',
            ...(typeof c.format === 'string' ? { format: c.format } : {}),
            ...(typeof c.description === 'string' ? { description: c.description } : {}),
            priority: typeof c.priority === 'number' ? c.priority : 0,
            jsonPath: c.jsonPath,
          },
        ]
      : [],
  );
}
