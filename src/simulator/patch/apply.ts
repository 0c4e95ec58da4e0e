import { StatusError, badRequest } from '../api/errors.js';
import { cloneObject, isPlainObject, jsonEqual, kubeTime } from '../store/object.js';
import { applyStrategicMergePatch, type PatchMetaLookup } from './strategic-merge.js';

/**
 * Server-side apply (`application/apply-patch+yaml`), simplified but real:
 * each field manager owns the fields it applied (recorded in
 * metadata.managedFields in the FieldsV1 format clients know); applying
 * sets those fields, drops the ones the manager stopped applying, and
 * refuses to change a field another applier owns unless `force` is set.
 * Ownership is tracked for Apply operations only; plain updates do not take
 * fields away from appliers (kube-apiserver tracks those too).
 */

type Obj = Record<string, unknown>;

export interface ApplyOptions {
  readonly fieldManager?: string;
  readonly force: boolean;
  readonly apiVersion: string;
  readonly meta: PatchMetaLookup;
  readonly now?: () => Date;
}

interface ManagedFieldsEntry {
  manager: string;
  operation: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Obj;
  subresource?: string;
}

/** Metadata the server owns: never part of an applier's field set. */
const SERVER_FIELDS = new Set(['apiVersion', 'kind', 'status']);
const SERVER_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink']);
/** A path element: `f:name`, `k:{"name":"x"}` (keyed list item) or `v:"value"` (set item). */
type Path = readonly string[];

export function serverSideApply(live: Obj | undefined, applied: unknown, opts: ApplyOptions): Obj {
  if (!opts.fieldManager) throw badRequest('fieldManager is required for apply requests: pass ?fieldManager=<your-name>');
  if (!isPlainObject(applied)) throw badRequest('an apply patch must be an object (a YAML or JSON manifest)');
  if (applied.apiVersion !== opts.apiVersion) {
    throw badRequest(`the apply patch has apiVersion ${JSON.stringify(applied.apiVersion)}; it must be ${opts.apiVersion} for this resource`);
  }
  const base: Obj = live ?? {};
  const managers = readManagedFields(base);
  const mine = managers.find((m) => m.manager === opts.fieldManager && m.operation === 'Apply');
  const before = mine?.fieldsV1 ? fromFieldsV1(mine.fieldsV1) : new Set<string>();
  const now = new Set(fieldPaths(applied, [], opts.meta).map(encode));

  const conflicts: { manager: string; path: string }[] = [];
  for (const m of managers) {
    if (m === mine || !m.fieldsV1 || m.operation !== 'Apply') continue;
    for (const p of fromFieldsV1(m.fieldsV1)) {
      if (!now.has(p)) continue;
      if (!jsonEqual(valueAt(base, decode(p), opts.meta), valueAt(applied, decode(p), opts.meta))) conflicts.push({ manager: m.manager, path: p });
    }
  }
  if (conflicts.length && !opts.force) {
    const list = conflicts.map((c) => `conflict with "${c.manager}": ${display(decode(c.path))}`);
    throw new StatusError(409, 'Conflict', `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${list.join('\n')}`, {
      causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"`, field: display(decode(c.path)) })),
    });
  }

  let result = applyStrategicMergePatch(stripManaged(base), withoutServerFields(applied), opts.meta);
  const ownedByOthers = new Set<string>();
  for (const m of managers) if (m !== mine && m.fieldsV1) for (const p of fromFieldsV1(m.fieldsV1)) ownedByOthers.add(p);
  const dropped = [...before].filter((p) => !now.has(p) && !ownedByOthers.has(p));
  // One copy for all removals: a copy per removed field would cost fields × object size.
  if (dropped.length > 0) result = cloneObject(result);
  for (const p of dropped) removeAt(result, decode(p), opts.meta);

  const unchanged = live !== undefined && jsonEqual(stripManaged(base), result) && sameSet(before, now);
  if (unchanged) return live;

  const forced = new Set(conflicts.map((c) => c.path));
  const entries: ManagedFieldsEntry[] = [];
  for (const m of managers) {
    if (m === mine) continue;
    if (forced.size && m.fieldsV1) {
      const kept = [...fromFieldsV1(m.fieldsV1)].filter((p) => !forced.has(p));
      if (kept.length === 0) continue;
      entries.push({ ...m, fieldsV1: toFieldsV1(kept) });
    } else entries.push(m);
  }
  entries.push({ manager: opts.fieldManager, operation: 'Apply', apiVersion: opts.apiVersion, time: kubeTime((opts.now ?? (() => new Date()))()), fieldsType: 'FieldsV1', fieldsV1: toFieldsV1([...now]) });
  const metadata = isPlainObject(result.metadata) ? { ...result.metadata } : {};
  metadata.managedFields = entries;
  return { ...result, metadata };
}

