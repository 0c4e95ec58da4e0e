import type { Logger } from '../../telemetry/logger.js';
import { isConflict, isNotFound, type KubeClient, type ResourcePath } from '../kube/client.js';
import { Informer, type InformerEvent } from '../kube/informer.js';

/**
 * Who the replicas are, for `--sharding`: one coordination.k8s.io Lease per
 * replica in the operator's namespace, renewed by its replica, watched by
 * all. No consensus of our own: the API server's optimistic concurrency and
 * lease expiry, as in client-go's leader election, with its clock rule —
 * a Lease is expired when *we* have not seen it renewed for its duration,
 * measured on our own clock, so replicas need no synchronised clocks, only
 * clocks that run at the same rate.
 *
 * - A replica stops serving everything (`onFenced`) when it has not renewed
 *   its Lease within the renew deadline, counted from the moment it sent the
 *   last successful renewal. Everyone else counts the lease duration from
 *   the moment they saw that renewal, which is later; the duration is longer
 *   than the deadline, so a replica that lost contact has stopped serving
 *   before anyone else judges it dead.
 * - A replica that stops gracefully first marks its Lease draining (nothing
 *   new is assigned to it, but it still holds what it serves), hands its
 *   clusters over, then releases the Lease (empty holder): it is gone at once.
 * - A deleted Lease is not a dead replica: it counts as alive until a lease
 *   duration after its last renewal seen, since a replica may still run.
 *
 * One timer per replica drives renewals and expiry checks; the watch
 * delivers the others' renewals. Management-API cost: one PUT per renewal
 * period per replica, plus one watch.
 */

export interface MembershipConfig {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly renewPeriodMs?: number;
  readonly log: Logger;
  /** The assignable or alive members changed (or this replica's own standing): work ownership out again. */
  readonly onChange: () => void;
  /** This replica could not renew its Lease in time: it must stop serving every cluster now. */
  readonly onFenced: () => void;
}

/** A replica is judged dead this long after its last renewal seen; failover takes about this plus a tick plus the takeover itself. */
export const DEFAULT_SHARD_LEASE_DURATION_MS = 8_000;
/** A replica that could not renew for this long stops serving (before anyone judges it dead). */
export const DEFAULT_SHARD_RENEW_DEADLINE_MS = 5_000;
export const DEFAULT_SHARD_RENEW_PERIOD_MS = 2_000;
/** How often the one loop looks at renewal due times and expiries; API calls happen only on renewals. */
const TICK_MS = 500;

/** Labels every member Lease carries: what the members' watch selects. */
export const SHARD_LEASE_LABEL = 'fkas.metal3.io/shard-member';
/** Set on the Lease of a replica that is handing its clusters over before it stops. */
export const DRAINING_ANNOTATION = 'fkas.metal3.io/draining';
const LEASE_NAME_PREFIX = 'fkas-shard-';
const MAX_NAME = 253;

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string };
}

interface Member {
  identity: string;
  resourceVersion: string;
  /** Our clock when we saw this renewal. */
  seenAtMs: number;
  durationMs: number;
  released: boolean;
  draining: boolean;
  /** The Lease object is gone; the entry stays until it would have expired. */
  deleted: boolean;
}

/** Lease times are MicroTime: RFC 3339 with microseconds. */
const microTime = (d: Date): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** The Lease name of a replica: its identity made a valid object name. */
export function memberLeaseName(identity: string): string {
  const safe = identity.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return `${LEASE_NAME_PREFIX}${safe || 'replica'}`.slice(0, MAX_NAME);
}

export class ShardMembership {
  readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly renewPeriodMs: number;
  private readonly path: ResourcePath;
  private readonly members = new Map<string, Member>();
  private readonly informer: Informer<Lease>;
  private timer?: NodeJS.Timeout;
  private resourceVersion?: string;
  /** When the last successful renewal was sent (our clock); undefined before the first. */
  private renewedSentAtMs?: number;
  private renewing = false;
  private draining = false;
  private stopped = false;
  private fenced = true;
  /** The member watch has listed every Lease once. */
  private synced = false;
  private signature = '';

