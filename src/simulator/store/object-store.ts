import { objectKey, type KubeObject } from './object.js';
import { epochResourceVersion, RESTORE_VERSION_GAP } from './resource-version.js';

/**
 * Raw storage of one fake cluster: collections of objects per group/resource,
 * one monotonic resourceVersion counter, a bounded event history for watch
 * resumption, and fan-out of events to watchers.
 *
 * It knows no Kubernetes rules beyond "every write gets the next
 * resourceVersion"; resources.ts applies the API semantics on top.
 *
 * Versions start at an epoch taken from the wall clock (resource-version.ts):
 * a store created after a restart hands out only versions larger than any
 * the previous process did, and everything below its start is "too old".
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

const eventJson = new WeakMap<KubeObject, string>();
/** The JSON of an object an event carries, serialized once however many watchers and logs take it. */
export function jsonOf(object: KubeObject): string {
  let json = eventJson.get(object);
  if (json === undefined) eventJson.set(object, (json = JSON.stringify(object)));
  return json;
}

/** The JSON jsonOf made of an object already, if it did: a watched object's answer to its write is its event's JSON. */
export function jsonMadeOf(object: KubeObject): string | undefined {
  return eventJson.get(object);
}

/** Events kept per cluster for watch resumption; older resourceVersions get 410 Gone. */
export const WATCH_HISTORY_LIMIT = 1000;

export interface Entry {
  object: KubeObject;
  /** Serialized form, built on first read and reused by LIST and watches until the object changes. */
  json?: string;
  /**
   * Serialized without apiVersion and kind, as an item of a typed (built-in) list, in UTF-8: built
   * on first such LIST. Kept as bytes: a list answer is then copied together, not encoded again.
   */
  itemBytes?: Buffer;
}

/** A listed object; `itemBytes()` is its form inside a typed list (no apiVersion and kind), cached like the JSON. */
export interface ListedEntry {
  readonly key: string;
  readonly object: KubeObject;
  json(): string;
  itemBytes(): Buffer;
}

/**
 * A ListedEntry reading through to its entry's caches (a class: a list
 * makes no closures per item). Its entry is private (#): a listed entry
 * is its key and object, whichever caches were filled.
 */
class Listed implements ListedEntry {
  readonly object: KubeObject;
  readonly #entry: Entry;

  constructor(
    readonly key: string,
    entry: Entry,
  ) {
    this.object = entry.object;
    this.#entry = entry;
  }

