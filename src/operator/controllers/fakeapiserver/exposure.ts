import type { FakeAPIServer } from '../../api/v1alpha1.js';
import type { OperatorContext } from '../../context.js';
import { isNotFound } from '../../kube/client.js';

/**
 * exposure: Service — a Service per FakeAPIServer whose ClusterIP on port
 * 6443 forwards to this FakeAPIServer's port on the operator pods, so the
 * endpoint written into cluster templates survives operator restarts and
 * moves. Without sharding the Service selects the operator pods (the one
 * replica serving runs in them). With `--sharding` only one replica serves
 * a cluster, so the Service has no selector and the replica serving it
 * writes the EndpointSlice (endpoint-slice.ts) with its own address.
 */

export const SERVICE_PORT = 6443;
/** The Service port's name: an EndpointSlice port must carry the same name to be used for it. */
export const SERVICE_PORT_NAME = 'https';
const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
const MANAGED_BY = 'metal3-fkas';

interface Service {
  metadata?: { labels?: Record<string, string> };
  spec?: { clusterIP?: string; selector?: Record<string, string>; ports?: { name?: string; port?: number; targetPort?: number | string; protocol?: string }[] };
}

export function serviceName(fas: FakeAPIServer): string {
  return `${fas.metadata.name}-fkas`.slice(0, 63);
}

/** Ensures the Service exists with the right target port; returns its ClusterIP once assigned. */
export async function ensureService(ctx: OperatorContext, fas: FakeAPIServer, targetPort: number): Promise<string | undefined> {
  if (ctx.shard) return ensureShardedService(ctx, fas);
  if (!ctx.serviceSelector) {
    throw new Error('exposure: Service needs the operator pod labels: start the operator with --service-selector key=value');
  }
  const path = { apiVersion: 'v1', plural: 'services', namespace: fas.metadata.namespace!, name: serviceName(fas) };
  const desired = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: path.name,
      namespace: path.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'metal3-fkas' },
      ownerReferences: [{ apiVersion: fas.apiVersion, kind: fas.kind, name: fas.metadata.name, uid: fas.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: { type: 'ClusterIP', selector: ctx.serviceSelector, ports: [{ name: 'https', port: SERVICE_PORT, targetPort, protocol: 'TCP' }] },
  };
  let svc: Service;
  try {
    svc = await ctx.client.get<Service>(path);
    // Steady state writes nothing: patch only what drifted. Selector keys we did not set are
    // removed (null in a merge patch): a selector that also matches other pods sends traffic astray.
    if (!matches(svc, desired)) {
      const stray = Object.keys(svc.spec?.selector ?? {}).filter((k) => !(k in desired.spec.selector));
      const selector = { ...Object.fromEntries(stray.map((k) => [k, null])), ...desired.spec.selector };
      svc = await ctx.client.patch<Service>(path, 'merge', { metadata: { labels: desired.metadata.labels }, spec: { ...desired.spec, selector } });
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
    svc = await ctx.client.create<Service>(path, desired);
  }
  const ip = svc.spec?.clusterIP;
  return ip && ip !== 'None' ? ip : undefined;
}

/**
 * The Service of a sharded FakeAPIServer: no selector (its EndpointSlice is
 * ours to write). A Service made before --sharding loses its selector, so
 * traffic stops going to every operator pod.
 */
async function ensureShardedService(ctx: OperatorContext, fas: FakeAPIServer): Promise<string | undefined> {
  const path = { apiVersion: 'v1', plural: 'services', namespace: fas.metadata.namespace!, name: serviceName(fas) };
  const ports = [{ name: SERVICE_PORT_NAME, port: SERVICE_PORT, targetPort: SERVICE_PORT, protocol: 'TCP' }];
  let svc: Service;
  try {
    svc = await ctx.client.get<Service>(path);
    const port = svc.spec?.ports?.length === 1 ? svc.spec.ports[0] : undefined;
    if (svc.spec?.selector || port?.name !== SERVICE_PORT_NAME || port.port !== SERVICE_PORT || svc.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) {
      svc = await ctx.client.patch<Service>(path, 'merge', { metadata: { labels: { [MANAGED_BY_LABEL]: MANAGED_BY } }, spec: { selector: null, ports } });
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
    svc = await ctx.client.create<Service>(path, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: path.name, namespace: path.namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY }, ownerReferences: [ownerReference(fas)] },
      spec: { type: 'ClusterIP', ports },
    });
  }
  const ip = svc.spec?.clusterIP;
  return ip && ip !== 'None' ? ip : undefined;
}

export function ownerReference(fas: FakeAPIServer): { apiVersion: string; kind: string; name: string; uid: string; controller: boolean; blockOwnerDeletion: boolean } {
  return { apiVersion: fas.apiVersion, kind: fas.kind, name: fas.metadata.name, uid: fas.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** The port the FakeAPIServer's Service forwards to, if the Service exists: where it served before a restart. */
export async function serviceTargetPort(ctx: OperatorContext, fas: FakeAPIServer): Promise<number | undefined> {
  try {
    const svc = await ctx.client.get<Service>({ apiVersion: 'v1', plural: 'services', namespace: fas.metadata.namespace!, name: serviceName(fas) });
    const target = svc.spec?.ports?.[0]?.targetPort;
    return typeof target === 'number' ? target : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function matches(svc: Service, desired: { metadata: { labels: Record<string, string> }; spec: { selector: Readonly<Record<string, string>>; ports: { port: number; targetPort: number }[] } }): boolean {
  const labelsOk = Object.entries(desired.metadata.labels).every(([k, v]) => svc.metadata?.labels?.[k] === v);
  const selector = svc.spec?.selector ?? {};
  const selectorOk = Object.keys(selector).length === Object.keys(desired.spec.selector).length && Object.entries(desired.spec.selector).every(([k, v]) => selector[k] === v);
  const port = svc.spec?.ports?.length === 1 ? svc.spec.ports[0] : undefined;
  const want = desired.spec.ports[0]!;
  return labelsOk && selectorOk && port?.port === want.port && port.targetPort === want.targetPort;
}
