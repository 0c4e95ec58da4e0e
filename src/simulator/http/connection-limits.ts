import type { Duplex } from 'node:stream';
import type { Logger } from '../../telemetry/logger.js';

/**
 * Bounds on the connections of fake-cluster listeners, so idle or
 * half-open clients cannot pile up file descriptors: a handshake that does
 * not finish, a connection that never sends a request, a keep-alive
 * connection left idle, and too many connections at once are all closed.
 * A connection with a request in flight (a watch, a long list) or one
 * upgraded to a port-forward tunnel is never closed for idleness.
 */

export interface ConnectionLimits {
  /** A TLS handshake not finished within this is destroyed. */
  readonly handshakeTimeoutMs: number;
  /** A connection whose handshake finished but which sends no request within this is closed. */
  readonly firstRequestTimeoutMs: number;
  /** A connection with no request in flight for this long is closed (keep-alive between requests). */
  readonly idleTimeoutMs: number;
  /** Open connections one fake cluster's listener accepts; more are closed on accept. */
  readonly maxConnectionsPerListener: number;
  /** Open connections all listeners of the process accept together. */
  readonly maxConnections: number;
}

/** kube-apiserver's clients finish a TLS handshake in milliseconds; 10 s is ample on a loaded machine. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** About kube-apiserver's ReadHeaderTimeout (32 s): time to send the first request's headers. */
export const FIRST_REQUEST_TIMEOUT_MS = 30_000;
/** kube-apiserver's idle timeout (90 s), which is also Go's default client keep-alive: clients close first. */
export const IDLE_TIMEOUT_MS = 90_000;
/** A fake cluster serves a handful of controllers and kubectl; hundreds of connections mean a leak or a flood. */
export const MAX_CONNECTIONS_PER_LISTENER = 1_024;
/** Well below common open-file limits once listening sockets and etcd connections are counted. */
export const MAX_CONNECTIONS = 16_384;
/** A refused-connection warning is logged at most this often per listener (and for the global cap). */
export const LIMIT_WARNING_INTERVAL_MS = 60_000;

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
  firstRequestTimeoutMs: FIRST_REQUEST_TIMEOUT_MS,
  idleTimeoutMs: IDLE_TIMEOUT_MS,
  maxConnectionsPerListener: MAX_CONNECTIONS_PER_LISTENER,
  maxConnections: MAX_CONNECTIONS,
};

/** Merges options over the defaults and refuses values that would disable a bound by accident. */
export function connectionLimits(overrides: Partial<ConnectionLimits> = {}): ConnectionLimits {
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new Error(`connection limit ${name} must be a positive integer, got ${String(value)}; leave it out for the default`);
    }
  }
  return limits;
}

/** Logs one warning per interval for refused connections, with how many were refused since the last one. */
class RateLimitedWarning {
  private lastAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly log: Logger,
    private readonly message: string,
  ) {}

  refused(fields: Record<string, unknown>): void {
    const now = Date.now();
    if (now - this.lastAt < LIMIT_WARNING_INTERVAL_MS) {
      this.suppressed++;
      return;
    }
    this.log.warn({ ...fields, refusedSinceLastWarning: this.suppressed + 1 }, this.message);
    this.lastAt = now;
    this.suppressed = 0;
  }
}

/** Open connections of every listener of one process (one simulator). */
export class ConnectionBudget {
  private open = 0;
  private readonly warning: RateLimitedWarning;

  constructor(
    readonly limits: ConnectionLimits,
    log: Logger,
  ) {
    this.warning = new RateLimitedWarning(
      log,
      'fake-cluster connection limit reached for the whole process: new connections are closed on accept ' +
        '(raise maxConnections in the simulator options if this load is expected)',
    );
  }

  get connections(): number {
    return this.open;
  }

  /** Takes a slot for a new connection, or returns false (and warns) when the process is full. */
  tryAcquire(): boolean {
    if (this.open >= this.limits.maxConnections) {
      this.warning.refused({ maxConnections: this.limits.maxConnections });
      return false;
    }
    this.open++;
    return true;
  }

  release(): void {
    this.open--;
  }
}

/** The per-listener cap, sharing the process budget. */
export class ListenerBudget {
  private open = 0;
  private readonly warning: RateLimitedWarning;

  constructor(
    private readonly shared: ConnectionBudget,
    log: Logger,
  ) {
    this.warning = new RateLimitedWarning(
      log,
      'fake-cluster connection limit reached for this cluster: new connections are closed on accept ' +
        '(raise maxConnectionsPerListener in the simulator options if this load is expected)',
    );
  }

  get connections(): number {
    return this.open;
  }

  /**
   * Admits a freshly accepted connection or destroys it. An admitted one
   * gives its slot back when it closes.
   */
  admit(socket: Duplex): boolean {
    const max = this.shared.limits.maxConnectionsPerListener;
    if (this.open >= max) {
      this.warning.refused({ maxConnectionsPerListener: max });
      socket.destroy();
      return false;
    }
    if (!this.shared.tryAcquire()) {
      socket.destroy();
      return false;
    }
    this.open++;
    socket.once('close', () => {
      this.open--;
      this.shared.release();
    });
    return true;
  }
}

/**
 * Closes one connection when it has had no request in flight for too long.
 * The HTTP layer reports each request's start and end; an upgrade hands
 * the socket to a tunnel, which is never closed from here.
 */
export class IdleConnectionGuard {
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private upgraded = false;
  /** The HTTP/2 session on this connection, if it speaks HTTP/2: closed with GOAWAY, as it owns the socket. */
  session: { close(): void; destroy(): void; readonly closed: boolean; readonly destroyed: boolean } | undefined;

  /**
   * @param close closes the connection (gracefully for HTTP/2: GOAWAY)
   */
  constructor(
    private readonly limits: ConnectionLimits,
    private readonly close: () => void,
  ) {
    this.arm(limits.firstRequestTimeoutMs);
  }

  requestStarted(): void {
    this.inFlight++;
    this.disarm();
  }

  requestEnded(): void {
    this.inFlight--;
    if (this.inFlight === 0 && !this.upgraded) this.arm(this.limits.idleTimeoutMs);
  }

  /** The connection now carries a tunnel (port-forward): its life is the tunnel's. */
  upgradedToTunnel(): void {
    this.upgraded = true;
    this.disarm();
  }

  /** The connection closed: nothing left to time. */
  dispose(): void {
    this.disarm();
  }

  private arm(ms: number): void {
    this.disarm();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.inFlight === 0 && !this.upgraded) this.close();
    }, ms);
    // An idle connection alone must not keep the process alive.
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
