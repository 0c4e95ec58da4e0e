import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createCertificateAuthority, issueCertificate } from '../../../src/pki/certificates.js';
import { generateEcKey, generateRsaKey, privateKeyToPem } from '../../../src/pki/keys.js';

/**
 * A TLS reverse proxy in front of a real kube-apiserver that records every
 * request as the apiserver's authorizer sees it (verb, group, resource,
 * subresource) with the status it got. Credentials pass through untouched,
 * so the apiserver authorizes each request as the caller: what the recording
 * shows is what RBAC allowed or refused.
 */

export interface RecordedRequest {
  readonly verb: string;
  readonly group: string;
  /** `resource` or `resource/subresource`, as RBAC rules name it. */
  readonly resource: string;
  readonly namespace?: string;
  readonly status: number;
  readonly method: string;
  readonly path: string;
}

export interface RecordingProxy {
  readonly url: string;
  /** The proxy's serving CA, for the kubeconfig that points at it. */
  readonly caPem: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Kubernetes' RequestInfo for resource paths: /api/v1/... and /apis/<group>/<version>/... */
export function requestInfo(method: string, url: string): Omit<RecordedRequest, 'status' | 'method' | 'path'> | undefined {
  const u = new URL(url, 'https://proxy');
  const parts = u.pathname.split('/').filter(Boolean);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) [group, rest] = ['', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 3) [group, rest] = [parts[1]!, parts.slice(3)];
  else return undefined; // discovery, /version, /healthz: not resource requests
  if (rest.length === 0) return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
  const [resource, name, subresource] = rest;
  const collection = name === undefined;
  const watch = u.searchParams.get('watch') === 'true' || u.searchParams.get('watch') === '1';
  const verb =
    method === 'GET'
      ? collection
        ? watch
          ? 'watch'
          : 'list'
        : 'get'
      : method === 'POST'
        ? 'create'
        : method === 'PUT'
          ? 'update'
          : method === 'PATCH'
            ? 'patch'
            : method === 'DELETE'
              ? collection
                ? 'deletecollection'
                : 'delete'
              : method.toLowerCase();
  return { verb, group, resource: subresource ? `${resource!}/${subresource}` : resource!, ...(namespace ? { namespace } : {}) };
}

export async function startRecordingProxy(upstream: { server: string; caPem: string }): Promise<RecordingProxy> {
  const ca = await createCertificateAuthority({ commonName: 'fkas-recording-proxy-ca', key: await generateRsaKey() });
  const key = await generateEcKey();
  const cert = issueCertificate(ca, { commonName: 'recording-proxy', ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'], usages: ['server'], publicKey: key });
  const target = new URL(upstream.server);
  const agent = new https.Agent({ keepAlive: true, ca: upstream.caPem });
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const info = requestInfo(req.method ?? 'GET', req.url ?? '/');
    const up = https.request(
      {
        protocol: 'https:',
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
        agent,
      },
      (upRes) => {
        if (info) requests.push({ ...info, status: upRes.statusCode ?? 0, method: req.method ?? 'GET', path: req.url ?? '/' });
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502).end(err.message);
      else res.destroy();
    });
    // A client that goes away (an aborted watch) ends the upstream request too.
    res.on('close', () => up.destroy());
    req.pipe(up);
  };

  const server = https.createServer({ cert: cert.certPem, key: privateKeyToPem(key) }, forward);
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: ca.certPem,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
