import { isRecoverableError, type ICompare, type IRequestOp, type ITxnResponse, type KVClient } from 'etcd3';
import { StatusError } from '../api/errors.js';
import type { Logger } from '../../telemetry/logger.js';

/**
 * Group commit of fake-cluster writes into etcd.
 *
 * Writes recorded during one event-loop turn — and, while a batch is in
 * flight, every write until it returns — form one batch. Within a batch the
 * last write of a key wins (a node whose status is patched 16 times costs
 * one put), and each cluster's highest resourceVersion is saved with it.
 * A batch becomes as few Txns as etcd's limits allow; only one batch is in
 * flight at a time, so batches reach etcd in the order they were written.
 *
 * Fencing: every Txn compares, for each cluster in it, the mod revision of
 * the cluster's owner key with the revision at which this process claimed
 * the cluster. A replica that took the cluster over rewrote that key, so
 * from then on this process's writes to it fail the compare: they are
 * refused (the client gets 503), never applied over the new owner's.
 */

/** etcd's default --max-txn-ops: operations (and comparisons) per Txn. */
export const MAX_TXN_OPS = 128;
/** Under etcd's default --max-request-bytes (1.5 MiB), with room for the Txn's framing. */
export const MAX_TXN_BYTES = 1024 * 1024;
/** A client whose write etcd has not acknowledged after this long gets 504; the write is still retried. */
export const ETCD_ACK_TIMEOUT_MS = 30_000;
/** Deadline of one Txn call. */
export const ETCD_CALL_TIMEOUT_MS = 10_000;
const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 2_000;

interface Deferred {
  readonly promise: Promise<void>;
  settled: boolean;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failed write rejects the requests waiting on it; nobody else must see an unhandled rejection.
  promise.catch(() => undefined);
  const d: Deferred = {
    promise,
    settled: false,
    resolve: () => {
      d.settled = true;
      resolve();
    },
    reject: (err) => {
      d.settled = true;
      reject(err);
    },
  };
  return d;
}

/** A cluster this process claimed: the owner key's mod revision it must still hold for writes to apply. */
export interface Claim {
  readonly ownerKey: string;
  readonly rvKey: string;
  readonly revision: string;
}

interface ClusterWrites {
  /** etcd key → value; null deletes the key. */
  readonly ops: Map<string, Buffer | null>;
  rv: number;
  readonly ack: Deferred;
}

type Batch = Map<string, ClusterWrites>;

interface TxnPart {
  readonly cluster: string;
  readonly claim: Claim;
  readonly ops: IRequestOp[];
}

