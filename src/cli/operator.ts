import { existsSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmbeddedManagementApi, EMBEDDED_KUBECONFIG, EMBEDDED_PORT, type EmbeddedManagementApi } from '../operator/embedded.js';
import { FkasOperator, type ShardingConfig } from '../operator/manager.js';
import { DEFAULT_LEASE_NAME, type LeaderElector } from '../operator/leader-election.js';
import { leaseNamespace, waitForLeadership } from './leadership.js';
import { DEFAULT_PORT_RANGE } from '../operator/controllers/fakeapiserver/port-allocator.js';
import { CA_KEY_ALGORITHMS, DEFAULT_CA_KEY_ALGORITHM, type CaKeyAlgorithm } from '../operator/controllers/fakeapiserver/cluster-cas.js';
import { startNodeReconcilers, type NodeReconcilers } from '../reconcilers/index.js';
import type { ProviderIDFormat } from '../reconcilers/metal3/host-mapping.js';
import { DEFAULT_SHIM_PORT, startShim } from '../shim/server.js';
import { componentLogger } from '../telemetry/logger.js';
import { STORE_FORMS, storageFromFlag } from '../simulator/storage/parse.js';
import { REQUEST_METRICS_MODES, type RequestMetricsMode } from '../operator/request-metrics.js';
import { parseDuration } from '../util/duration.js';
import { CLUSTER_CONTENTS, DEFAULT_CLUSTER_CONTENTS, type ClusterContents } from '../operator/workload/kubeadm-addons.js';

/**
 * `fkas operator`: the main job. Against the cluster of --kubeconfig,
 * $KUBECONFIG, ~/.kube/config or the pod's service account; with none of
 * those (or --embedded), against an embedded management API it starts itself.
 */

/** Environment switches for the node reconcilers, for deployments that set env rather than args (the Metal3 variant). */
const METAL3_RECONCILER_ENV = 'FKAS_METAL3_RECONCILER';
const MACHINE_NODES_ENV = 'FKAS_MACHINE_NODES';
const PROVIDER_ID_FORMATS: readonly ProviderIDFormat[] = ['namespaced', 'legacy'];

const USAGE = `usage: fkas operator [--kubeconfig PATH | --embedded] [options]
  --embedded                 serve the management API in-process (default when no kubeconfig is found)
  --embedded-port N          port of the embedded management API (default ${EMBEDDED_PORT})
  --embedded-kubeconfig P    where to write its admin kubeconfig (default ${EMBEDDED_KUBECONFIG})
  --bind-host H              address fake clusters listen on (default 0.0.0.0 in a pod, else 127.0.0.1)
  --advertise-host H         host written into endpoints (default $POD_IP, else the bind host)
  --port-range A-B           ports for fake clusters (default ${DEFAULT_PORT_RANGE.min}-${DEFAULT_PORT_RANGE.max})
  --probe-port N             /healthz, /readyz, /metrics (default 8081)
  --shim-port N              legacy /register and /updateNode API (default ${DEFAULT_SHIM_PORT}; 0 turns it off)
  --install-crds             create or update the CRDs at start (default: on with --embedded)
  --service-selector k=v,..  operator pod labels, for exposure: Service
  --workload-templates DIR   your templates for what fake clusters contain
  --cluster-contents C       kubeadm (default): a settled kubeadm cluster, with addon Pods, kube-dns endpoints and Node
                             events; minimal: only what CAPI reads (~35 KiB less per cluster, ~9 KiB less per Node)
  --store S                  where fake-cluster contents live: ${STORE_FORMS} (default memory);
                             file:<dir> keeps every acknowledged write through a crash (put <dir> on a volume);
                             etcd:<url>[,<url>…] keeps them in a real etcd v3 cluster any replica can load from
  --etcd-cafile F            CA of etcd's serving certificate (https:// endpoints)
  --etcd-certfile F          client certificate for etcd (with --etcd-keyfile)
  --etcd-keyfile F           its key
  --ca-key-algorithm A       key type of CAs the operator generates: ECDSA-P256 (default) or RSA-2048
  --leader-elect             serve only while holding a coordination.k8s.io Lease (for several replicas)
  --leader-elect-namespace N namespace of the Lease (default $POD_NAMESPACE, the pod's namespace, or default)
  --leader-elect-id NAME     name of the Lease (default ${DEFAULT_LEASE_NAME})
  --sharding                 serve only the FakeAPIServers assigned to this replica: several replicas share them, one
                             coordination.k8s.io Lease each; use with --store etcd: so a cluster moves with its contents
  --replica-id ID            this replica's name among them (default $POD_NAME, else the host name)
  --sharding-namespace N     namespace of the member Leases (default $POD_NAMESPACE, the pod's namespace, or default)
  --concurrency N            parallel reconciles per controller (default 8)
  --resync-period D          reconcile every object again this often, to repair drift nobody reported (default 10m)
  --metal3-reconciler        FakeNodes for BareMetalHosts provisioned into a cluster (env ${METAL3_RECONCILER_ENV}=true)
  --metal3-provider-id F     providerID form when the Metal3Machine has none: namespaced (metal3://<ns>/<bmh>/<m3m>, default) or legacy (metal3://<bmh uid>)
  --machine-nodes            FakeNodes for CAPI Machines of opted-in clusters, any provider (env ${MACHINE_NODES_ENV}=true);
                             a cluster opts in with FakeAPIServer spec.machineNodes: true or Cluster annotation fkas.metal3.io/machine-nodes: "true"
  --capi-api-version V       cluster.x-k8s.io version the machine-nodes reconciler watches (default v1beta2; v1beta1 before CAPI v1.11)
  --request-metrics MODE     fkas_apiserver_* metrics: cluster (labels per fake cluster, the default), aggregate (no
                             namespace/cluster labels: for thousands of clusters) or off`;

