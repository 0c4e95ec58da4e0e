import { StatusError, badRequest } from '../api/errors.js';
import { cloneObject, isPlainObject, jsonEqual, kubeTime, type KubeObject } from '../store/object.js';
import { compareFields, displayPath, fieldSetOf, parentPath, removeAtPath, rootType, type FieldPathSet, type FieldScope } from '../store/field-sets.js';
import { describeManager, readManagedFields, writeManagedFields, type ManagedEntryWithSet } from '../store/managed-fields.js';
import { applyStrategicMergePatch, type PatchMetaLookup } from './strategic-merge.js';

/**
 * Server-side apply (`application/apply-patch+yaml`), as kube-apiserver
 * does it: the applied configuration is merged into the live object, the
 * fields the manager applied before and no longer applies are removed
 * (unless another manager owns them too), and a change to a field another
 * manager owns — an applier or a plain writer (Update) — is a conflict
 * unless `force` is set, which takes the field over. kubectl's own manager
 * may take over what client-side apply recorded in the last-applied
 * annotation, and keeps that annotation current.
 */

type Obj = Record<string, unknown>;

export interface ApplyOptions {
  readonly fieldManager?: string;
  readonly force: boolean;
  readonly apiVersion: string;
  readonly kind: string;
  readonly meta: PatchMetaLookup;
  readonly now?: () => Date;
}

/** The annotation `kubectl apply` (client-side) keeps the applied configuration in. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** The manager `kubectl apply --server-side` uses: the only one that upgrades from client-side apply. */
const KUBECTL_SSA_MANAGER = 'kubectl';
const SCOPE: FieldScope = { part: 'main' };

interface Conflict {
  readonly owner: ManagedEntryWithSet;
  readonly path: string;
}

export function serverSideApply(live: Obj | undefined, applied: unknown, opts: ApplyOptions): Obj {
  if (!opts.fieldManager) throw badRequest('fieldManager is required for apply requests: pass ?fieldManager=<your-name>');
  if (!isPlainObject(applied)) throw badRequest('an apply patch must be an object (a YAML or JSON manifest)');
  if (applied.apiVersion !== opts.apiVersion) {
    throw badRequest(`the apply patch has apiVersion ${JSON.stringify(applied.apiVersion)}; it must be ${opts.apiVersion} for this resource`);
  }
  const type = rootType(opts.apiVersion, opts.kind);
  const base = stripManaged(live ?? {});
  const managers = readManagedFields(live as KubeObject | undefined);
  const mine = managers.find((m) => m.entry.manager === opts.fieldManager && m.entry.operation === 'Apply' && !m.entry.subresource);
  const before = mine?.set ?? new Set<string>();
  const now = fieldSetOf(applied, type, SCOPE);

  let result = applyStrategicMergePatch(base, withoutStatus(applied), opts.meta);
  const others = managers.filter((m) => m !== mine);
  const ownedByOthers = new Set<string>();
  for (const m of others) for (const p of m.set) ownedByOthers.add(p);
  // A field stays while anyone still owns it or something below it (a map whose entries are owned).
  const kept = ancestorsAndSelf([...now, ...ownedByOthers]);
  const dropped = [...before].filter((p) => !kept.has(p));
  // One copy for all removals: a copy per removed field would cost fields × object size.
  if (dropped.length > 0) result = cloneObject(result);
  for (const p of dropped) removeAtPath(result, p, type);

  const diff = compareFields(base, result, type, SCOPE);
  const changed = new Set([...diff.added, ...diff.modified]);
  const conflicts: Conflict[] = [];
  for (const m of others) for (const p of m.set) if (changed.has(p)) conflicts.push({ owner: m, path: p });
  if (conflicts.length > 0 && !opts.force) {
    const allowed = opts.fieldManager === KUBECTL_SSA_MANAGER ? takeoverFromClientSideApply(base, type) : undefined;
    const remaining = allowed ? conflicts.filter((c) => !allowed.has(c.path)) : conflicts;
    if (remaining.length > 0) throw conflictError(remaining);
  }
  // Forced, or taken over from client-side apply: the fields change hands.
  for (const c of conflicts) c.owner.set.delete(c.path);
  for (const m of others) for (const p of diff.removed) m.set.delete(p);

  if (opts.fieldManager === KUBECTL_SSA_MANAGER) result = withLastApplied(result, applied);
  const unchanged = live !== undefined && jsonEqual(base, result);
  const time = unchanged ? mine?.entry.time : kubeTime((opts.now ?? (() => new Date()))());
  const entry = { manager: opts.fieldManager, operation: 'Apply', apiVersion: opts.apiVersion, ...(time ? { time } : {}), fieldsType: 'FieldsV1' };
  const entries = [...others, { entry, set: now }];
  const managedFields = writeManagedFields(entries);
  if (unchanged && jsonEqual(managedFields, (live!.metadata as Obj | undefined)?.managedFields)) return live!;
  const metadata = isPlainObject(result.metadata) ? { ...result.metadata } : {};
  if (managedFields.length > 0) metadata.managedFields = managedFields;
  return { ...result, metadata };
}