export class EtcdCommitter {
  private current?: Batch;
  private inflight?: Batch;
  private scheduled = false;
  private readonly claims = new Map<string, Claim>();
  private readonly fenced = new Map<string, Promise<void>>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly kv: KVClient,
    private readonly log: Logger,
    /** Told once when another replica took a cluster over: stop serving it. */
    private readonly onFenced: (cluster: string) => void,
  ) {}

  claim(cluster: string, claim: Claim): void {
    this.claims.set(cluster, claim);
    this.fenced.delete(cluster);
  }

  unclaim(cluster: string): Claim | undefined {
    const claim = this.claims.get(cluster);
    this.claims.delete(cluster);
    return claim;
  }

  /** Records a put (value) or delete (null) of a key of a claimed cluster, saved with the cluster's version. */
  record(cluster: string, key: string, value: Buffer | null, resourceVersion: number): void {
    if (this.fenced.has(cluster) || !this.claims.has(cluster)) return;
    const batch = (this.current ??= new Map());
    let writes = batch.get(cluster);
    if (!writes) batch.set(cluster, (writes = { ops: new Map(), rv: 0, ack: deferred() }));
    writes.ops.set(key, value);
    if (resourceVersion > writes.rv) writes.rv = resourceVersion;
    this.schedule();
  }

  /** Resolves once every write of the cluster recorded so far is in etcd; undefined when none waits. */
  pending(cluster: string): Promise<void> | undefined {
    return this.fenced.get(cluster) ?? (this.current?.get(cluster) ?? this.inflight?.get(cluster))?.ack.promise;
  }

  /** Resolves when no write of any cluster waits. */
  idle(): Promise<void> {
    if (!this.current && !this.inflight) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.inflight || !this.current) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.current;
    if (!batch || this.inflight) return;
    this.current = undefined;
    this.inflight = batch;
    const timer = setTimeout(() => this.timeOut(batch), ETCD_ACK_TIMEOUT_MS);
    try {
      await Promise.all(this.pack(batch).map((parts) => this.commit(parts)));
      for (const writes of batch.values()) if (!writes.ack.settled) writes.ack.resolve();
    } finally {
      clearTimeout(timer);
      this.inflight = undefined;
    }
    if (this.current) this.schedule();
    else for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Splits a batch into Txns within etcd's limits: a cluster's ops may span several, each with its compare. */
  private pack(batch: Batch): TxnPart[][] {
    const txns: TxnPart[][] = [];
    let parts: TxnPart[] = [];
    let ops = 0;
    let bytes = 0;
    const close = (): void => {
      if (parts.length) txns.push(parts);
      parts = [];
      ops = 0;
      bytes = 0;
    };
    for (const [cluster, writes] of batch) {
      const claim = this.claims.get(cluster);
      if (!claim || this.fenced.has(cluster)) {
        writes.ack.reject(this.fencedError(cluster));
        continue;
      }
      const all: { op: IRequestOp; size: number }[] = [];
      for (const [key, value] of writes.ops) {
        const k = Buffer.from(key);
        all.push(value === null ? { op: { request_delete_range: { key: k } }, size: k.length } : { op: { request_put: { key: k, value } }, size: k.length + value.length });
      }
      const rvKey = Buffer.from(claim.rvKey);
      const rvValue = Buffer.from(String(writes.rv));
      all.push({ op: { request_put: { key: rvKey, value: rvValue } }, size: rvKey.length + rvValue.length });
      let part: TxnPart | undefined;
      for (const { op, size } of all) {
        if (ops + 2 > MAX_TXN_OPS || (ops > 0 && bytes + size > MAX_TXN_BYTES)) {
          close();
          part = undefined;
        }
        if (!part) {
          part = { cluster, claim, ops: [] };
          parts.push(part);
          ops++; // its compare
        }
        part.ops.push(op);
        ops++;
        bytes += size;
      }
    }
    close();
    return txns;
  }

  /** One Txn, retried while etcd is unreachable; clusters another replica took over are dropped from it. */
  private async commit(parts: TxnPart[]): Promise<void> {
    for (let attempt = 0; parts.length > 0; attempt++) {
      let res: ITxnResponse;
      try {
        res = await this.kv.txn(
          {
            compare: parts.map((p): ICompare => ({ key: Buffer.from(p.claim.ownerKey), target: 'Mod', result: 'Equal', mod_revision: p.claim.revision })),
            success: parts.flatMap((p) => p.ops),
            failure: parts.map((p): IRequestOp => ({ request_range: { key: Buffer.from(p.claim.ownerKey) } })),
          },
          { deadline: Date.now() + ETCD_CALL_TIMEOUT_MS },
        );
      } catch (err) {
        if (!isRecoverableError(err as Error)) {
          this.log.error({ err, clusters: parts.map((p) => p.cluster) }, 'etcd refused a write; the clients that made it get an error');
          for (const p of parts) this.batchOf(p.cluster)?.ack.reject(new StatusError(500, 'InternalError', `etcd refused the write: ${(err as Error).message}`));
          return;
        }
        const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt);
        if (attempt === 0 || delay === RETRY_MAX_MS) this.log.warn({ err: (err as Error).message, retryInMs: delay }, 'etcd unreachable; retrying the write');
        await new Promise((r) => setTimeout(r, delay));
        continue;
      }
      if (res.succeeded) return;
      const lost = new Set<string>();
      parts.forEach((p, i) => {
        const owner = res.responses[i]?.response_range?.kvs[0];
        if (owner?.mod_revision !== p.claim.revision) lost.add(p.cluster);
      });
      // Every compare held when etcd answered false is impossible: refuse rather than loop.
      if (lost.size === 0) for (const p of parts) lost.add(p.cluster);
      for (const cluster of lost) this.fence(cluster);
      parts = parts.filter((p) => !lost.has(p.cluster));
    }
  }

  private fence(cluster: string): void {
    if (this.fenced.has(cluster)) return;
    const err = this.fencedError(cluster);
    const rejected = Promise.reject(err);
    rejected.catch(() => undefined);
    this.fenced.set(cluster, rejected);
    this.claims.delete(cluster);
    this.inflight?.get(cluster)?.ack.reject(err);
    this.current?.get(cluster)?.ack.reject(err);
    this.current?.delete(cluster);
    this.log.warn({ cluster }, 'another replica took this fake cluster over; its writes here are refused');
    this.onFenced(cluster);
  }

  private fencedError(cluster: string): StatusError {
    return new StatusError(503, 'ServiceUnavailable', `fake cluster ${cluster} is now served by another replica; reconnect to its endpoint`);
  }

  private batchOf(cluster: string): ClusterWrites | undefined {
    return this.inflight?.get(cluster);
  }

  private timeOut(batch: Batch): void {
    const err = new StatusError(504, 'Timeout', `etcd did not acknowledge the write within ${ETCD_ACK_TIMEOUT_MS / 1000}s; it is retried in the background`);
    for (const writes of batch.values()) if (!writes.ack.settled) writes.ack.reject(err);
  }
}
