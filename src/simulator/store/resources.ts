import { randomInt } from 'node:crypto';
import {
  StatusError,
  alreadyExists,
  badRequest,
  conflict,
  invalid,
  notFound,
  type StatusCause,
} from '../api/errors.js';
import { apiVersionOf, type KindInfo } from '../kinds/kind.js';
import { storageKey } from '../kinds/registry.js';
import { ObjectStore } from './object-store.js';
import { cloneObject, isPlainObject, jsonEqual, kubeTime, newUid, type KubeObject } from './object.js';
import { validateObjectMeta } from './meta-validation.js';
import { customResourceSchema, type SchemaWriteOptions } from './crd-schema/index.js';
import { rejectWrongTypes } from './type-errors.js';
import { managedFieldsAfterUpdate } from './managed-fields.js';
import { admitCreate } from './admission.js';
import { applyDefaults } from './defaults.js';
import { fillTypedZeros, zeroObjectOf } from './typed-zeros.js';

/**
 * Kubernetes API semantics over the raw ObjectStore of one fake cluster:
 * uid, timestamps, resourceVersion and generation bookkeeping, optimistic
 * concurrency, namespaces that must exist, finalizers and deletionTimestamp,
 * the status subresource split, owner-reference garbage collection.
 * Kinds that really behave differently plug in a KindBehavior.
 */

export interface WriteOptions extends SchemaWriteOptions {
  readonly dryRun?: boolean;
  /**
   * Set for writes that come through the API: the field manager recorded in
   * managedFields, and the object is completed as its Go type would be
   * (typed-zeros.ts). Writes of the simulator itself leave both out.
   */
  readonly manager?: string;
  /** 'Apply' when server-side apply already computed managedFields; default 'Update'. */
  readonly operation?: 'Apply' | 'Update';
  /**
   * The simulator built the object from objects whose JSON types were checked when stored (a
   * controller's Pod from its stored template, an Event about a stored Node): the check, there to
   * answer a client's mistake with kube's 400, is skipped. It costs more than the
   * rest of such a create. Never set for a write a client sent.
   */
  readonly typesChecked?: true;
}

export interface UpdateOptions extends WriteOptions {
  /**
   * 'status' writes only .status; undefined writes everything but .status (when the kind has a
   * status subresource); 'scale' is a write of spec.replicas through the scale subresource (the
   * caller changed nothing else), recorded as such in managedFields.
   */
  readonly subresource?: 'status' | 'scale';
  /**
   * For a status write of a built-in kind: the written object before the
   * caller's own deep copy, sharing the live object's unchanged parts (a
   * patch's result). When Go's zeros add nothing to the copy, the two are
   * equal, and managedFields compares this one: shared parts are skipped
   * at once instead of walked.
   */
  readonly sharedOriginal?: KubeObject;
}

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions extends WriteOptions {
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  readonly propagationPolicy?: PropagationPolicy;
}

export interface DeleteResult {
  readonly object: KubeObject;
  /** False when finalizers keep the object (it only got a deletionTimestamp). */
  readonly removed: boolean;
}

/** Hooks for the few kinds whose writes have side effects beyond storage. */
export interface KindBehavior {
  /** Fill server-set fields on create (e.g. namespace phase, CRD conditions); `opts.manager` is set for API writes. */
  prepareCreate?(object: KubeObject, resources: Resources, opts: WriteOptions): void;
  /** Called after an object of this kind was stored (create or update). */
  afterWrite?(object: KubeObject, previous: KubeObject | undefined, resources: Resources): void;
  /**
   * Called when deletion of an object without finalizers starts. 'keep'
   * means the behavior marked the object terminating itself and will
   * remove it later (namespaces wait for their contents).
   */
  beforeDelete?(object: KubeObject, resources: Resources): 'remove' | 'keep';
  /** Called after an object was removed from storage. */
  afterRemove?(object: KubeObject, resources: Resources): void;
}

const NAMESPACES = storageKey({ group: '', plural: 'namespaces' });
/** Characters kube-apiserver uses for generateName suffixes (no vowels, no look-alikes). */
const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const GENERATE_NAME_SUFFIX_LENGTH = 5;
const MAX_GENERATE_ATTEMPTS = 8;

