import { badRequest } from '../api/errors.js';
import { isPlainObject } from '../store/object.js';

/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) for
 * built-in kinds: lists whose field says `patchStrategy: merge` are merged
 * by their `patchMergeKey` (containers by name, conditions by type, ...),
 * primitive `merge` lists are merged as sets, everything else follows JSON
 * merge patch. Which list merges how is data, looked up per field path.
 */

export interface PatchMeta {
  readonly strategy?: string;
  readonly mergeKey?: string;
}

/**
 * Patch metadata of the field at `path` (JSON field names from the object
 * root; list items add no segment; a map's keys are segments).
 */
export type PatchMetaLookup = (path: readonly string[]) => PatchMeta | undefined;

type Obj = Record<string, unknown>;

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';
const SET_ELEMENT_ORDER = '$setElementOrder/';

export function applyStrategicMergePatch(original: unknown, patch: unknown, meta: PatchMetaLookup): Obj {
  if (!isPlainObject(patch)) throw badRequest('a strategic merge patch must be a JSON object');
  const result = mergeMap(isPlainObject(original) ? original : {}, patch, [], meta);
  return result ?? {};
}

function mergeMap(original: Obj, patch: Obj, path: string[], meta: PatchMetaLookup): Obj | undefined {
  const directive = patch[DIRECTIVE];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return stripDirectives(patch) as Obj;
  if (directive !== undefined && directive !== 'merge') throw badRequest(`unknown $patch directive "${String(directive)}" at ${path.join('.') || 'the root'}: use replace, delete or merge`);
  const out: Obj = { ...original };
  const orders: [string, unknown[]][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
      if (!Array.isArray(value)) throw badRequest(`${key} must be a list`);
      const current = out[field];
      const doomed = new Set(value.map(jsonKey));
      if (Array.isArray(current)) out[field] = current.filter((x) => !doomed.has(jsonKey(x)));
      continue;
    }
    if (key.startsWith(SET_ELEMENT_ORDER)) {
      if (!Array.isArray(value)) throw badRequest(`${key} must be a list`);
      orders.push([key.slice(SET_ELEMENT_ORDER.length), value]);
      continue;
    }
    const fieldPath = [...path, key];
    if (value === null) {
      delete out[key];
    } else if (isPlainObject(value)) {
      const merged = mergeMap(isPlainObject(out[key]) ? (out[key] as Obj) : {}, value, fieldPath, meta);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else if (Array.isArray(value)) {
      out[key] = mergeList(out[key], value, fieldPath, meta);
    } else {
      out[key] = value;
    }
  }
  for (const [field, order] of orders) {
    const list = out[field];
    if (Array.isArray(list)) out[field] = reorder(list, order, meta([...path, field])?.mergeKey);
  }
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw badRequest('$retainKeys must be a list of field names');
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  return out;
}

function mergeList(original: unknown, patch: unknown[], path: string[], meta: PatchMetaLookup): unknown[] {
  const m = meta(path);
  const strategies = (m?.strategy ?? '').split(',');
  const current = Array.isArray(original) ? original : [];
  if (patch.some((e) => isPlainObject(e) && e[DIRECTIVE] === 'replace' && Object.keys(e).length === 1)) {
    return patch.filter((e) => !(isPlainObject(e) && e[DIRECTIVE] === 'replace')).map(stripDirectives);
  }
  if (!strategies.includes('merge')) return patch.map(stripDirectives);
  if (!m?.mergeKey) {
    // A merged list of primitives is a set: keep what is there, add what is new.
    const out = [...current];
    const present = new Set(out.map(jsonKey));
    for (const v of patch) {
      const k = jsonKey(v);
      if (!present.has(k)) {
        present.add(k);
        out.push(v);
      }
    }
    return out;
  }
  return mergeKeyedList(current, patch, m.mergeKey, path, meta);
}

/**
 * Merges list items by their merge key. Items are found through a map, not
 * a scan per item: a patch of many items costs linear time, not quadratic.
 * Deleted items become holes until the end so positions stay valid.
 */
function mergeKeyedList(current: unknown[], patch: unknown[], key: string, path: string[], meta: PatchMetaLookup): unknown[] {
  const out: (unknown | typeof HOLE)[] = [...current];
  const index = new Map<string, number>();
  out.forEach((x, i) => {
    if (isPlainObject(x)) {
      const k = jsonKey(x[key]);
      if (!index.has(k)) index.set(k, i);
    }
  });
  for (const item of patch) {
    if (!isPlainObject(item)) throw badRequest(`list ${path.join('.')} merges by "${key}": each item must be an object`);
    if (!(key in item)) throw badRequest(`list ${path.join('.')} merges by "${key}": an item has no "${key}"`);
    const k = jsonKey(item[key]);
    const at = index.get(k);
    if (item[DIRECTIVE] === 'delete') {
      if (at !== undefined) {
        out[at] = HOLE;
        index.delete(k);
      }
      continue;
    }
    if (at !== undefined) {
      const merged = mergeMap(out[at] as Obj, item, path, meta);
      if (merged === undefined) {
        out[at] = HOLE;
        index.delete(k);
      } else out[at] = merged;
    } else {
      index.set(k, out.length);
      out.push(stripDirectives(item));
    }
  }
  return out.filter((x) => x !== HOLE);
}

/** Marks a deleted item of a keyed list until the merge ends. */
const HOLE = Symbol('deleted list item');

function reorder(list: unknown[], order: unknown[], mergeKey: string | undefined): unknown[] {
  const keyOf = (x: unknown): unknown => (mergeKey && isPlainObject(x) ? x[mergeKey] : x);
  const wanted = new Map<string, number>();
  order.forEach((o, i) => {
    const k = jsonKey(mergeKey && isPlainObject(o) ? o[mergeKey] : o);
    if (!wanted.has(k)) wanted.set(k, i);
  });
  const rank = (x: unknown): number => wanted.get(jsonKey(keyOf(x))) ?? order.length;
  return list.map((x, i) => ({ x, i, r: rank(x) })).sort((a, b) => a.r - b.r || a.i - b.i).map((e) => e.x);
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isPlainObject(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

/** A value's identity for list merging: equal JSON, equal key. */
function jsonKey(v: unknown): string {
  return JSON.stringify(v) ?? 'undefined';
}
