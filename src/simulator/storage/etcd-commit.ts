import {
  EtcdPermissionDeniedError,
  GRPCFailedPreconditionError,
  GRPCInvalidArgumentError,
  GRPCResourceExhastedError,
  type ICompare,
  type IRequestOp,
  type ITxnResponse,
  type KVClient,
} from 'etcd3';
import { StatusError } from '../api/errors.js';
import type { Logger } from '../../telemetry/logger.js';

/**
 * Group commit of fake-cluster writes into etcd.
 *
 * Writes recorded during one event-loop turn form one batch; within a batch
 * the last write of a key wins (a node whose status is patched 16 times
 * costs one put), and each cluster's highest resourceVersion is saved with
 * it under its `rv` key. A batch becomes as few Txns as etcd's limits
 * allow, and up to MAX_INFLIGHT_BATCHES batches are in flight at once, so
 * the writes of one turn do not wait for the previous turn's round trip.
 *
 * Order without waiting: every Txn compares, for each cluster in it, the
 * value of the cluster's `rv` key with what the cluster's previous Txn
 * writes there. etcd applies Txns in its log's order and evaluates compares
 * when it applies them, so a cluster's Txns apply in the order they were
 * sent; one that overtook its predecessor fails its compare, waits for the
 * predecessor and is sent again. A client's write is acknowledged once the
 * Txn holding it applied, which implies every earlier write of its cluster
 * did.
 *
 * Fencing: each Txn also compares the mod revision of the cluster's owner
 * key with the revision at which this process claimed the cluster. A
 * replica that took the cluster over rewrote that key, so from then on this
 * process's writes to it fail: they are refused (the client gets 503),
 * never applied over the new owner's.
 */

/** etcd's default --max-txn-ops: operations, and comparisons, per Txn. */
export const MAX_TXN_OPS = 128;
/** Under etcd's default --max-request-bytes (1.5 MiB), with room for the Txn's framing. */
export const MAX_TXN_BYTES = 1024 * 1024;
/** Batches sent and not yet applied: the next turn's writes go out while one is in etcd's hands. */
export const MAX_INFLIGHT_BATCHES = 2;
/** A client whose write etcd has not acknowledged after this long gets 504; the write is still retried. */
export const ETCD_ACK_TIMEOUT_MS = 30_000;
/** Deadline of one Txn call. */
export const ETCD_CALL_TIMEOUT_MS = 10_000;
const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 2_000;
/** While etcd stays unreachable, one warning per this many retries. */
const RETRY_LOG_EVERY = 10;
/** Comparisons a cluster's part adds to a Txn: its owner key's revision and its rv key's value. */
const COMPARES_PER_PART = 2;

interface Deferred<T> {
  readonly promise: Promise<T>;
  settled: boolean;
  resolve(value: T): void;
  reject(err: unknown): void;
}

/**
 * etcd looked at the Txn and refused it (too large, too many operations, not
 * allowed): sending it again changes nothing. Anything else — no connection,
 * a deadline, the client's circuit breaker open, a leader election — is
 * retried until etcd answers.
 */
function isRefusal(err: unknown): boolean {
  return err instanceof GRPCInvalidArgumentError || err instanceof GRPCResourceExhastedError || err instanceof GRPCFailedPreconditionError || err instanceof EtcdPermissionDeniedError;
}

/** True when `value` is what this part, or a later part of its cluster, writes: the part has applied. */
function writtenSince(part: Part, value: string): boolean {
  for (let p: Part | undefined = part; p; p = p.next) if (p.writes === value) return true;
  return false;
}

