import type { FakeCluster } from '../../../simulator/cluster.js';
import type { KindInfo } from '../../../simulator/kinds/kind.js';
import type { KubeObject, OwnerReference } from '../../../simulator/store/object.js';

/**
 * What the addon ensure-steps (kube-proxy, CoreDNS, kube-dns endpoints) share
 * while one settling round runs: the cluster, its kinds, the Nodes and
 * kube-system Pods read once at the start of the round, and what an earlier
 * step leaves for a later one.
 */

export type Obj = Record<string, unknown>;

export const KUBE_SYSTEM = 'kube-system';
export const KUBE_PROXY = 'kube-proxy';
export const COREDNS = 'coredns';
export const KUBE_DNS = 'kube-dns';
export const CONTROLLER_MANAGER = 'kube-controller-manager';
export const KUBELET = 'kubelet';
/** What a Node without an InternalIP reports as its address (the FakeNode reconciler's default). */
const DEFAULT_NODE_IP = '127.0.0.1';

export interface AddonSettings {
  /** The cluster's pod network (kubeadm's podSubnet): coredns Pods get addresses from it. */
  readonly podCIDR: string;
}

export interface Kinds {
  readonly node: KindInfo;
  readonly pod: KindInfo;
  readonly daemonSet: KindInfo;
  readonly deployment: KindInfo;
  readonly replicaSet: KindInfo;
  readonly service: KindInfo;
  readonly endpoints: KindInfo;
  readonly endpointSlice: KindInfo;
}

/** One settling round. */
export interface Settling {
  readonly cluster: FakeCluster;
  readonly kinds: Kinds;
  readonly settings: AddonSettings;
  readonly now: string;
  readonly nodes: readonly KubeObject[];
  /** kube-system's Pods as the round began (a step's own writes are not in it). */
  readonly kubeSystemPods: readonly KubeObject[];
  /** The Running coredns Pods, once the CoreDNS step has run; undefined without a coredns Deployment. */
  dnsPods?: readonly KubeObject[];
}

/** One thing a controller keeps true, brought in line with the round's state. Idempotent. */
export type EnsureStep = (s: Settling) => void;

export function kindsOf(cluster: FakeCluster): Kinds {
  return {
    node: cluster.kind('', 'v1', 'nodes'),
    pod: cluster.kind('', 'v1', 'pods'),
    daemonSet: cluster.kind('apps', 'v1', 'daemonsets'),
    deployment: cluster.kind('apps', 'v1', 'deployments'),
    replicaSet: cluster.kind('apps', 'v1', 'replicasets'),
    service: cluster.kind('', 'v1', 'services'),
    endpoints: cluster.kind('', 'v1', 'endpoints'),
    endpointSlice: cluster.kind('discovery.k8s.io', 'v1', 'endpointslices'),
  };
}

export function templateOf(workload: KubeObject): Obj {
  return ((workload.spec as Obj | undefined)?.template ?? {}) as Obj;
}

export function templateLabels(template: Obj): Record<string, string> | undefined {
  return (template.metadata as { labels?: Record<string, string> } | undefined)?.labels;
}

export function controllerRef(owner: KubeObject): OwnerReference {
  return { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  return obj.metadata.ownerReferences?.some((r) => r.controller === true && r.uid === owner.metadata.uid) ?? false;
}

export function nodeNameOf(pod: KubeObject): string | undefined {
  const name = (pod.spec as Obj | undefined)?.nodeName;
  return typeof name === 'string' && name ? name : undefined;
}

export function internalIP(node: KubeObject): string {
  const addresses = ((node.status as Obj | undefined)?.addresses ?? []) as { type?: string; address?: string }[];
  return addresses.find((a) => a.type === 'InternalIP')?.address ?? DEFAULT_NODE_IP;
}
