import type { ObjectStore, StoreContents } from '../store/object-store.js';

/**
 * Where the objects of fake clusters live beyond the process: one backend
 * per simulator, chosen by the operator's `--store`.
 *
 * - Every fake cluster keeps serving from its in-memory ObjectStore: reads,
 *   lists, watches and resourceVersions never wait on a backend. A backend
 *   only (1) hands a cluster its saved contents when the cluster is
 *   created (`load`), (2) receives every store event in order through the
 *   store's journal hook (`attach`), and (3) tells the HTTP layer when the
 *   writes so far are durable (the store's durability hook): a write is
 *   acknowledged to a client only after that.
 * - A backend never invents versions. A restored store goes on from above
 *   both the clock's epoch and the saved version (ObjectStore.restore), so a
 *   version from the previous owner is "too old" and clients relist;
 *   restored objects keep their UID, creationTimestamp and resourceVersion.
 * - Cluster identity is the simulator's cluster name (the FakeAPIServer's
 *   `namespace/name`). One cluster at a time moves through
 *   `load` → `attach` → … → `release` (the cluster stops being served here,
 *   its contents stay for whoever loads it next, in this process or, with a
 *   shared backend such as etcd, in another replica) or `forget` (the
 *   cluster was deleted for good: its contents go).
 */
export interface StorageBackend {
  /** `memory`, `file:<dir>`, `etcd:<urls>`: what `--store` said, for logs and metrics. */
  readonly description: string;
  /** Connects and reads what must be read up front; fails with a message that says what to fix. */
  open(): Promise<void>;
  /**
   * Takes a cluster over and returns its saved contents, or undefined for a
   * cluster nothing was saved for. A shared backend fences the previous
   * owner here: its later writes to this cluster are refused.
   */
  load(cluster: string): Promise<StoreContents | undefined>;
  /** Starts recording a loaded cluster's store; called before the store's first write. */
  attach(cluster: string, store: ObjectStore): void;
  /**
   * Stops serving a cluster from this process: resolves once every write it
   * journaled is durable, so another owner's `load` sees them all.
   */
  release(cluster: string): Promise<void>;
  /** Drops a deleted cluster's contents for good (after `release`). */
  forget(cluster: string): Promise<void>;
  /** Makes everything durable and releases files and connections. */
  close(): Promise<void>;
}

/**
 * Stops recording a cluster: takes its store out of `attached` and removes the journal and
 * durability hooks attach() put on it. Returns the store, or undefined when none was attached.
 */
export function unhook(attached: Map<string, ObjectStore>, cluster: string): ObjectStore | undefined {
  const store = attached.get(cluster);
  if (!store) return undefined;
  attached.delete(cluster);
  delete store.journal;
  delete store.durability;
  return store;
}

/** Today's behaviour: nothing outlives the process, a closed cluster comes back empty. */
export class MemoryBackend implements StorageBackend {
  readonly description = 'memory';
  async open(): Promise<void> {}
  async load(): Promise<undefined> {
    return undefined;
  }
  attach(): void {}
  async release(): Promise<void> {}
  async forget(): Promise<void> {}
  async close(): Promise<void> {}
}