export class Resources {
  readonly store = new ObjectStore();
  private readonly behaviors = new Map<string, KindBehavior>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  setBehavior(kind: Pick<KindInfo, 'group' | 'plural'>, behavior: KindBehavior): void {
    this.behaviors.set(storageKey(kind), behavior);
  }

  get(kind: KindInfo, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.get(storageKey(kind), scope(kind, namespace), name);
    if (!obj) throw notFound({ group: kind.group, resource: kind.plural, name });
    return obj;
  }

  find(kind: KindInfo, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(storageKey(kind), scope(kind, namespace), name);
  }

  create(kind: KindInfo, namespace: string | undefined, body: KubeObject, opts: WriteOptions = {}): KubeObject {
    const ns = scope(kind, namespace);
    const schema = customResourceSchema(this.store, kind);
    const behavior = this.behaviors.get(storageKey(kind));
    const created = schema || behavior?.prepareCreate || opts.manager !== undefined ? cloneObject(body) : cloneSharingFrozen(body);
    if (!opts.typesChecked) rejectWrongTypes(kind, created);
    checkTypeMeta(kind, created);
    // kube-apiserver drops a custom resource's status on create when the status subresource is on;
    // defaulting then fills it from the schema (a CRD's status default shows on a new object).
    if (schema && kind.subresources.includes('status')) delete created.status;
    schema?.decode(created, opts);
    const meta = created.metadata;
    if (kind.namespaced) {
      if (meta.namespace && meta.namespace !== ns) {
        throw badRequest(
          `the namespace of the provided object (${meta.namespace}) does not match the namespace sent on the request (${ns})`,
        );
      }
      meta.namespace = ns;
    } else {
      delete meta.namespace;
    }
    if (!meta.name && meta.generateName) meta.name = this.generateName(kind, ns, meta.generateName);
    const causes = [...validateObjectMeta(kind, created, 'create'), ...(schema?.validate(created) ?? [])];
    if (causes.length) throw schema ? schema.invalid(meta.name, causes) : invalid({ group: kind.group, resource: kind.plural, kind: kind.kind, name: meta.name }, causes);
    const name = meta.name!;
    if (ns !== undefined) this.requireActiveNamespace(ns);
    if (this.store.get(storageKey(kind), ns, name)) {
      throw alreadyExists({ group: kind.group, resource: kind.plural, name });
    }
    const obj = typeFirst(kind, created);
    if (opts.manager !== undefined) this.recordWriter(kind, undefined, obj, opts);
    meta.uid = newUid();
    meta.creationTimestamp = kubeTime(this.now());
    if (opts.manager !== undefined) admitCreate(kind, obj, this.store);
    if (kind.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (meta.finalizers?.length === 0) delete meta.finalizers;
    behavior?.prepareCreate?.(obj, this, opts);
    if (opts.dryRun) {
      meta.resourceVersion = String(this.store.resourceVersion);
      return obj;
    }
    meta.resourceVersion = String(this.store.nextResourceVersion());
    this.store.put(storageKey(kind), obj, undefined);
    behavior?.afterWrite?.(obj, undefined, this);
    return obj;
  }

  /**
   * PUT semantics. An empty resourceVersion is an unconditional update (as in
   * kube-apiserver); a stale one is a 409 Conflict.
   */
  update(kind: KindInfo, namespace: string | undefined, name: string, body: KubeObject, opts: UpdateOptions = {}): KubeObject {
    const ns = scope(kind, namespace);
    const ref = { group: kind.group, resource: kind.plural, kind: kind.kind, name };
    if (!opts.typesChecked) rejectWrongTypes(kind, body);
    checkTypeMeta(kind, body);
    if (!isPlainObject(body.metadata)) throw invalid(ref, [{ field: 'metadata', message: 'Required value' }]);
    if (body.metadata.name !== undefined && body.metadata.name !== name) {
      throw badRequest(`the name of the object (${String(body.metadata.name)}) does not match the name on the URL (${name})`);
    }
    if (kind.namespaced && body.metadata.namespace && body.metadata.namespace !== ns) {
      throw badRequest(
        `the namespace of the provided object (${body.metadata.namespace}) does not match the namespace sent on the request (${ns})`,
      );
    }
    const existing = this.get(kind, ns, name);
    const rv = body.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== existing.metadata.resourceVersion) {
      throw conflict(ref, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    if (body.metadata.uid && body.metadata.uid !== existing.metadata.uid) {
      throw conflict(ref, `Precondition failed: UID in precondition: ${existing.metadata.uid}, UID in object meta: ${body.metadata.uid}`);
    }
    let next: KubeObject;
    const hasStatusSubresource = kind.subresources.includes('status');
    if (opts.subresource === 'status') {
      // The live managedFields are not copied: commit replaces them as a whole, never in place.
      next = cloneObject(existing, { kept: existing.metadata.managedFields });
      if (body.status === undefined) delete next.status;
      else next.status = cloneObject(body.status);
    } else {
      next = cloneObject(body);
      if (hasStatusSubresource) {
        if (existing.status === undefined) delete next.status;
        else next.status = cloneObject(existing.status);
      }
      const causes = validateObjectMeta(kind, next, 'update');
      if (causes.length) throw invalid(ref, causes);
    }
    return this.commit(kind, existing, next, opts);
  }

  /**
   * Stores `next` as the new version of `existing` after restoring the
   * fields clients cannot change. Shared by update and patch.
   */
  commit(kind: KindInfo, existing: KubeObject, written: KubeObject, opts: UpdateOptions = {}): KubeObject {
    customResourceSchema(this.store, kind)?.admitUpdate(written, existing, opts);
    const next = typeFirst(kind, written);
    const meta = next.metadata;
    const old = existing.metadata;
    meta.name = old.name;
    if (old.namespace === undefined) delete meta.namespace;
    else meta.namespace = old.namespace;
    meta.uid = old.uid;
    meta.creationTimestamp = old.creationTimestamp;
    if (old.generation === undefined) delete meta.generation;
    else meta.generation = old.generation;
    if (old.deletionTimestamp) {
      meta.deletionTimestamp = old.deletionTimestamp;
      meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds ?? 0;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    if (meta.finalizers?.length === 0) delete meta.finalizers;
    meta.resourceVersion = old.resourceVersion;
    const changed = opts.manager !== undefined && this.recordWriter(kind, existing, next, opts);
    // A no-op write keeps its resourceVersion (the writer's comparison, when it found a change, tells it is none).
    if (!changed && jsonEqual(existing, next)) return existing;
    if (old.generation !== undefined && specChanged(existing, next)) meta.generation = old.generation + 1;
    if (opts.dryRun) return next;
    if (meta.deletionTimestamp && !meta.finalizers?.length) {
      return this.removeNow(kind, next);
    }
    meta.resourceVersion = String(this.store.nextResourceVersion());
    this.store.put(storageKey(kind), next, existing);
    this.behaviors.get(storageKey(kind))?.afterWrite?.(next, existing, this);
    return next;
  }

  delete(kind: KindInfo, namespace: string | undefined, name: string, opts: DeleteOptions = {}): DeleteResult {
    const ns = scope(kind, namespace);
    const existing = this.get(kind, ns, name);
    const ref = { group: kind.group, resource: kind.plural, kind: kind.kind, name };
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== existing.metadata.uid) {
      throw conflict(ref, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid ?? ''}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(
        ref,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion ?? ''}`,
      );
    }
    if (opts.dryRun) return { object: existing, removed: !existing.metadata.finalizers?.length };
    const policy = opts.propagationPolicy ?? 'Background';
    const behavior = this.behaviors.get(storageKey(kind));
    if (existing.metadata.finalizers?.length) {
      if (existing.metadata.deletionTimestamp) return { object: existing, removed: false };
      const marked = cloneObject(existing);
      marked.metadata.deletionTimestamp = kubeTime(this.now());
      marked.metadata.deletionGracePeriodSeconds = 0;
      // As kube-apiserver: the start of a graceful deletion is a new generation.
      if (marked.metadata.generation !== undefined) marked.metadata.generation++;
      marked.metadata.resourceVersion = String(this.store.nextResourceVersion());
      this.store.put(storageKey(kind), marked, existing);
      this.collectDependents(existing, policy);
      return { object: marked, removed: false };
    }
    if (behavior?.beforeDelete?.(existing, this) === 'keep') {
      return { object: this.get(kind, ns, name), removed: false };
    }
    if (policy === 'Foreground') this.collectDependents(existing, policy);
    const removed = this.removeNow(kind, this.find(kind, ns, name) ?? existing);
    if (policy !== 'Foreground') this.collectDependents(existing, policy);
    return { object: removed, removed: true };
  }

  /** Kinds known to this cluster's store, used for garbage collection and namespace cleanup. */
  kindsInStore(): string[] {
    return this.store.collectionNames();
  }

  /** Lookup used by GC and namespace cleanup: provided by the cluster, which owns the kind registry. */
  kindResolver?: (collection: string) => KindInfo | undefined;

  /** Deletes every object in a namespace (namespace termination). */
  deleteNamespaceContents(namespace: string): void {
    for (const collection of this.store.collectionNames()) {
      const kind = this.kindResolver?.(collection);
      if (!kind?.namespaced) continue;
      for (const { object } of this.store.list(collection, namespace)) {
        this.delete(kind, namespace, object.metadata.name!, {});
      }
    }
  }

  namespaceIsEmpty(namespace: string): boolean {
    for (const collection of this.store.collectionNames()) {
      if (collection === NAMESPACES) continue;
      if (this.store.list(collection, namespace).length > 0) return false;
    }
    return true;
  }

  /** Removes an object now; the last object leaving a terminating namespace lets the namespace go. */
  removeNow(kind: KindInfo, object: KubeObject): KubeObject {
    const final = cloneObject(object);
    final.metadata.resourceVersion = String(this.store.nextResourceVersion());
    this.store.remove(storageKey(kind), final, object);
    this.behaviors.get(storageKey(kind))?.afterRemove?.(final, this);
    const ns = final.metadata.namespace;
    if (ns && kind.namespaced) {
      const namespace = this.store.get(NAMESPACES, undefined, ns);
      if (namespace?.metadata.deletionTimestamp && this.namespaceIsEmpty(ns)) {
        const nsKind = this.kindResolver?.(NAMESPACES);
        if (nsKind) this.removeNow(nsKind, namespace);
      }
    }
    return final;
  }

  /** Owner-reference garbage collection, done at once: a fake cluster has no GC controller. */
  private collectDependents(owner: KubeObject, policy: PropagationPolicy): void {
    const uid = owner.metadata.uid;
    if (!uid || !this.kindResolver) return;
    for (const collection of this.store.collectionNames()) {
      const kind = this.kindResolver(collection);
      if (!kind) continue;
      for (const { object } of this.store.list(collection)) {
        const refs = object.metadata.ownerReferences;
        if (!refs?.some((r) => r.uid === uid)) continue;
        if (policy === 'Orphan') {
          const orphan = cloneObject(object);
          orphan.metadata.ownerReferences = refs.filter((r) => r.uid !== uid);
          if (orphan.metadata.ownerReferences.length === 0) delete orphan.metadata.ownerReferences;
          this.commit(kind, object, orphan);
        } else if (this.store.get(collection, object.metadata.namespace, object.metadata.name!)) {
          this.delete(kind, object.metadata.namespace, object.metadata.name!, { propagationPolicy: policy });
        }
      }
    }
  }

  /**
   * An API write: the object completed as its Go type (zero values Go
   * writes), then, unless server-side apply already did, the writer
   * recorded in managedFields as an Update of the fields it set. Returns
   * whether that comparison found a field the write changed (false when
   * none was made, for an apply or an object without managedFields).
   */
  private recordWriter(kind: KindInfo, existing: KubeObject | undefined, next: KubeObject, opts: UpdateOptions): boolean {
    const apiVersion = apiVersionOf(kind);
    if (opts.subresource !== 'status') applyDefaults(kind, next, existing === undefined);
    const zerosAdded = !kind.custom && fillTypedZeros(next, apiVersion, kind.kind);
    if (opts.operation === 'Apply') return false;
    const before = existing ?? (kind.custom ? undefined : zeroObjectOf(apiVersion, kind.kind));
    const who = { manager: opts.manager!, ...(opts.subresource ? { subresource: opts.subresource } : {}) };
    // Only status is compared through the status subresource, and only zeros changed it since the copy.
    const shared = opts.sharedOriginal && opts.subresource === 'status' && !kind.custom && !zerosAdded ? opts.sharedOriginal : next;
    const seen = { changed: false };
    const managed = managedFieldsAfterUpdate(before, next, who, apiVersion, kind.kind, kind.subresources.includes('status'), kubeTime(this.now()), shared, seen);
    if (managed) next.metadata.managedFields = managed;
    else delete next.metadata.managedFields;
    return seen.changed;
  }

  private requireActiveNamespace(namespace: string): void {
    const ns = this.store.get(NAMESPACES, undefined, namespace);
    if (!ns) throw notFound({ group: '', resource: 'namespaces', name: namespace });
    if (ns.metadata.deletionTimestamp) {
      throw new StatusError(
        403,
        'Forbidden',
        `unable to create new content in namespace ${namespace} because it is being terminated`,
        { name: namespace, kind: 'namespaces', causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }] },
      );
    }
  }

  private generateName(kind: KindInfo, namespace: string | undefined, prefix: string): string {
    for (let i = 0; i < MAX_GENERATE_ATTEMPTS; i++) {
      let suffix = '';
      for (let j = 0; j < GENERATE_NAME_SUFFIX_LENGTH; j++) suffix += GENERATE_NAME_ALPHABET[randomInt(GENERATE_NAME_ALPHABET.length)];
      const name = `${prefix}${suffix}`;
      if (!this.store.get(storageKey(kind), namespace, name)) return name;
    }
    throw new StatusError(500, 'InternalError', `could not generate a unique name from generateName "${prefix}"; retry the request`);
  }
}

function scope(kind: KindInfo, namespace: string | undefined): string | undefined {
  return kind.namespaced ? namespace : undefined;
}

/** A body's apiVersion/kind, when given, must name the resource of the URL. */
function checkTypeMeta(kind: KindInfo, body: KubeObject): void {
  if (!isPlainObject(body)) throw badRequest('the request body must be a JSON object');
  if (!isPlainObject(body.metadata)) {
    if (body.metadata !== undefined) throw badRequest('metadata must be an object');
    body.metadata = {};
  }
  const expected = apiVersionOf(kind);
  if (body.kind !== undefined && body.kind !== kind.kind) {
    throw badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (${kind.kind}) of ${kind.plural}`);
  }
  if (body.apiVersion !== undefined && body.apiVersion !== expected) {
    throw badRequest(
      `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${expected})`,
    );
  }
}

/** Anything but metadata and status changed: what bumps metadata.generation. */
function specChanged(a: KubeObject, b: KubeObject): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (k === 'metadata' || k === 'status' || k === 'apiVersion' || k === 'kind') continue;
    if (!jsonEqual(a[k], b[k])) return true;
  }
  return false;
}

