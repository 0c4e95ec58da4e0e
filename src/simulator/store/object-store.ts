import { objectKey, type KubeObject } from './object.js';

/**
 * Raw storage of one fake cluster: collections of objects per group/resource,
 * one monotonic resourceVersion counter, a bounded event history for watch
 * resumption, and fan-out of events to watchers.
 *
 * It knows no Kubernetes rules beyond "every write gets the next
 * resourceVersion"; lifecycle.ts applies the API semantics on top.
 * Objects handed in are owned by the store and never changed afterwards.
 */

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: WatchEventType;
  /** Storage key of the collection (`group/plural`). */
  readonly collection: string;
  readonly resourceVersion: number;
  readonly object: KubeObject;
  /** The object before the change (MODIFIED and DELETED): lets selector watches see objects leave. */
  readonly previous?: KubeObject;
}

export type StoreListener = (event: StoreEvent) => void;

/** Events kept per cluster for watch resumption; older resourceVersions get 410 Gone. */
export const WATCH_HISTORY_LIMIT = 1000;

export interface Entry {
  object: KubeObject;
  /** Serialized form, built on first read and reused by GET/LIST until the object changes. */
  json?: string;
}

/**
 * Objects built once and lent, read-only, to many stores (the RBAC objects
 * every cluster starts with). A store reads through to them until it writes
 * the same key (its own entry wins) or deletes it (a tombstone hides it), so
 * a cluster pays for what it changed, not for what it was lent.
 */
export interface SharedObjects {
  readonly collections: ReadonlyMap<string, ReadonlyMap<string, Entry>>;
  /** Highest resourceVersion among the objects: a store lent them counts from there. */
  readonly maxResourceVersion: number;
}

/** Builds SharedObjects from finished, frozen objects (resourceVersion set), by collection. */
export function sharedObjects(byCollection: ReadonlyMap<string, readonly KubeObject[]>): SharedObjects {
  const collections = new Map<string, Map<string, Entry>>();
  let max = 0;
  for (const [collection, objects] of byCollection) {
    const entries = new Map<string, Entry>();
    for (const object of objects) {
      entries.set(objectKey(object.metadata.namespace, object.metadata.name ?? ''), { object });
      max = Math.max(max, Number(object.metadata.resourceVersion));
    }
    collections.set(collection, entries);
  }
  return { collections, maxResourceVersion: max };
}

export class ObjectStore {
  private rv = 0;
  private readonly collections = new Map<string, Map<string, Entry>>();
  /** Objects lent by every cluster's shared base; read through unless overridden or hidden. */
  private base?: SharedObjects;
  /** `collection\u0000key` of lent objects this store deleted. */
  private hidden?: Set<string>;
  private history: StoreEvent[] = [];
  /** Highest resourceVersion dropped from history: a watch from below this is too old. */
  private compactedRv = 0;
  private listeners?: Map<string, Set<StoreListener>>;

  get resourceVersion(): number {
    return this.rv;
  }

  /** The oldest resourceVersion a watch can still resume from. */
  get oldestResumableVersion(): number {
    return this.compactedRv;
  }

  nextResourceVersion(): number {
    return ++this.rv;
  }

  /** Lends shared objects to this (still empty) store; history gets no events for them, as if compacted. */
  seed(shared: SharedObjects): void {
    if (this.base || this.collections.size > 0) throw new Error('a store is lent shared objects once, before any write');
    this.base = shared;
    this.rv = Math.max(this.rv, shared.maxResourceVersion);
  }

  /** The entry under a key: this store's own, else a lent one it has not deleted. */
  private entry(collection: string, key: string): Entry | undefined {
    const own = this.collections.get(collection)?.get(key);
    if (own || !this.base) return own;
    const lent = this.base.collections.get(collection)?.get(key);
    return lent && !this.hidden?.has(`${collection}\u0000${key}`) ? lent : undefined;
  }

  /** Lent entries of a collection that this store neither replaced nor deleted. */
  private *lentEntries(collection: string): Generator<[string, Entry]> {
    const lent = this.base?.collections.get(collection);
    if (!lent) return;
    const own = this.collections.get(collection);
    for (const [key, entry] of lent) {
      if (own?.has(key) || this.hidden?.has(`${collection}\u0000${key}`)) continue;
      yield [key, entry];
    }
  }

