import type { Simulator } from '../simulator/simulator.js';
import type { Logger } from '../telemetry/logger.js';
import type { OperatorMetrics } from '../telemetry/metrics.js';
import { API_VERSION, FAKE_API_SERVER, FAKE_NODE, type FakeAPIServer, type FakeAPIServerStatus, type FakeNode, type FakeNodeStatus } from './api/v1alpha1.js';
import { ClusterIndex } from './cluster-index.js';
import type { OperatorContext, ServedCluster } from './context.js';
import { CaSecretCache } from './controllers/fakeapiserver/cluster-cas.js';
import { DEFAULT_PORT_RANGE, PortAllocator } from './controllers/fakeapiserver/port-allocator.js';
import { reconcileFakeApiServer } from './controllers/fakeapiserver/reconcile.js';
import { reconcileFakeNode } from './controllers/fakenode/reconcile.js';
import type { KubeClient } from './kube/client.js';
import { Informer, keyOf } from './kube/informer.js';
import { StatusWriter } from './kube/status-writes.js';
import type { ManagerConfig } from './manager.js';
import { WorkQueue } from './queue/work-queue.js';
import { RequestMetrics } from './request-metrics.js';
import type { ShardOwnership } from './sharding/ownership.js';
import { DEFAULT_CLUSTER_CONTENTS } from './workload/kubeadm-addons.js';

/**
 * How the operator's parts are connected: informer events → the index, the
 * status writers and the per-kind work queues; queues → reconcilers, which
 * reach everything through one OperatorContext. Built once per start; the
 * manager starts the informers and runs the lifecycle.
 */

const DEFAULT_CONCURRENCY = 8;

export interface WiringDeps {
  readonly config: ManagerConfig;
  readonly client: KubeClient;
  readonly simulator: Simulator;
  readonly metrics: OperatorMetrics;
  readonly log: Logger;
  readonly shard?: ShardOwnership;
}

export function wireOperator(deps: WiringDeps): OperatorContext {
  const { config: c, client, log, metrics } = deps;
  const served = new Map<string, ServedCluster>();
  // The context the reconcilers get; the queues and informers below close over it before it exists.
  let ctx!: OperatorContext;
  const queue = (name: string, reconcile: (key: string) => ReturnType<typeof reconcileFakeApiServer>): WorkQueue =>
    new WorkQueue({
      name,
      concurrency: c.concurrency ?? DEFAULT_CONCURRENCY,
      log,
      reconcile,
      onResult: (_key, result, ms) => {
        metrics.reconciles.inc({ controller: name, result });
        metrics.activeClusters.set(served.size);
        metrics.reconcileSeconds.observe({ controller: name }, ms / 1000);
      },
    });
  const index = new ClusterIndex();
  const fasQueue = queue('fakeapiserver', (key) => reconcileFakeApiServer(ctx, key));
  const nodeQueue = queue('fakenode', (key) => reconcileFakeNode(ctx, key));
  const coalesce = c.statusCoalesceMs !== undefined ? { coalesceMs: c.statusCoalesceMs } : {};
  const statuses = {
    fakeApiServers: new StatusWriter<FakeAPIServerStatus>({ client, log, retry: (key) => fasQueue.add(key), ...coalesce }),
    fakeNodes: new StatusWriter<FakeNodeStatus>({ client, log, retry: (key) => nodeQueue.add(key), ...coalesce }),
  };
  const fakeApiServers = new Informer<FakeAPIServer>(client, {
    resource: { apiVersion: API_VERSION, plural: FAKE_API_SERVER.plural },
    log,
    onEvent: (type, obj) => {
      const key = keyOf(obj);
      const fas = obj as FakeAPIServer;
      index.setFakeApiServer(key, type === 'DELETED' ? undefined : fas);
      if (type === 'DELETED') statuses.fakeApiServers.forget(key);
      else statuses.fakeApiServers.observed(key);
      fasQueue.add(key);
      // Nodes waiting for this server wake up when it changes.
      for (const k of index.nodesOf(fas)) nodeQueue.add(k);
    },
  });
  const fakeNodes = new Informer<FakeNode>(client, {
    resource: { apiVersion: API_VERSION, plural: FAKE_NODE.plural },
    log,
    onEvent: (type, obj) => {
      const key = keyOf(obj);
      index.setFakeNode(key, type === 'DELETED' ? undefined : (obj as FakeNode));
      if (type === 'DELETED') statuses.fakeNodes.forget(key);
      else statuses.fakeNodes.observed(key);
      nodeQueue.add(key);
    },
  });
  ctx = {
    requestMetrics: new RequestMetrics(metrics, c.requestMetrics ?? 'cluster'),
    client,
    simulator: deps.simulator,
    ports: new PortAllocator(c.portRange ?? DEFAULT_PORT_RANGE),
    log,
    now: () => new Date(),
    bindHost: c.bindHost,
    advertiseHost: c.advertiseHost,
    ...(c.serviceSelector ? { serviceSelector: c.serviceSelector } : {}),
    ...(c.workloadTemplateDir ? { workloadTemplateDir: c.workloadTemplateDir } : {}),
    clusterContents: c.clusterContents ?? DEFAULT_CLUSTER_CONTENTS,
    ...(c.caKeyAlgorithm ? { caKeyAlgorithm: c.caKeyAlgorithm } : {}),
    caSecrets: new CaSecretCache(),
    index,
    statuses,
    served,
    fakeApiServers,
    fakeNodes,
    fasQueue,
    nodeQueue,
    ...(deps.shard ? { shard: deps.shard } : {}),
  };
  return ctx;
}