function settle(part: Part, applied: boolean): void {
  part.outcome = applied;
  part.previous = undefined;
  part.ops.length = 0; // the values can go: nothing resends a settled part
  part.applied.resolve(applied);
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failed write rejects the requests waiting on it; nobody else must see an unhandled rejection.
  promise.catch(() => undefined);
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve: (value) => {
      d.settled = true;
      resolve(value);
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
  /** The rv key's value when the cluster was loaded; null when it had none. */
  readonly rvValue: string | null;
}

/** Where a cluster's Txns stand: what its rv key holds once all sent ones applied, and the last one sent. */
interface Chain {
  readonly claim: Claim;
  expected: string | null;
  /** The last part sent for the cluster. */
  tail?: Part;
}

interface ClusterWrites {
  /** etcd key → value; null deletes the key. */
  readonly ops: Map<string, Buffer | null>;
  rv: number;
  readonly ack: Deferred<void>;
}

interface Batch {
  readonly clusters: Map<string, ClusterWrites>;
  /** Started with the batch's first write: a client waits at most ETCD_ACK_TIMEOUT_MS, queued or sent. */
  readonly timer: NodeJS.Timeout;
}

/** One cluster's share of a Txn: its ops, and the rv value it expects before and writes after. */
interface Part {
  readonly cluster: string;
  readonly chain: Chain;
  readonly ops: IRequestOp[];
  expect: string | null;
  readonly writes: string;
  /** The cluster's previous part: this one can apply only after it did (dropped once this one settled). */
  previous: Part | undefined;
  /** The cluster's next part (forward links only: settled parts nobody waits for are garbage). */
  next?: Part;
  /** The previous part is of the same batch (a split): sending before it applied would only fail. */
  readonly previousInBatch: boolean;
  readonly applied: Deferred<boolean>;
  /** How it ended: applied (true) or never will (false). */
  outcome?: boolean;
  /** Compares failed with the predecessor applied. */
  mismatches: number;
}

export class EtcdCommitter {
  private current?: Batch;
  /** Batches sent, oldest first. */
  private readonly inflight: Batch[] = [];
  private scheduled = false;
  private readonly chains = new Map<string, Chain>();
  private readonly fenced = new Map<string, Promise<void>>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly kv: KVClient,
    private readonly log: Logger,
    /** Told once when another replica took a cluster over: stop serving it. */
    private readonly onFenced: (cluster: string) => void,
  ) {}

  claim(cluster: string, claim: Claim): void {
    this.chains.set(cluster, { claim, expected: claim.rvValue });
    this.fenced.delete(cluster);
  }

  unclaim(cluster: string): Claim | undefined {
    const chain = this.chains.get(cluster);
    this.chains.delete(cluster);
    return chain?.claim;
  }

  /** Records a put (value) or delete (null) of a key of a claimed cluster, saved with the cluster's version. */
  record(cluster: string, key: string, value: Buffer | null, resourceVersion: number): void {
    if (this.fenced.has(cluster) || !this.chains.has(cluster)) return;
    const batch = (this.current ??= this.newBatch());
    let writes = batch.clusters.get(cluster);
    if (!writes) batch.clusters.set(cluster, (writes = { ops: new Map(), rv: 0, ack: deferred() }));
    writes.ops.set(key, value);
    if (resourceVersion > writes.rv) writes.rv = resourceVersion;
    this.schedule();
  }

  /** Resolves once every write of the cluster recorded so far is in etcd; undefined when none waits. */
  pending(cluster: string): Promise<void> | undefined {
    const fenced = this.fenced.get(cluster);
    if (fenced) return fenced;
    const queued = this.current?.clusters.get(cluster);
    if (queued) return queued.ack.promise;
    for (let i = this.inflight.length - 1; i >= 0; i--) {
      const writes = this.inflight[i]!.clusters.get(cluster);
      if (writes) return writes.ack.promise;
    }
    return undefined;
  }

  /** Resolves when no write of any cluster waits. */
  idle(): Promise<void> {
    if (!this.current && this.inflight.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private newBatch(): Batch {
    const batch: Batch = { clusters: new Map(), timer: setTimeout(() => this.timeOut(batch), ETCD_ACK_TIMEOUT_MS) };
    return batch;
  }

  private schedule(): void {
    if (this.scheduled || this.inflight.length >= MAX_INFLIGHT_BATCHES || !this.current) return;
    this.scheduled = true;
    setImmediate(() => void this.send());
  }

  private async send(): Promise<void> {
    this.scheduled = false;
    const batch = this.current;
    if (!batch || this.inflight.length >= MAX_INFLIGHT_BATCHES) return;
    this.current = undefined;
    this.inflight.push(batch);
    const parts = this.chainParts(batch);
    this.schedule();
    try {
      await Promise.all(this.pack([...parts.values()].flat()).map((txn) => this.commit(txn)));
      for (const [cluster, writes] of batch.clusters) {
        if (writes.ack.settled) continue;
        if (parts.get(cluster)?.every((p) => p.outcome === true)) writes.ack.resolve();
        else writes.ack.reject(this.fenced.has(cluster) ? this.fencedError(cluster) : new StatusError(500, 'InternalError', `etcd refused a write of fake cluster ${cluster}`));
      }
    } finally {
      clearTimeout(batch.timer);
      this.inflight.splice(this.inflight.indexOf(batch), 1);
    }
    this.schedule();
    if (!this.current && this.inflight.length === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /**
   * Each cluster's writes as parts chained to its earlier ones: one part
   * when they fit one Txn, else several, each writing its own rv value
   * (`<rv>-<n>` until the last writes `<rv>`) so the next can compare with it.
   */
  private chainParts(batch: Batch): Map<string, Part[]> {
    const parts = new Map<string, Part[]>();
    for (const [cluster, writes] of batch.clusters) {
      const chain = this.chains.get(cluster);
      if (!chain || this.fenced.has(cluster)) {
        writes.ack.reject(this.fencedError(cluster));
        continue;
      }
      const groups: { ops: IRequestOp[]; bytes: number }[] = [{ ops: [], bytes: 0 }];
      for (const [key, value] of writes.ops) {
        const k = Buffer.from(key);
        const op: IRequestOp = value === null ? { request_delete_range: { key: k } } : { request_put: { key: k, value } };
        const size = k.length + (value?.length ?? 0);
        let group = groups.at(-1)!;
        // Room for the part's own rv put, and for the comparisons of a Txn holding just this part.
        if (group.ops.length + 1 + COMPARES_PER_PART > MAX_TXN_OPS || (group.ops.length > 0 && group.bytes + size > MAX_TXN_BYTES)) groups.push((group = { ops: [], bytes: 0 }));
        group.ops.push(op);
        group.bytes += size;
      }
      parts.set(
        cluster,
        groups.map((group, i) => {
          const last = i === groups.length - 1;
          const value = last ? String(writes.rv) : `${writes.rv}-${i}`;
          group.ops.push({ request_put: { key: Buffer.from(chain.claim.rvKey), value: Buffer.from(value) } });
          const part: Part = { cluster, chain, ops: group.ops, expect: chain.expected, writes: value, previous: chain.tail, previousInBatch: i > 0, applied: deferred<boolean>(), mismatches: 0 };
          chain.expected = value;
          if (chain.tail) chain.tail.next = part;
          chain.tail = part;
          return part;
        }),
      );
    }
    return parts;
  }

  /** Groups parts into Txns within etcd's limits; two parts of one cluster never share a Txn (they write the same rv key). */
  private pack(parts: readonly Part[]): Part[][] {
    const txns: { parts: Part[]; ops: number; bytes: number; clusters: Set<string> }[] = [];
    let txn: (typeof txns)[number] | undefined;
    for (const part of parts) {
      const bytes = part.ops.reduce((n, op) => n + (op.request_put?.value?.length ?? 0) + (op.request_put?.key?.length ?? op.request_delete_range?.key?.length ?? 0), 0);
      // etcd counts the operations and the comparisons of a Txn each against --max-txn-ops.
      const fits = (t: (typeof txns)[number]): boolean =>
        !t.clusters.has(part.cluster) && t.ops + part.ops.length <= MAX_TXN_OPS && (t.parts.length + 1) * COMPARES_PER_PART <= MAX_TXN_OPS && t.bytes + bytes <= MAX_TXN_BYTES;
      if (!txn || !fits(txn)) txns.push((txn = { parts: [], ops: 0, bytes: 0, clusters: new Set() }));
      txn.parts.push(part);
      txn.ops += part.ops.length;
      txn.bytes += bytes;
      txn.clusters.add(part.cluster);
    }
    return txns.map((t) => t.parts);
  }

  /**
   * One Txn, retried while etcd is unreachable. Parts that overtook their
   * cluster's previous Txn wait for it and go again; clusters another
   * replica took over are dropped from it.
   */
  private async commit(parts: Part[]): Promise<void> {
    // A part split off a large batch is sure to fail until its predecessor in the same batch applied.
    await Promise.all(parts.filter((p) => p.previousInBatch).map((p) => p.previous?.applied.promise));
    for (let attempt = 0; parts.length > 0; attempt++) {
      let res: ITxnResponse;
      try {
        res = await this.kv.txn(
          {
            compare: parts.flatMap((p): ICompare[] => [
              { key: Buffer.from(p.chain.claim.ownerKey), target: 'Mod', result: 'Equal', mod_revision: p.chain.claim.revision },
              p.expect === null
                ? { key: Buffer.from(p.chain.claim.rvKey), target: 'Version', result: 'Equal', version: 0 }
                : { key: Buffer.from(p.chain.claim.rvKey), target: 'Value', result: 'Equal', value: Buffer.from(p.expect) },
            ]),
            success: parts.flatMap((p) => p.ops),
            failure: parts.flatMap((p): IRequestOp[] => [{ request_range: { key: Buffer.from(p.chain.claim.ownerKey) } }, { request_range: { key: Buffer.from(p.chain.claim.rvKey) } }]),
          },
          { deadline: Date.now() + ETCD_CALL_TIMEOUT_MS },
        );
      } catch (err) {
        if (isRefusal(err)) {
          this.log.error({ err, clusters: parts.map((p) => p.cluster) }, 'etcd refused a write; the clients that made it get an error');
          for (const p of parts) settle(p, false);
          return;
        }
        const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt);
        if (attempt % RETRY_LOG_EVERY === 0) this.log.warn({ err: (err as Error).message, retryInMs: delay }, 'etcd unreachable; retrying the write');
        await new Promise((r) => setTimeout(r, delay));
        continue;
      }
      if (res.succeeded) {
        for (const p of parts) settle(p, true);
        return;
      }
      parts = await this.afterFailedCompare(parts, res);
    }
  }

  /** Sorts the parts of a Txn whose compare failed: fenced clusters go, overtaking parts wait for their predecessor. */
  private async afterFailedCompare(parts: readonly Part[], res: ITxnResponse): Promise<Part[]> {
    const retry: Part[] = [];
    for (const [i, p] of parts.entries()) {
      const owner = res.responses[COMPARES_PER_PART * i]?.response_range?.kvs[0];
      const rv = res.responses[COMPARES_PER_PART * i + 1]?.response_range?.kvs[0];
      const observed = rv ? rv.value.toString() : null;
      if (owner?.mod_revision !== p.chain.claim.revision) {
        this.fence(p.cluster);
        settle(p, false);
        continue;
      }
      if (observed !== null && writtenSince(p, observed)) {
        settle(p, true); // an earlier attempt applied (its answer was lost on the way back), and maybe later parts too
        continue;
      }
      if (observed === p.expect) {
        retry.push(p); // another part of this Txn failed its compare; this one goes again as it is
        continue;
      }
      const previous = p.previous;
      if (previous && previous.outcome === undefined && (await previous.applied.promise)) {
        retry.push(p); // we overtook it; it has applied now
        continue;
      }
      if (previous?.outcome === false) {
        // The predecessor will never apply (etcd refused it): go on from what etcd holds.
        p.expect = observed;
        retry.push(p);
        continue;
      }
      // The predecessor applied (or there is none) and etcd still holds something else: once, that is the
      // predecessor's answer overtaking ours on the way back; twice, someone else writes this cluster.
      if (++p.mismatches <= 1) {
        retry.push(p);
        continue;
      }
      this.fence(p.cluster);
      settle(p, false);
    }
    return retry;
  }

  private fence(cluster: string): void {
    if (this.fenced.has(cluster)) return;
    const err = this.fencedError(cluster);
    const rejected = Promise.reject(err);
    rejected.catch(() => undefined);
    this.fenced.set(cluster, rejected);
    this.chains.delete(cluster);
    for (const batch of this.inflight) batch.clusters.get(cluster)?.ack.reject(err);
    this.current?.clusters.get(cluster)?.ack.reject(err);
    this.current?.clusters.delete(cluster);
    this.log.warn({ cluster }, 'another replica took this fake cluster over; its writes here are refused');
    this.onFenced(cluster);
  }

  private fencedError(cluster: string): StatusError {
    return new StatusError(503, 'ServiceUnavailable', `fake cluster ${cluster} is now served by another replica; reconnect to its endpoint`);
  }

  private timeOut(batch: Batch): void {
    const err = new StatusError(504, 'Timeout', `etcd did not acknowledge the write within ${ETCD_ACK_TIMEOUT_MS / 1000}s; it is retried in the background`);
    for (const writes of batch.clusters.values()) if (!writes.ack.settled) writes.ack.reject(err);
  }
}