export async function operator(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      embedded: { type: 'boolean', default: false },
      'embedded-port': { type: 'string', default: String(EMBEDDED_PORT) },
      'embedded-kubeconfig': { type: 'string', default: EMBEDDED_KUBECONFIG },
      'bind-host': { type: 'string' },
      'advertise-host': { type: 'string' },
      'port-range': { type: 'string', default: `${DEFAULT_PORT_RANGE.min}-${DEFAULT_PORT_RANGE.max}` },
      'probe-port': { type: 'string', default: '8081' },
      'shim-port': { type: 'string', default: String(DEFAULT_SHIM_PORT) },
      'install-crds': { type: 'boolean' },
      'service-selector': { type: 'string' },
      'workload-templates': { type: 'string' },
      'cluster-contents': { type: 'string', default: DEFAULT_CLUSTER_CONTENTS },
      'ca-key-algorithm': { type: 'string', default: DEFAULT_CA_KEY_ALGORITHM },
      store: { type: 'string', default: 'memory' },
      'etcd-cafile': { type: 'string' },
      'etcd-certfile': { type: 'string' },
      'etcd-keyfile': { type: 'string' },
      'leader-elect': { type: 'boolean', default: false },
      'leader-elect-namespace': { type: 'string' },
      'leader-elect-id': { type: 'string', default: DEFAULT_LEASE_NAME },
      sharding: { type: 'boolean', default: false },
      'replica-id': { type: 'string' },
      'sharding-namespace': { type: 'string' },
      concurrency: { type: 'string', default: '8' },
      'resync-period': { type: 'string', default: '10m' },
      'metal3-reconciler': { type: 'boolean' },
      'metal3-provider-id': { type: 'string', default: 'namespaced' },
      'machine-nodes': { type: 'boolean' },
      'capi-api-version': { type: 'string', default: 'v1beta2' },
      'request-metrics': { type: 'string', default: 'cluster' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const log = componentLogger('main');
  const inCluster = Boolean(process.env.KUBERNETES_SERVICE_HOST);
  const kubeconfig = values.kubeconfig ?? process.env.KUBECONFIG ?? (existsSync(join(homedir(), '.kube', 'config')) ? join(homedir(), '.kube', 'config') : undefined);
  const embedded = values.embedded || (!kubeconfig && !inCluster);
  const [min, max] = values['port-range'].split('-').map(Number);
  if (!Number.isInteger(min) || !Number.isInteger(max)) throw new Error(`--port-range ${values['port-range']} must look like 20000-29999\n${USAGE}`);
  const bindHost = values['bind-host'] ?? (inCluster ? '0.0.0.0' : '127.0.0.1');
  const advertiseHost = values['advertise-host'] ?? process.env.POD_IP ?? (bindHost === '0.0.0.0' ? '127.0.0.1' : bindHost);

  const sharding = values.sharding ? shardingConfig(values.store, values['leader-elect'], values['replica-id'], values['sharding-namespace']) : undefined;
  if (sharding && values.store === 'memory') log.warn('--sharding with --store memory: a fake cluster that moves to another replica comes back empty; use --store etcd: to keep contents');
  /** Bound once the operator exists: the store tells it when another replica took a cluster over. */
  let onFenced = (_cluster: string): void => undefined;
  const storage = storageFromFlag(
    values.store,
    { caFile: values['etcd-cafile'], certFile: values['etcd-certfile'], keyFile: values['etcd-keyfile'] },
    sharding ? { owner: sharding.replicaId, onFenced: (cluster) => onFenced(cluster) } : {},
  );
  // Read what an earlier process saved before any fake cluster can be created.
  await storage.open();
  log.info({ store: storage.description }, 'fake-cluster store open');

  let management: EmbeddedManagementApi | undefined;
  if (embedded) {
    management = await startEmbeddedManagementApi({ port: number(values['embedded-port'], '--embedded-port'), kubeconfigPath: values['embedded-kubeconfig'] });
    log.info({ server: management.server, kubeconfig: management.kubeconfigPath }, `embedded management API ready: kubectl --kubeconfig ${management.kubeconfigPath} apply -f config/samples/`);
  }
  const resyncMs = resyncPeriod(values['resync-period']);
  const op = new FkasOperator({
    ...(management ? { kubeconfigPath: management.kubeconfigPath, managementTransport: management.transport } : kubeconfig ? { kubeconfigPath: kubeconfig } : {}),
    bindHost,
    advertiseHost,
    portRange: { min: min!, max: max! },
    probePort: number(values['probe-port'], '--probe-port'),
    installCrds: values['install-crds'] ?? embedded,
    concurrency: number(values.concurrency, '--concurrency'),
    resyncMs,
    ...(values['service-selector'] ? { serviceSelector: parseSelector(values['service-selector']) } : {}),
    ...(values['workload-templates'] ? { workloadTemplateDir: values['workload-templates'] } : {}),
    clusterContents: clusterContents(values['cluster-contents']),
    caKeyAlgorithm: caKeyAlgorithm(values['ca-key-algorithm']),
    storage,
    requestMetrics: requestMetricsMode(values['request-metrics']),
    ...(sharding ? { sharding } : {}),
  });
  onFenced = (cluster) => op.clusterFenced(cluster);
  if (sharding) log.info({ replicaId: sharding.replicaId, namespace: sharding.namespace }, 'sharding: serving the FakeAPIServers assigned to this replica');
  // Everything started below is stopped in reverse order; declared first so a lost Lease can stop it too.
  let shim: Awaited<ReturnType<typeof startShim>> | undefined;
  let nodeReconcilers: NodeReconcilers | undefined;
  let elector: LeaderElector | undefined;
  let stopping = false;
  const stop = (reason: string, exitCode = 0): void => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, 'stopping: no new work, draining, closing listeners');
    void (async () => {
      await shim?.close();
      await nodeReconcilers?.stop();
      await op.shutdown();
      await elector?.release();
      await management?.close();
      process.exit(exitCode);
    })();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  const probePort = number(values['probe-port'], '--probe-port');
  if (values['leader-elect']) {
    elector = await waitForLeadership({
      client: op.client,
      namespace: leaseNamespace(values['leader-elect-namespace']),
      leaseName: values['leader-elect-id'],
      probeHost: '0.0.0.0',
      probePort,
      log: componentLogger('leader-election'),
      // Another replica may already serve our fake clusters: stop at once, as client-go's managers do.
      onLost: () => stop('lost leadership', 1),
    });
  }
  await op.start();
  const metal3 = values['metal3-reconciler'] ?? envFlag(METAL3_RECONCILER_ENV);
  const machineNodes = values['machine-nodes'] ?? envFlag(MACHINE_NODES_ENV);
  const providerIDFormat = values['metal3-provider-id'] as ProviderIDFormat;
  if (!PROVIDER_ID_FORMATS.includes(providerIDFormat)) throw new Error(`--metal3-provider-id ${providerIDFormat} must be one of ${PROVIDER_ID_FORMATS.join(', ')}\n${USAGE}`);
  nodeReconcilers =
    metal3 || machineNodes
      ? startNodeReconcilers({
          kubeConfig: op.client.kubeConfig,
          resyncMs,
          metrics: op.metrics,
          metal3: metal3 ? { providerIDFormat } : false,
          machineNodes: machineNodes ? { capiApiVersion: `cluster.x-k8s.io/${values['capi-api-version']}` } : false,
        })
      : undefined;
  if (nodeReconcilers) log.info({ metal3, machineNodes }, 'node reconcilers started');
  const shimPort = number(values['shim-port'], '--shim-port');
  // The shim reads and waits on the operator's informers: no watches or polling of its own.
  const informers = op.context;
  shim = shimPort > 0 ? await startShim({ client: op.client, log: componentLogger('shim'), host: bindHost === '127.0.0.1' ? '127.0.0.1' : '0.0.0.0', port: shimPort, ...(informers ? { informers } : {}) }) : undefined;
  if (shim) log.info({ port: shim.port }, 'legacy API listening: POST /register, PUT /updateNode');

}

