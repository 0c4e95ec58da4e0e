import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../telemetry/logger.js';
import { isAlreadyExists, isConflict, isNotFound, type KubeClient, type ResourcePath } from './kube/client.js';

/**
 * Leader election over a coordination.k8s.io Lease, with client-go's
 * semantics: the holder renews the Lease every retry period; a candidate
 * takes it over only when the holder has not renewed it for a whole lease
 * duration; every write is conditional on the resourceVersion read, so two
 * candidates can never both win. A leader that cannot renew within the
 * renew deadline stops leading (its process should exit: another replica
 * may already serve the fake clusters). Stopping releases the Lease so a
 * successor takes over at once instead of after a lease duration.
 */

export interface LeaderElectionConfig {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly name: string;
  readonly identity?: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly log: Logger;
  readonly now?: () => Date;
}

/** client-go's defaults (leaderelection.LeaderElectionConfig as controller-runtime sets it). */
export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
export const DEFAULT_LEASE_NAME = 'metal3-fkas-leader';

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** Lease times are MicroTime: RFC 3339 with microseconds. */
const microTime = (d: Date): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** Another holder renewed the Lease while we thought we led it. */
class LeaseTakenError extends Error {}

export class LeaderElector {
  readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly path: ResourcePath;
  private readonly now: () => Date;
  private timer?: NodeJS.Timeout;
  private leading = false;
  private stopped = false;
  private lastRenew = 0;
  private onLost?: () => void;

  constructor(private readonly config: LeaderElectionConfig) {
    this.identity = config.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`;
    this.leaseDurationMs = config.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.renewDeadlineMs = config.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.retryPeriodMs = config.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    if (!(this.leaseDurationMs > this.renewDeadlineMs && this.renewDeadlineMs > this.retryPeriodMs && this.retryPeriodMs > 0)) {
      throw new Error(`leader election needs lease duration (${this.leaseDurationMs} ms) > renew deadline (${this.renewDeadlineMs} ms) > retry period (${this.retryPeriodMs} ms) > 0`);
    }
    this.path = { apiVersion: 'coordination.k8s.io/v1', plural: 'leases', namespace: config.namespace, name: config.name };
    this.now = config.now ?? (() => new Date());
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * Resolves once this process leads; keeps renewing afterwards. `onLost`
   * runs once if leadership is lost (renewals failed past the deadline, or
   * another holder took the Lease).
   */
  async acquire(onLost: () => void): Promise<void> {
    this.onLost = onLost;
    const log = this.config.log.child({ lease: `${this.config.namespace}/${this.config.name}`, identity: this.identity });
    log.info('waiting to become leader');
    for (;;) {
      if (this.stopped) throw new Error('leader election stopped before this process became leader');
      if (await this.tryAcquireOrRenew().catch((err: unknown) => (log.warn({ err }, 'leader election attempt failed; retrying'), false))) break;
      await new Promise((r) => setTimeout(r, this.retryPeriodMs));
    }
    this.leading = true;
    this.lastRenew = Date.now();
    log.info('became leader');
    this.scheduleRenew(log);
  }

  /** Stops renewing and, if leading, releases the Lease for a successor. */
  async release(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.config.client.get<Lease>(this.path);
      if (lease.spec.holderIdentity !== this.identity) return;
      // client-go's ReleaseOnCancel: an empty holder and a 1 s duration let the next candidate in now.
      await this.config.client.replace(this.path, { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(this.now()) } });
    } catch (err) {
      this.config.log.warn({ err }, 'could not release the leader Lease; a successor takes over when it expires');
    }
  }

  private scheduleRenew(log: Logger): void {
    this.timer = setTimeout(async () => {
      if (this.stopped) return;
      let taken = false;
      const ok = await this.tryAcquireOrRenew().catch((err: unknown) => {
        taken = err instanceof LeaseTakenError;
        log.warn({ err }, 'renewing the leader Lease failed');
        return false;
      });
      if (this.stopped) return;
      if (ok) this.lastRenew = Date.now();
      if (taken || (!ok && Date.now() - this.lastRenew > this.renewDeadlineMs)) {
        this.leading = false;
        this.stopped = true;
        log.error({ renewDeadlineMs: this.renewDeadlineMs, taken }, 'lost leadership: another holder has the Lease, or it could not be renewed in time');
        this.onLost?.();
        return;
      }
      this.scheduleRenew(log);
    }, this.retryPeriodMs);
    this.timer.unref();
  }

  /** One round of client-go's tryAcquireOrRenew: true when we hold the Lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.now();
    const ours = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      renewTime: microTime(now),
    };
    let lease: Lease;
    try {
      lease = await this.config.client.get<Lease>(this.path);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.config.client.create(this.path, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.config.name, namespace: this.config.namespace },
          spec: { ...ours, acquireTime: microTime(now), leaseTransitions: 0 },
        });
        return true;
      } catch (createErr) {
        if (isAlreadyExists(createErr)) return false;
        throw createErr;
      }
    }
    const holder = lease.spec.holderIdentity ?? '';
    const renewed = lease.spec.renewTime ? Date.parse(lease.spec.renewTime) : 0;
    const expired = renewed + (lease.spec.leaseDurationSeconds ?? 0) * 1000 < now.getTime();
    if (holder !== this.identity && holder !== '' && !expired) {
      if (this.leading) throw new LeaseTakenError(`the Lease is now held by ${holder}`);
      return false;
    }
    const taking = holder !== this.identity;
    const spec = {
      ...lease.spec,
      ...ours,
      ...(taking ? { acquireTime: microTime(now), leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    try {
      // The resourceVersion we read makes this conditional: a concurrent winner makes it fail with 409.
      await this.config.client.replace(this.path, { ...lease, spec });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }
}
