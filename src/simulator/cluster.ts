import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { KindRegistry, storageKey } from './kinds/registry.js';
import type { KindInfo } from './kinds/kind.js';
import type { ClusterView, Identity } from './http/cluster-view.js';
import type { ClusterListener, ServingTls } from './http/listener.js';
import { Resources } from './store/resources.js';
import { namespaceBehavior } from './store/behaviors/namespace.js';
import { crdBehavior } from './store/behaviors/crd.js';
import { nodeBehavior, podBehavior, workloadBehavior, type ClusterObserver } from './store/behaviors/controllers.js';
import { kubeTime, type KubeObject } from './store/object.js';
import { nodeObject, type NodeSpec } from './templates/node.js';
import { StatusError } from './api/errors.js';
import type { ObjectStore, StoreContents } from './store/object-store.js';
import { kindsOfCrd } from './store/behaviors/crd.js';
import { FakeEtcd, type EtcdSimulation } from './etcd/fake-etcd.js';
import { RequestSimulation, type ApiSimulation } from './http/simulation.js';
import type { RequestObserver } from './http/request-observer.js';
import { PodPorts } from './portforward/pod-ports.js';
import { bootstrapRbac } from './auth/bootstrap.js';

/**
 * One fake workload cluster: its kinds, its objects, its TLS listener.
 * Created through Simulator.createCluster.
 */

/** Namespaces every cluster has from the start, as after `kubeadm init`. */
export const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;

export interface PortForwardHandler {
  (cluster: FakeCluster, req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, pod: string): void;
}

export interface FakeClusterInit {
  readonly name: string;
  readonly kubernetesVersion: string;
  /** Host written into endpoints and kubeconfigs. */
  readonly advertiseHost: string;
  readonly tokens?: ReadonlyMap<string, Identity>;
  readonly now: () => Date;
  readonly portForward?: PortForwardHandler;
  /** Contents a durable storage backend saved: the cluster comes back with them instead of starting fresh. */
  readonly restore?: StoreContents;
  /** Called with the store before its first write (a durable backend starts recording there). */
  readonly attachStore?: (store: ObjectStore) => void;
}

const CRDS = storageKey({ group: 'apiextensions.k8s.io', plural: 'customresourcedefinitions' });
const PODS = storageKey({ group: '', plural: 'pods' });
/** kubeadm names a node's static etcd pod `etcd-<node>` in kube-system. */
const ETCD_POD_PREFIX = 'etcd-';
/** What a fake cluster simulates (spec.simulation of a FakeAPIServer, durations in ms). */
export interface ClusterSimulation extends ApiSimulation {
  /** false: the port refuses connections, as a dead API server; true (default) accepts again on the same port. */
  readonly available?: boolean;
  readonly etcd?: EtcdSimulation;
}

export class FakeCluster implements ClusterView {
  readonly name: string;
  readonly registry = new KindRegistry();
  readonly resources: Resources;
  readonly versionInfo: Record<string, string>;
  readonly tokens?: ReadonlyMap<string, Identity>;
  readonly advertiseHost: string;
  /** The cluster's etcd as etcdctl and KCP see it through port-forward: members, leader, alarms. */
  readonly etcd: FakeEtcd;
  /** Extra pod ports to serve through port-forward (the control plane's are built in). */
  readonly podPorts = new PodPorts();
  /** Latency and faults on every request; undefined (the default) costs the serving path nothing. */
  simulation: RequestSimulation | undefined;
  /** Told about every request (the operator's per-cluster metrics); disposed when the cluster closes. */
  requestObserver: RequestObserver | undefined;
  /** Told when Nodes come and go and workloads change, by anyone (the operator keeps a kubeadm cluster's addons settled). */
  observer: ClusterObserver | undefined;
  private listener?: ClusterListener;
  private readonly portForwardHandler?: PortForwardHandler;