/** `--sharding`: who this replica is, where the member Leases live; refuses stores other replicas cannot read. */
function shardingConfig(store: string, leaderElect: boolean, replicaId: string | undefined, namespace: string | undefined): ShardingConfig {
  if (leaderElect) throw new Error(`--sharding and --leader-elect exclude each other: with --sharding every replica serves its share\n${USAGE}`);
  if (store.startsWith('file:')) throw new Error(`--sharding needs a store every replica can read: --store etcd:<url> (or memory, for tests: contents are lost when a cluster moves); --store ${store} is one replica's disk\n${USAGE}`);
  const id = replicaId ?? process.env.POD_NAME ?? hostname();
  if (!id) throw new Error(`--sharding needs --replica-id (or $POD_NAME)\n${USAGE}`);
  return { replicaId: id, namespace: leaseNamespace(namespace) };
}

function envFlag(name: string): boolean {
  return /^(1|true|yes|on)$/i.test(process.env[name] ?? '');
}

function clusterContents(v: string): ClusterContents {
  const contents = CLUSTER_CONTENTS.find((c) => c === v);
  if (!contents) throw new Error(`--cluster-contents ${v} must be one of ${CLUSTER_CONTENTS.join(', ')}\n${USAGE}`);
  return contents;
}

function caKeyAlgorithm(v: string): CaKeyAlgorithm {
  if (!(CA_KEY_ALGORITHMS as readonly string[]).includes(v)) throw new Error(`--ca-key-algorithm ${v} must be one of ${CA_KEY_ALGORITHMS.join(', ')}\n${USAGE}`);
  return v as CaKeyAlgorithm;
}

/** At least a second: a full pass over every object more often than that is load, not repair. */
const MIN_RESYNC_MS = 1_000;

function resyncPeriod(value: string): number {
  const ms = parseDuration(value, '--resync-period');
  if (ms < MIN_RESYNC_MS) throw new Error(`--resync-period ${value} is shorter than ${MIN_RESYNC_MS / 1000}s\n${USAGE}`);
  return ms;
}

function number(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag} ${v} is not a port or count (0-65535)\n${USAGE}`);
  return n;
}

function parseSelector(s: string): Record<string, string> {
  return Object.fromEntries(s.split(',').map((kv) => {
    const [k, v] = kv.split('=');
    if (!k || v === undefined) throw new Error(`--service-selector ${s} must look like app=metal3-fkas,component=operator`);
    return [k.trim(), v.trim()];
  }));
}

function requestMetricsMode(value: string): RequestMetricsMode {
  const mode = REQUEST_METRICS_MODES.find((m) => m === value);
  if (!mode) throw new Error(`--request-metrics ${value} must be one of ${REQUEST_METRICS_MODES.join(', ')}\n${USAGE}`);
  return mode;
}
