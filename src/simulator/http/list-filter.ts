import { badRequest } from '../api/errors.js';
import type { KindInfo } from '../kinds/kind.js';
import type { KubeObject } from '../store/object.js';
import {
  FIELD_SELECTORS,
  fieldSelectorMatches,
  fieldValueOf,
  labelSelectorMatches,
  parseFieldSelector,
  parseLabelSelector,
} from '../store/selectors.js';

/** Every kind can be filtered by these fields; built-in kinds add their own (selectors.ts). */
const COMMON_FIELDS = ['metadata.name', 'metadata.namespace'];

/**
 * A built-in kind without field selectors of its own (ConfigMap, Service…)
 * goes through kube's default conversion, whose refusal words it differently.
 */
function defaultFieldsOnly(field: string): boolean {
  if (COMMON_FIELDS.includes(field)) return true;
  throw badRequest(`"${field}" is not a known field selector: only ${COMMON_FIELDS.map((f) => `"${f}"`).join(', ')}`);
}

/** The predicate for `?labelSelector=` and `?fieldSelector=` of a list, watch or deletecollection. */
export function listFilter(query: URLSearchParams, kind: KindInfo): (o: KubeObject) => boolean {
  const labelText = query.get('labelSelector');
  const fieldText = query.get('fieldSelector');
  const labels = labelText ? parseLabelSelector(labelText) : undefined;
  const own = kind.custom ? undefined : FIELD_SELECTORS[`${kind.group}/${kind.plural}`];
  const supported = new Set([...COMMON_FIELDS, ...(own ?? [])]);
  const fields = fieldText ? parseFieldSelector(fieldText, own || kind.custom ? supported : defaultFieldsOnly) : undefined;
  if (!labels && !fields) return () => true;
  return (o) =>
    (!labels || labelSelectorMatches(labels, o.metadata.labels)) &&
    (!fields || fieldSelectorMatches(fields, o, fieldValueOf));
}
