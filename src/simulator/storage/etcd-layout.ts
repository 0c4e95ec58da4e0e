/**
 * Where `--store etcd:` keeps fake clusters, so that any replica (and a
 * person with etcdctl) can find one cluster's contents under one prefix:
 *
 *   /fkas/<namespace>/<name>/owner                          who serves it (JSON), its mod revision fences
 *   /fkas/<namespace>/<name>/rv                             the highest resourceVersion saved (decimal)
 *   /fkas/<namespace>/<name>/objects/<group>/<plural>/<key>  an object as JSON; <key> is [<ns>/]<name>
 *
 * `<group>` is empty for the core group (`objects//pods/kube-system/etcd-cp-0`).
 * An empty value under `objects/` is a tombstone: a default object every
 * cluster is lent (RBAC) that this cluster deleted.
 * `etcdctl get --prefix /fkas/default/c1/` shows one cluster.
 */

export const DEFAULT_ETCD_PREFIX = '/fkas/';
const OWNER = 'owner';
const RV = 'rv';
const OBJECTS = 'objects/';
/** A cluster name is `namespace/name` of its FakeAPIServer: two DNS-label-like parts. */
const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export class EtcdLayout {
  constructor(readonly prefix: string = DEFAULT_ETCD_PREFIX) {}

  /** `/fkas/<namespace>/<name>/`; names of other shapes could overlap another cluster's keys, so they are refused. */
  cluster(cluster: string): string {
    if (!CLUSTER_NAME.test(cluster)) throw new Error(`fake cluster "${cluster}" cannot be stored in etcd: its name must be <namespace>/<name> (a FakeAPIServer's)`);
    return `${this.prefix}${cluster}/`;
  }

  owner(cluster: string): string {
    return this.cluster(cluster) + OWNER;
  }

  rv(cluster: string): string {
    return this.cluster(cluster) + RV;
  }

  /** The key of an object; `collection` is `group/plural`, `key` is `[namespace/]name`. */
  object(clusterPrefix: string, collection: string, key: string): string {
    return `${clusterPrefix}${OBJECTS}${collection}/${key}`;
  }

  /** What a key under a cluster's prefix holds. */
  parse(clusterPrefix: string, key: string): { readonly type: 'owner' } | { readonly type: 'rv' } | { readonly type: 'object'; readonly collection: string; readonly key: string } | undefined {
    if (!key.startsWith(clusterPrefix)) return undefined;
    const rest = key.slice(clusterPrefix.length);
    if (rest === OWNER) return { type: 'owner' };
    if (rest === RV) return { type: 'rv' };
    if (!rest.startsWith(OBJECTS)) return undefined;
    const path = rest.slice(OBJECTS.length);
    const groupEnd = path.indexOf('/');
    const pluralEnd = path.indexOf('/', groupEnd + 1);
    if (groupEnd < 0 || pluralEnd < 0) return undefined;
    return { type: 'object', collection: path.slice(0, pluralEnd), key: path.slice(pluralEnd + 1) };
  }
}

/** The end of an etcd prefix range: the prefix with its last byte incremented. */
export function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}