  json(): string {
    return (this.#entry.json ??= JSON.stringify(this.object));
  }

  itemBytes(): Buffer {
    return (this.#entry.itemBytes ??= itemBytesOf(this.object));
  }
}

function itemBytesOf(object: KubeObject): Buffer {
  // undefined properties are left out by JSON.stringify; the copy is made once per object version.
  const text = JSON.stringify({ ...object, apiVersion: undefined, kind: undefined });
  // Its own memory, not a slice of Node's shared pool: a kept slice would keep the whole pool alive.
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  return bytes;
}

/** Every object of a store and its version: what a durable backend saves and restores. */
export interface StoreContents {
  readonly resourceVersion: number;
  readonly collections: ReadonlyMap<string, readonly KubeObject[]>;
  /**
   * Keys (by collection) of lent shared objects the cluster deleted: without
   * them a restored cluster would get its deleted default RBAC back.
   */
  readonly deletedShared?: ReadonlyMap<string, readonly string[]>;
}

/** Sees every event once, in order, before watchers do (a durable backend logs it). */
export type StoreJournal = (event: StoreEvent) => void;

interface VersionWaiter {
  readonly version: number;
  readonly resolve: (reached: boolean) => void;
  readonly timer: NodeJS.Timeout;
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
  private rv: number;
  private readonly collections = new Map<string, Map<string, Entry>>();
  /** Objects lent by every cluster's shared base; read through unless overridden or hidden. */
  private base?: SharedObjects;
  /** `collection\u0000key` of lent objects this store deleted. */
  private hidden?: Set<string>;
  private history: StoreEvent[] = [];
  /** Highest resourceVersion dropped from history (or the start): a watch from below this is too old. */
  private compactedRv: number;
  private listeners?: Map<string, Set<StoreListener>>;
  private waiters?: VersionWaiter[];
  /** Set by a durable backend; undefined keeps the store purely in memory. */
  journal?: StoreJournal;
  /** Set by a durable backend: resolves once every event journaled so far is durable. */
  durability?: () => Promise<void> | undefined;

  constructor(startVersion: number = epochResourceVersion()) {
    this.rv = startVersion;
    this.compactedRv = startVersion;
  }

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

  /**
   * Resolves true once the store's version reaches `version`, false after
   * `timeoutMs` (one timer per waiting request, no polling). Used for reads
   * that ask for a version newer than the store's, as kube-apiserver's cache
   * waits before answering "Too large resource version".
   */
  waitForVersion(version: number, timeoutMs: number): Promise<boolean> {
    if (this.rv >= version) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: VersionWaiter = {
        version,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters?.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMs),
      };
      (this.waiters ??= []).push(waiter);
    });
  }

  /** Resolves when every write so far is durable; undefined when there is nothing to wait for (memory). */
  durable(): Promise<void> | undefined {
    return this.durability?.();
  }

  /** Every object and the current version, for a durable backend's snapshot (objects are immutable: no copy). */
  contents(): StoreContents {
    const collections = new Map<string, KubeObject[]>();
    for (const [name, coll] of this.collections) collections.set(name, [...coll.values()].map((e) => e.object));
    if (!this.hidden?.size) return { resourceVersion: this.rv, collections };
    const deletedShared = new Map<string, string[]>();
    for (const hidden of this.hidden) {
      const [collection, key] = hidden.split('\u0000') as [string, string];
      const keys = deletedShared.get(collection);
      if (keys) keys.push(key);
      else deletedShared.set(collection, [key]);
    }
    return { resourceVersion: this.rv, collections, deletedShared };
  }

  /** True when the store deleted the lent object under this key (a durable backend keeps a tombstone for it). */
  hidesShared(collection: string, key: string): boolean {
    return this.hidden?.has(`${collection}\u0000${key}`) ?? false;
  }

  /**
   * Loads what a durable backend saved, into an empty store, without events.
   * The store goes on from a new epoch when the clock is ahead of the saved
   * version, and at least RESTORE_VERSION_GAP above it otherwise (another
   * replica's clock may be behind; versions handed out just before a crash
   * may not have been saved): the history of the old process is gone, so
   * every version up to the restart answers "too old" and watchers relist.
   * Lent objects the saved cluster had deleted stay deleted.
   */
  restore(saved: StoreContents, startVersion: number = epochResourceVersion()): void {
    if (this.collections.size > 0 || this.history.length > 0) throw new Error('restore needs an empty store: restore before the first write');
    for (const [name, objects] of saved.collections) {
      const coll = new Map<string, Entry>();
      for (const object of objects) coll.set(objectKey(object.metadata.namespace, object.metadata.name ?? ''), { object });
      if (coll.size > 0) this.collections.set(name, coll);
    }
    for (const [collection, keys] of saved.deletedShared ?? []) {
      for (const key of keys) if (this.base?.collections.get(collection)?.has(key)) (this.hidden ??= new Set()).add(`${collection}\u0000${key}`);
    }
    this.rv = Math.max(startVersion, saved.resourceVersion + RESTORE_VERSION_GAP);
    this.compactedRv = this.rv;
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
  list(collection: string, namespace?: string): ListedEntry[] {
    const coll = this.collections.get(collection);
    if (!coll && !this.base?.collections.has(collection)) return [];
    const prefix = namespace ? `${namespace}/` : undefined;
    const out: ListedEntry[] = [];
    const add = (key: string, entry: Entry): void => {
      if (prefix && !key.startsWith(prefix)) return;
      out.push(new Listed(key, entry));
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
    this.journal?.(event);
    this.history.push(event);
    if (this.history.length > WATCH_HISTORY_LIMIT) {
      // Drop the oldest quarter at once so trimming stays amortized O(1).
      const drop = this.history.length - Math.floor((WATCH_HISTORY_LIMIT * 3) / 4);
      this.compactedRv = this.history[drop - 1]!.resourceVersion;
      this.history = this.history.slice(drop);
    }
    const set = this.listeners?.get(event.collection);
    if (set) for (const l of set) l(event);
    if (this.waiters) this.wakeWaiters();
  }

  private wakeWaiters(): void {
    const ready = this.waiters!.filter((w) => w.version <= this.rv);
    if (ready.length === 0) return;
    this.waiters = this.waiters!.filter((w) => w.version > this.rv);
    if (this.waiters.length === 0) this.waiters = undefined;
    for (const w of ready) {
      clearTimeout(w.timer);
      w.resolve(true);
    }
  }
}
