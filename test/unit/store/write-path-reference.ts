import { childPath, childType, fieldsV1Has, fromFieldsV1, skipped, toFieldsV1, type Comparison, type FieldScope, type NodeType } from '../../../src/simulator/store/field-sets.js';
import type { FieldManager, ManagedFieldsEntry } from '../../../src/simulator/store/managed-fields.js';
import { isPlainObject, jsonEqual, type KubeObject } from '../../../src/simulator/store/object.js';
import { flatFields, zeroField } from '../../../src/simulator/store/typed-zeros.js';
import { messageType, typeSchemaFor, type MessageType } from '../../../src/simulator/schema/index.js';

/**
 * The plain forms of the field diff, of an Update's managedFields and of
 * Go's zero values, as they were before the write path was made lean:
 * every field visited with its path, every list item named by the JSON of
 * its key, the writer's FieldsV1 always rebuilt, every field of every
 * message looked at. The specs hold the lean ones to these.
 */

const ROOT = '';
const METADATA_PATH = 'f:metadata';

export function referenceCompareFields(before: unknown, after: unknown, type: NodeType, scope: FieldScope): Comparison {
  const cmp: Comparison = { added: new Set(), modified: new Set(), removed: new Set() };
  const stack: { a: unknown; b: unknown; type: NodeType; path: string }[] = [{ a: before, b: after, type, path: ROOT }];
  while (stack.length > 0) {
    const { a, b, type: t, path } = stack.pop()!;
    if (t.t === 'struct' || t.t === 'map') {
      const ao = isPlainObject(a) ? a : undefined;
      const bo = isPlainObject(b) ? b : undefined;
      if ((a !== undefined && a !== null && !ao) || (b !== undefined && b !== null && !bo) || ((!ao || isEmpty(ao)) && (!bo || isEmpty(bo)))) {
        if (path !== ROOT) compareLeaf(cmp, path, a, b);
        continue;
      }
      if (path !== ROOT) markContainer(cmp, path, a, b);
      for (const k of unionKeys(ao, bo)) {
        if (skipped(path, k, scope)) continue;
        const ak = ao ? ao[k] : undefined;
        const bk = bo ? bo[k] : undefined;
        if (ak === bk && ak !== undefined && typeof ak === 'object') continue;
        stack.push({ a: ak, b: bk, type: childType(t, k, path === ROOT), path: childPath(path, `f:${k}`) });
      }
    } else if (t.t === 'keyed' || t.t === 'set') {
      const al = Array.isArray(a) ? a : undefined;
      const bl = Array.isArray(b) ? b : undefined;
      if ((a != null && !al) || (b != null && !bl) || (!al?.length && !bl?.length)) {
        compareLeaf(cmp, path, a, b);
        continue;
      }
      markContainer(cmp, path, a, b);
      const items = new Map<string, { a?: unknown; b?: unknown }>();
      for (const x of al ?? []) {
        const e = itemElement(t, x);
        if (e !== undefined) items.set(e, { a: x });
      }
      for (const x of bl ?? []) {
        const e = itemElement(t, x);
        if (e !== undefined) items.set(e, { ...items.get(e), b: x });
      }
      for (const [e, pair] of items) {
        const p = childPath(path, e);
        if (t.t === 'set') {
          if (pair.a === undefined) cmp.added.add(p);
          else if (pair.b === undefined) cmp.removed.add(p);
        } else stack.push({ a: pair.a, b: pair.b, type: t.item, path: p });
      }
    } else compareLeaf(cmp, path, a, b);
  }
  return cmp;
}

function itemElement(t: NodeType, item: unknown): string | undefined {
  if (t.t === 'set') return `v:${JSON.stringify(item)}`;
  if (t.t !== 'keyed' || !isPlainObject(item)) return undefined;
  const key: Record<string, unknown> = {};
  for (const k of [...t.keys].sort()) if (item[k] !== undefined) key[k] = item[k];
  return `k:${JSON.stringify(key)}`;
}

function isEmpty(v: Record<string, unknown>): boolean {
  return Object.keys(v).length === 0;
}

function compareLeaf(cmp: Comparison, path: string, a: unknown, b: unknown): void {
  if (a === undefined && b !== undefined) cmp.added.add(path);
  else if (a !== undefined && b === undefined) cmp.removed.add(path);
  else if (a !== b && !jsonEqual(a, b)) cmp.modified.add(path);
}