function readManagedFields(obj: Obj): ManagedFieldsEntry[] {
  const meta = isPlainObject(obj.metadata) ? obj.metadata : {};
  return Array.isArray(meta.managedFields) ? (meta.managedFields.filter(isPlainObject) as unknown as ManagedFieldsEntry[]) : [];
}

function stripManaged(obj: Obj): Obj {
  if (!isPlainObject(obj.metadata) || !('managedFields' in obj.metadata)) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

function withoutServerFields(obj: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(obj)) if (k !== 'status') out[k] = v;
  return out;
}

/** Leaf field paths of an applied configuration. */
function fieldPaths(value: unknown, path: string[], meta: PatchMetaLookup, out: string[][] = [], prefix: Path = []): string[][] {
  if (!isPlainObject(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    if (prefix.length === 0 && SERVER_FIELDS.has(k)) continue;
    if (prefix.length === 1 && prefix[0] === 'f:metadata' && SERVER_METADATA.has(k)) continue;
    const p = [...prefix, `f:${k}`];
    const fieldPath = [...path, k];
    if (isPlainObject(v) && Object.keys(v).length > 0) {
      fieldPaths(v, fieldPath, meta, out, p);
    } else if (Array.isArray(v)) {
      const m = meta(fieldPath);
      const merge = (m?.strategy ?? '').split(',').includes('merge');
      if (merge && m?.mergeKey) {
        for (const item of v) {
          if (!isPlainObject(item)) continue;
          const keyed = [...p, `k:${JSON.stringify({ [m.mergeKey]: item[m.mergeKey] })}`];
          out.push([...keyed, '.']);
          fieldPaths(item, fieldPath, meta, out, keyed);
        }
      } else if (merge) {
        for (const item of v) out.push([...p, `v:${JSON.stringify(item)}`]);
      } else out.push(p);
    } else out.push(p);
  }
  return out;
}

const encode = (p: Path): string => JSON.stringify(p);
const decode = (s: string): string[] => JSON.parse(s) as string[];
const sameSet = (a: Set<string>, b: Set<string>): boolean => a.size === b.size && [...a].every((x) => b.has(x));

function display(p: Path): string {
  return p
    .filter((e) => e !== '.')
    .map((e) => (e.startsWith('f:') ? `.${e.slice(2)}` : e.startsWith('k:') ? `[${e.slice(2)}]` : `[=${e.slice(2)}]`))
    .join('');
}

function toFieldsV1(paths: string[]): Obj {
  const root: Obj = {};
  for (const s of paths) {
    let cur = root;
    for (const e of decode(s)) cur = (cur[e] ??= {}) as Obj;
  }
  return root;
}

function fromFieldsV1(tree: Obj, prefix: string[] = [], out = new Set<string>()): Set<string> {
  for (const [k, v] of Object.entries(tree)) {
    const p = [...prefix, k];
    if (k === '.' || !isPlainObject(v) || Object.keys(v).length === 0) out.add(encode(p));
    else fromFieldsV1(v, p, out);
  }
  return out;
}

/** Follows a path; undefined when absent. */
function valueAt(obj: unknown, p: Path, meta: PatchMetaLookup): unknown {
  let cur: unknown = obj;
  const fieldPath: string[] = [];
  for (const e of p) {
    if (e === '.') continue;
    if (e.startsWith('f:')) {
      if (!isPlainObject(cur)) return undefined;
      fieldPath.push(e.slice(2));
      cur = cur[e.slice(2)];
    } else if (e.startsWith('k:')) {
      const key = JSON.parse(e.slice(2)) as Obj;
      const [name, val] = Object.entries(key)[0]!;
      cur = Array.isArray(cur) ? cur.find((x) => isPlainObject(x) && jsonEqual(x[name], val)) : undefined;
    } else if (e.startsWith('v:')) {
      const val: unknown = JSON.parse(e.slice(2));
      cur = Array.isArray(cur) && cur.some((x) => jsonEqual(x, val)) ? val : undefined;
    }
  }
  void meta;
  return cur;
}

/** Removes the field (or list item) a path names, in place. */
function removeAt(copy: Obj, p: Path, meta: PatchMetaLookup): void {
  const elems = p[p.length - 1] === '.' ? p.slice(0, -1) : p;
  let cur: unknown = copy;
  for (let i = 0; i < elems.length - 1; i++) {
    cur = valueAt(cur, [elems[i]!], meta);
    if (cur === undefined) return;
  }
  const last = elems[elems.length - 1]!;
  if (last.startsWith('f:') && isPlainObject(cur)) delete cur[last.slice(2)];
  else if ((last.startsWith('k:') || last.startsWith('v:')) && Array.isArray(cur)) {
    const target = valueAt(cur, [last], meta);
    const i = cur.indexOf(target);
    if (i >= 0) cur.splice(i, 1);
  }
}
