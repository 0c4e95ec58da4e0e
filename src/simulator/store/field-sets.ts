import { jsonField, messageType, typeSchemaFor, type FieldSchema, type MessageType } from '../schema/index.js';
import { isPlainObject, jsonEqual } from './object.js';

/**
 * Sets of field paths as structured-merge-diff (the library behind
 * kube-apiserver's managedFields) sees an object: which fields a value sets,
 * and which ones a change added, modified or removed. A path is a list of
 * elements — `f:name` (a field or map key), `k:{"name":"x"}` (an item of a
 * keyed list), `v:"x"` (an item of a set) — and is kept encoded as one
 * string so paths go in a Set. FieldsV1 is their tree form.
 */

export type FieldPathSet = Set<string>;

/** How a node of an object is tracked. */
type NodeType =
  /** Named fields (a Go struct, or an object of a custom resource): only leaves are members. */
  | { readonly t: 'struct'; readonly message?: MessageType }
  /** A map (`map[string]T`): every entry is a member. */
  | { readonly t: 'map'; readonly value: NodeType }
  /** A list whose items are identified by key fields. */
  | { readonly t: 'keyed'; readonly keys: readonly string[]; readonly item: NodeType }
  /** A list of distinct scalars. */
  | { readonly t: 'set' }
  /** Replaced as a whole: scalars, atomic lists, special formats (time, quantity). */
  | { readonly t: 'atomic' };

const ATOMIC: NodeType = { t: 'atomic' };
const UNTYPED_STRUCT: NodeType = { t: 'struct' };
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/**
 * Lists keyed by more than their patch merge key (`+listMapKey` markers the
 * type schema does not carry): the key of an item names all of them.
 */
const EXTRA_LIST_KEYS: Readonly<Record<string, readonly string[]>> = {
  'io.k8s.api.core.v1.Container.ports': ['containerPort', 'protocol'],
  'io.k8s.api.core.v1.ServiceSpec.ports': ['port', 'protocol'],
};

/**
 * Structs replaced as a whole (`+structType=atomic` in the Go types, which
 * the type schema does not carry): references and selectors.
 */
const ATOMIC_STRUCTS = new Set([
  'io.k8s.api.core.v1.ObjectReference',
  'io.k8s.api.core.v1.LocalObjectReference',
  'io.k8s.api.core.v1.TypedLocalObjectReference',
  'io.k8s.api.core.v1.SecretReference',
  'io.k8s.api.core.v1.ConfigMapKeySelector',
  'io.k8s.api.core.v1.SecretKeySelector',
  'io.k8s.api.core.v1.ObjectFieldSelector',
  'io.k8s.api.core.v1.ResourceFieldSelector',
  'io.k8s.api.core.v1.NodeSelector',
  'io.k8s.api.core.v1.TopologySelectorTerm',
  'io.k8s.api.rbac.v1.RoleRef',
  'io.k8s.api.networking.v1.ServiceBackendPort',
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector',
  'io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference',
]);

/** Metadata the server sets: never owned by anyone (kube's stripped fields). */
const SERVER_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'selfLink', 'managedFields', 'clusterName']);

const rootTypes = new Map<string, NodeType>();

/** The root node type of a kind: from the type schema for built-ins, named fields with typed metadata otherwise. */
export function rootType(apiVersion: string, kind: string): NodeType {
  const key = `${apiVersion}/${kind}`;
  let t = rootTypes.get(key);
  if (!t) {
    const message = typeSchemaFor(apiVersion, kind);
    t = message ? { t: 'struct', message } : { t: 'struct' };
    rootTypes.set(key, t);
  }
  return t;
}

function childType(parent: NodeType, key: string, atRoot: boolean): NodeType {
  if (parent.t === 'map') return parent.value;
  if (parent.t !== 'struct') return ATOMIC;
  if (!parent.message) {
    if (atRoot && key === 'metadata') return { t: 'struct', message: messageType(OBJECT_META)! };
    return UNTYPED_STRUCT;
  }
  const field = jsonField(parent.message, key);
  return field ? fieldType(parent.message, field) : UNTYPED_STRUCT;
}

/** Objects of a custom resource are named fields; its scalars and lists are replaced whole. */
function refine(t: NodeType, value: unknown): NodeType {
  return t === UNTYPED_STRUCT && !isPlainObject(value) ? ATOMIC : t;
}

