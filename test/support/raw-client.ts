import https from 'node:https';
import http2 from 'node:http2';
import { issueCertificate, type CertificateAuthority } from '../../src/pki/certificates.js';
import { generateEcKey, privateKeyToPem } from '../../src/pki/keys.js';

/** Requests with exact bytes and headers, for specs of what the fake API server answers. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The body as received (for binary answers such as protobuf). */
  readonly bytes?: Buffer;
  json<T = Record<string, unknown>>(): T;
}

export interface RawClient {
  request(method: string, path: string, opts?: { body?: string | Buffer; contentType?: string; accept?: string; token?: string; anonymous?: boolean }): Promise<RawResponse>;
  http2Get(path: string): Promise<RawResponse & { alpn: string }>;
}

export async function rawClient(endpoint: { host: string; port: number }, ca: CertificateAuthority, identity = { user: 'kubernetes-admin', groups: ['system:masters'] }): Promise<RawClient> {
  const key = await generateEcKey();
  const cert = issueCertificate(ca, { commonName: identity.user, organizations: identity.groups, usages: ['client'], publicKey: key });
  const tlsOpts = { ca: ca.certPem, cert: cert.certPem, key: privateKeyToPem(key) };
  const wrap = (status: number, headers: RawResponse['headers'], text: string): RawResponse => ({ status, headers, text, json: <T>() => JSON.parse(text) as T });
  return {
    request(method, path, opts = {}) {
      return new Promise((resolve, reject) => {
        const headers: Record<string, string> = { accept: opts.accept ?? 'application/json' };
        if (opts.contentType) headers['content-type'] = opts.contentType;
        if (opts.token) headers.authorization = `Bearer ${opts.token}`;
        // Node sends a DELETE body without framing unless told its length.
        if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
        const req = https.request(
          { host: endpoint.host, port: endpoint.port, method, path, headers, ...(opts.anonymous ? { ca: ca.certPem } : tlsOpts), agent: false },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const bytes = Buffer.concat(chunks);
              resolve({ ...wrap(res.statusCode ?? 0, res.headers, bytes.toString('utf8')), bytes });
            });
          },
        );
        req.on('error', reject);
        req.end(opts.body);
      });
    },
    http2Get(path) {
      return new Promise((resolve, reject) => {
        const session = http2.connect(`https://${endpoint.host}:${endpoint.port}`, tlsOpts);
        session.on('error', reject);
        const stream = session.request({ ':path': path, accept: 'application/json' });
        let text = '';
        let status = 0;
        stream.on('response', (h) => (status = Number(h[':status'])));
        stream.setEncoding('utf8');
        stream.on('data', (c: string) => (text += c));
        stream.on('end', () => {
          const alpn = (session.socket as unknown as { alpnProtocol: string }).alpnProtocol;
          session.close();
          resolve({ ...wrap(status, {}, text), alpn });
        });
      });
    },
  };
}
