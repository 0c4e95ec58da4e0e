import { clusterNameOf, type FakeAPIServer, type FakeNode } from './api/v1alpha1.js';

/**
 * Which FakeAPIServer serves a cluster name in a namespace, and which
 * FakeNodes belong to it, kept up to date from the informers' events.
 * Lookups are O(1): scanning every cached object on each event or
 * reconcile costs O(N²) over N clusters, minutes at 10,000.
 */
export class ClusterIndex {
  /** `namespace/clusterName` → FakeAPIServer keys; two claiming one cluster name: the first one serves it. */
  private readonly servers = new Map<string, Set<string>>();
  /** FakeAPIServer key → the `namespace/clusterName` it was indexed under. */
  private readonly serverCluster = new Map<string, string>();
  /** `namespace/clusterName` → FakeNode keys. */
  private readonly nodes = new Map<string, Set<string>>();
  /** FakeNode key → the `namespace/clusterName` it was indexed under. */
  private readonly nodeCluster = new Map<string, string>();

  /** Records a FakeAPIServer as it is now; undefined when it is gone. */
  setFakeApiServer(key: string, fas: FakeAPIServer | undefined): void {
    const after = fas ? clusterKey(fas.metadata.namespace ?? '', clusterNameOf(fas)) : undefined;
    move(this.servers, this.serverCluster, key, after);
  }

  /** Records a FakeNode as it is now; undefined when it is gone. */
  setFakeNode(key: string, fn: FakeNode | undefined): void {
    const after = fn ? clusterKey(fn.metadata.namespace ?? '', fn.spec?.clusterName ?? '') : undefined;
    move(this.nodes, this.nodeCluster, key, after);
  }

  serverFor(namespace: string, clusterName: string): string | undefined {
    const set = this.servers.get(clusterKey(namespace, clusterName));
    return set ? set.values().next().value : undefined;
  }

  /** Keys of the FakeNodes naming this FakeAPIServer's cluster. */
  nodesOf(fas: FakeAPIServer): readonly string[] {
    const set = this.nodes.get(clusterKey(fas.metadata.namespace ?? '', clusterNameOf(fas)));
    return set ? [...set] : [];
  }
}

/** Moves `key` from the group it was indexed under to `to` (none: removes it). */
function move(groups: Map<string, Set<string>>, groupOf: Map<string, string>, key: string, to: string | undefined): void {
  const from = groupOf.get(key);
  if (from === to) return;
  if (from !== undefined) {
    groupOf.delete(key);
    const set = groups.get(from);
    set?.delete(key);
    if (set?.size === 0) groups.delete(from);
  }
  if (to !== undefined) {
    groupOf.set(key, to);
    let set = groups.get(to);
    if (!set) groups.set(to, (set = new Set()));
    set.add(key);
  }
}

const clusterKey = (namespace: string, clusterName: string): string => `${namespace}/${clusterName}`;
