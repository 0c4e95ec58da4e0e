import k8sOperator from '@dot-i/k8s-operator';
import { KubeConfig } from '@kubernetes/client-node';
import { Simulator } from '../simulator/simulator.js';
import type { StorageBackend } from '../simulator/storage/backend.js';
import { componentLogger, type Logger } from '../telemetry/logger.js';
import { OperatorMetrics } from '../telemetry/metrics.js';
import type { OperatorContext } from './context.js';
import { fakeApiServerKeyFor } from './context.js';
import { stopServing } from './controllers/fakeapiserver/serving.js';
import type { CaKeyAlgorithm } from './controllers/fakeapiserver/cluster-cas.js';
import type { PortRange } from './controllers/fakeapiserver/port-allocator.js';
import { KubeClient, type KubeTransport } from './kube/client.js';
import { installCrds } from './kube/crds.js';
import { keyOf } from './kube/informer.js';
import { startProbeServer, type ProbeServer } from './probes.js';
import type { RequestMetricsMode } from './request-metrics.js';
import { wireOperator } from './wiring.js';
import { ShardMembership } from './sharding/membership.js';
import { ShardOwnership } from './sharding/ownership.js';
import type { ClusterContents } from './workload/kubeadm-addons.js';

/**
 * The operator: informers feed per-key work queues, reconcilers drive the
 * simulator. Built on @dot-i/k8s-operator's Operator lifecycle (start calls
 * init), with its watch, queue, status and finalizer helpers replaced by
 * ours (see src/operator/kube/*), because they exit the process on watch
 * errors, lose deletions, swallow errors and clobber finalizers.
 */

export interface ManagerConfig {
  /** Management cluster kubeconfig; undefined means the default loading rules (KUBECONFIG, in-cluster). */
  readonly kubeconfigPath?: string;
  readonly kubeConfig?: KubeConfig;
  /** How calls reach the management API when not over HTTPS (the embedded one answers in-process). */
  readonly managementTransport?: KubeTransport;
  readonly bindHost: string;
  readonly advertiseHost: string;
  readonly portRange?: PortRange;
  /** Probe and metrics port; 0 picks one. */
  readonly probePort: number;
  readonly probeHost?: string;
  readonly installCrds?: boolean;
  readonly concurrency?: number;
  readonly resyncMs?: number;
  /** How long a decided status waits for a newer one before it is written (StatusWriter's COALESCE_MS). */
  readonly statusCoalesceMs?: number;
  readonly serviceSelector?: Readonly<Record<string, string>>;
  readonly workloadTemplateDir?: string;
  /** What fake clusters hold beyond what CAPI reads (default kubeadm: a settled kubeadm cluster). */
  readonly clusterContents?: ClusterContents;
  readonly caKeyAlgorithm?: CaKeyAlgorithm;
  readonly logger?: Logger;
  /** Where fake-cluster contents outlive the process (`--store`); opened by the caller. Memory by default. */
  readonly storage?: StorageBackend;
  /** Per-cluster request metrics (default `cluster`); `aggregate` drops the namespace/cluster labels. */
  readonly requestMetrics?: RequestMetricsMode;
  /** `--sharding`: this replica serves only the FakeAPIServers assigned to it (src/operator/sharding). */
  readonly sharding?: ShardingConfig;
}

export interface ShardingConfig {
  /** `--replica-id`: this replica's name among the members (the pod name). */
  readonly replicaId: string;
  /** Where the member Leases live (the operator's namespace). */
  readonly namespace: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly renewPeriodMs?: number;
}

/** Every object is reconciled again this often, to repair drift nobody told us about. */
const DEFAULT_RESYNC_MS = 10 * 60_000;

/** The library ships CommonJS: its class is the module's default export. */
const Operator = k8sOperator.default;

