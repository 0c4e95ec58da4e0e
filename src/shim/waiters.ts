import { keyOf, type Informer, type KubeObjectLike } from '../operator/kube/informer.js';

/**
 * Requests waiting for the operator to act on an object, woken by the
 * informer's watch events instead of each polling the management API: one
 * map of object key → waiting checks, run again when an event for that key
 * arrives. A check sees the object as the informer's cache holds it (or
 * undefined when it is not there) and says: wait on, done, or failed.
 *
 * In the operator's process a check also sees the statuses the operator has
 * decided and not yet written (`DecidedStatuses`): a request is answered as
 * soon as the operator has acted, not one management-API round trip later.
 */

/** Statuses decided for objects and not yet seen back through the informer (the operator's StatusWriter). */
export interface DecidedStatuses {
  decided(key: string): unknown;
  subscribe(listener: (key: string) => void): () => void;
}

export type Verdict<R> = { readonly done: R } | { readonly fail: Error } | undefined;
export type Check<T, R> = (object: T | undefined) => Verdict<R>;

interface Waiter<T> {
  check: Check<T, unknown>;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export interface Waiting<R> {
  readonly result: Promise<R>;
  /** Stops waiting (after a deadline): the entry leaves the map, the promise stays pending forever and holds nothing. */
  cancel(): void;
}

export class Waiters<T extends KubeObjectLike & { status?: unknown }> {
  private readonly waiting = new Map<string, Set<Waiter<T>>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly source: Informer<T>,
    private readonly statuses?: DecidedStatuses,
  ) {
    const fromInformer = source.subscribe((type, object) => this.wake(keyOf(object), type === 'DELETED' ? undefined : object));
    const fromDecisions = statuses?.subscribe((key) => this.wake(key, source.get(key)));
    this.unsubscribe = () => {
      fromInformer();
      fromDecisions?.();
    };
  }

  /** Waits until check says done or fail; answers at once when the cached state already does. */
  wait<R>(key: string, check: Check<T, R>): Waiting<R> {
    const now = check(this.withDecidedStatus(key, this.source.get(key)));
    if (now) return { result: 'done' in now ? Promise.resolve(now.done) : Promise.reject(now.fail), cancel: () => undefined };
    let waiter!: Waiter<T>;
    const result = new Promise<R>((resolve, reject) => {
      waiter = { check, resolve: resolve as (v: unknown) => void, reject };
    });
    let set = this.waiting.get(key);
    if (!set) this.waiting.set(key, (set = new Set()));
    set.add(waiter);
    return { result, cancel: () => this.remove(key, waiter) };
  }

  /** How many requests wait now (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const set of this.waiting.values()) n += set.size;
    return n;
  }

  /** Fails every waiting request (the shim is closing) and stops listening. */
  close(reason: Error): void {
    this.unsubscribe();
    for (const set of this.waiting.values()) for (const w of set) w.reject(reason);
    this.waiting.clear();
  }

  /** The object as the operator sees it: its cached state with the status decided since. */
  private withDecidedStatus(key: string, object: T | undefined): T | undefined {
    const status = object && this.statuses?.decided(key);
    return status ? { ...object, status } : object;
  }

  private wake(key: string, cached: T | undefined): void {
    const set = this.waiting.get(key);
    if (!set) return;
    const object = this.withDecidedStatus(key, cached);
    for (const w of set) {
      let verdict: Verdict<unknown>;
      try {
        verdict = w.check(object);
      } catch (err) {
        verdict = { fail: err as Error };
      }
      if (!verdict) continue;
      this.remove(key, w);
      if ('done' in verdict) w.resolve(verdict.done);
      else w.reject(verdict.fail);
    }
  }

  private remove(key: string, waiter: Waiter<T>): void {
    const set = this.waiting.get(key);
    if (!set) return;
    set.delete(waiter);
    if (set.size === 0) this.waiting.delete(key);
  }
}
