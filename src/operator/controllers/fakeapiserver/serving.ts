import { DEFAULT_KUBERNETES_VERSION, type FakeAPIServer } from '../../api/v1alpha1.js';
import type { OperatorContext, ServedCluster } from '../../context.js';
import type { ClusterCas } from './certificates.js';
import { ensureEndpointSlice } from './endpoint-slice.js';
import { ensureService, SERVICE_PORT, serviceTargetPort } from './exposure.js';
import type { Reservation } from './port-allocator.js';
import { CONDITION, type StatusReport } from './status.js';

/**
 * ensure-serving: a listener on a stable port with the cluster's CAs. A
 * changed port, version or host serves anew; a changed CA rotates the
 * certificates on the same port.
 */

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export type ServingOutcome =
  /** Serving at `endpoint`. */
  | { readonly served: ServedCluster; readonly endpoint: Endpoint }
  /** Not yet: run again (the Service needs the port first). */
  | { readonly requeueAfterMs: number }
  /** Cannot serve: the report says why. */
  | undefined;

export async function ensureServing(ctx: OperatorContext, key: string, fas: FakeAPIServer, cas: ClusterCas, report: StatusReport): Promise<ServingOutcome> {
  const spec = fas.spec ?? {};
  const version = spec.kubernetesVersion || DEFAULT_KUBERNETES_VERSION;
  let host = spec.advertiseHost || ctx.advertiseHost;
  let endpointPort: number | undefined;
  let served = ctx.served.get(key);
  // Where it served before (an operator restart): the status says for Direct, the Service for Service.
  // Sharded, the Service forwards to whichever replica serves: its port says nothing about ours.
  const remembered = served ? undefined : spec.exposure === 'Service' ? (ctx.shard ? undefined : await serviceTargetPort(ctx, fas)) : fas.status?.endpoint?.port;
  if (spec.exposure === 'Service') {
    const port = served?.port ?? ctx.ports.portOf(key) ?? remembered;
    // A sharded Service needs no port of ours (its EndpointSlice has it): its ClusterIP is known before we listen.
    const ip = port === undefined && !ctx.shard ? undefined : await ensureService(ctx, fas, port ?? SERVICE_PORT);
    if (ip) {
      host = ip;
      endpointPort = SERVICE_PORT;
    }
  }
  if (served && ((spec.port !== undefined && served.port !== spec.port) || served.version !== version || served.host !== host)) {
    // Port, version or host changed: serve anew (on the same port when the port did not change).
    await stopServing(ctx, key, { keepPort: spec.port === undefined || spec.port === served.port });
    served = undefined;
  }
  if (served) {
    await rotateChangedCas(ctx, key, served, cas, report);
  } else {
    const started = await startServing(ctx, key, fas, cas, { host, version, remembered }, report);
    if (!started) return undefined;
    served = started;
    // FakeNodes reconciled before their cluster served wait on a retry timer: register them now.
    for (const node of ctx.index.nodesOf(fas)) ctx.nodeQueue.add(node);
    const port = endpointPort ?? served.port;
    // An event only when the endpoint moved. A new cluster's Ready condition says where it serves (an
    // event each would be a management-API write per cluster), and after an operator restart the
    // cluster is served again where its status says.
    const before = report.current?.endpoint;
    if (before && (before.host !== host || before.port !== port)) {
      const created = [cas.ca, cas.etcdCa].some((c) => c.created) ? " (CA Secrets created in Cluster API's format)" : '';
      await report.event('Normal', 'Serving', `serving ${fas.metadata.name} at https://${host}:${port}, was ${before.host}:${before.port}${created}`);
    }
    if (spec.exposure === 'Service' && endpointPort === undefined) return { requeueAfterMs: 0 }; // now that the port is known, create the Service
  }
  if (ctx.shard && spec.exposure === 'Service') await pointServiceHere(ctx, fas, served);
  return { served, endpoint: { host, port: endpointPort ?? served.port } };
}

