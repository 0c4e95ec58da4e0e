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
 * A collection built once and lent, read-only, to many stores (the RBAC
 * objects every cluster starts with): a store copies it on its first write
 * to that collection, so an untouched cluster pays one map slot for it.
 */
export interface SharedCollection {
  readonly entries: ReadonlyMap<string, Entry>;
  /** Highest resourceVersion among its objects: a store lent it counts from there. */
  readonly maxResourceVersion: number;
}

/** Maps lent by a SharedCollection: never written in place. */
const lent = new WeakSet<Map<string, Entry>>();

/** Builds a SharedCollection from finished, frozen objects (resourceVersion set). */
export function sharedCollection(objects: readonly KubeObject[]): SharedCollection {
  const entries = new Map<string, Entry>();
  let max = 0;
  for (const object of objects) {
    entries.set(objectKey(object.metadata.namespace, object.metadata.name ?? ''), { object });
    max = Math.max(max, Number(object.metadata.resourceVersion));
  }
  lent.add(entries);
  return { entries, maxResourceVersion: max };
}

export class ObjectStore {
  private rv = 0;
  private readonly collections = new Map<string, Map<string, Entry>>();
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

  /** Lends a shared collection to this (still empty) collection; history gets no events for it, as if compacted. */
  seed(collection: string, shared: SharedCollection): void {
    if (this.collections.has(collection)) throw new Error(`collection ${collection} already has objects; seed it before any write`);
    this.collections.set(collection, shared.entries as Map<string, Entry>);
    this.rv = Math.max(this.rv, shared.maxResourceVersion);
  }

  /** The collection to write into: a lent one is copied first (its entries stay shared). */
  private writable(collection: string): Map<string, Entry> | undefined {
    const coll = this.collections.get(collection);
    if (!coll || !lent.has(coll)) return coll;
    const own = new Map(coll);
    this.collections.set(collection, own);
    return own;
  }

  get(collection: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.collections.get(collection)?.get(objectKey(namespace, name))?.object;
  }

  /** The cached JSON of a stored object (serialized at most once per version). */
  json(collection: string, namespace: string | undefined, name: string): string | undefined {
    const entry = this.collections.get(collection)?.get(objectKey(namespace, name));
    if (!entry) return undefined;
    return (entry.json ??= JSON.stringify(entry.object));
  }

  /** Objects of a collection, optionally one namespace, sorted by key (stable pagination order). */
  list(collection: string, namespace?: string): { key: string; object: KubeObject; json: () => string }[] {
    const coll = this.collections.get(collection);
    if (!coll) return [];
    const prefix = namespace ? `${namespace}/` : undefined;
    const out: { key: string; object: KubeObject; json: () => string }[] = [];
    for (const [key, entry] of coll) {
      if (prefix && !key.startsWith(prefix)) continue;
      out.push({ key, object: entry.object, json: () => (entry.json ??= JSON.stringify(entry.object)) });
    }
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  }

  count(collection: string): number {
    return this.collections.get(collection)?.size ?? 0;
  }

  collectionNames(): string[] {
    return [...this.collections.keys()];
  }

  /** Stores a new or changed object (its resourceVersion already set by the caller) and emits the event. */
  put(collection: string, object: KubeObject, previous: KubeObject | undefined): void {
    let coll = this.writable(collection);
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
    const coll = this.writable(collection);
    coll?.delete(objectKey(finalObject.metadata.namespace, finalObject.metadata.name ?? ''));
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
