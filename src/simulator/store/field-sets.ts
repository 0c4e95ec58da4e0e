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
  /** A list whose items are identified by key fields (sorted by name, as an item's path element lists them). */
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

/** The node type of a struct's or map's field (`atRoot`: a field of the object itself). */
export function childType(parent: NodeType, key: string, atRoot: boolean): NodeType {
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
  return { t: 'keyed', keys: [...(EXTRA_LIST_KEYS[`${owner.name}.${field.name}`] ?? [field.patchMergeKey])].sort(), item };
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

/**
 * The path element of a list item: `k:{…}`, the JSON of its key fields
 * (sorted by name), or `v:…` for a set. Written out field by field: every
 * write names every item of every keyed list it compares.
 */
function itemElement(t: NodeType, item: unknown): string | undefined {
  if (t.t === 'set') return `v:${JSON.stringify(item)}`;
  if (t.t !== 'keyed' || !isPlainObject(item)) return undefined;
  let e = 'k:{';
  for (const k of t.keys) {
    const v = item[k];
    // As JSON.stringify leaves out a member it cannot write.
    const json = v === undefined ? undefined : (JSON.stringify(v) as string | undefined);
    if (json === undefined) continue;
    e += `${e.length > 3 ? ',' : ''}${JSON.stringify(k)}:${json}`;
  }
  return `${e}}`;
}

function isEmptyObject(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  for (const k in v) if (Object.hasOwn(v, k)) return false;
  return true;
}

/** Root fields and metadata fields no manager owns; with `status`, the part a write through that subresource owns. */
export interface FieldScope {
  /** 'main' leaves status out (kinds with a status subresource), 'status' keeps only status, 'all' keeps everything. */
  readonly part: 'all' | 'main' | 'status';
}

/** Whether a field below `path` (encoded) is one no manager owns in this scope. */
export function skipped(path: string, key: string, scope: FieldScope): boolean {
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
 *
 * Every write compares the whole object (a patch's answer is a fresh copy),
 * so the walk is lean: a path string is built only for a field that
 * differs, scalars are compared where they are met, and only containers
 * are visited one by one.
 */
export function compareFields(before: unknown, after: unknown, type: NodeType, scope: FieldScope): Comparison {
  const cmp: Comparison = { added: new Set(), modified: new Set(), removed: new Set() };
  const stack: Visit[] = [{ a: before, b: after, type, parent: undefined, element: ROOT, path: ROOT }];
  while (stack.length > 0) {
    const v = stack.pop()!;
    const { a, b, type: t } = v;
    if (t.t === 'struct' || t.t === 'map') {
      const ao = isPlainObject(a) ? a : undefined;
      const bo = isPlainObject(b) ? b : undefined;
      // Each side's keys once: they tell emptiness too.
      const ak = ao ? Object.keys(ao) : NO_KEYS;
      const bk = bo ? Object.keys(bo) : NO_KEYS;
      if ((a !== undefined && a !== null && !ao) || (b !== undefined && b !== null && !bo) || (ak.length === 0 && bk.length === 0)) {
        if (v.parent) compareLeaf(cmp, v, a, b);
        continue;
      }
      if (v.parent) markContainer(cmp, v, a, b);
      for (const k of ak) {
        const av = ao![k];
        const bv = bo ? bo[k] : undefined;
        // Most fields are unchanged (the same value, or a shared subtree): decided here, without a call.
        if (av !== bv) compareMember(cmp, stack, v, scope, k, av, bv);
      }
      // A null field is present (Go wrote it): only a missing one is added or removed.
      for (const k of bk) if (!ao || !Object.hasOwn(ao, k)) compareMember(cmp, stack, v, scope, k, ao ? ao[k] : undefined, bo![k]);
    } else if (t.t === 'keyed' || t.t === 'set') {
      const al = Array.isArray(a) ? a : undefined;
      const bl = Array.isArray(b) ? b : undefined;
      if ((a != null && !al) || (b != null && !bl) || (!al?.length && !bl?.length)) {
        compareLeaf(cmp, v, a, b);
        continue;
      }
      markContainer(cmp, v, a, b);
      compareItems(cmp, stack, v, t, al, bl);
    } else compareLeaf(cmp, v, a, b);
  }
  return cmp;
}

const NO_KEYS: readonly string[] = [];

/**
 * A pair of values compareFields visits, and where: its path is built on
 * demand (pathOf) from its parent's, so a field that did not change costs
 * no string. The root's children have theirs from the start (metadata is
 * recognised by it).
 */
interface Visit {
  readonly a: unknown;
  readonly b: unknown;
  readonly type: NodeType;
  /** undefined at the root. */
  readonly parent: Visit | undefined;
  /** Its path element; undefined for an item of a keyed list until it is needed. */
  readonly element: string | undefined;
  path: string | undefined;
}

function pathOf(v: Visit): string {
  if (v.path !== undefined) return v.path;
  const pending: Visit[] = [];
  let cur: Visit = v;
  while (cur.path === undefined) {
    pending.push(cur);
    cur = cur.parent!;
  }
  let path = cur.path;
  for (let i = pending.length - 1; i >= 0; i--) {
    const p = pending[i]!;
    // An item paired in place: both sides have its key.
    p.path = path = childPath(path, p.element ?? itemElement(p.parent!.type, p.b)!);
  }
  return path;
}

/** One field of a struct or map visited by compareFields. */
function compareMember(cmp: Comparison, stack: Visit[], parent: Visit, scope: FieldScope, key: string, a: unknown, b: unknown): void {
  // The same value (shared: frozen template parts, untouched subtrees): nothing below changed.
  if (a === b) return;
  const atRoot = parent.parent === undefined;
  // Only the root and metadata (a child of the root: its path is known) have fields no one owns.
  if ((atRoot || parent.path === METADATA_PATH) && skipped(atRoot ? ROOT : METADATA_PATH, key, scope)) return;
  const element = `f:${key}`;
  // Scalars or absent on both sides: a leaf, whatever the type says.
  if ((typeof a !== 'object' || a === null) && (typeof b !== 'object' || b === null)) {
    const set = a === undefined ? cmp.added : b === undefined ? cmp.removed : cmp.modified;
    set.add(childPath(pathOf(parent), element));
    return;
  }
  const type = childType(parent.type, key, atRoot);
  stack.push({ a, b, type, parent, element, path: atRoot ? childPath(ROOT, element) : undefined });
}

/** The items of two keyed lists or sets, paired by their keys (the last of duplicates wins, as structured-merge-diff reads them). */
function compareItems(cmp: Comparison, stack: Visit[], list: Visit, t: NodeType & { t: 'keyed' | 'set' }, al: unknown[] | undefined, bl: unknown[] | undefined): void {
  if (t.t === 'keyed' && al && bl && pairedInPlace(t.keys, al, bl)) {
    // The same items in the same order (a status patch rewrites conditions in place): paired by position, named only if they differ.
    for (let i = 0; i < al.length; i++) if (al[i] !== bl[i]) stack.push({ a: al[i], b: bl[i], type: t.item, parent: list, element: undefined, path: undefined });
    return;
  }
  const items = new Map<string, { a?: unknown; b?: unknown }>();
  if (al) {
    for (const x of al) {
      const e = itemElement(t, x);
      if (e !== undefined) items.set(e, { a: x });
    }
  }
  if (bl) {
    for (const x of bl) {
      const e = itemElement(t, x);
      if (e === undefined) continue;
      const pair = items.get(e);
      if (pair) pair.b = x;
      else items.set(e, { b: x });
    }
  }
  for (const [e, pair] of items) {
    if (t.t === 'set') {
      if (pair.a === undefined) cmp.added.add(childPath(pathOf(list), e));
      else if (pair.b === undefined) cmp.removed.add(childPath(pathOf(list), e));
    } else if (pair.a !== pair.b) stack.push({ a: pair.a, b: pair.b, type: t.item, parent: list, element: e, path: undefined });
  }
}

/** Lists longer than this are paired through their keys' JSON (pairing in place checks keys pairwise). */
const MAX_PAIRED_IN_PLACE = 16;

/**
 * Whether two keyed lists hold items with the same keys at the same
 * positions, all distinct: then pairing by key pairs by position. Keys of
 * plain scalars only (equal as JSON exactly when equal as values).
 */
function pairedInPlace(keys: readonly string[], al: unknown[], bl: unknown[]): boolean {
  const n = al.length;
  if (n === 0 || n !== bl.length || n > MAX_PAIRED_IN_PLACE) return false;
  for (let i = 0; i < n; i++) {
    const x = al[i];
    const y = bl[i];
    if (!isPlainObject(x) || !isPlainObject(y)) return false;
    for (const k of keys) if (x[k] !== y[k] || !isPlainScalar(x[k])) return false;
    for (let j = 0; j < i; j++) if (sameKeys(keys, x, al[j] as Record<string, unknown>)) return false;
  }
  return true;
}

function sameKeys(keys: readonly string[], x: Record<string, unknown>, y: Record<string, unknown>): boolean {
  for (const k of keys) if (x[k] !== y[k]) return false;
  return true;
}

function isPlainScalar(v: unknown): boolean {
  return v === undefined || v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function compareLeaf(cmp: Comparison, v: Visit, a: unknown, b: unknown): void {
  if (a === undefined && b !== undefined) cmp.added.add(pathOf(v));
  else if (a !== undefined && b === undefined) cmp.removed.add(pathOf(v));
  else if (a !== b && !jsonEqual(a, b)) cmp.modified.add(pathOf(v));
}

function markContainer(cmp: Comparison, v: Visit, a: unknown, b: unknown): void {
  // metadata itself is never owned (every object has it).
  if (v.path === METADATA_PATH) return;
  if (a === undefined && b !== undefined) cmp.added.add(pathOf(v));
  else if (a !== undefined && b === undefined) cmp.removed.add(pathOf(v));
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
  const tree = render(root);
  canonicalTrees.add(tree);
  return tree;
}

/**
 * Trees toFieldsV1 wrote, or isCanonicalFieldsV1 checked: canonical as long
 * as they live (stored objects are not changed in place). A writer's kept
 * FieldsV1 is the same object from write to write.
 */
const canonicalTrees = new WeakSet<object>();

/**
 * Whether a FieldsV1 tree is exactly what toFieldsV1 writes for the set it
 * holds (so it can stand for that set's FieldsV1 without being rebuilt):
 * objects all the way down, keys in toFieldsV1's order, `.` first, empty,
 * and only beside other keys below the root.
 */
export function isCanonicalFieldsV1(tree: Record<string, unknown>): boolean {
  if (canonicalTrees.has(tree)) return true;
  if (!isCanonicalTree(tree)) return false;
  canonicalTrees.add(tree);
  return true;
}

function isCanonicalTree(tree: Record<string, unknown>): boolean {
  const stack: { node: Record<string, unknown>; root: boolean }[] = [{ node: tree, root: true }];
  while (stack.length > 0) {
    const { node, root } = stack.pop()!;
    const keys = Object.keys(node);
    let i = 0;
    if (keys[0] === '.') {
      if (root || keys.length === 1 || !isEmptyObject(node['.'])) return false;
      i = 1;
    }
    for (; i < keys.length; i++) {
      const k = keys[i]!;
      const v = node[k];
      if (k === '' || k === '.' || !isPlainObject(v)) return false;
      if (i > 0 && keys[i - 1] !== '.' && compareElements(keys[i - 1]!, k) >= 0) return false;
      stack.push({ node: v, root: false });
    }
  }
  return true;
}

/** Whether a FieldsV1 tree holds a path as a member, found by walking it (no set is built). */
export function fieldsV1Has(tree: unknown, path: string): boolean {
  return fieldsV1HasElements(tree, decodePath(path));
}

/** fieldsV1Has for a path already decoded (a write asks it of every entry for the same paths). */
export function fieldsV1HasElements(tree: unknown, elements: readonly string[]): boolean {
  let node = tree;
  for (const e of elements) {
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
