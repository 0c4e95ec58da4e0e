import { jsonEqual } from '../../../simulator/store/object.js';
import { FAKE_API_SERVER, API_VERSION, type Condition, type ConditionStatus, type FakeAPIServer, type FakeAPIServerStatus } from '../../api/v1alpha1.js';
import type { OperatorContext } from '../../context.js';
import type { ResourcePath } from '../../kube/client.js';
import { recordEvent, setCondition, type EventType } from '../../kube/objects.js';
import { withProgress } from '../../kube/progress-conditions.js';

/**
 * What one reconcile of a FakeAPIServer found, as conditions; decided once at
 * the end, and only when something other than a transition time changed, so
 * a reconcile that changes nothing writes nothing. It starts from the status
 * decided last (the informer's cache lags it) and hands the new one to the
 * kind's StatusWriter, which batches the writes.
 */

/** Condition types of a FakeAPIServer. */
export const CONDITION = { certificates: 'CertificatesReady', serving: 'Serving', ready: 'Ready' } as const;

export function fasPath(namespace: string, name?: string): ResourcePath {
  return { apiVersion: API_VERSION, plural: FAKE_API_SERVER.plural, namespace, ...(name ? { name } : {}) };
}

export class StatusReport {
  private conditions: Condition[];
  /** The status decided last: written or about to be, or the cached one. */
  readonly current: FakeAPIServerStatus | undefined;
  private readonly key: string;
  private readonly generation: number | undefined;
  private readonly now: Date;
  /** A fail() this reconcile: the object cannot serve until something changes (kstatus Failed). */
  private stalled = false;

  constructor(
    private readonly ctx: OperatorContext,
    readonly fas: FakeAPIServer,
  ) {
    this.key = `${fas.metadata.namespace}/${fas.metadata.name}`;
    this.current = ctx.statuses.fakeApiServers.decided(this.key) ?? fas.status;
    this.conditions = this.current?.conditions ?? [];
    this.generation = fas.metadata.generation;
    this.now = ctx.now();
  }

  set(type: string, status: ConditionStatus, reason: string, message: string): void {
    this.conditions = setCondition(this.conditions, { type, status, reason, message }, this.generation, this.now);
  }

  /** `type` and Ready go False for the same reason; the event tells the user once. */
  async fail(type: string, reason: string, message: string): Promise<void> {
    this.set(type, 'False', reason, message);
    if (type !== CONDITION.ready) this.set(CONDITION.ready, 'False', reason, message);
    this.stalled = true;
    this.write({ ...this.current });
    await this.event('Warning', reason, message);
  }

  /** Decides the status with the conditions gathered so far (and `fields`), unless nothing changed. */
  write(fields: Omit<FakeAPIServerStatus, 'conditions' | 'observedGeneration'>): void {
    this.setProgress();
    // servedBy is written only by the claim and the release (sharding/ownership.ts), never over them from a stale cache.
    const { servedBy: _claim, ...rest } = fields as FakeAPIServerStatus;
    const status: FakeAPIServerStatus = { ...rest, observedGeneration: this.generation ?? 0, conditions: this.conditions };
    if (jsonEqual(withoutTimes(this.current), withoutTimes(status))) return;
    // Back to what the server holds before a write went out (e.g. a restart's first look): nothing to write.
    if (jsonEqual(withoutTimes(this.fas.status), withoutTimes(status)) && this.ctx.statuses.fakeApiServers.withdraw(this.key)) return;
    this.ctx.statuses.fakeApiServers.decide(this.key, fasPath(this.fas.metadata.namespace!, this.fas.metadata.name), status, JSON.stringify(withoutTimes(status)));
  }

  /** Reconciling/Stalled follow Ready and fail(): what kstatus and the Argo CD health check read. */
  private setProgress(): void {
    const ready = this.conditions.find((c) => c.type === CONDITION.ready);
    const progress = ready?.status === 'True' ? 'Done' : this.stalled ? 'Stalled' : 'Progressing';
    this.conditions = withProgress(this.conditions, progress, ready?.reason ?? 'Reconciling', ready?.message ?? 'the operator is working on this FakeAPIServer', this.generation, this.now);
  }

  async event(type: EventType, reason: string, message: string): Promise<void> {
    try {
      await recordEvent(this.ctx.client, this.fas, type, reason, message, this.now);
    } catch (err) {
      // Events are best effort: failing to record one must not fail the reconcile.
      this.ctx.log.debug({ err: (err as Error).message, reason }, 'could not record event');
    }
  }
}

/** Conditions compare without their times. */
function withoutTimes(s: FakeAPIServerStatus | undefined): unknown {
  if (!s) return undefined;
  return { ...s, servedBy: undefined, conditions: s.conditions?.map((c: Condition) => ({ ...c, lastTransitionTime: undefined })) };
}