  constructor(init: FakeClusterInit) {
    this.name = init.name;
    this.advertiseHost = init.advertiseHost;
    if (init.tokens) this.tokens = init.tokens;
    if (init.portForward) this.portForwardHandler = init.portForward;
    this.versionInfo = versionInfo(init.kubernetesVersion, init.now());
    this.etcd = new FakeEtcd(init.name);
    this.resources = new Resources(init.now);
    this.resources.kindResolver = (collection) => this.kindForCollection(collection);
    this.resources.setBehavior({ group: '', plural: 'namespaces' }, namespaceBehavior(init.now));
    this.resources.setBehavior({ group: 'apiextensions.k8s.io', plural: 'customresourcedefinitions' }, crdBehavior(this.registry, init.now));
    const nodes = { node: this.kind('', 'v1', 'nodes'), pod: this.kind('', 'v1', 'pods') };
    this.resources.setBehavior(nodes.node, nodeBehavior(nodes, () => this.observer, init.now));
    for (const plural of ['daemonsets', 'deployments']) this.resources.setBehavior({ group: 'apps', plural }, workloadBehavior(() => this.observer));
    this.resources.setBehavior(nodes.pod, podBehavior(() => this.observer));
    // kube-apiserver's default RBAC, shared by every cluster until it writes RBAC objects of its own.
    this.resources.store.seed(bootstrapRbac());
    if (init.restore) this.restoreContents(init.restore);
    init.attachStore?.(this.resources.store);
    if (!init.restore) {
      // As kube-apiserver creates them at start-up, its managedFields included.
      const managedFields = initialNamespaceFields(kubeTime(init.now()));
      for (const name of INITIAL_NAMESPACES) this.resources.create(this.kind('', 'v1', 'namespaces'), undefined, { metadata: { name, managedFields } });
    }
  }

  /** Saved objects back, with what their creation set up: kinds of CRDs served, an etcd member per etcd pod. */
  private restoreContents(saved: StoreContents): void {
    this.resources.store.restore(saved);
    for (const crd of saved.collections.get(CRDS) ?? []) this.registry.registerCustom(kindsOfCrd(crd).map((k) => k.info));
    for (const pod of saved.collections.get(PODS) ?? []) {
      const { namespace, name } = pod.metadata;
      const spec = pod.spec as { nodeName?: unknown } | undefined;
      const podIP = (pod.status as { podIP?: unknown } | undefined)?.podIP;
      if (namespace !== 'kube-system' || !name?.startsWith(ETCD_POD_PREFIX) || typeof spec?.nodeName !== 'string') continue;
      this.etcd.addMember(spec.nodeName, typeof podIP === 'string' ? { ip: podIP } : {});
    }
  }

  /** Called once by the simulator after the listener is open. */
  attachListener(listener: ClusterListener): void {
    this.listener = listener;
  }

  get port(): number {
    return this.listener?.port ?? 0;
  }

  get serverAddress(): string {
    return `${this.advertiseHost}:${this.port}`;
  }

  /** `https://host:port`, what goes into a kubeconfig or a cluster template. */
  get endpoint(): { host: string; port: number; url: string } {
    return { host: this.advertiseHost, port: this.port, url: `https://${this.serverAddress}` };
  }

  get kubernetesVersion(): string {
    return this.versionInfo.gitVersion!;
  }

  get portForward(): ClusterView['portForward'] {
    const handler = this.portForwardHandler;
    if (!handler) return undefined;
    return (req, socket, head, namespace, pod) => handler(this, req, socket, head, namespace, pod);
  }

  kind(group: string, version: string, plural: string): KindInfo {
    const k = this.registry.byResource(group, version, plural);
    if (!k) throw new Error(`kind ${plural}.${group}/${version} is not served by fake cluster ${this.name}`);
    return k;
  }

  /** Creates the object, or replaces it when it exists (keeping its identity), status included. */
  upsert(group: string, version: string, plural: string, object: KubeObject): KubeObject {
    const k = this.kind(group, version, plural);
    const { namespace, name } = object.metadata;
    if (!this.resources.find(k, namespace, name!)) return this.resources.create(k, namespace, object);
    const unconditional = { ...object, metadata: { ...object.metadata, resourceVersion: '' } };
    let stored = this.resources.update(k, namespace, name!, unconditional);
    if (k.subresources.includes('status') && object.status !== undefined) {
      stored = this.resources.update(k, namespace, name!, unconditional, { subresource: 'status' });
    }
    return stored;
  }