/** Sharded: the Service's EndpointSlice names this replica's address and port; written once per served cluster. */
async function pointServiceHere(ctx: OperatorContext, fas: FakeAPIServer, served: ServedCluster): Promise<void> {
  const target = `${ctx.advertiseHost}:${served.port}`;
  if (served.endpointSlice === target) return;
  await ensureEndpointSlice(ctx, fas, ctx.advertiseHost, served.port);
  served.endpointSlice = target;
}

async function rotateChangedCas(ctx: OperatorContext, key: string, served: ServedCluster, cas: ClusterCas, report: StatusReport): Promise<void> {
  if (served.etcdCaVersion !== cas.etcdCa.fingerprint) {
    ctx.simulator.rotateEtcdCa(key, cas.etcdCa);
    served.etcdCaVersion = cas.etcdCa.fingerprint;
  }
  if (served.caVersion !== cas.ca.fingerprint) {
    await ctx.simulator.rotateCa(key, cas.ca);
    served.caVersion = cas.ca.fingerprint;
    await report.event('Normal', 'CARotated', 'the cluster CA changed; serving a new certificate on the same port');
  }
}

/**
 * Reserves a port and opens the listener. A port of the range that another
 * process holds is skipped for the next one; only a port the spec names, or
 * an exhausted range, fails.
 */
async function startServing(
  ctx: OperatorContext,
  key: string,
  fas: FakeAPIServer,
  cas: ClusterCas,
  want: { host: string; version: string; remembered: number | undefined },
  report: StatusReport,
): Promise<ServedCluster | undefined> {
  const wantedPort = fas.spec?.port;
  const previous = want.remembered;
  let reservation: Reservation = ctx.ports.reserve(key, wantedPort ?? ctx.ports.portOf(key) ?? previous);
  if ('conflictWith' in reservation && wantedPort === undefined) reservation = ctx.ports.reserve(key);
  /** Ports of the range this attempt found held: a range is exhausted only when every port was tried. */
  const tried = new Set<number>();
  // Ports marked held earlier may be free again: try them before calling the range exhausted.
  if ('exhausted' in reservation) reservation = ctx.ports.reserve(key, undefined, tried);
  for (;;) {
    if ('conflictWith' in reservation) {
      await report.fail(CONDITION.serving, 'PortConflict', `port ${wantedPort ?? previous ?? '?'} is already used by FakeAPIServer ${reservation.conflictWith}; choose another spec.port or remove it to get one from the range`);
      return undefined;
    }
    if ('exhausted' in reservation) {
      const { min, max } = ctx.ports.range;
      await report.fail(CONDITION.serving, 'PortRangeExhausted', `no free port left in ${min}-${max} (ports held by other processes are skipped); widen --port-range, keep it clear of the kernel's ephemeral ports, or delete unused FakeAPIServers`);
      return undefined;
    }
    try {
      const cluster = await ctx.simulator.createCluster({
        name: key,
        kubernetesVersion: want.version,
        ca: cas.ca,
        etcdCa: { certPem: cas.etcdCa.certPem, keyPem: cas.etcdCa.keyPem },
        bindHost: ctx.bindHost,
        advertiseHost: want.host,
        port: reservation.port,
      });
      const served: ServedCluster = { cluster, port: reservation.port, host: want.host, version: want.version, caVersion: cas.ca.fingerprint, etcdCaVersion: cas.etcdCa.fingerprint };
      ctx.served.set(key, served);
      return served;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' && code !== 'EACCES') {
        ctx.ports.release(key);
        throw err;
      }
      if (wantedPort !== undefined) {
        ctx.ports.release(key);
        await report.fail(CONDITION.serving, 'PortUnavailable', `cannot listen on ${ctx.bindHost}:${reservation.port} (${code}); another process uses it: set spec.port to a free port, or remove it to get one from the range`);
        return undefined;
      }
      ctx.log.info({ fakeApiServer: key, port: reservation.port, code }, 'port of the range is held by another process; trying the next one');
      tried.add(reservation.port);
      ctx.ports.releaseHeldElsewhere(key);
      reservation = ctx.ports.reserve(key);
      if ('exhausted' in reservation) reservation = ctx.ports.reserve(key, undefined, tried);
    }
  }
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
