import type { Logger } from '../../telemetry/logger.js';

/**
 * A per-key work queue, as client-go's: adding a key that is already queued
 * is a no-op; one key is never worked by two workers at once (a key added
 * while it is being worked runs again afterwards); different keys run in
 * parallel up to `concurrency`; failures retry with per-key exponential
 * backoff. Delayed keys share one timer.
 */

export interface ReconcileResult {
  /** Run this key again after this long (polling something outside our watches). */
  readonly requeueAfterMs?: number;
}

export type Reconciler = (key: string) => Promise<ReconcileResult | void>;

export interface WorkQueueOptions {
  readonly name: string;
  readonly concurrency: number;
  readonly reconcile: Reconciler;
  readonly log: Logger;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly onResult?: (key: string, outcome: 'success' | 'error', durationMs: number) => void;
}

export const DEFAULT_BASE_DELAY_MS = 100;
/**
 * Due times are rounded up to this grain, so thousands of delayed keys share
 * a few timer firings instead of one scan of all delayed keys each.
 */
const DELAY_GRAIN_MS = 50;
export const DEFAULT_MAX_DELAY_MS = 60_000;

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  /** Keys added while being worked: they run again when the worker finishes. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private stopping = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: WorkQueueOptions) {}

  get depth(): number {
    return this.queue.length + this.delayed.size;
  }

  add(key: string): void {
    if (this.stopping) return;
    this.delayed.delete(key);
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.stopping) return;
    // Short delays (retry backoff) stay precise: the grain is at most an eighth of the delay.
    const grain = Math.max(1, Math.min(DELAY_GRAIN_MS, Math.floor(delayMs / 8)));
    const at = Math.ceil((Date.now() + delayMs) / grain) * grain;
    const existing = this.delayed.get(key);
    if (existing !== undefined && existing <= at) return;
    this.delayed.set(key, at);
    if (at < this.timerAt) this.schedule();
  }

  /** Resolves when nothing is queued, delayed-soon or running. */
  async drain(): Promise<void> {
    if (this.queue.length === 0 && this.active.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking work, waits for running reconciles to finish. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.delayed.clear();
    this.queue.length = 0;
    this.queued.clear();
    if (this.active.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (!this.stopping && this.active.size < this.opts.concurrency && this.queue.length > 0) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.active.add(key);
      void this.work(key);
    }
    if (this.queue.length === 0 && this.active.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async work(key: string): Promise<void> {
    const start = performance.now();
    let requeueAfter: number | undefined;
    let failed = false;
    try {
      const result = await this.opts.reconcile(key);
      this.failures.delete(key);
      requeueAfter = result?.requeueAfterMs;
    } catch (err) {
      failed = true;
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const base = this.opts.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
      requeueAfter = Math.min(this.opts.maxDelayMs ?? DEFAULT_MAX_DELAY_MS, base * 2 ** Math.min(n - 1, 20));
      this.opts.log.warn({ queue: this.opts.name, key, attempt: n, retryInMs: requeueAfter, err: (err as Error).message }, 'reconcile failed; will retry');
    }
    this.opts.onResult?.(key, failed ? 'error' : 'success', performance.now() - start);
    this.active.delete(key);
    if (this.dirty.delete(key)) this.add(key);
    else if (requeueAfter !== undefined) this.addAfter(key, requeueAfter);
    this.pump();
  }

  private schedule(): void {
    let next = Infinity;
    for (const at of this.delayed.values()) next = Math.min(next, at);
    if (next === Infinity || next >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next - Date.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timerAt = Infinity;
    const now = Date.now();
    const due: string[] = [];
    for (const [key, at] of this.delayed) if (at <= now) due.push(key);
    for (const key of due) {
      this.delayed.delete(key);
      this.add(key);
    }
    this.schedule();
  }
}