  constructor(private readonly config: MembershipConfig) {
    this.identity = config.identity;
    this.leaseDurationMs = config.leaseDurationMs ?? DEFAULT_SHARD_LEASE_DURATION_MS;
    this.renewDeadlineMs = config.renewDeadlineMs ?? DEFAULT_SHARD_RENEW_DEADLINE_MS;
    this.renewPeriodMs = config.renewPeriodMs ?? DEFAULT_SHARD_RENEW_PERIOD_MS;
    if (!(this.leaseDurationMs > this.renewDeadlineMs && this.renewDeadlineMs > this.renewPeriodMs && this.renewPeriodMs > 0)) {
      throw new Error(`sharding needs lease duration (${this.leaseDurationMs} ms) > renew deadline (${this.renewDeadlineMs} ms) > renew period (${this.renewPeriodMs} ms) > 0`);
    }
    this.path = { apiVersion: 'coordination.k8s.io/v1', plural: 'leases', namespace: config.namespace, name: memberLeaseName(config.identity) };
    this.informer = new Informer<Lease>(config.client, {
      resource: { apiVersion: 'coordination.k8s.io/v1', plural: 'leases', namespace: config.namespace },
      labelSelector: SHARD_LEASE_LABEL,
      log: config.log,
      onEvent: (type, obj) => this.observe(type, obj as Lease),
    });
  }

  /** Joins: the first renewal must succeed (the replica serves nothing before), then the watch syncs and the loop runs. */
  async start(): Promise<void> {
    await this.renew();
    this.informer.start();
    await this.informer.synced;
    // Only now is the member table whole: during the first list it holds some Leases and not yet
    // others, and a replica missing from it would look dead (its clusters free to claim).
    this.synced = true;
    this.fenced = false;
    this.signature = this.currentSignature();
    this.schedule();
    this.config.log.info({ identity: this.identity, lease: `${this.config.namespace}/${this.path.name}`, members: this.assignable() }, 'joined the shard members');
  }

  /** True while this replica may serve: it knows every member, and its Lease was renewed within the renew deadline. */
  get valid(): boolean {
    return this.synced && !this.stopped && this.renewedSentAtMs !== undefined && Date.now() < this.renewedSentAtMs + this.renewDeadlineMs;
  }

  /** Members new clusters may be assigned to: alive and not draining (this replica while it is valid). */
  assignable(): string[] {
    const now = Date.now();
    const out = new Set<string>();
    for (const m of this.members.values()) if (m.identity !== this.identity && this.isAliveMember(m, now) && !m.draining) out.add(m.identity);
    if (this.valid && !this.draining) out.add(this.identity);
    return [...out].sort();
  }

  /** Whether `identity` may still be serving: its Lease was renewed within its duration, as we saw it. */
  isAlive(identity: string): boolean {
    if (identity === this.identity) return this.valid;
    const now = Date.now();
    for (const m of this.members.values()) if (m.identity === identity && this.isAliveMember(m, now)) return true;
    return false;
  }

  /** Stops taking new clusters: the others see the draining mark and assign elsewhere. */
  async drain(): Promise<void> {
    this.draining = true;
    await this.renew().catch((err: unknown) => this.config.log.warn({ err }, 'could not mark the member Lease draining'));
    this.emitIfChanged();
  }