/** Fields replaced as a whole (`+mapType=atomic`): label maps that select, not label. */
const ATOMIC_FIELDS = new Set(['io.k8s.api.core.v1.ServiceSpec.selector', 'io.k8s.api.core.v1.ReplicationControllerSpec.selector']);

/** Node types by schema field: built once per field (the schema's objects live as long as the process). */
const fieldTypes = new WeakMap<FieldSchema, NodeType>();

function fieldType(owner: MessageType, field: FieldSchema): NodeType {
  let t = fieldTypes.get(field);
  if (!t) fieldTypes.set(field, (t = buildFieldType(owner, field)));
  return t;
}

/** Lists of distinct values without a patch strategy (`+listType=set`). */
const SET_FIELDS = new Set(['io.k8s.api.storage.v1.CSIDriverSpec.volumeLifecycleModes']);

function buildFieldType(owner: MessageType, field: FieldSchema): NodeType {
  const id = `${owner.name}.${field.name}`;
  if (ATOMIC_FIELDS.has(id)) return ATOMIC;
  if (SET_FIELDS.has(id)) return { t: 'set' };
  if (field.type === 'map') return { t: 'map', value: field.value === 'message' && field.ref ? messageNode(field.ref) : ATOMIC };
  const item = field.type === 'message' && field.ref ? messageNode(field.ref) : ATOMIC;
  if (!field.repeated) return item;
  const merge = (field.patchStrategy ?? '').split(',').includes('merge');
  if (!merge) return ATOMIC;
  if (!field.patchMergeKey) return { t: 'set' };
  return { t: 'keyed', keys: EXTRA_LIST_KEYS[`${owner.name}.${field.name}`] ?? [field.patchMergeKey], item };
}

function messageNode(ref: string): NodeType {
  const message = messageType(ref);
  return message && !message.format && !ATOMIC_STRUCTS.has(ref) ? { t: 'struct', message } : ATOMIC;
}

/**
 * Paths are their elements joined by NUL, built one element at a time as
 * walks descend (no arrays, no JSON per path: a write walks every field).
 * An element holding NUL or the escape character is escaped.
 */
const SEP = '\u0000';
const ESC = '\u0001';
const ROOT = '';

function escapeElement(e: string): string {
  return e.includes(SEP) || e.includes(ESC) ? e.replaceAll(ESC, `${ESC}${ESC}`).replaceAll(SEP, `${ESC}0`) : e;
}

function unescapeElement(e: string): string {
  if (!e.includes(ESC)) return e;
  let out = '';
  for (let i = 0; i < e.length; i++) {
    if (e[i] === ESC && i + 1 < e.length) out += e[++i] === '0' ? SEP : ESC;
    else out += e[i];
  }
  return out;
}

/** The path one element below `parent`. */
export function childPath(parent: string, element: string): string {
  return parent === ROOT ? escapeElement(element) : `${parent}${SEP}${escapeElement(element)}`;
}

/** The path above this one (ROOT for a top-level field). */
export function parentPath(path: string): string {
  const i = path.lastIndexOf(SEP);
  return i < 0 ? ROOT : path.slice(0, i);
}

export const encodePath = (p: readonly string[]): string => p.map(escapeElement).join(SEP);
export const decodePath = (s: string): string[] => (s === ROOT ? [] : s.split(SEP).map(unescapeElement));

const METADATA_PATH = 'f:metadata';

/** The path element of a list item: `k:{…}` of its key fields (sorted by name), `v:…` for a set. */
function itemElement(t: NodeType, item: unknown): string | undefined {
  if (t.t === 'set') return `v:${JSON.stringify(item)}`;
  if (t.t !== 'keyed' || !isPlainObject(item)) return undefined;
  const key: Record<string, unknown> = {};
  for (const k of [...t.keys].sort()) if (item[k] !== undefined) key[k] = item[k];
  return `k:${JSON.stringify(key)}`;
}

function isEmptyObject(v: unknown): boolean {
  return isPlainObject(v) && Object.keys(v).length === 0;
}

/** Root fields and metadata fields no manager owns; with `status`, the part a write through that subresource owns. */
export interface FieldScope {
  /** 'main' leaves status out (kinds with a status subresource), 'status' keeps only status, 'all' keeps everything. */
  readonly part: 'all' | 'main' | 'status';
}

