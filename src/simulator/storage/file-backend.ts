import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { jsonOf, type ObjectStore, type StoreContents, type StoreEvent } from '../store/object-store.js';
import { objectKey, type KubeObject } from '../store/object.js';
import { unhook, type StorageBackend } from './backend.js';

/**
 * `--store file:<dir>`: a write-ahead log with group commit, plus a
 * snapshot that compacts it.
 *
 * Every store event becomes one JSON line. Lines written in one event-loop
 * turn go to disk with one write and one fdatasync (group commit); the
 * writes of that turn are acknowledged to their clients when it returns.
 * When the log passes WAL_COMPACT_BYTES, a snapshot of every cluster is
 * written beside it (temporary file, fsync, rename) and older logs go.
 * Replay is idempotent (a put stores the object with its version, a delete
 * removes a key), so a log that overlaps a snapshot restores the same state.
 *
 * Why not an embedded database: the stores already hold every object in
 * memory and only need an ordered, durable log of changes; the npm
 * databases that fit (LevelDB, SQLite bindings) need native builds, and
 * measured here this log keeps PATCH throughput within the target (README).
 */

/** The log is compacted into a snapshot once it grows past this. */
export const WAL_COMPACT_BYTES = 64 * 1024 * 1024;
const SNAPSHOT_FILE = 'snapshot.jsonl';
const SNAPSHOT_FORMAT = 1;
const WAL_PATTERN = /^wal-(\d+)\.jsonl$/;
/** Flushes whose write and fdatasync may overlap: one syncing while the next batch is written. */
const MAX_INFLIGHT_FLUSHES = 2;
/** Snapshot lines are written in chunks of about this size (no single giant string). */
const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;

type LogRecord =
  | { readonly c: string; readonly rv: number; readonly k: string; readonly p: KubeObject }
  | { readonly c: string; readonly rv: number; readonly k: string; readonly d: string; readonly h?: 1 }
  | { readonly c: string; readonly forget: true };

/** `h`: the key of a lent shared object the cluster deleted (a tombstone). */
type SnapshotLine =
  | { readonly format: number; readonly wal: number }
  | { readonly c: string; readonly rv: number }
  | { readonly c: string; readonly k: string; readonly o: KubeObject }
  | { readonly c: string; readonly k: string; readonly h: string };

interface MutableContents {
  resourceVersion: number;
  readonly collections: Map<string, Map<string, KubeObject>>;
  /** Keys of lent shared objects deleted, by collection. */
  readonly deletedShared: Map<string, Set<string>>;
}

interface Batch {
  readonly lines: string[];
  readonly done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failed batch rejects the writes waiting on it; nobody else must see an unhandled rejection.
  done.catch(() => undefined);
  return { lines: [], done, resolve, reject };
}

const walName = (seq: number): string => `wal-${String(seq).padStart(8, '0')}.jsonl`;

export class FileBackend implements StorageBackend {
  readonly description: string;
  private readonly restored = new Map<string, MutableContents>();
  private readonly attached = new Map<string, ObjectStore>();
  private wal?: FileHandle;
  private walSeq = 0;
  private walBytes = 0;
  private current?: Batch;
  /** Batches written or syncing, oldest first. */
  private readonly inflight: Batch[] = [];
  private scheduled = false;
  private compacting = false;
  private compaction?: Promise<void>;
  private failure?: Error;

  private readonly compactBytes: number;

  constructor(
    private readonly dir: string,
    opts: { readonly compactBytes?: number } = {},
  ) {
    this.description = `file:${dir}`;
    this.compactBytes = opts.compactBytes ?? WAL_COMPACT_BYTES;
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const fromWal = await this.readSnapshot();
    const logs = (await readdir(this.dir))
      .map((f) => WAL_PATTERN.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    for (const seq of logs) if (seq >= fromWal) await this.replayLog(join(this.dir, walName(seq)));
    // A new segment: the last one may end in a torn line from a crash.
    this.walSeq = (logs.at(-1) ?? fromWal) + 1;
    this.wal = await open(join(this.dir, walName(this.walSeq)), 'w');
    await this.syncDir();
    // Collapse what was replayed into one snapshot, so the next start reads one file plus what follows.
    if (logs.length > 0) await this.compact();
  }

  async load(cluster: string): Promise<StoreContents | undefined> {
    return this.saved(cluster);
  }

  private saved(cluster: string): StoreContents | undefined {
    const c = this.restored.get(cluster);
    if (!c) return undefined;
    const collections = new Map<string, KubeObject[]>();
    for (const [name, objects] of c.collections) collections.set(name, [...objects.values()]);
    const deletedShared = new Map<string, string[]>();
    for (const [name, keys] of c.deletedShared) deletedShared.set(name, [...keys]);
    return { resourceVersion: c.resourceVersion, collections, deletedShared };
  }

  attach(cluster: string, store: ObjectStore): void {
    this.restored.delete(cluster);
    this.attached.set(cluster, store);
    store.journal = (event) => this.append(cluster, store, event);
    store.durability = () => this.pending();
  }

  /** The contents stay in memory for the next `load`; the writes are durable once the log is. */
  async release(cluster: string): Promise<void> {
    this.detach(cluster);
    await this.pending();
  }

  private detach(cluster: string): void {
    const store = unhook(this.attached, cluster);
    if (store) this.restored.set(cluster, toMutable(store.contents()));
  }

  async forget(cluster: string): Promise<void> {
    this.detach(cluster);
    this.restored.delete(cluster);
    this.enqueue(JSON.stringify({ c: cluster, forget: true } satisfies LogRecord));
    await this.pending();
  }

  async close(): Promise<void> {
    while ((this.current || this.inflight.length || this.compacting) && !this.failure) {
      await this.compaction;
      await this.pending()?.catch(() => undefined);
    }
    await this.wal?.close();
    this.wal = undefined;
  }

  /** Resolves when every line logged so far is on disk; undefined when nothing waits. */
  private pending(): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    return (this.current ?? this.inflight.at(-1))?.done;
  }

