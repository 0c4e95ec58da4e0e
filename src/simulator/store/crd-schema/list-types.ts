import { isPlainObject } from '../object.js';
import { fieldError, type FieldError } from './field-errors.js';
import { canonicalJson, type SchemaNode } from './schema.js';

/**
 * `x-kubernetes-list-type`: a `set` may not hold the same value twice, a
 * `map` may not hold two items with the same values of its
 * `x-kubernetes-list-map-keys`. Each repeated item is a Duplicate error at
 * its index, naming the value (a set) or the key fields (a map), as
 * kube-apiserver reports it. Items of a map missing a key are left to the
 * schema's `required`.
 */
export function validateListType(list: readonly unknown[], node: SchemaNode, path: string): FieldError[] {
  if (node.listType === 'set') return duplicates(list, path, (item) => item);
  if (node.listType === 'map' && node.listMapKeys.length > 0) {
    return duplicates(list, path, (item) => {
      if (!isPlainObject(item) || node.listMapKeys.some((k) => !Object.hasOwn(item, k))) return undefined;
      return Object.fromEntries(node.listMapKeys.map((k) => [k, item[k]]));
    });
  }
  return [];
}

/** Reports every item whose identity (from `identify`; undefined skips the item) was seen at a lower index. */
function duplicates(list: readonly unknown[], path: string, identify: (item: unknown) => unknown): FieldError[] {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  list.forEach((item, i) => {
    const identity = identify(item);
    if (identity === undefined) return;
    const key = canonicalJson(identity);
    if (seen.has(key)) errors.push(fieldError.duplicate(`${path}[${i}]`, identity));
    else seen.add(key);
  });
  return errors;
}
