import type { KeyObject } from 'node:crypto';
import {
  createCertificateAuthority,
  issueCertificate,
  loadCertificateAuthority,
  type CertificateAuthority,
} from '../pki/certificates.js';
import { generateEcKey, privateKeyToPem } from '../pki/keys.js';
import { buildKubeconfig } from '../pki/kubeconfig.js';
import { componentLogger, type Logger } from '../telemetry/logger.js';
import { FakeCluster, type PortForwardHandler } from './cluster.js';
import { controlPlanePort } from './control-plane-ports.js';
import type { EtcdMember } from './etcd/fake-etcd.js';
import { EtcdGrpcHost } from './etcd/grpc-host.js';
import { EtcdMemberTls } from './etcd/member-tls.js';
import type { Identity } from './http/cluster-view.js';
import type { ConnectionLimits } from './http/connection-limits.js';
import { ApiServerHost } from './http/listener.js';
import { PortForwardServer } from './portforward/server.js';
import type { PodEndpoint } from './portforward/stream-pairs.js';
import type { Duplex } from 'node:stream';
import { MemoryBackend, type StorageBackend } from './storage/backend.js';

/**
 * The simulator engine: many fake workload clusters in one process, each
 * with its own CA, serving certificate and port, all served by one HTTP
 * stack. It knows nothing of the operator or our CRDs; they drive it
 * through this API.
 */

export const DEFAULT_KUBERNETES_VERSION = 'v1.32.0';
export const DEFAULT_BIND_HOST = '127.0.0.1';
/** The in-cluster service IP of the API server (kubeadm's default service CIDR). */
const KUBERNETES_SERVICE_IP = '10.96.0.1';
/** kubeadm's etcd CA common name. */
const ETCD_CA_COMMON_NAME = 'etcd-ca';
/** DNS names kube-apiserver's serving certificate carries. */
const SERVING_DNS_NAMES = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
/** The identity CAPI's generated kubeconfigs use. */
export const ADMIN_USER: Identity = { user: 'kubernetes-admin', groups: ['system:masters'] };

export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ClusterOptions {
  readonly name: string;
  readonly kubernetesVersion?: string;
  /** The cluster CA (CAPI's `<cluster>-ca`), as PEM or already loaded. Generated (EC P-256) when absent. */
  readonly ca?: PemPair | CertificateAuthority;
  /** Address to bind; defaults to the simulator's bind host. */
  readonly bindHost?: string;
  /** Host advertised in endpoints and certificates; defaults to the bind host. */
  readonly advertiseHost?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Bearer tokens accepted besides client certificates. */
  readonly tokens?: Readonly<Record<string, Identity>>;
  /** The etcd CA (CAPI's `<cluster>-etcd`). Generated (EC P-256) on first use when absent. */
  readonly etcdCa?: PemPair;
}

export interface SimulatorOptions {
  readonly bindHost?: string;
  readonly logger?: Logger;
  readonly now?: () => Date;
  /** Replaces the built-in pods/portforward server (every cluster serves port-forward by default). */
  readonly portForward?: PortForwardHandler;
  /** Timeouts and caps for fake-cluster connections; each left out takes its default (./http/connection-limits.ts). */
  readonly connectionLimits?: Partial<ConnectionLimits>;
  /** How many clusters keep a built TLS context between connections (default TLS_CONTEXTS_KEPT). */
  readonly tlsContextsKept?: number;
  /** Where cluster contents outlive the process (opened by the caller); memory by default. */
  readonly storage?: StorageBackend;
}

interface ClusterEntry {
  readonly cluster: FakeCluster;
  readonly ca: CertificateAuthority;
  /** The etcd CA as supplied; loaded, or generated, on first use. */
  etcdCaPem?: PemPair;
  etcdTls?: Promise<EtcdMemberTls>;
}

/** Counts of what tunnels hold open, for leak checks and benchmarks. */
export interface TunnelStats {
  readonly portForwardTunnels: number;
  readonly etcdConnections: number;
}

export class Simulator {
  private readonly host: ApiServerHost;
  private readonly clusters = new Map<string, ClusterEntry>();
  private readonly log: Logger;
  private readonly bindHost: string;
  private readonly now: () => Date;
  /** One serving key for every cluster: each cluster still has its own CA and certificate. */
  private servingKey?: Promise<KeyObject>;
  private readonly portForwardServer: PortForwardServer<FakeCluster>;
  private readonly portForward: PortForwardHandler;
  /** One gRPC server for the fake etcd of every cluster. */
  private readonly etcdHost: EtcdGrpcHost;
  readonly storage: StorageBackend;

