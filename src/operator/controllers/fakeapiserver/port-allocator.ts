/**
 * Hands out listener ports from a configured range. A port belongs to one
 * FakeAPIServer (by key) at a time; the operator seeds it from existing
 * statuses at start, so every FakeAPIServer keeps its port across restarts.
 * A port some other socket holds (the range may overlap the kernel's
 * ephemeral ports, where any outgoing connection can sit) is skipped for a
 * while and the next one handed out instead.
 */
export interface PortRange {
  readonly min: number;
  readonly max: number;
}

export const DEFAULT_PORT_RANGE: PortRange = { min: 20000, max: 29999 };

/** How long a port found held by another process is skipped before it is tried again. */
export const HELD_ELSEWHERE_MS = 60_000;

export type Reservation = { readonly port: number } | { readonly conflictWith: string } | { readonly exhausted: true };

export class PortAllocator {
  private readonly owners = new Map<number, string>();
  private readonly byKey = new Map<string, number>();
  /** Ports found held by another process → when that was seen. */
  private readonly heldElsewhere = new Map<number, number>();
  private next: number;

  constructor(
    readonly range: PortRange = DEFAULT_PORT_RANGE,
    private readonly clock: () => number = Date.now,
  ) {
    if (!(range.min >= 1 && range.max <= 65535 && range.min <= range.max)) {
      throw new Error(`invalid port range ${range.min}-${range.max}: use two ports between 1 and 65535, min <= max`);
    }
    this.next = range.min;
  }

  /**
   * Reserves `wanted` (any port, in range or not) or, without it, a free port
   * of the range. Ports seen held by another process lately are skipped; with
   * `onlySkip`, those marks are ignored (their holders may be gone) and only
   * the ports in `onlySkip` are.
   */
  reserve(key: string, wanted?: number, onlySkip?: ReadonlySet<number>): Reservation {
    const mine = this.byKey.get(key);
    if (wanted !== undefined) {
      const owner = this.owners.get(wanted);
      if (owner !== undefined && owner !== key) return { conflictWith: owner };
      if (mine !== undefined && mine !== wanted) this.release(key);
      this.owners.set(wanted, key);
      this.byKey.set(key, wanted);
      return { port: wanted };
    }
    if (mine !== undefined) return { port: mine };
    const size = this.range.max - this.range.min + 1;
    for (let i = 0; i < size; i++) {
      const port = this.range.min + ((this.next - this.range.min + i) % size);
      if (!this.owners.has(port) && !(onlySkip ? onlySkip.has(port) : this.isHeldElsewhere(port))) {
        this.owners.set(port, key);
        this.byKey.set(key, port);
        this.next = port + 1 > this.range.max ? this.range.min : port + 1;
        return { port };
      }
    }
    return { exhausted: true };
  }

  /**
   * Gives back `key`'s port because another process holds it (listen failed
   * with EADDRINUSE); the next reserve() without a wanted port skips it.
   */
  releaseHeldElsewhere(key: string): void {
    const port = this.byKey.get(key);
    if (port === undefined) return;
    this.heldElsewhere.set(port, this.clock());
    this.release(key);
  }

  private isHeldElsewhere(port: number): boolean {
    const since = this.heldElsewhere.get(port);
    if (since === undefined) return false;
    if (this.clock() - since < HELD_ELSEWHERE_MS) return true;
    this.heldElsewhere.delete(port);
    return false;
  }

  release(key: string): void {
    const port = this.byKey.get(key);
    if (port === undefined) return;
    this.byKey.delete(key);
    if (this.owners.get(port) === key) this.owners.delete(port);
  }

  portOf(key: string): number | undefined {
    return this.byKey.get(key);
  }
}