export type { StatusCause };

/**
 * The stored form of a written object: apiVersion and kind set, and first,
 * as clients write them (GET answers keep that order). A new root object
 * only when the body had them elsewhere; everything below it is shared.
 */
function typeFirst(kind: KindInfo, obj: KubeObject): KubeObject {
  let i = 0;
  let inOrder = true;
  for (const k in obj) {
    if (k !== (i === 0 ? 'apiVersion' : 'kind')) inOrder = false;
    if (++i === 2 || !inOrder) break;
  }
  if (inOrder && i === 2) {
    obj.apiVersion = apiVersionOf(kind);
    obj.kind = kind.kind;
    return obj;
  }
  const out: KubeObject = { apiVersion: '', kind: '', ...obj };
  out.apiVersion = apiVersionOf(kind);
  out.kind = kind.kind;
  return out;
}

/**
 * The copy a create stores: frozen parts of the body (the unchanging parts
 * of a workload template, shared by every cluster) are kept by reference.
 * Create changes nothing below the top level but metadata, which is always
 * copied; kinds whose create does more (CRD defaults and pruning, a kind
 * behavior that prepares the object) get a full copy instead.
 */
function cloneSharingFrozen(body: KubeObject): KubeObject {
  const obj = cloneObject(body, { shareFrozen: true });
  if (Object.isFrozen(obj.metadata)) obj.metadata = cloneObject(obj.metadata);
  return obj;
}
