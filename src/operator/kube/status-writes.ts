import type { Logger } from '../../telemetry/logger.js';
import { isNotFound, type KubeClient, type ResourcePath } from './client.js';
import { patchStatus } from './objects.js';

/**
 * The statuses the operator has decided for one kind, written to the
 * management API in batches.
 *
 * A new fake cluster changes its FakeAPIServer's status twice within
 * milliseconds (Ready, then the node count once its first FakeNode
 * registers); written one by one that is two management-API writes a
 * cluster, and a scale test makes thousands. A decided status waits here for
 * COALESCE_MS (one timer for the whole kind, never one per object); a newer
 * decision for the same object replaces it, so the burst costs one write.
 *
 * Nothing waits for the write to tell that a status was decided: `decided()`
 * answers at once and subscribers hear every decision, which is how the
 * in-process shim answers /register and /updateNode without a round trip
 * through the management API.
 *
 * A reconcile reads the informer's cache, which lags our writes: `decided()`
 * keeps a status until the informer delivers an event for the object, so the
 * reconcile that our own write triggered does not decide the same status
 * again, and its conditions keep their transition times.
 */

/** How long a decided status waits for a newer decision before it is written. */
export const COALESCE_MS = 300;
/** Status writes in flight at once during a flush. */
const WRITES_IN_FLIGHT = 32;

interface Decision {
  readonly path: ResourcePath;
  readonly status: unknown;
  /** The status in the form decisions compare by (transition times left out). */
  readonly form: string;
  /** When the write is due (ms since the epoch); a newer decision keeps it, so a busy object is not put off forever. */
  readonly dueMs: number;
  /** Written and not yet seen back through the informer. */
  written: boolean;
}

export interface StatusWriterOptions {
  readonly client: KubeClient;
  readonly log: Logger;
  /** The object's reconcile runs again when its status could not be written. */
  readonly retry: (key: string) => void;
  readonly coalesceMs?: number;
}

export class StatusWriter<S> {
  private readonly decisions = new Map<string, Decision>();
  private readonly listeners = new Set<(key: string) => void>();
  /** Writes on the wire, by object key. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private holds = 0;
  private readonly coalesceMs: number;

  constructor(private readonly opts: StatusWriterOptions) {
    this.coalesceMs = opts.coalesceMs ?? COALESCE_MS;
  }

  /**
   * Records the status decided for `key`. False when it is what was decided
   * already (nothing to write); `form` is the status as decisions compare.
   */
  decide(key: string, path: ResourcePath, status: S, form: string): boolean {
    const before = this.decisions.get(key);
    if (before?.form === form) return false;
    // Not yet written: the write still to come takes the new status at the old due time.
    const dueMs = before && !before.written ? before.dueMs : Date.now() + this.coalesceMs;
    this.decisions.delete(key); // re-inserted last: the map stays in due order
    this.decisions.set(key, { path, status, form, dueMs, written: false });
    this.arm();
    for (const l of this.listeners) l(key);
    return true;
  }

  /** The status decided for `key` that the informer has not delivered yet. */
  decided(key: string): S | undefined {
    return this.decisions.get(key)?.status as S | undefined;
  }

  /** An event for the object arrived: once our write is in, the cache holds it or something newer. */
  observed(key: string): void {
    if (this.decisions.get(key)?.written) this.decisions.delete(key);
  }

  /**
   * The object's cached status is right after all: drops a decision not yet written and says so.
   * A decision already written stays (the server holds it; the caller decides again).
   */
  withdraw(key: string): boolean {
    const d = this.decisions.get(key);
    if (!d || d.written) return false;
    this.decisions.delete(key);
    for (const l of this.listeners) l(key);
    return true;
  }

  /**
   * This process no longer acts on the object (a sharded replica hands it over): a decision not yet
   * written is dropped, and one on the wire has landed when this resolves, so the next owner's
   * statuses are never overwritten by ours.
   */
  async relinquish(key: string): Promise<void> {
    this.decisions.delete(key);
    await this.inFlight.get(key);
  }

  /** The object is gone: nothing to write. */
  forget(key: string): void {
    this.decisions.delete(key);
  }

  /** `listener(key)` runs on every decision; returns the unsubscribe. */
  subscribe(listener: (key: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Writes nothing until the returned release is called: decisions pile up, and those that
   * return to what the server holds are withdrawn meanwhile. An operator start holds while it
   * restores every object: a FakeAPIServer restored before its FakeNodes counts 0 nodes for a
   * while, which is no news for the management API.
   */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.arm();
    };
  }

  /** Writes every decision now (on shutdown). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    await this.writeDue(Infinity);
  }

  private arm(): void {
    if (this.timer || this.flushing || this.holds > 0) return;
    const next = this.nextDue();
    if (next === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.writeDue(Date.now()).finally(() => {
        this.flushing = undefined;
        this.arm();
      });
    }, Math.max(0, next - Date.now()));
  }

  private nextDue(): number | undefined {
    for (const d of this.decisions.values()) if (!d.written) return d.dueMs;
    return undefined;
  }

  private async writeDue(nowMs: number): Promise<void> {
    const due: [string, Decision][] = [];
    for (const [key, d] of this.decisions) {
      if (d.written) continue;
      if (d.dueMs > nowMs) break;
      due.push([key, d]);
    }
    for (let i = 0; i < due.length; i += WRITES_IN_FLIGHT) {
      await Promise.all(due.slice(i, i + WRITES_IN_FLIGHT).map(([key, d]) => this.write(key, d)));
    }
  }

  private write(key: string, d: Decision): Promise<void> {
    const writing = this.send(key, d).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, writing);
    return writing;
  }

  private async send(key: string, d: Decision): Promise<void> {
    try {
      this.opts.log.debug({ key, status: d.form }, 'writing status');
      await patchStatus(this.opts.client, d.path, d.status);
      // A newer decision made while this one was on the wire is written by the next flush.
      if (this.decisions.get(key) === d) d.written = true;
    } catch (err) {
      if (this.decisions.get(key) === d) this.decisions.delete(key);
      if (isNotFound(err)) return; // deleted meanwhile: nothing to report on
      this.opts.log.warn({ err: (err as Error).message, key }, 'could not write status; reconciling again');
      this.opts.retry(key);
    }
  }
}