  /** Creates or replaces an object of any served kind, found by its apiVersion and kind. */
  applyObject(object: KubeObject): KubeObject {
    const k = this.registry.byKind(object.apiVersion ?? '', object.kind ?? '');
    if (!k) throw new Error(`kind ${object.kind ?? '?'} (${object.apiVersion ?? '?'}) is not served by fake cluster ${this.name}`);
    return this.upsert(k.group, k.version, k.plural, object);
  }

  /** Deletes an object if it exists; true when something was deleted. */
  deleteObject(apiVersion: string, kind: string, namespace: string | undefined, name: string): boolean {
    const k = this.registry.byKind(apiVersion, kind);
    if (!k || !this.resources.find(k, namespace, name)) return false;
    this.resources.delete(k, namespace, name);
    return true;
  }

  /** Registers (or refreshes) a Ready node. */
  addNode(spec: Omit<NodeSpec, 'kubeletVersion'> & { kubeletVersion?: string }): KubeObject {
    const now = kubeTime(new Date());
    return this.upsert('', 'v1', 'nodes', nodeObject({ ...spec, kubeletVersion: spec.kubeletVersion ?? this.kubernetesVersion }, now));
  }

  removeNode(name: string): boolean {
    const k = this.kind('', 'v1', 'nodes');
    if (!this.resources.find(k, undefined, name)) return false;
    this.resources.delete(k, undefined, name);
    return true;
  }

  /** Certificates can change (CA rotation) without the port changing. */
  rotateTls(tls: ServingTls): void {
    if (!this.listener) throw new StatusError(409, 'Conflict', `fake cluster ${this.name} has no listener to rotate`);
    this.listener.rotate(tls);
  }

  /**
   * Serves one connection that did not come through the listening port (a
   * port-forward to a kube-apiserver pod) exactly as if it had: same TLS,
   * same certificate, same authentication.
   */
  acceptConnection(stream: Duplex): void {
    if (!this.listener) {
      stream.destroy();
      return;
    }
    this.listener.acceptTunnel(stream);
  }

  /**
   * Applies a simulation live: no new listener, no port change. Checks everything before changing
   * anything, so a bad setting (an error saying which) leaves the previous simulation in place.
   * An empty object ends every simulated problem.
   */
  async setSimulation(sim: ClusterSimulation, random?: () => number): Promise<void> {
    const api = new RequestSimulation(sim, random);
    this.etcd.setSimulation(sim.etcd ?? {});
    this.simulation = api.isNoop ? undefined : api;
    await this.listener?.setAccepting(sim.available !== false);
  }

  /** Drops all client connections while staying up, like an apiserver restart (for chaos tests). */
  dropConnections(): void {
    this.listener?.dropConnections();
  }

  get openConnections(): number {
    return this.listener?.connections ?? 0;
  }

  async close(): Promise<void> {
    this.requestObserver?.dispose?.();
    this.requestObserver = undefined;
    await this.listener?.close();
  }

  private kindForCollection(collection: string): KindInfo | undefined {
    for (const k of this.registry.all()) if (storageKey(k) === collection) return k;
    return undefined;
  }
}

/** What kube-apiserver owns of a namespace it creates: the name label (shared by every cluster). */
const NAMESPACE_FIELDS = Object.freeze({ 'f:metadata': Object.freeze({ 'f:labels': Object.freeze({ '.': Object.freeze({}), 'f:kubernetes.io/metadata.name': Object.freeze({}) }) }) });

function initialNamespaceFields(time: string): unknown[] {
  return Object.freeze([Object.freeze({ manager: 'kube-apiserver', operation: 'Update', apiVersion: 'v1', time, fieldsType: 'FieldsV1', fieldsV1: NAMESPACE_FIELDS })]) as unknown as unknown[];
}

function versionInfo(version: string, buildDate: Date): Record<string, string> {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(.*)$/.exec(version);
  if (!m) {
    throw new StatusError(422, 'Invalid', `kubernetesVersion "${version}" is not a version like v1.32.0`);
  }
  return {
    major: m[1]!,
    minor: m[2]!,
    gitVersion: `v${m[1]}.${m[2]}.${m[3]}${m[4]}`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: kubeTime(buildDate),
    goVersion: 'go1.24.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}
