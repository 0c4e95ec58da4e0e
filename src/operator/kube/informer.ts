import type { Logger } from '../../telemetry/logger.js';
import { KubeApiError, resourceUrl, type KubeClient, type ResourcePath, type WatchHandle } from './client.js';

/**
 * List-then-watch cache of one kind, the client-go way: every (re)list is
 * diffed against the cache, so objects deleted while no watch was open are
 * reported as deleted; a watch resumes from the last resourceVersion seen;
 * 410 Gone means relist; any other error means back off and try again. It
 * never exits the process (unlike @dot-i/k8s-operator's watch, which calls
 * process.exit on any watch error).
 */

export type InformerEvent = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface KubeObjectLike {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
}

export interface InformerOptions {
  readonly resource: Omit<ResourcePath, 'name' | 'subresource'>;
  readonly labelSelector?: string;
  /** The owner's handler (a controller's queue); more listeners can come and go with subscribe(). */
  readonly onEvent?: (type: InformerEvent, object: KubeObjectLike, previous?: KubeObjectLike) => void;
  readonly log: Logger;
}

/** Called after the cache holds the new state, so a listener may read get() and see the object of the event. */
export type InformerListener<T> = (type: InformerEvent, object: T, previous?: T) => void;

const LIST_PAGE_SIZE = 500;
/** Backoff after a failed list or watch, doubling up to the max. */
const RETRY_BASE_MS = 250;
const RETRY_MAX_MS = 30_000;
/** Ask the server to end each watch after this long so connections get refreshed. */
const WATCH_TIMEOUT_SECONDS = 300;

/**
 * What the cache keeps of an object: everything but managedFields, which no
 * reconciler reads and which are often the largest part of an object (one
 * entry per writer). At thousands of cached objects that is real memory.
 */
function slim<T extends KubeObjectLike>(obj: T): T {
  const meta = obj.metadata as { managedFields?: unknown } | undefined;
  if (meta?.managedFields !== undefined) delete meta.managedFields;
  return obj;
}

export const keyOf = (o: { metadata: { name: string; namespace?: string } }): string =>
  o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;

export class Informer<T extends KubeObjectLike = KubeObjectLike> {
  private readonly cache = new Map<string, T>();
  private readonly listeners = new Set<InformerListener<T>>();
  private resourceVersion = '';
  private watchHandle?: WatchHandle;
  private retryTimer?: NodeJS.Timeout;
  private failures = 0;
  private stopped = false;
  private syncedResolve?: () => void;
  /** Resolves after the first successful list. */
  readonly synced: Promise<void>;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: InformerOptions,
  ) {
    this.synced = new Promise((resolve) => (this.syncedResolve = resolve));
  }

  start(): void {
    void this.relist();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.watchHandle?.abort();
  }

  /**
   * Adds a listener for every later event (the cache already holds what came
   * before: read it with get/list). Returns the function that removes it.
   */
  subscribe(listener: InformerListener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  keys(): string[] {
    return [...this.cache.keys()];
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    try {
      const seen = new Map<string, T>();
      let cont: string | undefined;
      let rv = '';
      do {
        const query: Record<string, string> = { limit: String(LIST_PAGE_SIZE) };
        if (cont) query.continue = cont;
        if (this.opts.labelSelector) query.labelSelector = this.opts.labelSelector;
        const page = await this.client.list<T>(this.opts.resource, query);
        for (const item of page.items) seen.set(keyOf(item), slim(item));
        cont = page.metadata.continue || undefined;
        rv = page.metadata.resourceVersion;
      } while (cont);
      if (this.stopped) return;
      for (const [key, old] of this.cache) {
        if (!seen.has(key)) {
          this.cache.delete(key);
          this.emit('DELETED', old, old);
        }
      }
      for (const [key, obj] of seen) {
        const old = this.cache.get(key);
        this.cache.set(key, obj);
        if (!old) this.emit('ADDED', obj);
        else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit('MODIFIED', obj, old);
      }
      this.resourceVersion = rv;
      this.failures = 0;
      this.syncedResolve?.();
      this.startWatch();
    } catch (err) {
      this.retry(err, 'list');
    }
  }

  private startWatch(): void {
    if (this.stopped) return;
    const query: Record<string, string> = {
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(WATCH_TIMEOUT_SECONDS),
    };
    if (this.opts.labelSelector) query.labelSelector = this.opts.labelSelector;
    let expired = false;
    this.watchHandle = this.client.watch(
      resourceUrl(this.opts.resource),
      query,
      (type, object) => {
        const obj = slim(object as unknown as T);
        if (type === 'BOOKMARK') {
          this.resourceVersion = obj.metadata.resourceVersion ?? this.resourceVersion;
          return;
        }
        if (type === 'ERROR') {
          const code = (object as { code?: number }).code;
          if (code === 410) expired = true;
          return;
        }
        this.resourceVersion = obj.metadata.resourceVersion ?? this.resourceVersion;
        const key = keyOf(obj);
        const old = this.cache.get(key);
        if (type === 'DELETED') {
          this.cache.delete(key);
          this.emit('DELETED', obj, old);
        } else {
          this.cache.set(key, obj);
          this.emit(old ? 'MODIFIED' : 'ADDED', obj, old);
        }
      },
      (err) => {
        if (this.stopped) return;
        if (expired || (err instanceof KubeApiError && err.code === 410)) {
          this.opts.log.debug({ resource: this.opts.resource.plural }, 'watch expired; relisting');
          void this.relist();
        } else if (err) {
          this.retry(err, 'watch');
        } else {
          // The server ended the watch (timeout): resume where we were.
          this.startWatch();
        }
      },
    );
  }

  private emit(type: InformerEvent, object: T, previous?: T): void {
    this.opts.onEvent?.(type, object, previous);
    for (const listener of this.listeners) {
      try {
        listener(type, object, previous);
      } catch (err) {
        // One listener's bug must not stop the cache or the other listeners.
        this.opts.log.error({ err, resource: this.opts.resource.plural, key: keyOf(object) }, 'informer listener failed');
      }
    }
  }

  private retry(err: unknown, what: string): void {
    if (this.stopped) return;
    this.failures++;
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(this.failures - 1, 16));
    this.opts.log.warn({ err: (err as Error).message, resource: this.opts.resource.plural, retryInMs: delay }, `${what} failed; retrying`);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.relist(), delay);
  }
}
