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

/** The predicate for `?labelSelector=` and `?fieldSelector=` of a list, watch or deletecollection. */
export function listFilter(query: URLSearchParams, kind: KindInfo): (o: KubeObject) => boolean {
  const labelText = query.get('labelSelector');
  const fieldText = query.get('fieldSelector');
  const labels = labelText ? parseLabelSelector(labelText) : undefined;
  const supported = new Set([...COMMON_FIELDS, ...(kind.custom ? [] : (FIELD_SELECTORS[`${kind.group}/${kind.plural}`] ?? []))]);
  const fields = fieldText ? parseFieldSelector(fieldText, supported) : undefined;
  if (!labels && !fields) return () => true;
  return (o) =>
    (!labels || labelSelectorMatches(labels, o.metadata.labels)) &&
    (!fields || fieldSelectorMatches(fields, o, fieldValueOf));
}