  private append(cluster: string, store: ObjectStore, e: StoreEvent): void {
    const { metadata } = e.object;
    const head = `{"c":${JSON.stringify(cluster)},"rv":${e.resourceVersion},"k":${JSON.stringify(e.collection)}`;
    if (e.type !== 'DELETED') {
      // The object's JSON is shared with watchers (serialized once per version); the record is spliced around it.
      this.enqueue(`${head},"p":${jsonOf(e.object)}}`);
      return;
    }
    const key = objectKey(metadata.namespace, metadata.name ?? '');
    this.enqueue(`${head},"d":${JSON.stringify(key)}${store.hidesShared(e.collection, key) ? ',"h":1' : ''}}`);
  }

  private enqueue(line: string): void {
    (this.current ??= newBatch()).lines.push(line);
    this.schedule();
  }

  /** Flushes the current batch on the next turn, unless enough flushes are already on their way. */
  private schedule(): void {
    if (this.scheduled || !this.current || this.compacting || this.inflight.length >= MAX_INFLIGHT_FLUSHES) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  /**
   * One positional write and one fdatasync for everything logged since the
   * last flush. Two flushes may overlap (the CPU serves the next batch while
   * the disk syncs this one), but batches are acknowledged in log order: a
   * batch resolves only after every earlier one did, so a gap left by a
   * crash has nothing acknowledged after it.
   */
  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.current;
    const wal = this.wal;
    if (!batch || !wal) return;
    this.current = undefined;
    const earlier = this.inflight.at(-1)?.done;
    this.inflight.push(batch);
    const bytes = Buffer.from(batch.lines.join('\n') + '\n');
    const position = this.walBytes;
    this.walBytes += bytes.length;
    this.schedule();
    try {
      await wal.write(bytes, 0, bytes.length, position);
      await wal.datasync();
      if (earlier) await earlier;
      batch.resolve();
    } catch (err) {
      this.failure ??= new Error(`the file store in ${this.dir} cannot write (${(err as Error).message}); writes are refused until the operator restarts with a writable volume`);
      batch.reject(this.failure);
    } finally {
      this.inflight.splice(this.inflight.indexOf(batch), 1);
    }
    if (this.walBytes > this.compactBytes && !this.compacting && !this.failure) await (this.compaction = this.compactBetweenFlushes());
    this.schedule();
  }

  /** Compaction needs the log quiet: new writes wait in the next batch meanwhile. */
  private async compactBetweenFlushes(): Promise<void> {
    this.compacting = true;
    try {
      while (this.inflight.length) await this.inflight.at(-1)!.done.catch(() => undefined);
      await this.compact();
    } catch (err) {
      this.failure ??= new Error(`the file store in ${this.dir} cannot compact its log (${(err as Error).message}); writes are refused until the operator restarts with a writable volume`);
    } finally {
      this.compacting = false;
    }
  }

  /**
   * Starts a new log segment and writes a snapshot of everything up to it.
   * Runs between flushes: new writes wait in the next batch meanwhile.
   */
  private async compact(): Promise<void> {
    const contents = new Map<string, StoreContents>();
    for (const [name, store] of this.attached) contents.set(name, store.contents());
    for (const name of this.restored.keys()) contents.set(name, this.saved(name)!);
    const oldSeq = this.walSeq;
    const next = await open(join(this.dir, walName(oldSeq + 1)), 'w');
    await this.wal?.close();
    this.wal = next;
    this.walSeq = oldSeq + 1;
    this.walBytes = 0;
    await this.writeSnapshot(contents, this.walSeq);
    for (const f of await readdir(this.dir)) {
      const m = WAL_PATTERN.exec(f);
      if (m && Number(m[1]) < this.walSeq) await rm(join(this.dir, f), { force: true });
    }
  }

