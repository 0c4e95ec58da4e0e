import { isPlainObject, jsonEqual, type KubeObject } from './object.js';
import { compareFields, decodePath, fieldsV1HasElements, fromFieldsV1, isCanonicalFieldsV1, rootType, toFieldsV1, type Comparison, type FieldPathSet, type FieldScope } from './field-sets.js';

/**
 * metadata.managedFields as kube-apiserver keeps it: one entry per manager,
 * operation (Apply or Update), apiVersion and subresource, each holding the
 * set of fields that manager set. A write that is not an apply records its
 * manager as an Update entry owning what it added or changed; whatever it
 * changed or removed is taken from every other entry.
 */

export interface ManagedFieldsEntry {
  manager?: string;
  operation: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/** Who writes: the field manager (the fieldManager parameter, else the User-Agent's product) and the subresource used. */
export interface FieldManager {
  readonly manager: string;
  readonly subresource?: 'status' | 'scale';
}

export interface ManagedEntryWithSet {
  readonly entry: ManagedFieldsEntry;
  set: FieldPathSet;
}

/** Reads an object's entries with their field sets. */
export function readManagedFields(obj: KubeObject | undefined): ManagedEntryWithSet[] {
  const list = obj?.metadata.managedFields;
  if (!Array.isArray(list)) return [];
  return list.filter(isPlainObject).map((e) => ({ entry: e as unknown as ManagedFieldsEntry, set: fromFieldsV1((e as unknown as ManagedFieldsEntry).fieldsV1 ?? {}) }));
}

/** The entries as stored: empty sets dropped, sorted as kube-apiserver sorts them (Apply first, then by time, manager, apiVersion, subresource). */
export function writeManagedFields(entries: readonly ManagedEntryWithSet[]): ManagedFieldsEntry[] {
  return entries
    .filter((e) => e.set.size > 0)
    .map((e) => ({ ...e.entry, fieldsV1: toFieldsV1(e.set) }))
    .sort(compareEntries);
}

function compareEntries(p: ManagedFieldsEntry, q: ManagedFieldsEntry): number {
  return (
    cmp(p.operation, q.operation) ||
    cmp(seconds(p.time), seconds(q.time)) ||
    cmp(p.manager ?? '', q.manager ?? '') ||
    cmp(p.apiVersion ?? '', q.apiVersion ?? '') ||
    cmp(p.subresource ?? '', q.subresource ?? '')
  );
}

const cmp = <T extends string | number>(a: T, b: T): number => (a < b ? -1 : a > b ? 1 : 0);
function seconds(t: string | undefined): number {
  if (!t) return 0;
  // Entries are sorted on every write, and their times repeat: each text is parsed once.
  let s = parsedSeconds.get(t);
  if (s === undefined) {
    if (parsedSeconds.size >= MAX_PARSED_TIMES) parsedSeconds.clear();
    parsedSeconds.set(t, (s = Math.floor(Date.parse(t) / 1000)));
  }
  return s;
}

/** Bound of the parsed-time cache (a write adds at most its own second). */
const MAX_PARSED_TIMES = 4096;
const parsedSeconds = new Map<string, number>();

/**
 * The managed fields an object gets from one non-apply write: `before` is
 * the live object (for a create, the kind's zero value), `after` the object
 * about to be stored. Returns the entries to store; `after`'s own
 * managedFields, when it brings non-empty ones, replace the live ones first
 * (clients may rewrite them; `[]` or `[{}]` clears them), except through a
 * subresource. An update of an object without entries records none.
 */
export function managedFieldsAfterUpdate(
  before: KubeObject | undefined,
  after: KubeObject,
  who: FieldManager,
  apiVersion: string,
  kind: string,
  hasStatusSubresource: boolean,
  now: string,
  /** `after`, or an object of the same value sharing the live object's unchanged parts (compared faster). */
  compared: KubeObject = after,
  /** Told whether the comparison found a field the write changed: then `after` differs from `before`. */
  seen?: { changed: boolean },
): ManagedFieldsEntry[] | undefined {
  const sent = who.subresource ? undefined : after.metadata.managedFields;
  let entries: ManagedFieldsEntry[];
  if (Array.isArray(sent) && !(before && jsonEqual(sent, before.metadata.managedFields))) {
    // `[]` and `[{}]` clear them (kube-apiserver v1.34 keeps none after either).
    entries = sent.every((e) => isPlainObject(e) && Object.keys(e).length === 0) ? [] : entriesOf(after);
  } else entries = entriesOf(before);
  // As kube-apiserver (its skip-non-applied manager): an object that has no managedFields gets
  // none from an update; only a create, or an apply, starts tracking. (A create's `before`,
  // the zero object, has no uid.)
  if (entries.length === 0 && before?.metadata?.uid) return undefined;
  const scope: FieldScope = { part: who.subresource === 'status' ? 'status' : hasStatusSubresource ? 'main' : 'all' };
  // Through status only status is compared: metadata (and its managedFields) is not looked at.
  const diff =
    scope.part === 'status'
      ? compareFields(before, compared, rootType(apiVersion, kind), scope)
      : compareFields(withoutManaged(before), withoutManaged(compared), rootType(apiVersion, kind), scope);
  if (seen) seen.changed = diff.added.size > 0 || diff.modified.size > 0 || diff.removed.size > 0;
  const out = updatedEntries(entries, diff, who, apiVersion, now);
  out.sort(compareEntries);
  return out.length > 0 ? out : undefined;
}

/**
 * The entries after an Update (unsorted): each entry the write took fields
 * from loses them (kept as it is when nothing was taken), and the writer's
 * own entry owns what it changed, stamped `now`.
 */
export function updatedEntries(entries: readonly ManagedFieldsEntry[], diff: Comparison, who: FieldManager, apiVersion: string, now: string): ManagedFieldsEntry[] {
  const changed = new Set(diff.added);
  for (const p of diff.modified) changed.add(p);
  const taken = [...changed, ...diff.removed];
  // Decoded once: every entry is asked about every taken path.
  const takenElements = taken.map(decodePath);
  const changedElements = takenElements.slice(0, changed.size);
  const removedElements = takenElements.slice(changed.size);
  const out: ManagedFieldsEntry[] = [];
  let mine: FieldPathSet | undefined;
  // The writer's entry when it already owns every field it changed (a status heartbeat): its FieldsV1 is kept as it is.
  let mineKept: Record<string, unknown> | undefined;
  for (const e of entries) {
    const own = changed.size > 0 && isOwnEntry(e, who, apiVersion);
    if (own && ownsAlready(e.fieldsV1, changedElements, removedElements)) {
      mineKept = e.fieldsV1;
      mine = undefined;
      continue;
    }
    // An entry nothing was taken from is kept as it is: its FieldsV1 is neither parsed nor rebuilt.
    const touched = takenElements.some((p) => fieldsV1HasElements(e.fieldsV1, p));
    if (!touched && !own) {
      out.push(e);
      continue;
    }
    const set = fromFieldsV1(e.fieldsV1 ?? {});
    for (const p of taken) set.delete(p);
    if (own) {
      mine = set;
      mineKept = undefined;
    } else if (set.size > 0) out.push({ ...e, fieldsV1: toFieldsV1(set) });
  }
  if (changed.size > 0) {
    let fieldsV1 = mineKept;
    if (!fieldsV1) {
      const set = mine ?? new Set<string>();
      for (const p of changed) set.add(p);
      fieldsV1 = toFieldsV1(set);
    }
    // kube-apiserver v1.34 records a write through the scale subresource without a time.
    const time = who.subresource === 'scale' ? {} : { time: now };
    out.push({ manager: who.manager, operation: 'Update', apiVersion, ...time, fieldsType: 'FieldsV1', fieldsV1, ...(who.subresource ? { subresource: who.subresource } : {}) });
  }
  return out;
}

/** The writer's own Update entry: same manager, apiVersion and subresource. */
function isOwnEntry(e: ManagedFieldsEntry, who: FieldManager, apiVersion: string): boolean {
  return e.manager === who.manager && e.operation === 'Update' && e.apiVersion === apiVersion && (e.subresource ?? undefined) === who.subresource;
}

/**
 * Whether an entry's FieldsV1 already holds every changed field and none
 * of the removed ones, written as toFieldsV1 writes it: then the entry
 * after the write holds the same set, and that FieldsV1 is its FieldsV1.
 */
function ownsAlready(tree: Record<string, unknown> | undefined, changed: readonly string[][], removed: readonly string[][]): tree is Record<string, unknown> {
  if (!isPlainObject(tree)) return false;
  for (const p of changed) if (!fieldsV1HasElements(tree, p)) return false;
  for (const p of removed) if (fieldsV1HasElements(tree, p)) return false;
  return isCanonicalFieldsV1(tree);
}

function entriesOf(obj: KubeObject | undefined): ManagedFieldsEntry[] {
  const list = obj?.metadata.managedFields;
  if (!Array.isArray(list)) return [];
  // Read only: stored lists (all entries objects) are used as they are.
  return (list.every(isPlainObject) ? list : list.filter(isPlainObject)) as unknown as ManagedFieldsEntry[];
}

function withoutManaged(obj: KubeObject | undefined): KubeObject | undefined {
  if (!obj || obj.metadata?.managedFields === undefined) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** A manager as kube-apiserver names it in conflict messages: `"kubectl-client-side-apply" using v1`, `"x" with subresource "status"`. */
export function describeManager(e: ManagedFieldsEntry): string {
  let s = JSON.stringify(e.manager ?? '');
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion ?? ''}`;
  return s;
}

/**
 * The field manager of a write: the fieldManager parameter, else the
 * product of the User-Agent (`kubectl/v1.32.4 (linux/amd64) …` → `kubectl`).
 */
export function requestFieldManager(fieldManagerParam: string | null, userAgent: string | undefined): string {
  return fieldManagerParam ?? managerFromUserAgent(userAgent);
}

/**
 * kube-apiserver's field manager name from a User-Agent: its first product,
 * without the version, printable characters only, at most 128 bytes;
 * `unknown` without one.
 */
export function managerFromUserAgent(userAgent: string | undefined): string {
  if (!userAgent) return UNKNOWN_MANAGER;
  // A client sends the same User-Agent on every request: the last one's manager is kept.
  if (userAgent === lastUserAgent.userAgent) return lastUserAgent.manager;
  const manager = managerOfProduct(userAgent.split('/')[0]!);
  lastUserAgent = { userAgent, manager };
  return manager;
}

let lastUserAgent = { userAgent: '', manager: '' };

function managerOfProduct(product: string): string {
  let out = '';
  for (const ch of product) {
    if (!/\P{C}/u.test(ch)) continue;
    if (Buffer.byteLength(out + ch) > MAX_FIELD_MANAGER_LENGTH) break;
    out += ch;
  }
  return out;
}

export const MAX_FIELD_MANAGER_LENGTH = 128;
/** What kube-apiserver names the manager of a request that has no User-Agent. */
const UNKNOWN_MANAGER = 'unknown';
