import type { ResourcePath } from '../../../src/operator/kube/client.js';
import { eventually } from '../../support/operator-fixture.js';
import type { E2EEnvironment } from './environment.js';

/** Reading Cluster API's v1beta2 objects the way a provider's e2e suite checks them. */

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface CapiObject {
  metadata: { name: string; namespace: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string };
  spec: Record<string, unknown> & { replicas?: number; providerID?: string };
  status?: {
    conditions?: Condition[];
    phase?: string;
    nodeRef?: { name: string };
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    upToDateReplicas?: number;
    initialization?: Record<string, boolean>;
  };
}

const CAPI = 'cluster.x-k8s.io/v1beta2';
export const paths = {
  cluster: (ns: string, name?: string): ResourcePath => ({ apiVersion: CAPI, plural: 'clusters', namespace: ns, ...(name ? { name } : {}) }),
  machines: (ns: string): ResourcePath => ({ apiVersion: CAPI, plural: 'machines', namespace: ns }),
  kcp: (ns: string, name?: string): ResourcePath => ({ apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2', plural: 'kubeadmcontrolplanes', namespace: ns, ...(name ? { name } : {}) }),
  fakeNodes: (ns: string): ResourcePath => ({ apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakenodes', namespace: ns }),
};

export const isTrue = (o: CapiObject | undefined, type: string): boolean => o?.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;

export async function machinesOf(env: E2EEnvironment, ns: string, cluster: string): Promise<CapiObject[]> {
  const list = await env.client.list<CapiObject>(paths.machines(ns), { labelSelector: `cluster.x-k8s.io/cluster-name=${cluster}` });
  return list.items;
}

export const isControlPlane = (m: CapiObject): boolean => m.metadata.labels?.['cluster.x-k8s.io/control-plane'] !== undefined;
export const runningWithNode = (m: CapiObject): boolean => m.status?.phase === 'Running' && Boolean(m.status.nodeRef?.name) && !m.metadata.deletionTimestamp;

/** CAPI reconciles in seconds: polling faster only loads the apiserver it shares 2 cores with. */
const POLL_MS = 1000;

/** Polls until `probe` returns a value; on timeout the error carries CAPI's own view of the namespace. */
export async function waitFor<T>(env: E2EEnvironment, ns: string, what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>): Promise<T> {
  try {
    return await eventually(probe, what, timeoutMs, POLL_MS);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${await env.describe(ns)}`, { cause: err });
  }
}


/** KCP with `replicas` machines, all ready and up to date, and the health conditions that need etcd and the static pods. */
export async function controlPlaneReady(env: E2EEnvironment, ns: string, name: string, replicas: number): Promise<CapiObject | undefined> {
  const kcp = await env.get<CapiObject>(paths.kcp(ns, name));
  const s = kcp.status;
  const ok =
    s?.initialization?.controlPlaneInitialized === true &&
    s.replicas === replicas &&
    s.readyReplicas === replicas &&
    s.availableReplicas === replicas &&
    s.upToDateReplicas === replicas &&
    isTrue(kcp, 'Available') &&
    isTrue(kcp, 'EtcdClusterHealthy') &&
    isTrue(kcp, 'ControlPlaneComponentsHealthy');
  if (!ok) return undefined;
  const cps = (await machinesOf(env, ns, name)).filter(isControlPlane);
  return cps.length === replicas && cps.every(runningWithNode) ? kcp : undefined;
}

export const conditionOf = (o: CapiObject | undefined, type: string): Condition | undefined => o?.status?.conditions?.find((c) => c.type === type);

/**
 * Makes a CAPI controller reconcile `kind/name` now, as any edit of the object does. KCP re-checks
 * etcd and the static pods only when it reconciles, and when it is healthy nothing but its resync
 * (10 minutes by default) makes it reconcile again: a user waits for that, a spec asks for it.
 */
export async function requestReconcile(env: E2EEnvironment, kind: string, ns: string, name: string): Promise<void> {
  await env.kubectl(['annotate', kind, '-n', ns, name, '--overwrite', `e2e.fkas.metal3.io/reconcile-requested=${Date.now()}`]);
}

/** Machines by name with their uid: a remediated or replaced Machine changes this map. */
export async function machineIdentities(env: E2EEnvironment, ns: string, cluster: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const m of await machinesOf(env, ns, cluster)) out[m.metadata.name] = `${m.metadata.uid}${m.metadata.deletionTimestamp ? ' (deleting)' : ''}`;
  return out;
}

/** Machines that a MachineHealthCheck marked unhealthy or whose owner was asked to remediate them. */
export async function machinesMarkedForRemediation(env: E2EEnvironment, ns: string, cluster: string): Promise<string[]> {
  return (await machinesOf(env, ns, cluster))
    .filter((m) => conditionOf(m, 'HealthCheckSucceeded')?.status === 'False' || conditionOf(m, 'OwnerRemediated') !== undefined)
    .map((m) => m.metadata.name);
}

/** KCP ready with `controlPlane` replicas and `workers` worker Machines Running with nodes. */
export async function clusterProvisioned(env: E2EEnvironment, ns: string, name: string, controlPlane: number, workers: number): Promise<boolean> {
  if (!(await controlPlaneReady(env, ns, name, controlPlane))) return false;
  const ws = (await machinesOf(env, ns, name)).filter((m) => !isControlPlane(m));
  return ws.length === workers && ws.every(runningWithNode);
}