  private async writeSnapshot(contents: ReadonlyMap<string, StoreContents>, walSeq: number): Promise<void> {
    const tmp = join(this.dir, `${SNAPSHOT_FILE}.tmp`);
    const fh = await open(tmp, 'w');
    try {
      let chunk = JSON.stringify({ format: SNAPSHOT_FORMAT, wal: walSeq } satisfies SnapshotLine) + '\n';
      for (const [c, { resourceVersion, collections, deletedShared }] of contents) {
        chunk += JSON.stringify({ c, rv: resourceVersion } satisfies SnapshotLine) + '\n';
        for (const [k, keys] of deletedShared ?? []) for (const h of keys) chunk += JSON.stringify({ c, k, h } satisfies SnapshotLine) + '\n';
        for (const [k, objects] of collections) {
          for (const o of objects) {
            chunk += JSON.stringify({ c, k, o } satisfies SnapshotLine) + '\n';
            if (chunk.length >= SNAPSHOT_CHUNK_BYTES) {
              await fh.write(chunk);
              chunk = '';
            }
          }
        }
      }
      await fh.write(chunk);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.dir, SNAPSHOT_FILE));
    await this.syncDir();
  }

  /** Loads the snapshot; returns the first log segment to replay on top of it. */
  private async readSnapshot(): Promise<number> {
    const text = await readFile(join(this.dir, SNAPSHOT_FILE), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (text === undefined) return 0;
    let fromWal = 0;
    for (const line of text.split('\n')) {
      if (!line) continue;
      const rec = JSON.parse(line) as SnapshotLine;
      if ('format' in rec) {
        if (rec.format !== SNAPSHOT_FORMAT) throw new Error(`${join(this.dir, SNAPSHOT_FILE)} has format ${rec.format}; this operator reads format ${SNAPSHOT_FORMAT}`);
        fromWal = rec.wal;
      } else if ('o' in rec) this.collectionOf(rec.c, rec.k).set(objectKey(rec.o.metadata.namespace, rec.o.metadata.name ?? ''), rec.o);
      else if ('h' in rec) this.deletedSharedOf(rec.c, rec.k).add(rec.h);
      else this.contentsOf(rec.c).resourceVersion = Math.max(this.contentsOf(rec.c).resourceVersion, rec.rv);
    }
    return fromWal;
  }

  private async replayLog(path: string): Promise<void> {
    const lines = (await readFile(path, 'utf8')).split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (!line) continue;
      let rec: LogRecord;
      try {
        rec = JSON.parse(line) as LogRecord;
      } catch {
        // A torn or unwritten batch (a crash mid-flush). Batches are acknowledged in log order,
        // so nothing from here on was acknowledged to a client: the log ends here.
        return;
      }
      if ('forget' in rec) {
        this.restored.delete(rec.c);
        continue;
      }
      const c = this.contentsOf(rec.c);
      c.resourceVersion = Math.max(c.resourceVersion, rec.rv);
      if ('p' in rec) this.collectionOf(rec.c, rec.k).set(objectKey(rec.p.metadata.namespace, rec.p.metadata.name ?? ''), rec.p);
      else {
        c.collections.get(rec.k)?.delete(rec.d);
        if (rec.h) this.deletedSharedOf(rec.c, rec.k).add(rec.d);
      }
    }
  }

  private contentsOf(cluster: string): MutableContents {
    let c = this.restored.get(cluster);
    if (!c) this.restored.set(cluster, (c = { resourceVersion: 0, collections: new Map(), deletedShared: new Map() }));
    return c;
  }

  private deletedSharedOf(cluster: string, collection: string): Set<string> {
    const c = this.contentsOf(cluster);
    let keys = c.deletedShared.get(collection);
    if (!keys) c.deletedShared.set(collection, (keys = new Set()));
    return keys;
  }

  private collectionOf(cluster: string, collection: string): Map<string, KubeObject> {
    const c = this.contentsOf(cluster);
    let coll = c.collections.get(collection);
    if (!coll) c.collections.set(collection, (coll = new Map()));
    return coll;
  }

  /** A rename or a new file is durable only once its directory is synced. */
  private async syncDir(): Promise<void> {
    const fh = await open(this.dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}

function toMutable(contents: StoreContents): MutableContents {
  const collections = new Map<string, Map<string, KubeObject>>();
  for (const [name, objects] of contents.collections) {
    collections.set(name, new Map(objects.map((o) => [objectKey(o.metadata.namespace, o.metadata.name ?? ''), o])));
  }
  const deletedShared = new Map<string, Set<string>>();
  for (const [name, keys] of contents.deletedShared ?? []) deletedShared.set(name, new Set(keys));
  return { resourceVersion: contents.resourceVersion, collections, deletedShared };
}
