import { hostname } from 'node:os';
import { Etcd3, type IOptions, type IRangeResponse } from 'etcd3';
import { componentLogger, type Logger } from '../../telemetry/logger.js';
import { jsonOf, type ObjectStore, type StoreContents, type StoreEvent } from '../store/object-store.js';
import { objectKey, type KubeObject } from '../store/object.js';
import { unhook, type StorageBackend } from './backend.js';
import { ETCD_ACK_TIMEOUT_MS, ETCD_CALL_TIMEOUT_MS, EtcdCommitter } from './etcd-commit.js';
import { DEFAULT_ETCD_PREFIX, EtcdLayout, prefixEnd } from './etcd-layout.js';

/**
 * `--store etcd:<url>[,<url>…]`: every fake cluster's objects in a real etcd
 * v3 cluster (layout in etcd-layout.ts), so any replica can take over any
 * cluster with its contents.
 *
 * - `load` claims the cluster (rewrites its owner key; that revision fences
 *   the previous owner's later writes, etcd-commit.ts) and only then reads
 *   the cluster's prefix: everything the previous owner got acknowledged
 *   is in what it reads.
 * - Writes go through group commit (etcd-commit.ts); a client's write is
 *   acknowledged once etcd acknowledged the Txn holding it.
 * - `release` waits for the cluster's writes, then gives its owner key up
 *   (when still ours), so the next owner takes over a quiet cluster.
 *
 * Why the `etcd3` package: it speaks etcd's v3 gRPC API with TLS client
 * certificates, spreads calls over several endpoints and retries on
 * another when one is down; raw KV Txns (kv.txn) give the compares and
 * batching this needs, so nothing lower-level is required.
 */

export interface EtcdStoreOptions {
  /** Client URLs (`http://` or `https://`). */
  readonly endpoints: readonly string[];
  /** PEM contents (already read from --etcd-cafile/--etcd-certfile/--etcd-keyfile). */
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
  /** Key prefix of every cluster; DEFAULT_ETCD_PREFIX unless several installations share one etcd. */
  readonly prefix?: string;
  /** Written into owner keys: who serves a cluster (the replica id, default host name and pid). */
  readonly owner?: string;
  /** Told when another replica took a cluster over: this process must stop serving it. */
  readonly onFenced?: (cluster: string) => void;
  /** How often etcd's history is compacted (ETCD_COMPACTION_INTERVAL_MS; specs shorten it). */
  readonly compactionIntervalMs?: number;
  readonly logger?: Logger;
}

/**
 * etcd keeps every revision until it is compacted, and refuses all writes
 * once its database passes its quota (2 GiB by default): node heartbeats
 * alone would get there. As kube-apiserver does (its
 * --etcd-compaction-interval), the store compacts every 5 minutes to the
 * revision it saw at the previous tick. Nothing of ours reads history, so
 * this costs no reader anything; defragmenting stays the etcd operator's job.
 */
export const ETCD_COMPACTION_INTERVAL_MS = 5 * 60_000;

/** How long `open` waits for etcd before telling the user what to check. */
export const ETCD_OPEN_TIMEOUT_MS = 5_000;
/** Keys per range call when loading a cluster (objects of a few KiB each: well under gRPC's message limit). */
const LOAD_PAGE_KEYS = 500;
/** Responses of a load page can be large; gRPC's 4 MiB default would refuse big objects. */
const MAX_RECEIVE_BYTES = 64 * 1024 * 1024;
/** The value of an object key that marks a deleted lent (shared) object. */
const TOMBSTONE = Buffer.alloc(0);

export class EtcdBackend implements StorageBackend {
  readonly description: string;
  private readonly client: Etcd3;
  private readonly layout: EtcdLayout;
  private readonly committer: EtcdCommitter;
  private readonly attached = new Map<string, ObjectStore>();
  private readonly owner: string;
  private readonly log: Logger;
  private compactionTimer?: NodeJS.Timeout;
  /** The revision seen at the last compaction tick: the next tick compacts up to it. */
  private compactTo?: string;
  private compacted?: string;

