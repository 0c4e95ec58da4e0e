import { isPlainObject, jsonEqual } from '../object.js';
import type { FieldError } from './field-errors.js';

/**
 * Validation ratcheting (kube-apiserver ≥ 1.33, on by default): on update,
 * an error about a value the request did not change is dropped, so an
 * object stored under an older, looser schema can still be written (its
 * status updated, a finalizer removed) without first fixing every old
 * field. The unchanged value is the one of the schema node that reported
 * the error (the parent object for a missing required field). Items of
 * lists are not matched one by one: below a list, the whole list must be
 * unchanged.
 */
export function ratchet(errors: readonly FieldError[], next: unknown, old: unknown): FieldError[] {
  return errors.filter((e) => {
    const at = comparablePath(e.at ?? e.field);
    if (at === undefined) return true;
    const before = lookup(old, at);
    return !(before.found && jsonEqual(before.value, lookup(next, at).value));
  });
}

/** Dotted path segments up to (not into) the first list index; undefined when not a plain field path. */
function comparablePath(path: string): string[] | undefined {
  if (path === '<nil>') return undefined;
  const bracket = path.indexOf('[');
  const head = bracket < 0 ? path : path.slice(0, bracket);
  return head === '' ? [] : head.split('.');
}

function lookup(obj: unknown, path: readonly string[]): { found: boolean; value?: unknown } {
  let cur = obj;
  for (const key of path) {
    if (!isPlainObject(cur) || !Object.hasOwn(cur, key)) return { found: false };
    cur = cur[key];
  }
  return { found: true, value: cur };
}
