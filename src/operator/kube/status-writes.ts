/**
 * Status writes not yet seen back through the informer. A reconcile reads
 * the informer's cache, which lags our own writes by one watch event: without
 * this, the reconcile that our status write triggered compares against the
 * stale status and writes the same status again.
 */
export class PendingStatusWrites {
  /** Object key → the status we wrote last, in its comparison form. */
  private readonly pending = new Map<string, string>();

  /** Remembers a status write the informer has not delivered yet. */
  wrote(key: string, status: string): void {
    this.pending.set(key, status);
  }

  /** True when `status` is what we wrote last and no event for the object came since. */
  isPending(key: string, status: string): boolean {
    return this.pending.get(key) === status;
  }

  /**
   * An event for the object arrived: the cache now holds our write or
   * something newer (events come in order), so compare with the cache again.
   */
  observed(key: string): void {
    this.pending.delete(key);
  }
}