function skipped(path: string, key: string, scope: FieldScope): boolean {
  if (path === ROOT) {
    if (key === 'apiVersion' || key === 'kind') return true;
    if (scope.part === 'main' && key === 'status') return true;
    if (scope.part === 'status' && key !== 'status') return true;
  }
  return path === METADATA_PATH && SERVER_METADATA.has(key);
}

/**
 * The fields a value sets (an applied configuration): leaves, map entries,
 * list items, and empty objects.
 */
export function fieldSetOf(value: unknown, type: NodeType, scope: FieldScope): FieldPathSet {
  const out: FieldPathSet = new Set();
  // An explicit stack: objects may be as deep as the body limit allows.
  const stack: { value: unknown; type: NodeType; path: string }[] = [{ value, type, path: ROOT }];
  while (stack.length > 0) {
    const { value: v, type: t, path } = stack.pop()!;
    if (t.t === 'struct' || t.t === 'map') {
      if (!isPlainObject(v)) continue;
      for (const k of Object.keys(v)) {
        const child = v[k];
        if (skipped(path, k, scope)) continue;
        const p = childPath(path, `f:${k}`);
        const ct = refine(childType(t, k, path === ROOT), child);
        if (t.t === 'map' || child === null || isEmptyObject(child) || ct.t === 'atomic') out.add(p);
        if (child !== null && typeof child === 'object') stack.push({ value: child, type: ct, path: p });
      }
    } else if ((t.t === 'keyed' || t.t === 'set') && Array.isArray(v)) {
      for (const item of v) {
        const e = itemElement(t, item);
        if (e === undefined) continue;
        const p = childPath(path, e);
        out.add(p);
        if (t.t === 'keyed' && isPlainObject(item)) stack.push({ value: item, type: t.item, path: p });
      }
    }
  }
  out.delete(METADATA_PATH);
  return out;
}

export interface Comparison {
  readonly added: FieldPathSet;
  readonly modified: FieldPathSet;
  readonly removed: FieldPathSet;
}

/**
 * What changed from `before` to `after`, as structured-merge-diff compares:
 * a container that appears or disappears is itself added or removed (its
 * members too); a leaf whose value changed is modified; two empty or absent
 * containers compare as leaves.
 */