/** Every path given and every path above one (encoded as the sets hold them). */
function ancestorsAndSelf(paths: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (let p of paths) {
    while (p !== '' && !out.has(p)) {
      out.add(p);
      p = parentPath(p);
    }
  }
  return out;
}

/**
 * kube-apiserver's conflict error: one line for one conflict, else the
 * paths grouped under each manager; a cause per conflict.
 */
function conflictError(conflicts: readonly Conflict[]): StatusError {
  const sorted = [...conflicts].sort((a, b) => (displayPath(a.path) < displayPath(b.path) ? -1 : 1));
  const causes = sorted.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${describeManager(c.owner.entry)}`, field: displayPath(c.path) }));
  if (sorted.length === 1) {
    return new StatusError(409, 'Conflict', `Apply failed with 1 conflict: conflict with ${describeManager(sorted[0]!.owner.entry)}: ${displayPath(sorted[0]!.path)}`, { causes });
  }
  const byManager = new Map<string, string[]>();
  for (const c of sorted) {
    const who = describeManager(c.owner.entry);
    byManager.set(who, [...(byManager.get(who) ?? []), `- ${displayPath(c.path)}`]);
  }
  const lines: string[] = [];
  for (const who of [...byManager.keys()].sort()) lines.push(`conflict with ${who}:`, ...byManager.get(who)!);
  return new StatusError(409, 'Conflict', `Apply failed with ${sorted.length} conflicts: ${lines.join('\n')}`, { causes });
}

/**
 * The fields `kubectl apply --server-side` may take from client-side apply
 * without a conflict: those in the last-applied annotation whose value the
 * live object still has.
 */
function takeoverFromClientSideApply(live: Obj, type: ReturnType<typeof rootType>): FieldPathSet | undefined {
  const annotations = isPlainObject(live.metadata) && isPlainObject(live.metadata.annotations) ? live.metadata.annotations : undefined;
  const text = annotations?.[LAST_APPLIED_ANNOTATION];
  if (typeof text !== 'string' || text === '') return undefined;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(text);
  } catch {
    return undefined;
  }
  const set = fieldSetOf(lastApplied, type, { part: 'all' });
  const diff = compareFields(lastApplied, live, type, { part: 'all' });
  for (const p of [...diff.added, ...diff.modified, ...diff.removed]) set.delete(p);
  return set;
}

/** After kubectl's server-side apply, an existing last-applied annotation holds the applied configuration (as client-side apply would write it). */
function withLastApplied(result: Obj, applied: Obj): Obj {
  const meta = isPlainObject(result.metadata) ? result.metadata : undefined;
  const annotations = meta && isPlainObject(meta.annotations) ? meta.annotations : undefined;
  if (!annotations || !(LAST_APPLIED_ANNOTATION in annotations)) return result;
  const appliedMeta = isPlainObject(applied.metadata) ? applied.metadata : {};
  const appliedAnnotations = isPlainObject(appliedMeta.annotations) ? { ...appliedMeta.annotations } : undefined;
  if (appliedAnnotations) delete appliedAnnotations[LAST_APPLIED_ANNOTATION];
  const config = { ...applied, metadata: { ...appliedMeta, ...(appliedAnnotations ? { annotations: appliedAnnotations } : {}) } };
  const value = `${sortedJson(config)}\n`;
  return { ...result, metadata: { ...meta, annotations: { ...annotations, [LAST_APPLIED_ANNOTATION]: value } } };
}

/** JSON with object keys sorted, as Go marshals a map. */
function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (isPlainObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function stripManaged(obj: Obj): Obj {
  if (!isPlainObject(obj.metadata) || !('managedFields' in obj.metadata)) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

function withoutStatus(obj: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(obj)) if (k !== 'status') out[k] = v;
  return out;
}
