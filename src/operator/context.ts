import type { CaKeyAlgorithm, CaSecretCache } from './controllers/fakeapiserver/cluster-cas.js';
import type { FakeCluster } from '../simulator/cluster.js';
import type { Simulator } from '../simulator/simulator.js';
import type { Logger } from '../telemetry/logger.js';
import type { FakeAPIServer, FakeAPIServerStatus, FakeNode, FakeNodeStatus } from './api/v1alpha1.js';
import type { PortAllocator } from './controllers/fakeapiserver/port-allocator.js';
import type { ClusterIndex } from './cluster-index.js';
import type { ClusterCas } from './controllers/fakeapiserver/certificates.js';
import type { StatusWriter } from './kube/status-writes.js';
import type { KubeClient } from './kube/client.js';
import type { Informer } from './kube/informer.js';
import type { WorkQueue } from './queue/work-queue.js';
import type { RequestMetrics } from './request-metrics.js';
import type { ShardOwnership } from './sharding/ownership.js';
import type { ClusterContents } from './workload/kubeadm-addons.js';

/** A fake cluster the operator serves for one FakeAPIServer. */
export interface ServedCluster {
  readonly cluster: FakeCluster;
  readonly port: number;
  readonly host: string;
  readonly version: string;
  /**
   * Fingerprints of the CA certificates it serves with: a change means rotate.
   * Not the Secrets' resourceVersions: CAPI adopting a Secret (owner
   * references, labels) changes those without changing the CA.
   */
  caVersion: string;
  etcdCaVersion: string;
  /** Sharded `exposure: Service`: the address:port this replica last wrote into the Service's EndpointSlice. */
  endpointSlice?: string;
  /** The CAs as last read from their Secrets, for reconciles that need not read them again. */
  casChecked?: { readonly cas: ClusterCas; readonly atMs: number; readonly generation: number | undefined };
}

/** Everything the reconcilers share; built by the manager. */
export interface OperatorContext {
  readonly client: KubeClient;
  readonly simulator: Simulator;
  readonly ports: PortAllocator;
  readonly log: Logger;
  readonly now: () => Date;
  /** Host the listeners bind to. */
  readonly bindHost: string;
  /** Host written into endpoints unless a FakeAPIServer says otherwise (POD_IP in a cluster). */
  readonly advertiseHost: string;
  /** Labels of the operator's pods, for per-FakeAPIServer Services (exposure: Service). */
  readonly serviceSelector?: Readonly<Record<string, string>>;
  readonly workloadTemplateDir?: string;
  /** `--cluster-contents`: minimal leaves addon Pods, endpoints and Node events out. */
  readonly clusterContents: ClusterContents;
  /** Key type of the CAs the operator generates when CAPI's Secrets do not exist yet. */
  readonly caKeyAlgorithm?: CaKeyAlgorithm;
  /** CA Secrets already parsed, by resourceVersion. */
  readonly caSecrets: CaSecretCache;
  /** Cluster name → FakeAPIServer and FakeNodes, from the informers. */
  readonly index: ClusterIndex;
  /** Statuses decided by reconciles, written in batches, per kind (the shim reads them too). */
  readonly statuses: { readonly fakeApiServers: StatusWriter<FakeAPIServerStatus>; readonly fakeNodes: StatusWriter<FakeNodeStatus> };
  /** FakeAPIServer key (namespace/name) → its running fake cluster. */
  readonly served: Map<string, ServedCluster>;
  readonly fakeApiServers: Informer<FakeAPIServer>;
  readonly fakeNodes: Informer<FakeNode>;
  readonly fasQueue: WorkQueue;
  readonly nodeQueue: WorkQueue;
  /** With `--sharding`: which FakeAPIServers this replica serves, and the handover. */
  readonly shard?: ShardOwnership;
  /** Makes the request observer of each served cluster (fkas_apiserver_* metrics). */
  readonly requestMetrics?: RequestMetrics;
}

/** `namespace/clusterName` → the key of the FakeAPIServer serving that cluster. */
export function fakeApiServerKeyFor(ctx: OperatorContext, namespace: string, clusterName: string): string | undefined {
  return ctx.index.serverFor(namespace, clusterName);
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