  constructor(private readonly opts: EtcdStoreOptions) {
    if (opts.endpoints.length === 0) throw new Error('--store etcd: needs at least one endpoint, e.g. etcd:https://etcd-0:2379,https://etcd-1:2379');
    this.description = `etcd:${opts.endpoints.join(',')}`;
    this.layout = new EtcdLayout(opts.prefix ?? DEFAULT_ETCD_PREFIX);
    this.owner = opts.owner ?? `${hostname()}/${process.pid}`;
    this.log = opts.logger ?? componentLogger('etcd-store');
    const options: IOptions = {
      hosts: [...opts.endpoints],
      dialTimeout: ETCD_OPEN_TIMEOUT_MS,
      grpcOptions: { 'grpc.max_receive_message_length': MAX_RECEIVE_BYTES },
      ...(opts.tls?.ca || opts.tls?.cert
        ? // Without a CA file, gRPC verifies etcd's certificate against the system's roots.
          { credentials: { rootCertificate: opts.tls.ca as Buffer, ...(opts.tls.key ? { privateKey: opts.tls.key } : {}), ...(opts.tls.cert ? { certChain: opts.tls.cert } : {}) } }
        : {}),
    };
    this.client = new Etcd3(options);
    this.committer = new EtcdCommitter(this.client.kv, this.log, (cluster) => {
      this.detach(cluster);
      opts.onFenced?.(cluster);
    });
  }

  /** Checks that etcd answers (and accepts our certificates) before any cluster is served. */
  async open(): Promise<void> {
    try {
      const probe = await this.client.kv.range(
        { key: Buffer.from(this.layout.prefix), range_end: prefixEnd(this.layout.prefix), limit: 1, keys_only: true },
        { deadline: Date.now() + ETCD_OPEN_TIMEOUT_MS },
      );
      this.compactTo = probe.header.revision;
      // One timer for the process, not per cluster; it does not keep the process alive.
      this.compactionTimer = setInterval(() => void this.compact(), this.opts.compactionIntervalMs ?? ETCD_COMPACTION_INTERVAL_MS).unref();
    } catch (err) {
      this.client.close();
      const tls = this.opts.endpoints.some((e) => e.startsWith('https://'));
      throw new Error(
        `cannot reach etcd at ${this.opts.endpoints.join(',')} (${(err as Error).message}): check that etcd runs there and the URLs in --store etcd:<url>,…` +
          (tls ? ', and that --etcd-cafile signs its serving certificate and --etcd-certfile/--etcd-keyfile are a client certificate it trusts' : ' (an etcd serving TLS needs https:// URLs, with --etcd-cafile and a client certificate)'),
        { cause: err },
      );
    }
  }

  async load(cluster: string): Promise<StoreContents | undefined> {
    const prefix = this.layout.cluster(cluster);
    const ownerKey = this.layout.owner(cluster);
    const claimed = await this.client.kv.put(
      { key: Buffer.from(ownerKey), value: Buffer.from(JSON.stringify({ owner: this.owner, since: new Date().toISOString() })) },
      { deadline: Date.now() + ETCD_CALL_TIMEOUT_MS },
    );
    const { contents, rvValue } = await this.read(cluster, prefix, claimed.header.revision);
    this.committer.claim(cluster, { ownerKey, rvKey: this.layout.rv(cluster), revision: claimed.header.revision, rvValue });
    return contents;
  }

  attach(cluster: string, store: ObjectStore): void {
    const prefix = this.layout.cluster(cluster);
    this.attached.set(cluster, store);
    store.journal = (event) => this.record(cluster, prefix, store, event);
    store.durability = () => this.committer.pending(cluster);
  }

  async release(cluster: string): Promise<void> {
    this.detach(cluster);
    await this.committer.pending(cluster)?.catch(() => undefined);
    const claim = this.committer.unclaim(cluster);
    if (!claim) return;
    // Only our own claim is given up: a replica that took the cluster over keeps its.
    await this.client
      .if(claim.ownerKey, 'Mod', '==', claim.revision)
      .then(this.client.delete().key(claim.ownerKey))
      .commit()
      .catch((err: unknown) => this.log.warn({ err, cluster }, 'could not give up the owner key of a released fake cluster; the next owner overwrites it'));
  }

