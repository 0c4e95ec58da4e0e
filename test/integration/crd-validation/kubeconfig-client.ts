import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { load } from 'js-yaml';

/**
 * Plain HTTPS requests with the credentials of a kubeconfig (its current
 * context's client certificate or token), answering status, headers and
 * body: what the CRD validation specs compare between the embedded
 * management API and a real kube-apiserver, Warning headers included.
 */

export interface KubeAnswer {
  readonly status: number;
  readonly warnings: readonly string[];
  readonly body: Record<string, unknown>;
}

export type KubeRequest = (method: string, path: string, body?: unknown, contentType?: string) => Promise<KubeAnswer>;

interface Kubeconfig {
  'current-context'?: string;
  contexts: { name: string; context: { cluster: string; user: string } }[];
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string } }[];
  users: {
    name: string;
    user: { 'client-certificate-data'?: string; 'client-key-data'?: string; 'client-certificate'?: string; 'client-key'?: string; token?: string };
  }[];
}

export async function kubeconfigClient(path: string): Promise<KubeRequest> {
  const config = load(await readFile(path, 'utf8')) as Kubeconfig;
  const context = config.contexts.find((c) => c.name === config['current-context']) ?? config.contexts[0]!;
  const cluster = config.clusters.find((c) => c.name === context.context.cluster)!.cluster;
  const user = config.users.find((u) => u.name === context.context.user)!.user;
  const pem = async (data: string | undefined, file: string | undefined): Promise<string | undefined> =>
    data ? Buffer.from(data, 'base64').toString('utf8') : file ? readFile(file, 'utf8') : undefined;
  const ca = await pem(cluster['certificate-authority-data'], cluster['certificate-authority']);
  const cert = await pem(user['client-certificate-data'], user['client-certificate']);
  const key = await pem(user['client-key-data'], user['client-key']);
  const server = new URL(cluster.server);
  return (method, path, body, contentType = 'application/json') =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const headers: Record<string, string> = { accept: 'application/json' };
      if (payload !== undefined) {
        headers['content-type'] = contentType;
        headers['content-length'] = String(Buffer.byteLength(payload));
      }
      if (user.token) headers.authorization = `Bearer ${user.token}`;
      const req = https.request(
        { host: server.hostname, port: server.port, method, path, headers, agent: false, ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}) },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            // Node joins repeated headers with commas: read each Warning line from the raw headers.
            const warnings = res.rawHeaders.filter((_, i) => i % 2 === 1 && res.rawHeaders[i - 1]!.toLowerCase() === 'warning');
            resolve({ status: res.statusCode ?? 0, warnings, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
}