function markContainer(cmp: Comparison, path: string, a: unknown, b: unknown): void {
  if (path === METADATA_PATH) return;
  if (a === undefined && b !== undefined) cmp.added.add(path);
  else if (a !== undefined && b === undefined) cmp.removed.add(path);
}

function unionKeys(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): string[] {
  if (!a) return b ? Object.keys(b) : [];
  if (!b) return Object.keys(a);
  const keys = Object.keys(a);
  for (const k of Object.keys(b)) if (!Object.hasOwn(a, k)) keys.push(k);
  return keys;
}

/**
 * The entries an Update leaves, computed the plain way: each entry the
 * write took fields from is parsed, trimmed and rebuilt; the writer's own
 * entry always is. (Entries as the write path receives them: the live
 * object's, or those the client sent.)
 */
export function referenceUpdateEntries(
  entries: readonly ManagedFieldsEntry[],
  diff: Comparison,
  who: FieldManager,
  apiVersion: string,
  now: string,
): ManagedFieldsEntry[] {
  const changed = new Set([...diff.added, ...diff.modified]);
  const taken = [...changed, ...diff.removed];
  const isMine = (e: ManagedFieldsEntry): boolean => e.manager === who.manager && e.operation === 'Update' && e.apiVersion === apiVersion && (e.subresource ?? undefined) === who.subresource;
  const out: ManagedFieldsEntry[] = [];
  let mine: Set<string> | undefined;
  for (const e of entries) {
    const touched = taken.some((p) => fieldsV1Has(e.fieldsV1, p));
    if (!touched && !(changed.size > 0 && isMine(e))) {
      out.push(e);
      continue;
    }
    const set = fromFieldsV1(e.fieldsV1 ?? {});
    for (const p of taken) set.delete(p);
    if (changed.size > 0 && isMine(e)) mine = set;
    else if (set.size > 0) out.push({ ...e, fieldsV1: toFieldsV1(set) });
  }
  if (changed.size > 0) {
    const set = mine ?? new Set<string>();
    for (const p of changed) set.add(p);
    out.push({ manager: who.manager, operation: 'Update', apiVersion, time: now, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(set), ...(who.subresource ? { subresource: who.subresource } : {}) });
  }
  return out;
}

/** An object's entries as the write path reads them. */
export function entriesOf(obj: KubeObject | undefined): ManagedFieldsEntry[] {
  const list = obj?.metadata.managedFields;
  return Array.isArray(list) ? (list.filter(isPlainObject) as unknown as ManagedFieldsEntry[]) : [];
}

const MAX_ZERO_DEPTH = 16;

export function referenceFillTypedZeros(obj: KubeObject, apiVersion: string, kind: string): void {
  const top = typeSchemaFor(apiVersion, kind);
  if (!top) return;
  const stack: { value: Record<string, unknown>; message: MessageType; depth: number }[] = [{ value: obj, message: top, depth: 0 }];
  while (stack.length > 0) {
    const { value, message, depth } = stack.pop()!;
    for (const field of flatFields(message)) {
      const v = value[field.name];
      if (v === undefined) {
        const zero = zeroField(field, depth);
        if (zero !== undefined) value[field.name] = zero === null || typeof zero !== 'object' ? zero : (JSON.parse(JSON.stringify(zero)) as unknown);
        continue;
      }
      if (field.type === 'message' && field.ref && v !== null) {
        const inner = messageType(field.ref);
        if (!inner || inner.format || depth >= MAX_ZERO_DEPTH) continue;
        if (field.repeated && Array.isArray(v)) {
          for (const item of v) if (isPlainObject(item)) stack.push({ value: item, message: inner, depth: depth + 1 });
        } else if (!field.repeated && isPlainObject(v)) stack.push({ value: v, message: inner, depth: depth + 1 });
      } else if (field.type === 'map' && field.value === 'message' && field.ref && isPlainObject(v)) {
        const inner = messageType(field.ref);
        if (!inner || inner.format) continue;
        for (const item of Object.values(v)) if (isPlainObject(item)) stack.push({ value: item, message: inner, depth: depth + 1 });
      }
    }
  }
}
