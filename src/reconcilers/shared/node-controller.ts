import { API_VERSION, FAKE_API_SERVER, FAKE_NODE, MANAGED_BY_LABEL, clusterNameOf as fakeApiServerCluster, type FakeAPIServer, type FakeNode } from '../../operator/api/v1alpha1.js';
import { KubeApiError, type KubeClient, type ResourcePath } from '../../operator/kube/client.js';
import { Informer, type KubeObjectLike } from '../../operator/kube/informer.js';
import { recordEvent, type EventType } from '../../operator/kube/objects.js';
import { WorkQueue, type ReconcileResult } from '../../operator/queue/work-queue.js';
import type { Logger } from '../../telemetry/logger.js';
import type { OperatorMetrics } from '../../telemetry/metrics.js';
import { REASON, type NodeDecision, type Problem } from './node-decision.js';
import { OwnedFakeNodes, sourceKeyOf, sourceOf } from './owned-fakenodes.js';

/**
 * The machinery both node reconcilers share: informers whose events only
 * enqueue source keys, one per-key work queue, a periodic resync, and
 * `apply`, which turns a NodeDecision into FakeNode writes, Events and log
 * lines. Nothing here exits the process: bad data is reported and skipped.
 */

export interface NodeControllerConfig {
  /** Names the controller in logs and metrics, and is the managed-by label value of its FakeNodes. */
  readonly name: string;
  /** Kind of the objects whose keys the queue holds (BareMetalHost, Machine). */
  readonly sourceKind: string;
  readonly client: KubeClient;
  readonly log: Logger;
  readonly reconcile: (key: string) => Promise<ReconcileResult | void>;
  /** Source keys to look at again when a FakeAPIServer changes (a cluster appearing unblocks waiting sources). */
  readonly fakeApiServerKeys: (fas: FakeAPIServer) => Iterable<string>;
  readonly concurrency?: number;
  readonly resyncMs?: number;
  readonly metrics?: OperatorMetrics;
}

/** An object a decision is about, for Events. */
export interface SourceObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { name: string; namespace?: string; uid?: string };
}

const DEFAULT_CONCURRENCY = 4;
/** Every source is reconciled again this often, to repair drift nobody told us about. */
const DEFAULT_RESYNC_MS = 10 * 60_000;
/** Partial data (a missing Metal3Machine, an unknown cluster) is looked at again this often, besides watch events. */
export const WAIT_RETRY_MS = 30_000;
/** A FakeNode of the same name is still being deleted: look again soon. */
const TERMINATING_RETRY_MS = 1_000;

export class NodeController {
  readonly queue: WorkQueue;
  readonly owned: OwnedFakeNodes;
  private readonly fakeApiServers: Informer<FakeAPIServer>;
  private readonly informers: Informer[] = [];
  private resyncTimer?: NodeJS.Timeout;
  private primary?: Informer;
  /**
   * Settles once every informer has listed. Decisions read several caches (a Machine and its
   * Cluster's opt-in): made before all are listed, a missing Cluster reads as "not opted in" and
   * its FakeNodes would be deleted — the Nodes of a fake cluster gone for a moment after every
   * operator restart. Workers wait for it, as controller-runtime waits for its caches; `stop`
   * releases them (a missing CRD keeps an informer from ever listing).
   */
  private cachesSynced: Promise<void> = Promise.resolve();
  private cachesReady = false;
  private stopped = false;
  private readonly stopping: Promise<void>;
  private releaseWaiting?: () => void;

  constructor(private readonly config: NodeControllerConfig) {
    if (!config.name || !config.sourceKind) throw new Error('a node controller needs a name and a source kind');
    this.stopping = new Promise((resolve) => (this.releaseWaiting = resolve));
    const metrics = config.metrics;
    this.queue = new WorkQueue({
      name: config.name,
      concurrency: config.concurrency ?? DEFAULT_CONCURRENCY,
      log: config.log,
      reconcile: async (key) => {
        if (!this.cachesReady) await Promise.race([this.cachesSynced, this.stopping]);
        if (this.stopped) return;
        return config.reconcile(key);
      },
      ...(metrics
        ? {
            onResult: (_key: string, result: 'success' | 'error', ms: number) => {
              metrics.reconciles.inc({ controller: config.name, result });
              metrics.reconcileSeconds.observe({ controller: config.name }, ms / 1000);
            },
          }
        : {}),
    });
    const fakeNodes = this.watch<FakeNode>(
      { apiVersion: API_VERSION, plural: FAKE_NODE.plural },
      (fn) => {
        const key = sourceKeyOf(fn, config.sourceKind);
        return key ? [key] : [];
      },
      `${MANAGED_BY_LABEL}=${config.name}`,
    );
    this.owned = new OwnedFakeNodes(config.client, config.name, fakeNodes);
    this.fakeApiServers = this.watch<FakeAPIServer>({ apiVersion: API_VERSION, plural: FAKE_API_SERVER.plural }, config.fakeApiServerKeys);
  }

