import { jsonEqual } from '../../simulator/store/object.js';
import {
  API_VERSION,
  DEFAULT_KUBERNETES_VERSION,
  FAKE_API_SERVER,
  FAKE_API_SERVER_FINALIZER,
  clusterNameOf,
  type Condition,
  type FakeAPIServer,
  type FakeAPIServerStatus,
} from '../api/v1alpha1.js';
import { splitKey, type OperatorContext, type ServedCluster } from '../context.js';
import { isNotFound, type ResourcePath } from '../kube/client.js';
import { addFinalizer, patchStatus, recordEvent, removeFinalizer, setCondition, type EventType } from '../kube/objects.js';
import type { ReconcileResult } from '../queue/work-queue.js';
import { caFingerprint, CaSecretError, ensureCaSecret } from './cluster-cas.js';
import { ensureService, SERVICE_PORT } from './exposure.js';

/**
 * FakeAPIServer → a serving fake cluster: finalizer, CAs (CAPI's Secrets,
 * created when absent), a stable port, the listener, and a status with the
 * endpoint and a Ready condition. Deletion closes the listener and frees the
 * port before the finalizer goes.
 */

/** How often to look again at a FakeAPIServer that waits on something we do not watch (a Secret, a port). */
const RETRY_LATER_MS = 15_000;

export function fasPath(namespace: string, name?: string): ResourcePath {
  return { apiVersion: API_VERSION, plural: FAKE_API_SERVER.plural, namespace, ...(name ? { name } : {}) };
}

export async function reconcileFakeApiServer(ctx: OperatorContext, key: string): Promise<ReconcileResult | void> {
  const { namespace, name } = splitKey(key);
  const path = fasPath(namespace, name);
  let fas: FakeAPIServer;
  try {
    fas = await ctx.client.get<FakeAPIServer>(path);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await stopServing(ctx, key);
    return;
  }
  if (fas.metadata.deletionTimestamp) {
    if (await stopServing(ctx, key)) await event(ctx, fas, 'Normal', 'Stopped', 'listener closed and port released');
    await removeFinalizer(ctx.client, path, fas, FAKE_API_SERVER_FINALIZER);
    return;
  }
  await addFinalizer(ctx.client, path, fas, FAKE_API_SERVER_FINALIZER);

  const clusterName = clusterNameOf(fas);
  const gen = fas.metadata.generation;
  const now = ctx.now();
  let conditions = fas.status?.conditions ?? [];
  const fail = async (type: string, reason: string, message: string): Promise<ReconcileResult> => {
    conditions = setCondition(conditions, { type, status: 'False', reason, message }, gen, now);
    conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason, message }, gen, now);
    await writeStatus(ctx, fas, { ...fas.status, conditions, observedGeneration: gen ?? 0 });
    await event(ctx, fas, 'Warning', reason, message);
    return { requeueAfterMs: RETRY_LATER_MS };
  };

  let ca;
  let etcdCa;
  try {
    ca = await ensureCaSecret(ctx.client, namespace, fas.spec.caSecretName || `${clusterName}-ca`, clusterName, 'cluster', ctx.caKeyAlgorithm);
    etcdCa = await ensureCaSecret(ctx.client, namespace, fas.spec.etcdCASecretName || `${clusterName}-etcd`, clusterName, 'etcd', ctx.caKeyAlgorithm);
  } catch (err) {
    if (err instanceof CaSecretError) return fail('CertificatesReady', 'InvalidCASecret', err.message);
    throw err;
  }
  if (ca.created) await event(ctx, fas, 'Normal', 'CACreated', `created CA Secret ${namespace}/${fas.spec.caSecretName || `${clusterName}-ca`} in Cluster API's format`);
  conditions = setCondition(conditions, { type: 'CertificatesReady', status: 'True', reason: 'CASecretsFound', message: 'serving with the cluster and etcd CAs from their Secrets' }, gen, now);

  const version = fas.spec.kubernetesVersion || DEFAULT_KUBERNETES_VERSION;
  let served = ctx.served.get(key);
  let advertiseHost = fas.spec.advertiseHost || ctx.advertiseHost;
  let endpointPort: number | undefined;
  const exposure = fas.spec.exposure ?? 'Direct';
  if (exposure === 'Service') {
    const port = served?.port ?? ctx.ports.portOf(key);
    if (port !== undefined) {
      const ip = await ensureService(ctx, fas, port);
      if (ip) {
        advertiseHost = ip;
        endpointPort = SERVICE_PORT;
      }
    }
  }
  const wantedPort = fas.spec.port;
  if (served && ((wantedPort !== undefined && served.port !== wantedPort) || served.version !== version || served.host !== advertiseHost)) {
    // Port, version or host changed: serve anew (same port when it did not change).
    await stopServing(ctx, key, { keepPort: wantedPort === undefined || wantedPort === served.port });
    served = undefined;
  }
  if (served && served.etcdCaVersion !== caFingerprint(etcdCa)) {
    ctx.simulator.rotateEtcdCa(key, etcdCa);
    served.etcdCaVersion = caFingerprint(etcdCa);
  }
  if (served && served.caVersion !== caFingerprint(ca)) {
    await ctx.simulator.rotateCa(key, ca);
    served.caVersion = caFingerprint(ca);
    await event(ctx, fas, 'Normal', 'CARotated', 'the cluster CA changed; serving a new certificate on the same port');
  }
  if (!served) {
    const previous = fas.status?.endpoint?.port;
    let reservation = ctx.ports.reserve(key, wantedPort ?? (exposure === 'Direct' ? previous : undefined) ?? ctx.ports.portOf(key));
    if ('conflictWith' in reservation && wantedPort === undefined) reservation = ctx.ports.reserve(key);
    if ('conflictWith' in reservation) {
      return fail('Serving', 'PortConflict', `port ${wantedPort ?? previous ?? '?'} is already used by FakeAPIServer ${reservation.conflictWith}; choose another spec.port or remove it to get one from the range`);
    }
    if ('exhausted' in reservation) {
      return fail('Serving', 'PortRangeExhausted', `no free port left in ${ctx.ports.range.min}-${ctx.ports.range.max}; widen --port-range or delete unused FakeAPIServers`);
    }
    try {
      const cluster = await ctx.simulator.createCluster({
        name: key,
        kubernetesVersion: version,
        ca,
        etcdCa: { certPem: etcdCa.certPem, keyPem: etcdCa.keyPem },
        bindHost: ctx.bindHost,
        advertiseHost,
        port: reservation.port,
      });
      served = { cluster, port: reservation.port, host: advertiseHost, version, caVersion: caFingerprint(ca), etcdCaVersion: caFingerprint(etcdCa) };
      ctx.served.set(key, served);
    } catch (err) {
      ctx.ports.release(key);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES') {
        return fail('Serving', 'PortUnavailable', `cannot listen on ${ctx.bindHost}:${reservation.port} (${code}); another process uses it: set spec.port to a free port`);
      }
      throw err;
    }
    await event(ctx, fas, 'Normal', 'Serving', `serving ${clusterName} at https://${advertiseHost}:${endpointPort ?? served.port}`);
    if (exposure === 'Service') return { requeueAfterMs: 0 }; // now that the port is known, create the Service
  }

  const message = `serving at https://${advertiseHost}:${endpointPort ?? served.port}`;
  conditions = setCondition(conditions, { type: 'Serving', status: 'True', reason: 'Listening', message }, gen, now);
  conditions = setCondition(conditions, { type: 'Ready', status: 'True', reason: 'Serving', message }, gen, now);
  await writeStatus(ctx, fas, {
    endpoint: { host: advertiseHost, port: endpointPort ?? served.port },
    observedGeneration: gen ?? 0,
    nodes: nodeCount(served),
    conditions,
  });
}

