import type { ObjectStore, StoreContents } from '../store/object-store.js';

/**
 * Where the objects of fake clusters live beyond the process: one backend
 * per simulator, chosen by the operator's `--store`.
 *
 * Design (so `etcd:` can follow without touching the stores):
 * - Every fake cluster keeps serving from its in-memory ObjectStore: reads,
 *   lists, watches and resourceVersions never wait on a backend. A backend
 *   only (1) hands a cluster its saved contents when the cluster is
 *   created, (2) receives every store event in order through the store's
 *   journal hook, and (3) tells the HTTP layer when the writes so far are
 *   durable (the store's durability hook): a write is acknowledged to a
 *   client only after that.
 * - A backend never invents versions. After a restore the store goes on
 *   from a new wall-clock epoch (resource-version.ts), so a version from
 *   the previous process is "too old" and clients relist; restored objects
 *   keep their UID, creationTimestamp and resourceVersion.
 * - Cluster identity is the simulator's cluster name (the FakeAPIServer's
 *   namespace/name). `detach` keeps the contents (the listener closed, the
 *   cluster may come back), `forget` drops them (the cluster was deleted).
 * - An `etcd:` backend maps this one-to-one: `load` reads a key prefix per
 *   cluster (`/fkas/<cluster>/<collection>/<key>`) at open, `journal` turns
 *   events into Txn puts/deletes batched per event-loop turn (the same group
 *   commit as the file backend), `durable` resolves when the Txn is
 *   acknowledged, and `forget` deletes the prefix. Taking over a cluster
 *   from another replica is `load` of one prefix; fencing (one writer per
 *   cluster) belongs to the sharding Lease, not to this interface.
 */
export interface StorageBackend {
  /** `memory`, `file:<dir>`, …: what `--store` said, for logs and metrics. */
  readonly description: string;
  /** Reads what earlier processes saved. Called once, before any cluster is created. */
  open(): Promise<void>;
  /** The saved contents of a cluster, or undefined for a new one. */
  saved(cluster: string): StoreContents | undefined;
  /** Starts recording a cluster's store; called before the store's first write. */
  attach(cluster: string, store: ObjectStore): void;
  /** Stops recording a cluster that closed; its contents stay for the next `saved`. */
  detach(cluster: string): void;
  /** Drops a deleted cluster's contents for good. */
  forget(cluster: string): Promise<void>;
  /** Makes everything durable and releases files and connections. */
  close(): Promise<void>;
}

/** Today's behaviour: nothing outlives the process, a closed cluster comes back empty. */
export class MemoryBackend implements StorageBackend {
  readonly description = 'memory';
  async open(): Promise<void> {}
  saved(): undefined {
    return undefined;
  }
  attach(): void {}
  detach(): void {}
  async forget(): Promise<void> {}
  async close(): Promise<void> {}
}