  /** Leaves for good (after handing clusters over): an empty holder tells the others at once, then the Lease goes. */
  async leave(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.informer.stop();
    if (this.renewedSentAtMs === undefined) return;
    try {
      const lease = await this.config.client.get<Lease>(this.path);
      if (lease.spec.holderIdentity !== this.identity) return;
      await this.config.client.replace(this.path, { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) } });
      await this.config.client.delete(this.path);
    } catch (err) {
      if (!isNotFound(err)) this.config.log.warn({ err }, 'could not release the member Lease; the others take over when it expires');
    }
  }

  /** Stops the loop and the watch without touching the Lease (tests that simulate a crash). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.informer.stop();
  }

  private isAliveMember(m: Member, now: number): boolean {
    return !m.released && now < m.seenAtMs + m.durationMs;
  }

  private observe(type: InformerEvent, lease: Lease): void {
    const name = lease.metadata.name;
    const rv = lease.metadata.resourceVersion ?? '';
    const known = this.members.get(name);
    if (type === 'DELETED') {
      if (known) known.deleted = true;
    } else if (!known || known.resourceVersion !== rv) {
      // Any change of the object is a renewal seen now (client-go's observedTime rule).
      this.members.set(name, {
        identity: lease.spec.holderIdentity ?? '',
        resourceVersion: rv,
        seenAtMs: Date.now(),
        durationMs: (lease.spec.leaseDurationSeconds ?? 0) * 1000,
        released: !lease.spec.holderIdentity,
        draining: lease.metadata.annotations?.[DRAINING_ANNOTATION] === 'true',
        deleted: false,
      });
    }
    this.emitIfChanged();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.tickDueMs = Date.now() + TICK_MS;
    this.timer = setTimeout(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** When the loop's timer should fire: how late it fired tells a blocked event loop from a slow API server. */
  private tickDueMs = 0;

  private tick(): void {
    if (this.stopped) return;
    const now = Date.now();
    for (const [name, m] of this.members) if (m.deleted && !this.isAliveMember(m, now)) this.members.delete(name);
    if (!this.renewing && (this.renewedSentAtMs === undefined || now - this.renewedSentAtMs >= this.renewPeriodMs)) {
      this.renewing = true;
      void this.renew()
        .catch((err: unknown) => this.config.log.warn({ err }, 'renewing the member Lease failed'))
        .finally(() => {
          this.renewing = false;
          this.emitIfChanged();
        });
    }
    if (!this.fenced && !this.valid) {
      this.fenced = true;
      const diagnosis = { renewDeadlineMs: this.renewDeadlineMs, sinceRenewalMs: now - (this.renewedSentAtMs ?? now), renewalInFlight: this.renewing, tickLateMs: now - this.tickDueMs };
      this.config.log.error(diagnosis, 'could not renew the member Lease in time: stopping serving every fake cluster until it is renewed');
      this.config.onFenced();
    } else if (this.fenced && this.valid) {
      this.fenced = false;
      this.config.log.info('member Lease renewed again: serving resumes');
    }
    this.emitIfChanged();
    this.schedule();
  }

  private emitIfChanged(): void {
    if (this.stopped || !this.synced) return;
    const signature = this.currentSignature();
    if (signature === this.signature) return;
    this.signature = signature;
    this.config.log.info({ assignable: this.assignable() }, 'shard members changed');
    this.config.onChange();
  }

  /** What ownership depends on: who may be assigned, and who may still be serving. */
  private currentSignature(): string {
    const now = Date.now();
    const alive = [...this.members.values()].filter((m) => this.isAliveMember(m, now)).map((m) => m.identity);
    return `${this.assignable().join(',')}|${[...new Set(alive)].sort().join(',')}|${this.valid}`;
  }

  /** One renewal: PUT with the version we wrote last (conditional), or take the Lease over / create it. */
  private async renew(): Promise<void> {
    const sentAt = Date.now();
    const desired = (current?: Lease): Lease => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        ...(current?.metadata ?? {}),
        name: this.path.name!,
        namespace: this.config.namespace,
        labels: { ...current?.metadata.labels, [SHARD_LEASE_LABEL]: 'true', 'app.kubernetes.io/managed-by': 'metal3-fkas' },
        annotations: { ...current?.metadata.annotations, [DRAINING_ANNOTATION]: String(this.draining) },
      },
      spec: {
        holderIdentity: this.identity,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
        acquireTime: current?.spec.holderIdentity === this.identity && current.spec.acquireTime ? current.spec.acquireTime : microTime(new Date(sentAt)),
        renewTime: microTime(new Date(sentAt)),
      },
    });
    // A renewal that has not answered by the deadline is no use: give up, so the next one can start.
    const call = { timeoutMs: this.renewDeadlineMs };
    let written: Lease;
    if (this.resourceVersion !== undefined && this.lastWritten) {
      try {
        written = await this.config.client.replace<Lease>(this.path, desired({ ...this.lastWritten, metadata: { ...this.lastWritten.metadata, resourceVersion: this.resourceVersion } }), call);
        return this.renewed(written, sentAt);
      } catch (err) {
        // Someone else wrote it (a person, or a stale twin with our identity): read it and write over it below.
        if (!isConflict(err) && !isNotFound(err)) throw err;
      }
    }
    let current: Lease | undefined;
    try {
      current = await this.config.client.get<Lease>(this.path, call);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    written = current ? await this.config.client.replace<Lease>(this.path, desired(current), call) : await this.config.client.create<Lease>(this.path, desired(), call);
    this.renewed(written, sentAt);
  }

  private lastWritten?: Lease;

  private renewed(lease: Lease, sentAt: number): void {
    this.lastWritten = lease;
    this.resourceVersion = lease.metadata.resourceVersion;
    this.renewedSentAtMs = sentAt;
  }
}
