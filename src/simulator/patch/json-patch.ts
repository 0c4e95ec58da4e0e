import { StatusError, badRequest } from '../api/errors.js';
import { MAX_NESTING_DEPTH, measureJson } from '../api/json-limits.js';
import { cloneObject, isPlainObject, jsonEqual } from '../store/object.js';

/** RFC 6902 JSON Patch (`application/json-patch+json`). Never mutates its input. */

type Json = unknown;
interface Operation {
  readonly op: string;
  readonly path: string;
  readonly from?: string;
  readonly value?: Json;
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);
/** kube-apiserver refuses JSON patches with more operations than this (413). */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;
/**
 * Values all `copy` operations of one patch may add together. Each copy can
 * double the document; without a budget a few dozen operations exhaust
 * memory. Real patches copy a field or a list item, not tens of thousands.
 */
export const MAX_COPIED_VALUES = 64 * 1024;

export function parseJsonPatch(doc: unknown): Operation[] {
  if (!Array.isArray(doc)) throw badRequest('a JSON patch must be a JSON array of operations, e.g. [{"op":"replace","path":"/spec/replicas","value":3}]');
  if (doc.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${doc.length}`);
  }
  return doc.map((raw, i) => {
    if (!isPlainObject(raw)) throw badRequest(`JSON patch operation ${i} is not an object`);
    if (typeof raw.op !== 'string' || !OPS.has(raw.op)) throw badRequest(`JSON patch operation ${i} has unknown op ${JSON.stringify(raw.op)}: use add, remove, replace, move, copy or test`);
    if (typeof raw.path !== 'string') throw badRequest(`JSON patch operation ${i} (${raw.op}) needs a string "path"`);
    if ((raw.op === 'move' || raw.op === 'copy') && typeof raw.from !== 'string') throw badRequest(`JSON patch operation ${i} (${raw.op}) needs a string "from"`);
    if ((raw.op === 'add' || raw.op === 'replace' || raw.op === 'test') && !('value' in raw)) throw badRequest(`JSON patch operation ${i} (${raw.op}) needs a "value"`);
    return raw as unknown as Operation;
  });
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`JSON pointer "${path}" must start with "/"`);
  return path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function unprocessable(message: string): StatusError {
  return new StatusError(422, 'Invalid', `the JSON patch cannot be applied: ${message}`);
}

function parentOf(root: Json, tokens: string[], path: string): { parent: Record<string, Json> | Json[]; key: string } {
  let cur: Json = root;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) {
      const i = Number(t);
      if (!/^\d+$/.test(t) || i >= cur.length) throw unprocessable(`path ${path}: no element ${t}`);
      cur = cur[i];
    } else if (isPlainObject(cur)) {
      if (!(t in cur)) throw unprocessable(`path ${path}: no field "${t}"`);
      cur = cur[t];
    } else throw unprocessable(`path ${path}: "${t}" is inside a value that is not an object or array`);
  }
  if (!Array.isArray(cur) && !isPlainObject(cur)) throw unprocessable(`path ${path} does not point into an object or array`);
  return { parent: cur, key: tokens[tokens.length - 1]! };
}

function getAt(root: Json, path: string): Json {
  let cur: Json = root;
  for (const t of pointer(path)) {
    if (Array.isArray(cur) && /^\d+$/.test(t) && Number(t) < cur.length) cur = cur[Number(t)];
    else if (isPlainObject(cur) && t in cur) cur = cur[t];
    else throw unprocessable(`path ${path} does not exist`);
  }
  return cur;
}

function add(root: Json, path: string, value: Json): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(root, tokens, path);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!/^(\d+|-)$/.test(key) || i > parent.length) throw unprocessable(`path ${path}: index ${key} is out of range`);
    parent.splice(i, 0, value);
  } else parent[key] = value;
  return root;
}

function remove(root: Json, path: string): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) throw unprocessable('cannot remove the whole document');
  const { parent, key } = parentOf(root, tokens, path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!/^\d+$/.test(key) || i >= parent.length) throw unprocessable(`path ${path} does not exist`);
    parent.splice(i, 1);
  } else {
    if (!(key in parent)) throw unprocessable(`path ${path} does not exist`);
    delete parent[key];
  }
  return root;
}

export function applyJsonPatch(target: Json, doc: unknown): Json {
  const ops = parseJsonPatch(doc);
  let root: Json = cloneObject(target);
  let copied = 0;
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        root = add(root, op.path, cloneObject(op.value));
        break;
      case 'remove':
        root = remove(root, op.path);
        break;
      case 'replace':
        getAt(root, op.path);
        root = pointer(op.path).length === 0 ? cloneObject(op.value) : add(remove(root, op.path), op.path, cloneObject(op.value));
        break;
      case 'move': {
        const value = getAt(root, op.from!);
        root = add(remove(root, op.from!), op.path, value);
        break;
      }
      case 'copy': {
        const value = getAt(root, op.from!);
        copied += measureJson(value, MAX_NESTING_DEPTH, MAX_COPIED_VALUES - copied).values;
        if (copied > MAX_COPIED_VALUES) {
          throw unprocessable(`the copy operations of this patch add more than ${MAX_COPIED_VALUES} values; copy less, or send the object with PUT`);
        }
        root = add(root, op.path, cloneObject(value));
        break;
      }
      case 'test':
        if (!jsonEqual(getAt(root, op.path), op.value)) throw unprocessable(`test failed: the value at ${op.path} is not ${JSON.stringify(op.value)}`);
        break;
    }
  }
  return root;
}