  constructor(opts: SimulatorOptions = {}) {
    this.storage = opts.storage ?? new MemoryBackend();
    this.log = opts.logger ?? componentLogger('simulator');
    this.bindHost = opts.bindHost ?? DEFAULT_BIND_HOST;
    this.now = opts.now ?? (() => new Date());
    this.host = new ApiServerHost(this.log, opts.connectionLimits, opts.tlsContextsKept);
    this.etcdHost = new EtcdGrpcHost(this.log.child({ part: 'etcd' }));
    this.portForwardServer = new PortForwardServer((cluster, namespace, pod) => this.podEndpoint(cluster, namespace, pod), this.log.child({ part: 'portforward' }));
    this.portForward = opts.portForward ?? ((cluster, req, socket, head, namespace, pod) => this.portForwardServer.handle(cluster, req, socket, head, namespace, pod));
  }

  async createCluster(options: ClusterOptions): Promise<FakeCluster> {
    if (this.clusters.has(options.name)) {
      throw new Error(`fake cluster "${options.name}" already exists; close it first or pick another name`);
    }
    // Taking the cluster over first: a shared store fences its previous owner before its contents are read.
    const saved = await this.storage.load(options.name);
    let ca: CertificateAuthority;
    try {
      ca = options.ca ? loaded(options.ca) : await createCertificateAuthority({ commonName: 'kubernetes', key: await generateEcKey() });
    } catch (err) {
      await this.storage.release(options.name);
      throw err;
    }
    const bindHost = options.bindHost ?? this.bindHost;
    const advertiseHost = options.advertiseHost ?? bindHost;
    const cluster = new FakeCluster({
      name: options.name,
      kubernetesVersion: options.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION,
      advertiseHost,
      now: this.now,
      ...(options.tokens ? { tokens: new Map(Object.entries(options.tokens)) } : {}),
      portForward: this.portForward,
      ...(saved ? { restore: saved } : {}),
      attachStore: (store) => this.storage.attach(options.name, store),
    });
    // A removed etcd member exits: its connections close and its certificate is dropped.
    cluster.etcd.onMemberStopped = (id) => {
      this.etcdHost.stopMember(cluster.etcd, id);
      void this.clusters.get(options.name)?.etcdTls?.then((t) => t.forget(id), () => undefined);
    };
    // Reserve the name before awaiting so two concurrent creates can't both win.
    this.clusters.set(options.name, { cluster, ca, ...(options.etcdCa ? { etcdCaPem: options.etcdCa } : {}) });
    try {
      const tls = await this.servingTls(ca, advertiseHost);
      const listener = await this.host.listen(cluster, bindHost, options.port ?? 0, tls);
      cluster.attachListener(listener);
    } catch (err) {
      this.clusters.delete(options.name);
      await this.storage.release(options.name);
      throw err;
    }
    this.log.debug({ cluster: options.name, endpoint: cluster.endpoint.url }, 'fake cluster serving');
    return cluster;
  }

  get(name: string): FakeCluster | undefined {
    return this.clusters.get(name)?.cluster;
  }

  list(): FakeCluster[] {
    return [...this.clusters.values()].map((e) => e.cluster);
  }

  /** The CA a cluster trusts (for issuing more client certificates). */
  caOf(name: string): CertificateAuthority | undefined {
    return this.clusters.get(name)?.ca;
  }

  /** The etcd CA of a cluster (to issue etcd client certificates, as CAPI does for KCP). */
  async etcdCaOf(name: string): Promise<CertificateAuthority> {
    return (await this.etcdTls(this.require(name))).ca;
  }

  /** Replaces a cluster's etcd CA: members serve new certificates to new connections. */
  rotateEtcdCa(name: string, ca: PemPair): void {
    const entry = this.require(name);
    loadCertificateAuthority(ca.certPem, ca.keyPem); // fail here, not on the next tunnel
    entry.etcdCaPem = ca;
    delete entry.etcdTls;
  }

  /** Open port-forward tunnels and fake etcd connections, across all clusters. */
  get tunnelStats(): TunnelStats {
    return { portForwardTunnels: this.portForwardServer.openTunnels, etcdConnections: this.etcdHost.openConnections };
  }

  /** Clusters whose TLS context is built right now; the others build it on their next connection. */
  get tlsContexts(): number {
    return this.host.tlsContexts;
  }

  /** Connections accepted by all fake-cluster listeners and not yet closed (handshaking or not). */
  get acceptedConnections(): number {
    return this.host.acceptedConnections;
  }

  /** Replaces a cluster's CA: new serving certificate, same port. */
  async rotateCa(name: string, ca: PemPair | CertificateAuthority): Promise<void> {
    const entry = this.require(name);
    const next = loaded(ca);
    entry.cluster.rotateTls(await this.servingTls(next, entry.cluster.advertiseHost));
    // Only the cluster CA changes: the etcd CA and its member certificates stay.
    this.clusters.set(name, { ...entry, ca: next });
  }

