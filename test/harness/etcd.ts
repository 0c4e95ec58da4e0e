import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, issueCertificate } from '../../src/pki/certificates.js';
import { generateEcKey, privateKeyToPem } from '../../src/pki/keys.js';
import { KEEP_DIRS, freePort, waitUntil } from './control-plane.js';
import { ManagedProcess } from './processes.js';
import { binary, ensureTools } from './tools.js';

/**
 * A real single-member etcd (bin/etcd, the version Kubernetes pins) on free
 * loopback ports in a temporary directory, optionally serving TLS and
 * requiring client certificates, for the `--store etcd:` specs and bench.
 */

export interface TestEtcd {
  readonly dir: string;
  /** The client URL (`http://` or `https://`). */
  readonly endpoint: string;
  /** With `tls`: PEM files of the CA, and a client certificate etcd trusts. */
  readonly files?: { readonly ca: string; readonly cert: string; readonly key: string };
  /** Stops etcd (it answers nothing meanwhile) until `start`; the data directory stays. */
  pause(): Promise<void>;
  /** Starts it again on the same ports and data, after `pause`. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestEtcdOptions {
  /** Serve https and require client certificates signed by a CA of the test. */
  readonly tls?: boolean;
  /** fsync as production etcd does (the bench measures durable writes); specs skip it for speed. */
  readonly fsync?: boolean;
  /** On which loopback address to listen (127.0.0.1 by default). */
  readonly host?: string;
}

const READY_MS = 30_000;

export async function startEtcd(opts: TestEtcdOptions = {}): Promise<TestEtcd> {
  await ensureTools('kube');
  const dir = await mkdtemp(join(tmpdir(), 'fkas-etcd-'));
  const host = opts.host ?? '127.0.0.1';
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const scheme = opts.tls ? 'https' : 'http';
  const endpoint = `${scheme}://${host}:${clientPort}`;
  await mkdir(join(dir, 'data'));
  let files: TestEtcd['files'];
  const tlsArgs: string[] = [];
  let probeTls: https.RequestOptions | undefined;
  if (opts.tls) {
    const ca = await createCertificateAuthority({ commonName: 'fkas-test-etcd-ca', key: await generateEcKey() });
    const serverKey = await generateEcKey();
    const server = issueCertificate(ca, { commonName: 'etcd', dnsNames: ['localhost'], ipAddresses: [host], usages: ['server', 'client'], publicKey: serverKey });
    const clientKey = await generateEcKey();
    const client = issueCertificate(ca, { commonName: 'fkas', usages: ['client'], publicKey: clientKey });
    files = { ca: join(dir, 'ca.crt'), cert: join(dir, 'client.crt'), key: join(dir, 'client.key') };
    await writeFile(files.ca, ca.certPem);
    await writeFile(files.cert, client.certPem);
    await writeFile(files.key, privateKeyToPem(clientKey));
    await writeFile(join(dir, 'server.crt'), server.certPem);
    await writeFile(join(dir, 'server.key'), privateKeyToPem(serverKey));
    tlsArgs.push(`--cert-file=${join(dir, 'server.crt')}`, `--key-file=${join(dir, 'server.key')}`, `--trusted-ca-file=${files.ca}`, '--client-cert-auth');
    probeTls = { ca: ca.certPem, cert: client.certPem, key: privateKeyToPem(clientKey) };
  }
  const args = [
      `--data-dir=${join(dir, 'data')}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=http://${host}:${peerPort}`,
      `--initial-advertise-peer-urls=http://${host}:${peerPort}`,
      `--initial-cluster=default=http://${host}:${peerPort}`,
      ...tlsArgs,
      ...(opts.fsync ? [] : ['--unsafe-no-fsync']),
      '--log-level=warn',
  ];
  let etcd = new ManagedProcess('etcd', binary('etcd'), args, join(dir, 'etcd.log'));
  const start = async (): Promise<void> => {
    etcd = new ManagedProcess('etcd', binary('etcd'), args, join(dir, 'etcd.log'));
    etcd.start();
    await waitUntil('etcd', etcd, () => healthy(`${endpoint}/health`, probeTls), READY_MS);
  };
  try {
    await start();
  } catch (err) {
    await etcd.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    endpoint,
    ...(files ? { files } : {}),
    pause: () => etcd.stop(),
    start,
    async stop() {
      await etcd.stop();
      if (!KEEP_DIRS) await rm(dir, { recursive: true, force: true });
    },
  };
}

function healthy(url: string, tls?: https.RequestOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (res: http.IncomingMessage): void => {
      res.resume();
      resolve(res.statusCode === 200);
    };
    const req = tls ? https.get(url, { ...tls, timeout: 2000 }, done) : http.get(url, { timeout: 2000 }, done);
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}