function nodeCount(served: ServedCluster): number {
  return served.cluster.resources.store.count('/nodes');
}

async function writeStatus(ctx: OperatorContext, fas: FakeAPIServer, status: FakeAPIServerStatus): Promise<void> {
  if (jsonEqual(stripTimes(fas.status), stripTimes(status))) return;
  await patchStatus(ctx.client, fasPath(fas.metadata.namespace!, fas.metadata.name), status);
}

/** Conditions compare without their times, so a reconcile that changes nothing writes nothing. */
function stripTimes(s: FakeAPIServerStatus | undefined): unknown {
  if (!s) return undefined;
  return { ...s, conditions: s.conditions?.map((c: Condition) => ({ ...c, lastTransitionTime: undefined })) };
}

/** Closes a FakeAPIServer's listener (new connections are refused) and frees its port. */
export async function stopServing(ctx: OperatorContext, key: string, opts: { keepPort?: boolean } = {}): Promise<boolean> {
  const served = ctx.served.get(key);
  if (!served) {
    if (!opts.keepPort) ctx.ports.release(key);
    return false;
  }
  ctx.served.delete(key);
  await ctx.simulator.closeCluster(key);
  if (!opts.keepPort) ctx.ports.release(key);
  return true;
}

async function event(ctx: OperatorContext, fas: FakeAPIServer, type: EventType, reason: string, message: string): Promise<void> {
  try {
    await recordEvent(ctx.client, fas, type, reason, message, ctx.now());
  } catch (err) {
    // Events are best effort: failing to record one must not fail the reconcile.
    ctx.log.debug({ err: (err as Error).message, reason }, 'could not record event');
  }
}
