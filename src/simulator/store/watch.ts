import type { KindInfo } from '../kinds/kind.js';
import { apiVersionOf } from '../kinds/kind.js';
import { jsonOf, type ObjectStore, type StoreEvent } from './object-store.js';
import type { KubeObject } from './object.js';
import { tooOldResourceVersionMessage } from './resource-version.js';

/**
 * One watch stream: initial events, replay from history, live events
 * filtered by namespace and selectors, bookmarks and timeouts. Timers are
 * not per watch: one shared ticker serves every watch of every cluster.
 */

export interface WatchRequest {
  readonly kind: KindInfo;
  readonly collection: string;
  readonly namespace?: string;
  readonly matches: (object: KubeObject) => boolean;
  /** As sent by the client: undefined, '0' or a decimal integer (the HTTP layer rejects anything else). */
  readonly resourceVersion?: string;
  readonly sendInitialEvents?: boolean;
  readonly allowBookmarks: boolean;
  readonly timeoutMs: number;
  /** Serializes an event's object; defaults to the object's own JSON (cached across watchers). */
  readonly render?: (object: KubeObject) => string;
  /** Frames a whole event in another encoding (protobuf); replaces the JSON lines. */
  readonly frame?: (type: string, object: Record<string, unknown>) => Buffer;
}

/** Where watch lines go (an HTTP response, in practice). */
export interface WatchSink {
  /** Writes one serialized event; returns false when the client is too far behind to keep up. */
  write(line: string | Buffer): boolean;
  end(): void;
}

/** Annotation on the bookmark that ends the initial events of a WatchList request. */
export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';
/** kube-apiserver sends a bookmark about once a minute; clients use it to advance their resourceVersion. */
export const BOOKMARK_INTERVAL_MS = 60_000;
const TICK_MS = 1000;


function line(type: string, objectJsonText: string): string {
  return `{"type":"${type}","object":${objectJsonText}}\n`;
}

export class Watch {
  private unsubscribe?: () => void;
  private lastBookmark = Date.now();
  private readonly deadline: number;
  private closed = false;
  /** Events at or below this version were already sent or are not wanted (a watch from the future). */
  private sentUpTo = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly req: WatchRequest,
    private readonly sink: WatchSink,
  ) {
    this.deadline = Date.now() + req.timeoutMs;
  }

  /** Sends what the client asked to catch up on, then follows live events. */
  start(): void {
    const { req, store } = this;
    const rv = req.resourceVersion;
    const fromState = rv === undefined || rv === '' || rv === '0' || req.sendInitialEvents === true;
    // Subscribe first: everything below runs synchronously, so no event can fall between.
    this.unsubscribe = store.subscribe(req.collection, (e) => this.onEvent(e));
    if (fromState) {
      if (req.sendInitialEvents !== false) {
        for (const entry of store.list(req.collection, req.namespace)) {
          const object = entry.object;
          if (!req.matches(object)) continue;
          this.send(req.frame ? req.frame('ADDED', object) : line('ADDED', req.render ? req.render(object) : entry.json()));
        }
      }
      if (req.sendInitialEvents) this.bookmark(true);
    } else {
      const since = Number(rv);
      if (since > store.resourceVersion) {
        // kube-apiserver keeps such a watch open and silent until the store gets there (or the watch times out).
        this.sentUpTo = since;
      } else {
        const events = store.eventsSince(req.collection, since);
        if (!events) {
          this.expire(tooOldResourceVersionMessage(since, store.oldestResumableVersion));
          return;
        }
        for (const e of events) this.onEvent(e);
      }
    }
    if (!this.closed) WatchTicker.shared.add(this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    WatchTicker.shared.remove(this);
    this.sink.end();
  }

  /** Called by the shared ticker. */
  tick(now: number): void {
    if (now >= this.deadline) {
      this.close();
      return;
    }
    if (this.req.allowBookmarks && now - this.lastBookmark >= BOOKMARK_INTERVAL_MS) this.bookmark(false);
  }

  private onEvent(e: StoreEvent): void {
    const { req } = this;
    if (e.resourceVersion <= this.sentUpTo) return;
    this.sentUpTo = e.resourceVersion;
    if (req.namespace && e.object.metadata.namespace !== req.namespace) return;
    const now = e.type === 'DELETED' ? false : req.matches(e.object);
    const before = e.previous ? req.matches(e.previous) : false;
    let type: string | undefined;
    if (e.type === 'ADDED') type = now ? 'ADDED' : undefined;
    else if (e.type === 'MODIFIED') type = now && before ? 'MODIFIED' : now ? 'ADDED' : before ? 'DELETED' : undefined;
    else type = before ? 'DELETED' : undefined;
    if (!type) return;
    // Leaving the selector: the object as it was, at the event's version (kube's cacher does the same).
    const leaving = e.type === 'MODIFIED' && type === 'DELETED' && e.previous;
    const object = leaving ? { ...e.previous!, metadata: { ...e.previous!.metadata, resourceVersion: e.object.metadata.resourceVersion } } : e.object;
    this.send(req.frame ? req.frame(type, object) : line(type, (req.render ?? jsonOf)(object)));
  }

  private bookmark(initialEventsEnd: boolean): void {
    this.lastBookmark = Date.now();
    const metadata: Record<string, unknown> = { resourceVersion: String(this.store.resourceVersion) };
    if (initialEventsEnd) metadata.annotations = { [INITIAL_EVENTS_END_ANNOTATION]: 'true' };
    const object = { kind: this.req.kind.kind, apiVersion: apiVersionOf(this.req.kind), metadata };
    this.send(this.req.frame ? this.req.frame('BOOKMARK', object) : line('BOOKMARK', JSON.stringify(object)));
  }

  private expire(message: string): void {
    const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Expired', code: 410 };
    this.send(this.req.frame ? this.req.frame('ERROR', status) : line('ERROR', JSON.stringify(status)));
    this.close();
  }

  private send(text: string | Buffer): void {
    if (this.closed) return;
    if (!this.sink.write(text)) this.close();
  }
}

/** One interval for all watches in the process: timeouts and periodic bookmarks. */
class WatchTicker {
  static readonly shared = new WatchTicker();
  private readonly watches = new Set<Watch>();
  private timer?: NodeJS.Timeout;

  add(w: Watch): void {
    this.watches.add(w);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), TICK_MS);
      this.timer.unref();
    }
  }

  remove(w: Watch): void {
    this.watches.delete(w);
    if (this.watches.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const w of [...this.watches]) w.tick(now);
  }
}