  get(collection: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.entry(collection, objectKey(namespace, name))?.object;
  }

  /** The cached JSON of a stored object (serialized at most once per version). */
  json(collection: string, namespace: string | undefined, name: string): string | undefined {
    const entry = this.entry(collection, objectKey(namespace, name));
    if (!entry) return undefined;
    return (entry.json ??= JSON.stringify(entry.object));
  }

  /** Objects of a collection, optionally one namespace, sorted by key (stable pagination order). */
  list(collection: string, namespace?: string): { key: string; object: KubeObject; json: () => string }[] {
    const coll = this.collections.get(collection);
    if (!coll && !this.base?.collections.has(collection)) return [];
    const prefix = namespace ? `${namespace}/` : undefined;
    const out: { key: string; object: KubeObject; json: () => string }[] = [];
    const add = (key: string, entry: Entry): void => {
      if (prefix && !key.startsWith(prefix)) return;
      out.push({ key, object: entry.object, json: () => (entry.json ??= JSON.stringify(entry.object)) });
    };
    if (coll) for (const [key, entry] of coll) add(key, entry);
    for (const [key, entry] of this.lentEntries(collection)) add(key, entry);
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  }

  count(collection: string): number {
    let lent = 0;
    for (const _ of this.lentEntries(collection)) lent++;
    return (this.collections.get(collection)?.size ?? 0) + lent;
  }

  collectionNames(): string[] {
    const names = new Set(this.collections.keys());
    for (const name of this.base?.collections.keys() ?? []) if (this.count(name) > 0) names.add(name);
    return [...names];
  }

  /** Stores a new or changed object (its resourceVersion already set by the caller) and emits the event. */
  put(collection: string, object: KubeObject, previous: KubeObject | undefined): void {
    let coll = this.collections.get(collection);
    if (!coll) this.collections.set(collection, (coll = new Map()));
    const key = objectKey(object.metadata.namespace, object.metadata.name ?? '');
    coll.set(key, { object });
    this.emit({
      type: previous ? 'MODIFIED' : 'ADDED',
      collection,
      resourceVersion: Number(object.metadata.resourceVersion),
      object,
      ...(previous ? { previous } : {}),
    });
  }

  /** Removes an object; `finalObject` carries the resourceVersion of the deletion. */
  remove(collection: string, finalObject: KubeObject, previous: KubeObject): void {
    const coll = this.collections.get(collection);
    const key = objectKey(finalObject.metadata.namespace, finalObject.metadata.name ?? '');
    coll?.delete(key);
    if (this.base?.collections.get(collection)?.has(key)) (this.hidden ??= new Set()).add(`${collection}\u0000${key}`);
    if (coll && coll.size === 0) this.collections.delete(collection);
    this.emit({
      type: 'DELETED',
      collection,
      resourceVersion: Number(finalObject.metadata.resourceVersion),
      object: finalObject,
      previous,
    });
  }

  /** Drops a whole collection without events (its kind stopped being served). */
  dropCollection(collection: string): void {
    this.collections.delete(collection);
  }

  /**
   * Events of a collection after `sinceRv`, or undefined when that point
   * is no longer in history (the caller answers 410 Gone).
   */
  eventsSince(collection: string, sinceRv: number): StoreEvent[] | undefined {
    if (sinceRv < this.compactedRv) return undefined;
    const out: StoreEvent[] = [];
    for (const e of this.history) if (e.resourceVersion > sinceRv && e.collection === collection) out.push(e);
    return out;
  }

  subscribe(collection: string, listener: StoreListener): () => void {
    this.listeners ??= new Map();
    let set = this.listeners.get(collection);
    if (!set) this.listeners.set(collection, (set = new Set()));
    set.add(listener);
    return () => {
      const s = this.listeners?.get(collection);
      if (!s) return;
      s.delete(listener);
      if (s.size === 0) this.listeners?.delete(collection);
    };
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > WATCH_HISTORY_LIMIT) {
      // Drop the oldest quarter at once so trimming stays amortized O(1).
      const drop = this.history.length - Math.floor((WATCH_HISTORY_LIMIT * 3) / 4);
      this.compactedRv = this.history[drop - 1]!.resourceVersion;
      this.history = this.history.slice(drop);
    }
    const set = this.listeners?.get(event.collection);
    if (set) for (const l of set) l(event);
  }
}
