import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedManagementApi, type EmbeddedManagementApi } from '../../src/operator/embedded.js';
import { FkasOperator, type ManagerConfig } from '../../src/operator/manager.js';
import { KubeClient } from '../../src/operator/kube/client.js';
import { startShim } from '../../src/shim/server.js';
import { componentLogger } from '../../src/telemetry/logger.js';

/** An operator (and its shim) against a management API: the embedded one unless a kubeconfig is given. */
export interface OperatorFixture {
  readonly kubeconfigPath: string;
  readonly client: KubeClient;
  operator: FkasOperator;
  readonly shimUrl: string;
  readonly dir: string;
  kubectl(args: string[], input?: string): Promise<string>;
  /** Stops the operator (not the management API) and starts a new one, as after a crash or upgrade. */
  restartOperator(): Promise<void>;
  close(): Promise<void>;
}

export const TEST_PORT_RANGE = { min: 32000, max: 32999 };

export async function startOperatorFixture(opts: { kubeconfigPath?: string; config?: Partial<ManagerConfig> } = {}): Promise<OperatorFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'fkas-op-'));
  let management: EmbeddedManagementApi | undefined;
  let kubeconfigPath = opts.kubeconfigPath;
  if (!kubeconfigPath) {
    management = await startEmbeddedManagementApi({ port: 0, kubeconfigPath: join(dir, 'management.kubeconfig') });
    kubeconfigPath = management.kubeconfigPath;
  }
  const make = (): FkasOperator =>
    new FkasOperator({
      kubeconfigPath,
      bindHost: '127.0.0.1',
      advertiseHost: '127.0.0.1',
      portRange: TEST_PORT_RANGE,
      probePort: 0,
      probeHost: '127.0.0.1',
      installCrds: true,
      resyncMs: 60_000,
      // As `npm start` runs it: the operator calls its embedded management API in-process; the specs' clients and kubectl use HTTPS.
      ...(management ? { managementTransport: management.transport } : {}),
      ...opts.config,
    });
  const client = KubeClient.fromFile(kubeconfigPath);
  const fixture: OperatorFixture = {
    kubeconfigPath,
    client,
    operator: make(),
    shimUrl: '',
    dir,
    kubectl: (args, input) =>
      new Promise((resolve, reject) => {
        const child = execFile('kubectl', ['--kubeconfig', kubeconfigPath, ...args], { env: { ...process.env, HOME: dir } }, (err, stdout, stderr) =>
          err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
        );
        if (input !== undefined) child.stdin?.end(input);
      }),
    async restartOperator() {
      await fixture.operator.shutdown();
      fixture.operator = make();
      await fixture.operator.start();
    },
    async close() {
      await shim.close();
      await fixture.operator.shutdown();
      client.close();
      await management?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await fixture.operator.start();
  const shim = await startShim({ client, log: componentLogger('shim'), host: '127.0.0.1', port: 0, waitMs: 10_000 });
  (fixture as { shimUrl: string }).shimUrl = `http://127.0.0.1:${shim.port}`;
  return fixture;
}

export async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

import { connect as tlsConnect } from 'node:tls';
import { writeFile } from 'node:fs/promises';
import { issueCertificate, loadCertificateAuthority } from '../../src/pki/certificates.js';
import { generateEcKey, privateKeyToPem } from '../../src/pki/keys.js';
import { buildKubeconfig } from '../../src/pki/kubeconfig.js';

/** A kubeconfig for a fake cluster built the way CAPI builds one: from the `<cluster>-ca` Secret. */
export async function kubeconfigFromCaSecret(f: Pick<OperatorFixture, 'client' | 'dir'>, namespace: string, cluster: string, endpoint: { host: string; port: number }): Promise<string> {
  const secret = await f.client.get<{ data: Record<string, string> }>({ apiVersion: 'v1', plural: 'secrets', namespace, name: `${cluster}-ca` });
  const ca = loadCertificateAuthority(Buffer.from(secret.data['tls.crt']!, 'base64').toString(), Buffer.from(secret.data['tls.key']!, 'base64').toString());
  const key = await generateEcKey();
  const cert = issueCertificate(ca, { commonName: 'kubernetes-admin', organizations: ['system:masters'], usages: ['client'], publicKey: key });
  const path = join(f.dir, `${namespace}-${cluster}.kubeconfig`);
  await writeFile(path, buildKubeconfig({ clusterName: cluster, server: `https://${endpoint.host}:${endpoint.port}`, caPem: ca.certPem, user: 'admin', clientCertPem: cert.certPem, clientKeyPem: privateKeyToPem(key) }));
  return path;
}

/** Resolves true when a TCP+TLS connection to the port is refused or reset. */
export function connectionRefused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host, port, rejectUnauthorized: false }, () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
}
