/**
 * A bounded most-recently-used cache. The simulator keeps each cluster's
 * TLS server (and with it an OpenSSL context, ~26 KiB outside the JS heap)
 * only while the cluster is being connected to: an idle cluster holds its
 * certificates as PEM text, and its context is built again (~1 ms) on the
 * next connection after eviction. Established connections keep the context
 * they were made with, evicted or not.
 */
export class RecentlyUsed<K, V> {
  /** A Map iterates in insertion order: re-inserting on use keeps the least recently used first. */
  private readonly entries = new Map<K, V>();

  constructor(
    readonly capacity: number,
    private readonly create: (key: K) => V,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`capacity must be a positive integer, not ${capacity}`);
  }

  get(key: K): V {
    let value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
    } else {
      value = this.create(key);
      if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as K);
    }
    this.entries.set(key, value);
    return value;
  }

  peek(key: K): V | undefined {
    return this.entries.get(key);
  }

  forget(key: K): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
