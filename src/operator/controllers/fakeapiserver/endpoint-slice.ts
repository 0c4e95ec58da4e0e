import { isIP } from 'node:net';
import type { FakeAPIServer } from '../../api/v1alpha1.js';
import type { OperatorContext } from '../../context.js';
import { isNotFound } from '../../kube/client.js';
import { ownerReference, SERVICE_PORT_NAME, serviceName } from './exposure.js';

/**
 * With `--sharding` and `exposure: Service`: the EndpointSlice of the
 * FakeAPIServer's selector-less Service, pointing at the one replica serving
 * it (its advertised address and the listener's port). The replica that
 * takes a cluster over rewrites it, so the Service's ClusterIP — the
 * endpoint in `.status.endpoint` and in CAPI's kubeconfig — never changes.
 * Steady state writes nothing.
 */

/** Marks the slice as ours so Kubernetes' EndpointSlice controllers leave it alone. */
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const MANAGED_BY = 'fkas.metal3.io';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** Which replica the slice points at, for people reading it. */
const SERVED_BY_LABEL = 'fkas.metal3.io/served-by';

interface EndpointSlice {
  metadata?: { labels?: Record<string, string>; resourceVersion?: string };
  addressType?: string;
  endpoints?: { addresses?: string[] }[];
  ports?: { name?: string; port?: number }[];
}

export async function ensureEndpointSlice(ctx: OperatorContext, fas: FakeAPIServer, host: string, port: number): Promise<void> {
  const name = serviceName(fas);
  const path = { apiVersion: 'discovery.k8s.io/v1', plural: 'endpointslices', namespace: fas.metadata.namespace!, name };
  const servedBy = ctx.shard?.identity ?? '';
  const labels = { [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY, [SERVED_BY_LABEL]: labelValue(servedBy) };
  const addressType = sliceAddressType(host);
  const desired = {
    addressType,
    endpoints: [{ addresses: [host], conditions: { ready: true } }],
    ports: [{ name: SERVICE_PORT_NAME, port, protocol: 'TCP' }],
  };
  let current: EndpointSlice | undefined;
  try {
    current = await ctx.client.get<EndpointSlice>(path);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!current) {
    await ctx.client.create(path, { apiVersion: path.apiVersion, kind: 'EndpointSlice', metadata: { name, namespace: path.namespace, labels, ownerReferences: [ownerReference(fas)] }, ...desired });
    return;
  }
  const same =
    current.addressType === addressType &&
    current.endpoints?.length === 1 &&
    current.endpoints[0]?.addresses?.length === 1 &&
    current.endpoints[0].addresses[0] === host &&
    current.ports?.length === 1 &&
    current.ports[0]?.port === port &&
    current.ports[0].name === SERVICE_PORT_NAME &&
    Object.entries(labels).every(([k, v]) => current.metadata?.labels?.[k] === v);
  if (same) return;
  if (current.addressType !== addressType) {
    // addressType is immutable: replace the slice.
    await ctx.client.delete(path);
    await ctx.client.create(path, { apiVersion: path.apiVersion, kind: 'EndpointSlice', metadata: { name, namespace: path.namespace, labels, ownerReferences: [ownerReference(fas)] }, ...desired });
    return;
  }
  await ctx.client.patch(path, 'merge', { metadata: { labels }, endpoints: desired.endpoints, ports: desired.ports });
}

/**
 * IPv4/IPv6 for a pod address (what kube-proxy routes). The API server
 * refuses loopback addresses in IP slices; replicas on loopback addresses
 * are a single-host setup without kube-proxy (tests, a laptop), so such an
 * address is recorded as FQDN — accepted, still naming the replica, routed
 * by nothing — and so is a host name.
 */
function sliceAddressType(host: string): 'IPv4' | 'IPv6' | 'FQDN' {
  const family = isIP(host);
  if (family === 4 && !host.startsWith('127.')) return 'IPv4';
  if (family === 6 && host !== '::1') return 'IPv6';
  return 'FQDN';
}

/** A label value from a replica id (63 characters of [A-Za-z0-9._-], alphanumeric at both ends). */
function labelValue(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}