  /** Watches a kind; its events enqueue the source keys `toKeys` maps them to. The first watch of the source kind itself should be marked `primary`. */
  watch<T extends KubeObjectLike>(resource: Omit<ResourcePath, 'name' | 'subresource'>, toKeys: (obj: T) => Iterable<string>, labelSelector?: string, primary = false): Informer<T> {
    const informer: Informer<T> = new Informer<T>(this.config.client, {
      resource,
      log: this.config.log,
      ...(labelSelector ? { labelSelector } : {}),
      onEvent: (_type, obj, previous) => {
        for (const key of toKeys(obj as T)) this.queue.add(key);
        // A change can also release the keys the old version mapped to (a consumerRef moved).
        if (previous) for (const key of toKeys(previous as T)) this.queue.add(key);
      },
    });
    this.informers.push(informer as unknown as Informer);
    if (primary) this.primary = informer as unknown as Informer;
    return informer;
  }

  start(): void {
    for (const i of this.informers) i.start();
    this.cachesSynced = this.synced().then(() => {
      this.cachesReady = true;
    });
    this.resyncTimer = setInterval(() => {
      for (const key of this.primary?.keys() ?? []) this.queue.add(key);
    }, this.config.resyncMs ?? DEFAULT_RESYNC_MS);
    this.resyncTimer.unref();
    this.config.log.info({ source: this.config.sourceKind }, 'node reconciler started');
  }

  /** Resolves when every watched kind has been listed once (never, while a CRD is missing: the informers keep retrying). */
  async synced(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.synced));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.releaseWaiting?.();
    clearInterval(this.resyncTimer);
    for (const i of this.informers) i.stop();
    await this.queue.shutdown();
  }

  fakeApiServerFor(namespace: string, clusterName: string): FakeAPIServer | undefined {
    return this.fakeApiServers.list().find((fas) => fas.metadata.namespace === namespace && fakeApiServerCluster(fas) === clusterName);
  }

  /** Makes the FakeNodes of source `key` match the decision. */
  async apply(key: string, subject: SourceObject | undefined, decision: NodeDecision): Promise<ReconcileResult | void> {
    const source = sourceOf(this.config.sourceKind, key);
    const log = this.config.log.child({ source });
    const mine = this.owned.ofSource(source);
    let d = decision;
    if (d.kind === 'present' && !this.fakeApiServerFor(d.node.namespace, d.node.spec.clusterName)) {
      const { namespace, spec } = d.node;
      d = {
        kind: 'wait',
        problem: { reason: REASON.unknownCluster, message: `no FakeAPIServer serves cluster ${spec.clusterName} in namespace ${namespace}; create one (spec.clusterName: ${spec.clusterName}) and node ${spec.nodeName} follows` },
      };
    }
    if (d.kind === 'wait') {
      await this.report(log, subject, 'Warning', d.problem);
      return { requeueAfterMs: WAIT_RETRY_MS };
    }
    const keep = d.kind === 'present' ? d.node.name : undefined;
    for (const fn of mine) {
      if (fn.metadata.name === keep) continue;
      if (await this.owned.remove(fn)) {
        const why = d.kind === 'absent' ? d.why : `the node is now ${keep}`;
        await this.report(log, subject, 'Normal', { reason: REASON.fakeNodeDeleted, message: `deleted FakeNode ${fn.metadata.name}: ${why}` });
      }
    }
    if (d.kind === 'absent') {
      if (d.problem) await this.report(log, subject, 'Warning', d.problem);
      else log.debug({ why: d.why }, 'no FakeNode wanted');
      return;
    }
    const node = d.node;
    let outcome;
    try {
      outcome = await this.owned.ensure(node, source);
    } catch (err) {
      // The FakeNode CRD refused what the source says (e.g. a malformed version): retrying cannot help until the source changes.
      if (err instanceof KubeApiError && err.code === 422) {
        await this.report(log, subject, 'Warning', { reason: REASON.fakeNodeInvalid, message: `FakeNode ${node.namespace}/${node.name} was refused: ${err.message}` });
        return;
      }
      throw err;
    }
    if (outcome === 'terminating') return { requeueAfterMs: TERMINATING_RETRY_MS };
    if (typeof outcome === 'object') {
      await this.report(log, subject, 'Warning', { reason: REASON.fakeNodeConflict, message: outcome.conflict });
      return { requeueAfterMs: WAIT_RETRY_MS };
    }
    if (outcome === 'created' || outcome === 'updated') {
      const verb = outcome === 'created' ? 'created' : 'updated';
      await this.report(log, subject, 'Normal', {
        reason: outcome === 'created' ? REASON.fakeNodeCreated : REASON.fakeNodeUpdated,
        message: `${verb} FakeNode ${node.namespace}/${node.name} (cluster ${node.spec.clusterName}, providerID ${node.spec.providerID ?? 'none'}, role ${node.spec.role ?? 'worker'})`,
      });
    }
  }

  /** A log line and, when the subject still exists, an Event on it. An Event that cannot be written never fails the reconcile. */
  private async report(log: Logger, subject: SourceObject | undefined, type: EventType, p: Problem): Promise<void> {
    if (type === 'Warning') log.warn({ reason: p.reason }, p.message);
    else log.info({ reason: p.reason }, p.message);
    if (!subject?.metadata.uid) return;
    try {
      await recordEvent(this.config.client, subject, type, p.reason, p.message);
    } catch (err) {
      log.warn({ err: (err as Error).message, reason: p.reason }, 'could not record an Event');
    }
  }
}