  async forget(cluster: string): Promise<void> {
    this.detach(cluster);
    this.committer.unclaim(cluster);
    const prefix = this.layout.cluster(cluster);
    await this.client.kv.deleteRange({ key: Buffer.from(prefix), range_end: prefixEnd(prefix) }, { deadline: Date.now() + ETCD_CALL_TIMEOUT_MS });
  }

  /** Waits for the writes in flight, but not beyond the time their clients were promised an answer in. */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), ETCD_ACK_TIMEOUT_MS)));
    if (await Promise.race([this.committer.idle().then(() => false), gaveUp])) this.log.error('etcd did not take the last writes before the store closed; their clients were answered 504');
    clearTimeout(timer);
    clearInterval(this.compactionTimer);
    this.client.close();
  }

  /** Compacts up to the revision of the previous tick, and notes the current one for the next. */
  private async compact(): Promise<void> {
    try {
      const now = await this.client.kv.range({ key: Buffer.from(this.layout.prefix), limit: 1, keys_only: true }, { deadline: Date.now() + ETCD_CALL_TIMEOUT_MS });
      const target = this.compactTo;
      this.compactTo = now.header.revision;
      if (target === undefined || target === this.compacted) return;
      await this.client.kv.compact({ revision: target }, { deadline: Date.now() + ETCD_CALL_TIMEOUT_MS });
      this.compacted = target;
    } catch (err) {
      // Another replica (or a kube-apiserver on the same etcd) may have compacted further already.
      if (!/compacted/.test((err as Error).message)) this.log.warn({ err: (err as Error).message }, 'could not compact etcd history; retrying at the next interval');
    }
  }

  private detach(cluster: string): void {
    unhook(this.attached, cluster);
  }

  private record(cluster: string, prefix: string, store: ObjectStore, e: StoreEvent): void {
    const { metadata } = e.object;
    const key = objectKey(metadata.namespace, metadata.name ?? '');
    const etcdKey = this.layout.object(prefix, e.collection, key);
    if (e.type !== 'DELETED') this.committer.record(cluster, etcdKey, () => Buffer.from(jsonOf(e.object)), e.resourceVersion);
    else this.committer.record(cluster, etcdKey, store.hidesShared(e.collection, key) ? TOMBSTONE : null, e.resourceVersion);
  }

  /** A cluster's prefix, page by page at one revision (a consistent picture), as StoreContents. */
  private async read(cluster: string, prefix: string, atLeast: string): Promise<{ contents: StoreContents | undefined; rvValue: string | null }> {
    const collections = new Map<string, KubeObject[]>();
    const deletedShared = new Map<string, string[]>();
    let resourceVersion = 0;
    let rvValue: string | null = null;
    let found = false;
    let from = Buffer.from(prefix);
    const end = prefixEnd(prefix);
    let revision: string | undefined;
    for (;;) {
      const page: IRangeResponse = await this.client.kv.range({ key: from, range_end: end, limit: LOAD_PAGE_KEYS, ...(revision ? { revision } : {}) }, { deadline: Date.now() + ETCD_CALL_TIMEOUT_MS });
      revision ??= page.header.revision;
      if (BigInt(revision) < BigInt(atLeast)) throw new Error(`etcd answered the load of ${cluster} from revision ${revision}, before our claim at ${atLeast}`);
      for (const kv of page.kvs) {
        const what = this.layout.parse(prefix, kv.key.toString());
        if (!what || what.type === 'owner') continue;
        found = true;
        if (what.type === 'rv') {
          // `<rv>` or, written by part of a split batch, `<rv>-<n>`: the version is the number in front.
          rvValue = kv.value.toString();
          resourceVersion = Math.max(resourceVersion, parseInt(rvValue, 10) || 0);
        }
        else if (kv.value.length === 0) push(deletedShared, what.collection, what.key);
        else {
          const object = JSON.parse(kv.value.toString()) as KubeObject;
          push(collections, what.collection, object);
          resourceVersion = Math.max(resourceVersion, Number(object.metadata.resourceVersion));
        }
      }
      const last = page.kvs.at(-1);
      if (!page.more || !last) break;
      from = Buffer.concat([last.key, Buffer.from([0])]);
    }
    return { contents: found ? { resourceVersion, collections, deletedShared } : undefined, rvValue };
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
