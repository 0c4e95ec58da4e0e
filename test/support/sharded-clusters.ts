import https from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { issueCertificate, loadCertificateAuthority } from '../../src/pki/certificates.js';
import { generateEcKey, privateKeyToPem } from '../../src/pki/keys.js';
import type { FakeAPIServer } from '../../src/operator/api/v1alpha1.js';
import type { KubeClient } from '../../src/operator/kube/client.js';

/**
 * What the sharding spec needs to reach fake clusters behind
 * `exposure: Service` on a machine without kube-proxy: the Service's
 * EndpointSlice says which replica address and port serve the cluster now
 * (what kube-proxy would forward the ClusterIP to), and the certificate
 * must still be the one for the ClusterIP in `.status.endpoint`.
 */

export interface ClusterAccess {
  /** The replica address and port the EndpointSlice names. */
  readonly target: { readonly host: string; readonly port: number };
  /** `.status.endpoint.host`: the ClusterIP the serving certificate is for. */
  readonly endpointHost: string;
  readonly tls: { readonly ca: string; readonly cert: string; readonly key: string };
}

interface EndpointSlice {
  metadata: { name: string; namespace: string };
  endpoints?: { addresses?: string[] }[];
  ports?: { port?: number }[];
}

/** FakeAPIServers and the EndpointSlices of their Services, in two list calls. */
export async function readShardState(client: KubeClient, namespace: string): Promise<{ servers: FakeAPIServer[]; slices: Map<string, { host: string; port: number }> }> {
  const servers = (await client.list<FakeAPIServer>({ apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace })).items;
  const slices = new Map<string, { host: string; port: number }>();
  for (const s of (await client.list<EndpointSlice>({ apiVersion: 'discovery.k8s.io/v1', plural: 'endpointslices', namespace })).items) {
    const host = s.endpoints?.[0]?.addresses?.[0];
    const port = s.ports?.[0]?.port;
    if (host && port) slices.set(s.metadata.name, { host, port });
  }
  return { servers, slices };
}

/** An admin client certificate from the cluster's CA Secret (CAPI's `<cluster>-ca`). */
export async function adminTls(client: KubeClient, namespace: string, cluster: string): Promise<ClusterAccess['tls']> {
  const secret = await client.get<{ data: Record<string, string> }>({ apiVersion: 'v1', plural: 'secrets', namespace, name: `${cluster}-ca` });
  const ca = loadCertificateAuthority(Buffer.from(secret.data['tls.crt']!, 'base64').toString(), Buffer.from(secret.data['tls.key']!, 'base64').toString());
  const key = await generateEcKey();
  const cert = issueCertificate(ca, { commonName: 'kubernetes-admin', organizations: ['system:masters'], usages: ['client'], publicKey: key });
  return { ca: ca.certPem, cert: cert.certPem, key: privateKeyToPem(key) };
}

const REQUEST_TIMEOUT_MS = 5_000;

/** A request to the fake cluster at the slice's target, verifying the certificate is for the ClusterIP. */
export function clusterRequest<T>(access: ClusterAccess, method: string, path: string, body?: unknown): Promise<{ code: number; body: T }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      {
        method,
        host: access.target.host,
        port: access.target.port,
        path,
        ...access.tls,
        agent: false,
        timeout: REQUEST_TIMEOUT_MS,
        headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}) },
        checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(access.endpointHost, cert),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
