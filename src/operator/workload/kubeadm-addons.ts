import type { FakeCluster } from '../../simulator/cluster.js';
import { storageKey } from '../../simulator/kinds/registry.js';
import { kubeTime } from '../../simulator/store/object.js';
import { ensureCoreDns } from './addons/coredns.js';
import { ensureDnsEndpoints } from './addons/dns-endpoints.js';
import { ensureKubeProxy } from './addons/kube-proxy.js';
import { COREDNS, KUBE_PROXY, KUBE_SYSTEM, kindsOf, type AddonSettings, type EnsureStep } from './addons/settling.js';
import { forgetNodeEvents, recordNodeRegistration, recordReadinessChange } from './node-events.js';

/**
 * What kube-controller-manager, the scheduler and the kubelets make of the
 * addons `kubeadm init` installs, in a cluster that has settled: one
 * Running kube-proxy Pod per Node (DaemonSet), the coredns ReplicaSet and
 * its Running Pods (Deployment), the kube-dns Service's EndpointSlice and
 * Endpoints, and status counts that agree with the Pods. Settled again
 * whenever a Node comes or goes — through the operator or through the API.
 * A cluster without the kube-proxy DaemonSet or coredns Deployment (a
 * template directory of one's own) gets none of it.
 */

export type { AddonSettings } from './addons/settling.js';

/** Settling writes workloads, which reports them changed: one more round sees them settled; more would be a bug. */
const MAX_SETTLE_ROUNDS = 3;
/** kubeadm gives kube-dns the tenth address of the service network (10.96.0.10 for 10.96.0.0/12). */
const DNS_SERVICE_OFFSET = 10;

/** A settling round, in order: the endpoints step reads the Pods the CoreDNS step leaves. */
const ENSURE_STEPS: readonly EnsureStep[] = [ensureKubeProxy, ensureCoreDns, ensureDnsEndpoints];

/**
 * What a fake cluster holds beyond what CAPI reads (`--cluster-contents`): `kubeadm` settles it as
 * a running kubeadm cluster (this module: addon Pods, kube-dns endpoints, Node events); `minimal`
 * keeps the kubeadm objects CAPI reads (ConfigMaps, RBAC, static Pods, Nodes) and the addons'
 * DaemonSet and Deployment unsettled: ~35 KiB less per cluster and ~9 KiB less per Node, for
 * scale tests where nobody lists Pods or Events.
 */
export const CLUSTER_CONTENTS = ['kubeadm', 'minimal'] as const;
export type ClusterContents = (typeof CLUSTER_CONTENTS)[number];
export const DEFAULT_CLUSTER_CONTENTS: ClusterContents = 'kubeadm';

/** Clusters already watched: the observer is set once per cluster. */
const watched = new WeakMap<FakeCluster, AddonSettings>();
/** Clusters being settled right now, and whether a change arrived meanwhile (settling writes, and writes tell the observer). */
const settling = new WeakMap<FakeCluster, { again: boolean }>();
/** Clusters whose settling waits for a batch of writes to end (deferSettling). */
const deferred = new WeakSet<FakeCluster>();

/**
 * Runs `writes` with settling put off until they end, then settles once (when the cluster is
 * watched): registering a control-plane Node writes the Node, its static Pods and what kubeadm
 * leaves, and each would otherwise settle the addons again.
 */
export function deferSettling(cluster: FakeCluster, now: string, writes: () => void): void {
  if (deferred.has(cluster)) return writes();
  deferred.add(cluster);
  try {
    writes();
  } finally {
    deferred.delete(cluster);
  }
  settleKubeadmAddons(cluster, now);
}

/**
 * Starts keeping the cluster's addons settled as Nodes come and go and the
 * addons' specs change (CAPI upgrades kube-proxy's and CoreDNS's images),
 * and records a new Node's events; call before the cluster's first Node is
 * registered, so that one gets its events too. Idempotent.
 */
export function watchKubeadmCluster(cluster: FakeCluster, settings: AddonSettings): void {
  if (watched.has(cluster)) return;
  watched.set(cluster, settings);
  cluster.observer = {
    nodeAdded: (node) => {
      const now = kubeTime(new Date());
      recordNodeRegistration(cluster, node, now);
      settleKubeadmAddons(cluster, now);
    },
    nodeChanged: (node, previous) => recordReadinessChange(cluster, node, previous, kubeTime(new Date())),
    nodeRemoved: (node) => {
      forgetNodeEvents(cluster, node.metadata.name!);
      settleKubeadmAddons(cluster, kubeTime(new Date()));
    },
    workloadChanged: (workload) => {
      if (workload.metadata.namespace === KUBE_SYSTEM && (workload.metadata.name === KUBE_PROXY || workload.metadata.name === COREDNS)) settleKubeadmAddons(cluster, kubeTime(new Date()));
    },
    // A deleted addon Pod (kubectl delete pod, an eviction) is made again, as its controller would.
    podRemoved: (pod) => {
      const owner = pod.metadata.ownerReferences?.find((r) => r.controller === true);
      if (pod.metadata.namespace === KUBE_SYSTEM && (owner?.kind === 'DaemonSet' || owner?.kind === 'ReplicaSet')) settleKubeadmAddons(cluster, kubeTime(new Date()));
    },
  };
}

/**
 * Brings the addons' Pods, endpoints and status counts in line with the
 * cluster's Nodes and the addons' specs. Idempotent. A change that arrives
 * while settling (its own writes included) is settled once more after.
 */
export function settleKubeadmAddons(cluster: FakeCluster, now: string): void {
  const settings = watched.get(cluster);
  if (!settings || deferred.has(cluster)) return;
  const running = settling.get(cluster);
  if (running) {
    running.again = true;
    return;
  }
  const state = { again: true };
  settling.set(cluster, state);
  try {
    for (let round = 0; state.again && round < MAX_SETTLE_ROUNDS; round++) {
      state.again = false;
      settleOnce(cluster, settings, now);
    }
  } finally {
    settling.delete(cluster);
  }
}

function settleOnce(cluster: FakeCluster, settings: AddonSettings, now: string): void {
  const kinds = kindsOf(cluster);
  const nodes = cluster.resources.store.list(storageKey(kinds.node)).map((e) => e.object);
  const kubeSystemPods = cluster.resources.store.list(storageKey(kinds.pod), KUBE_SYSTEM).map((e) => e.object);
  const round = { cluster, kinds, settings, now, nodes, kubeSystemPods };
  for (const step of ENSURE_STEPS) step(round);
}

/** The kube-dns Service's ClusterIP as kubeadm picks it: the tenth address of the service network. */
export function dnsServiceIP(serviceCIDR: string): string {
  const [base] = serviceCIDR.split('/');
  const o = (base ?? '').split('.').map(Number);
  if (o.length !== 4 || o.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new Error(`service network ${serviceCIDR} is not an IPv4 CIDR`);
  const n = ((((o[0]! << 24) >>> 0) + (o[1]! << 16) + (o[2]! << 8) + o[3]!) >>> 0) + DNS_SERVICE_OFFSET;
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}
