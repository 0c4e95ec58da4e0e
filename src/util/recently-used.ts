/**
 * A bounded most-recently-used cache, for what is costly to hold for every
 * fake cluster and cheap to build again for the few in use: TLS contexts
 * (~26 KiB outside the JS heap each), parsed CAs (~17 KiB).
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

  /** Stores a value built elsewhere (e.g. one its creator already had parsed). */
  set(key: K, value: V): void {
    this.entries.delete(key);
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as K);
    this.entries.set(key, value);
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