export function compareFields(before: unknown, after: unknown, type: NodeType, scope: FieldScope): Comparison {
  const cmp: Comparison = { added: new Set(), modified: new Set(), removed: new Set() };
  const stack: { a: unknown; b: unknown; type: NodeType; path: string }[] = [{ a: before, b: after, type, path: ROOT }];
  while (stack.length > 0) {
    const { a, b, type: t, path } = stack.pop()!;
    if (t.t === 'struct' || t.t === 'map') {
      const ao = isPlainObject(a) ? a : undefined;
      const bo = isPlainObject(b) ? b : undefined;
      if ((a !== undefined && a !== null && !ao) || (b !== undefined && b !== null && !bo) || ((!ao || isEmptyObject(ao)) && (!bo || isEmptyObject(bo)))) {
        if (path !== ROOT) compareLeaf(cmp, path, a, b);
        continue;
      }
      if (path !== ROOT) markContainer(cmp, path, a, b);
      for (const k of unionKeys(ao, bo)) {
        if (skipped(path, k, scope)) continue;
        const ak = ao ? ao[k] : undefined;
        const bk = bo ? bo[k] : undefined;
        // Shared (frozen template parts, untouched subtrees): nothing below changed.
        if (ak === bk && ak !== undefined && typeof ak === 'object') continue;
        // A null field is present (Go wrote it): only a missing one is added or removed.
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

function compareLeaf(cmp: Comparison, path: string, a: unknown, b: unknown): void {
  if (a === undefined && b !== undefined) cmp.added.add(path);
  else if (a !== undefined && b === undefined) cmp.removed.add(path);
  else if (a !== b && !jsonEqual(a, b)) cmp.modified.add(path);
}

function markContainer(cmp: Comparison, path: string, a: unknown, b: unknown): void {
  // metadata itself is never owned (every object has it).
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

/** Order of path elements in FieldsV1, as structured-merge-diff sorts them: fields, keys, values, indexes. */
const ELEMENT_RANK: Readonly<Record<string, number>> = { f: 0, k: 1, v: 2, i: 3 };

function compareElements(x: string, y: string): number {
  const rx = ELEMENT_RANK[x[0]!] ?? 4;
  const ry = ELEMENT_RANK[y[0]!] ?? 4;
  if (rx !== ry) return rx - ry;
  return x < y ? -1 : x > y ? 1 : 0;
}

interface Trie {
  member: boolean;
  readonly children: Map<string, Trie>;
}

/** The FieldsV1 tree of a set: `{}` for a member leaf, `.` marks a member that also has members below. */
export function toFieldsV1(set: Iterable<string>): Record<string, unknown> {
  const root: Trie = { member: false, children: new Map() };
  for (const s of set) {
    let node = root;
    for (const e of decodePath(s)) {
      let next = node.children.get(e);
      if (!next) node.children.set(e, (next = { member: false, children: new Map() }));
      node = next;
    }
    node.member = true;
  }
  const render = (node: Trie): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    if (node.member && node.children.size > 0) out['.'] = {};
    for (const k of [...node.children.keys()].sort(compareElements)) out[k] = render(node.children.get(k)!);
    return out;
  };
  return render(root);
}

/** Whether a FieldsV1 tree holds a path as a member, found by walking it (no set is built). */
export function fieldsV1Has(tree: unknown, path: string): boolean {
  let node = tree;
  for (const e of decodePath(path)) {
    if (!isPlainObject(node)) return false;
    node = node[e];
  }
  return isPlainObject(node) && (Object.keys(node).length === 0 || '.' in node);
}

export function fromFieldsV1(tree: unknown): FieldPathSet {
  const out: FieldPathSet = new Set();
  const stack: { node: unknown; path: string }[] = [{ node: tree, path: ROOT }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (!isPlainObject(node)) continue;
    for (const k of Object.keys(node)) {
      if (k === '.') {
        if (path !== ROOT) out.add(path);
        continue;
      }
      const v = node[k];
      const p = childPath(path, k);
      if (isEmptyObject(v)) out.add(p);
      else stack.push({ node: v, path: p });
    }
  }
  return out;
}

/** A path as kube-apiserver prints it in conflicts: `.spec.replicas`, `.spec.containers[name="c"].image`, `.metadata.finalizers[="x"]`. */
export function displayPath(encoded: string): string {
  return decodePath(encoded)
    .map((e) => {
      if (e.startsWith('f:')) return `.${e.slice(2)}`;
      if (e.startsWith('v:')) return `[=${displayValue(JSON.parse(e.slice(2)))}]`;
      if (e.startsWith('k:')) {
        const key = JSON.parse(e.slice(2)) as Record<string, unknown>;
        return `[${Object.entries(key)
          .map(([k, v]) => `${k}=${displayValue(v)}`)
          .join(',')}]`;
      }
      return `[${e.slice(2)}]`;
    })
    .join('');
}

function displayValue(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/**
 * The value a path names inside an object (list items found by their key),
 * or undefined when absent.
 */
export function valueAtPath(obj: unknown, encoded: string, type: NodeType): unknown {
  let cur = obj;
  let t = type;
  let depth = 0;
  for (const e of decodePath(encoded)) {
    if (e.startsWith('f:')) {
      if (!isPlainObject(cur)) return undefined;
      t = childType(t, e.slice(2), depth === 0);
      cur = cur[e.slice(2)];
    } else {
      if (!Array.isArray(cur)) return undefined;
      const list = t;
      cur = cur.find((x) => itemElement(list, x) === e);
      t = list.t === 'keyed' ? list.item : ATOMIC;
    }
    depth++;
  }
  return cur;
}

/** Removes, in place, the field or list item a path names. */
export function removeAtPath(obj: unknown, encoded: string, type: NodeType): void {
  const path = decodePath(encoded);
  const last = path.pop();
  if (last === undefined) return;
  const parent = path.length ? valueAtPath(obj, encodePath(path), type) : obj;
  if (last.startsWith('f:')) {
    if (isPlainObject(parent)) delete parent[last.slice(2)];
    return;
  }
  if (!Array.isArray(parent)) return;
  let listType = type;
  let depth = 0;
  for (const e of path) {
    listType = e.startsWith('f:') ? childType(listType, e.slice(2), depth === 0) : listType.t === 'keyed' ? listType.item : ATOMIC;
    depth++;
  }
  const i = parent.findIndex((x) => itemElement(listType, x) === last);
  if (i >= 0) parent.splice(i, 1);
}

export type { NodeType };