export class FkasOperator extends Operator {
  readonly metrics = new OperatorMetrics({ processMetrics: true });
  readonly simulator: Simulator;
  readonly client: KubeClient;
  private readonly log: Logger;
  private ctx?: OperatorContext;
  private probes?: ProbeServer;
  private ready = false;
  private resyncTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly config: ManagerConfig) {
    super();
    this.log = config.logger ?? componentLogger('operator');
    const kc = config.kubeConfig ?? new KubeConfig();
    if (!config.kubeConfig) {
      if (config.kubeconfigPath) kc.loadFromFile(config.kubeconfigPath);
      else kc.loadFromDefault();
    }
    this.client = new KubeClient(kc, undefined, config.managementTransport);
    this.client.observer = (verb, resource, code) => this.metrics.managementRequests.inc({ verb, resource, code: String(code) });
    this.simulator = new Simulator({ bindHost: config.bindHost, logger: componentLogger('simulator'), ...(config.storage ? { storage: config.storage } : {}) });
  }

  get probePort(): number | undefined {
    return this.probes?.port;
  }

  get isReady(): boolean {
    return this.ready;
  }

  get context(): OperatorContext | undefined {
    return this.ctx;
  }

  /** Called by the library's start(). */
  protected async init(): Promise<void> {
    const c = this.config;
    this.probes = await startProbeServer(c.probeHost ?? '0.0.0.0', c.probePort, () => this.ready, this.metrics.registry);
    if (c.installCrds) await installCrds(this.client);
    let ctx!: OperatorContext;
    const shard = c.sharding ? this.shardOwnership(c.sharding, () => ctx) : undefined;
    ctx = wireOperator({ config: c, client: this.client, simulator: this.simulator, metrics: this.metrics, log: this.log, ...(shard ? { shard } : {}) });
    const { fakeApiServers, fakeNodes, fasQueue, nodeQueue, served } = ctx;
    this.ctx = ctx;
    // Restoring every object decides statuses on the way (a cluster counts 0 nodes until its
    // FakeNodes are back); only what still differs once all is restored is written.
    const releases = [ctx.statuses.fakeApiServers.hold(), ctx.statuses.fakeNodes.hold()];
    fakeApiServers.start();
    fakeNodes.start();
    await Promise.all([fakeApiServers.synced, fakeNodes.synced]);
    // Every FakeAPIServer gets back the port its status records before anyone asks for a new one
    // (sharded: those this replica served; the others' ports are on other replicas' addresses).
    for (const fas of fakeApiServers.list()) {
      const port = fas.spec.port ?? fas.status?.endpoint?.port;
      const ours = !shard || fas.status?.servedBy === shard.identity;
      if (port !== undefined && ours && (fas.spec.exposure ?? 'Direct') === 'Direct') ctx.ports.reserve(keyOf(fas), port);
    }
    if (shard) {
      // Nothing was served before this: every reconcile so far found the replica not yet a member.
      await this.membership!.start();
      this.metrics.shardMembers.set(shard.membership.assignable().length);
      for (const k of fakeApiServers.keys()) fasQueue.add(k);
    }
    await fasQueue.drain();
    await nodeQueue.drain();
    await fasQueue.drain();
    for (const release of releases) release();
    this.ready = true;
    this.resyncTimer = setInterval(() => {
      for (const k of fakeApiServers.keys()) fasQueue.add(k);
      for (const k of fakeNodes.keys()) nodeQueue.add(k);
      this.metrics.queueDepth.set({ controller: 'fakeapiserver' }, fasQueue.depth);
      this.metrics.queueDepth.set({ controller: 'fakenode' }, nodeQueue.depth);
    }, c.resyncMs ?? DEFAULT_RESYNC_MS);
    this.resyncTimer.unref();
    this.log.info({ fakeApiServers: served.size, probePort: this.probes.port }, 'operator ready');
  }

  /** The library's stop() would only abort its own watches; ours stops everything, without exiting. */
  override stop(): void {
    void this.shutdown();
  }

  /** Graceful stop: no new work, running reconciles finish, listeners close. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.ready = false;
    clearInterval(this.resyncTimer);
    const ctx = this.ctx;
    if (ctx?.shard) await this.handOver(ctx);
    if (ctx) {
      ctx.fakeApiServers.stop();
      ctx.fakeNodes.stop();
      await Promise.all([ctx.fasQueue.shutdown(), ctx.nodeQueue.shutdown()]);
      // Decided statuses still go out: the next start should not find them stale.
      await Promise.all([ctx.statuses.fakeApiServers.flush(), ctx.statuses.fakeNodes.flush()]);
      for (const key of [...ctx.served.keys()]) await stopServing(ctx, key, { keepPort: true });
    }
    await this.membership?.leave();
    await this.simulator.close();
    await this.probes?.close();
    this.client.close();
    this.log.info('operator stopped');
  }

  /** Told by the store that another replica took a cluster over (etcd fencing): look at it again now. */
  clusterFenced(key: string): void {
    this.ctx?.fasQueue.add(key);
  }

  private shardOwnership(sharding: ShardingConfig, ctx: () => OperatorContext | undefined): ShardOwnership {
    // Only the FakeAPIServers whose owner changed are looked at again: a takeover does not queue behind the ones that stay put.
    const wakeMoved = (): void => {
      const c = ctx();
      if (!c?.shard) return;
      this.metrics.shardMembers.set(c.shard.membership.assignable().length);
      for (const fas of c.fakeApiServers.list()) {
        const key = keyOf(fas);
        const decision = c.shard.decide(key, fas);
        const settled = c.served.has(key) ? decision === 'serve' : decision === 'elsewhere';
        if (!settled) c.fasQueue.add(key);
      }
    };
    const membership = new ShardMembership({
      client: this.client,
      namespace: sharding.namespace,
      identity: sharding.replicaId,
      log: this.log.child({ part: 'sharding' }),
      ...(sharding.leaseDurationMs ? { leaseDurationMs: sharding.leaseDurationMs } : {}),
      ...(sharding.renewDeadlineMs ? { renewDeadlineMs: sharding.renewDeadlineMs } : {}),
      ...(sharding.renewPeriodMs ? { renewPeriodMs: sharding.renewPeriodMs } : {}),
      onChange: wakeMoved,
      // Fenced: every served FakeAPIServer now decides "not here" and closes its listener.
      onFenced: wakeMoved,
    });
    this.membership = membership;
    return new ShardOwnership(this.client, membership);
  }

  /** With --sharding: this replica's member Lease. */
  private membership?: ShardMembership;

  /**
   * Graceful stop of a sharded replica: marked draining, it is assigned
   * nothing; each cluster it serves closes, then its claim is cleared, and
   * the replica the cluster is assigned to takes it at once (no lease expiry).
   */
  private async handOver(ctx: OperatorContext): Promise<void> {
    await this.membership!.drain();
    for (const key of [...ctx.served.keys()]) ctx.fasQueue.add(key);
    await ctx.fasQueue.drain();
  }

  /** The FakeAPIServer key serving a cluster name in a namespace (for the shim and tests). */
  keyFor(namespace: string, clusterName: string): string | undefined {
    return this.ctx ? fakeApiServerKeyFor(this.ctx, namespace, clusterName) : undefined;
  }
}
