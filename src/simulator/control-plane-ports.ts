import type { FakeCluster } from './cluster.js';
import { ETCD_CLIENT_PORT, type EtcdMember } from './etcd/fake-etcd.js';
import type { PodPortHandler } from './portforward/pod-ports.js';

/**
 * What listens on the static pods of a fake control plane, as CAPI's KCP
 * reaches them through port-forward: etcd's client port on `etcd-<node>`
 * (while that node's member is in the etcd cluster: a removed etcd has
 * exited), and the API server's port on `kube-apiserver-<node>` (KCP reads
 * the expiry of the certificate it serves).
 */

export const CONTROL_PLANE_NAMESPACE = 'kube-system';
export const API_SERVER_PORT = 6443;
const ETCD_POD_PREFIX = 'etcd-';
const API_SERVER_POD_PREFIX = 'kube-apiserver-';

export interface ControlPlanePortDeps {
  /** Hands a forwarded connection to a member's etcd (TLS, then gRPC). */
  serveEtcd(cluster: FakeCluster, member: EtcdMember, stream: Parameters<PodPortHandler>[0]): void;
}

export function controlPlanePort(cluster: FakeCluster, namespace: string, pod: string, port: number, deps: ControlPlanePortDeps): PodPortHandler | undefined {
  if (namespace !== CONTROL_PLANE_NAMESPACE) return undefined;
  if (port === ETCD_CLIENT_PORT && pod.startsWith(ETCD_POD_PREFIX)) {
    const member = cluster.etcd.memberByName(pod.slice(ETCD_POD_PREFIX.length));
    return member ? (stream) => deps.serveEtcd(cluster, member, stream) : undefined;
  }
  if (port === API_SERVER_PORT && pod.startsWith(API_SERVER_POD_PREFIX)) {
    return (stream) => cluster.acceptConnection(stream);
  }
  return undefined;
}