  /** A kubeconfig for `kubernetes-admin` (system:masters), as CAPI writes into `<cluster>-kubeconfig`. */
  async adminKubeconfig(name: string, user: Identity = ADMIN_USER): Promise<string> {
    const { cluster, ca } = this.require(name);
    const key = await generateEcKey();
    const cert = issueCertificate(ca, { commonName: user.user, organizations: [...user.groups], usages: ['client'], publicKey: key });
    return buildKubeconfig({
      clusterName: cluster.name,
      server: cluster.endpoint.url,
      caPem: ca.certPem,
      user: user.user,
      clientCertPem: cert.certPem,
      clientKeyPem: privateKeyToPem(key),
    });
  }

  async closeCluster(name: string): Promise<boolean> {
    const entry = this.clusters.get(name);
    if (!entry) return false;
    this.clusters.delete(name);
    this.etcdHost.stopCluster(entry.cluster.etcd);
    await entry.cluster.close();
    // After the listener closed: no write can come in between release and the next owner's load.
    await this.storage.release(name);
    return true;
  }

  /** Closes a cluster that was deleted for good: a durable backend drops its contents. */
  async forgetCluster(name: string): Promise<void> {
    await this.closeCluster(name);
    await this.storage.forget(name);
  }

  async close(): Promise<void> {
    this.portForwardServer.close();
    await Promise.all([...this.clusters.keys()].map((n) => this.closeCluster(n)));
    await this.storage.close();
    this.etcdHost.close();
  }

  /** Where a port-forward to a pod of a cluster leads. */
  private podEndpoint(cluster: FakeCluster, namespace: string, pod: string): PodEndpoint {
    const podKind = cluster.kind('', 'v1', 'pods');
    const podUid = cluster.resources.find(podKind, namespace, pod)?.metadata.uid ?? '';
    return {
      namespace,
      pod,
      podUid,
      resolve: (port) =>
        cluster.podPorts.find(namespace, pod, port) ?? controlPlanePort(cluster, namespace, pod, port, { serveEtcd: (c, m, s) => this.serveEtcd(c, m, s) }),
    };
  }

  private serveEtcd(cluster: FakeCluster, member: EtcdMember, stream: Duplex): void {
    const entry = this.clusters.get(cluster.name);
    if (!entry || entry.cluster !== cluster) {
      stream.destroy();
      return;
    }
    this.etcdTls(entry).then(
      (t) => t.accept(stream, member),
      (err: unknown) => {
        this.log.error({ err, cluster: cluster.name }, 'fake etcd TLS setup failed');
        stream.destroy();
      },
    );
  }

  /** The TLS side of a cluster's etcd, built on first use (most clusters are never asked). */
  private etcdTls(entry: ClusterEntry): Promise<EtcdMemberTls> {
    entry.etcdTls ??= (async () => {
      const ca = entry.etcdCaPem
        ? loadCertificateAuthority(entry.etcdCaPem.certPem, entry.etcdCaPem.keyPem)
        : await createCertificateAuthority({ commonName: ETCD_CA_COMMON_NAME, key: await generateEcKey() });
      entry.etcdCaPem = { certPem: ca.certPem, keyPem: ca.keyPem };
      const key = await (this.servingKey ??= generateEcKey());
      const etcd = entry.cluster.etcd;
      return new EtcdMemberTls(ca, key, (socket, member) => this.etcdHost.serve(socket, etcd, member.id), this.log.child({ part: 'etcd', cluster: entry.cluster.name }));
    })();
    return entry.etcdTls;
  }

  private require(name: string): ClusterEntry {
    const entry = this.clusters.get(name);
    if (!entry) throw new Error(`fake cluster "${name}" does not exist`);
    return entry;
  }

  /** The shared serving key in PEM, exported once. */
  private servingKeyPem?: string;

  private async servingTls(ca: CertificateAuthority, advertiseHost: string): Promise<{ certPem: string; keyPem: string; clientCaPem: string }> {
    const key = await (this.servingKey ??= generateEcKey());
    this.servingKeyPem ??= privateKeyToPem(key);
    const isIp = /^[\d.]+$|:/.test(advertiseHost);
    const ips = [...new Set(['127.0.0.1', KUBERNETES_SERVICE_IP, ...(isIp ? [advertiseHost] : [])])];
    const dns = [...new Set([...SERVING_DNS_NAMES, ...(isIp ? [] : [advertiseHost])])];
    const cert = issueCertificate(ca, { commonName: 'kube-apiserver', dnsNames: dns, ipAddresses: ips, usages: ['server'], publicKey: key });
    return { certPem: cert.certPem, keyPem: this.servingKeyPem, clientCaPem: ca.certPem };
  }
}

/** A CA as given: loaded already (the operator parsed it when it read the Secret), or PEM to load and check. */
function loaded(ca: PemPair | CertificateAuthority): CertificateAuthority {
  return 'cert' in ca && 'key' in ca ? ca : loadCertificateAuthority(ca.certPem, ca.keyPem);
}
