import type { KindInfo } from '../../../simulator/kinds/kind.js';
import type { ManagedFieldsEntry } from '../../../simulator/store/managed-fields.js';
import type { KubeObject } from '../../../simulator/store/object.js';
import { asCreatedBy } from '../../../simulator/store/seeded-writes.js';
import type { Obj } from './settling.js';

/**
 * Field sets shared between clusters. The objects a controller makes in
 * every cluster differ only in a few strings of their own (names, uids,
 * addresses); their managedFields are worked out once on a copy holding
 * stand-ins instead, and each object gets the shared field sets with the
 * few keys that name a stand-in (an owner's uid in `k:{"uid":…}`) naming
 * its own value.
 */

/** Values no object has, standing in for a Pod's own in the shared field sets. */
export const STAND_IN_HOST_IP = '192.0.2.1';
export const STAND_IN_POD_IP = '192.0.2.2';
export const STAND_IN_OWNER_UID = '00000000-0000-0000-0000-0000000000aa';
/** Numbered stand-ins for any other strings: of one width, so none is a part of another. */
const STAND_IN_PREFIX = 'fkas-stand-in-';
const STAND_IN_DIGITS = 4;
const FIXED_STAND_INS = [STAND_IN_HOST_IP, STAND_IN_POD_IP, STAND_IN_OWNER_UID] as const;
/** The write time the shared field sets are worked out with; each object's entries get its own. */
const STAND_IN_TIME = '2000-01-01T00:00:00Z';
/** Bound on the table of shared field sets: objects of many shapes must not grow it forever. */
const MAX_SHAPES = 1024;

/**
 * Where the stand-ins sit in a shared field set: for each key on a path to
 * one, whether the key names one itself and the plan below it. Made once
 * per field set, so an object's copy rebuilds only the few levels on those
 * paths instead of walking the whole tree.
 */
type KeyPlan = ReadonlyMap<string, { readonly namesStandIn: boolean; readonly below: KeyPlan | undefined }>;
const plans = new WeakMap<Obj, KeyPlan | undefined>();

function planOf(tree: Obj): KeyPlan | undefined {
  if (plans.has(tree)) return plans.get(tree);
  const plan = new Map<string, { namesStandIn: boolean; below: KeyPlan | undefined }>();
  for (const [k, v] of Object.entries(tree)) {
    const namesStandIn = k.includes(STAND_IN_PREFIX) || FIXED_STAND_INS.some((s) => k.includes(s));
    const below = typeof v === 'object' && v !== null ? planOf(v as Obj) : undefined;
    if (namesStandIn || below) plan.set(k, { namesStandIn, below });
  }
  const result = plan.size ? plan : undefined;
  plans.set(tree, result);
  return result;
}

/** `tree` with every key naming a stand-in naming the real value instead; unchanged subtrees are shared. */
export function withKeys(tree: Obj, names: ReadonlyMap<string, string>): Obj {
  const plan = names.size ? planOf(tree) : undefined;
  return plan ? renamed(tree, plan, names) : tree;
}

function renamed(tree: Obj, plan: KeyPlan, names: ReadonlyMap<string, string>): Obj {
  let changed = false;
  const out: Obj = {};
  for (const [k, v] of Object.entries(tree)) {
    const step = plan.get(k);
    if (!step) {
      out[k] = v;
      continue;
    }
    let key = k;
    if (step.namesStandIn) for (const [from, to] of names) if (key.includes(from)) key = key.replaceAll(from, to);
    const value = step.below ? renamed(v as Obj, step.below, names) : v;
    if (key !== k || value !== v) changed = true;
    out[key] = value;
  }
  return changed ? out : tree;
}

const byShape = new Map<string, readonly ManagedFieldsEntry[]>();

/**
 * In place: `obj` with the managedFields of `manager` creating it at `now`, as asCreatedBy
 * gives, shared with every object of the same shape. `own` are the object's own strings
 * (names, uids): wherever one is a whole string value it is stood in for, so objects that
 * differ only in them share one computation. Only non-empty strings that JSON writes as they
 * are (a key names them verbatim) are stood in for; others stay and just split the shapes.
 */
export function asCreatedByShared(kind: KindInfo, obj: KubeObject, manager: string, now: string, own: readonly string[]): void {
  const standIns = new Map<string, string>();
  for (const value of own) {
    if (value && !standIns.has(value) && JSON.stringify(value) === `"${value}"`) standIns.set(value, `${STAND_IN_PREFIX}${String(standIns.size).padStart(STAND_IN_DIGITS, '0')}`);
  }
  const probe = standIns.size ? (withStandIns(obj, standIns) as KubeObject) : obj;
  const shape = `${kind.group}/${kind.kind}/${manager}/${JSON.stringify(probe)}`;
  let entries = byShape.get(shape);
  if (!entries) {
    const copy: KubeObject = { ...probe, metadata: { ...probe.metadata } };
    asCreatedBy(kind, copy, { manager }, STAND_IN_TIME, { share: true });
    entries = (copy.metadata.managedFields ?? []) as ManagedFieldsEntry[];
    if (byShape.size >= MAX_SHAPES) byShape.clear();
    byShape.set(shape, entries);
  }
  const names = new Map([...standIns].map(([value, standIn]) => [standIn, value]));
  obj.metadata.managedFields = entries.map((e) => ({ ...e, time: now, ...(e.fieldsV1 ? { fieldsV1: withKeys(e.fieldsV1, names) } : {}) }));
}

/** A copy of `value` with every string that is one of `standIns`' keys replaced by its stand-in (keys of objects left as they are). */
function withStandIns(value: unknown, standIns: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return standIns.get(value) ?? value;
  if (Array.isArray(value)) return value.map((v) => withStandIns(v, standIns));
  if (typeof value === 'object' && value !== null) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) out[k] = withStandIns(v, standIns);
    return out;
  }
  return value;
}
