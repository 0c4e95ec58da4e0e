import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { createCertificateAuthority, issueCertificate, type CertificateAuthority } from '../../src/pki/certificates.js';
import { generateEcKey, generateRsaKey, privateKeyToPem } from '../../src/pki/keys.js';
import { buildKubeconfig } from '../../src/pki/kubeconfig.js';
import type { KubeObject } from '../../src/simulator/store/object.js';
import { ManagedProcess } from './processes.js';
import { binary, ensureTools } from './tools.js';

/**
 * A real control plane for tests: etcd, kube-apiserver and (optionally)
 * kube-controller-manager built from their Go modules, on free loopback
 * ports, with generated certificates and an admin kubeconfig.
 */

export interface ControlPlane {
  readonly dir: string;
  readonly server: string;
  readonly kubeconfigPath: string;
  readonly kubeConfig: KubeConfig;
  readonly ca: CertificateAuthority;
  /** Data directory of every process: a process-table search for it finds everything we started. */
  readonly marker: string;
  /** Server-side applies objects (CRDs are waited for until Established). */
  applyObjects(objects: readonly KubeObject[]): Promise<void>;
  restartApiServer(): Promise<void>;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  readonly withControllerManager?: boolean;
  /** kube-controller-manager's --controllers when it runs; defaults to what fake-cluster tests need. */
  readonly controllers?: readonly string[];
  /** Directories or files of CRD YAML to install once the apiserver is ready. */
  readonly crds?: readonly string[];
}

const READY_TIMEOUT_MS = 90_000;
const POLL_MS = 250;
const LOG_TAIL_LINES = 20;
/** Set to keep every log and certificate of a run for a post-mortem. */
export const KEEP_DIRS_ENV = 'FKAS_KEEP_TEST_DIRS';
export const KEEP_DIRS = Boolean(process.env[KEEP_DIRS_ENV]);
const SERVICE_CIDR = '10.0.0.0/24';
const SERVICE_IP = '10.0.0.1';
/** Only what a fake-cluster test needs: garbage collection and namespace deletion. */
const DEFAULT_CONTROLLERS = ['garbagecollector', 'namespace', 'serviceaccount', 'serviceaccount-token'];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  await ensureTools('kube');
  const dir = await mkdtemp(join(tmpdir(), 'fkas-controlplane-'));
  const processes: ManagedProcess[] = [];
  try {
    return await boot(dir, processes, opts);
  } catch (err) {
    for (const p of processes.reverse()) await p.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function boot(dir: string, processes: ManagedProcess[], opts: ControlPlaneOptions): Promise<ControlPlane> {
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const ca = await createCertificateAuthority({ commonName: 'fkas-test-ca', key: await generateRsaKey() });
  const servingKey = await generateEcKey();
  const serving = issueCertificate(ca, { commonName: 'kube-apiserver', dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'], ipAddresses: ['127.0.0.1', SERVICE_IP], usages: ['server'], publicKey: servingKey });
  const adminKey = await generateEcKey();
  const admin = issueCertificate(ca, { commonName: 'admin', organizations: ['system:masters'], usages: ['client'], publicKey: adminKey });
  const saKey = await generateRsaKey();
  const files = {
    ca: join(dir, 'ca.crt'),
    cert: join(dir, 'apiserver.crt'),
    key: join(dir, 'apiserver.key'),
    saPub: join(dir, 'sa.pub'),
    saKey: join(dir, 'sa.key'),
    kubeconfig: join(dir, 'admin.kubeconfig'),
  };
  await writeFile(files.ca, ca.certPem);
  await writeFile(files.cert, serving.certPem);
  await writeFile(files.key, privateKeyToPem(servingKey));
  await writeFile(files.saKey, privateKeyToPem(saKey));
  await writeFile(files.saPub, createPublicKey(saKey).export({ type: 'spki', format: 'pem' }).toString());
  const server = `https://127.0.0.1:${apiPort}`;
  await writeFile(files.kubeconfig, buildKubeconfig({ clusterName: 'fkas-test', server, caPem: ca.certPem, user: 'admin', clientCertPem: admin.certPem, clientKeyPem: privateKeyToPem(adminKey) }), { mode: 0o600 });
  await mkdir(join(dir, 'etcd'));

  const etcd = new ManagedProcess('etcd', binary('etcd'), [
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
    '--unsafe-no-fsync',
    '--log-level=warn',
  ], join(dir, 'etcd.log'));
  processes.push(etcd);
  etcd.start();
  await waitUntil('etcd', etcd, () => httpGet(`http://127.0.0.1:${etcdClient}/health`));

  const apiserverArgs = [
    `--etcd-servers=http://127.0.0.1:${etcdClient}`,
    `--secure-port=${apiPort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--tls-cert-file=${files.cert}`,
    `--tls-private-key-file=${files.key}`,
    `--client-ca-file=${files.ca}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${files.saPub}`,
    `--service-account-signing-key-file=${files.saKey}`,
    '--authorization-mode=RBAC',
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--allow-privileged=true',
    '--disable-admission-plugins=ServiceAccount',
    '--enable-priority-and-fairness=false',
  ];
  let apiserver = new ManagedProcess('kube-apiserver', binary('kube-apiserver'), apiserverArgs, join(dir, 'kube-apiserver.log'));
  processes.push(apiserver);
  apiserver.start();
  const tlsOpts = { ca: ca.certPem, cert: admin.certPem, key: privateKeyToPem(adminKey) };
  const apiReady = (): Promise<boolean> => httpGet(`${server}/readyz`, tlsOpts);
  await waitUntil('kube-apiserver', apiserver, apiReady);

  if (opts.withControllerManager) {
    const kcm = new ManagedProcess('kube-controller-manager', binary('kube-controller-manager'), [
      `--kubeconfig=${files.kubeconfig}`,
      `--authentication-kubeconfig=${files.kubeconfig}`,
      `--authorization-kubeconfig=${files.kubeconfig}`,
      `--controllers=${(opts.controllers ?? DEFAULT_CONTROLLERS).join(',')}`,
      '--leader-elect=false',
      '--use-service-account-credentials=false',
      `--service-account-private-key-file=${files.saKey}`,
      `--root-ca-file=${files.ca}`,
      `--bind-address=127.0.0.1`,
      `--secure-port=${await freePort()}`,
    ], join(dir, 'kube-controller-manager.log'));
    processes.push(kcm);
    kcm.start();
    const early = await kcm.exitedWithin(1500);
    if (early !== 'running') throw new Error(`kube-controller-manager exited with ${String(early)}; see ${join(dir, 'kube-controller-manager.log')}`);
  }

  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(files.kubeconfig);
  const kubectl = (args: string[]): Promise<unknown> => promisify(execFile)('kubectl', ['--kubeconfig', files.kubeconfig, ...args], { maxBuffer: 64 * 1024 * 1024 });
  const waitForCrds = (): Promise<unknown> => kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  if (opts.crds?.length) {
    for (const path of opts.crds) await kubectl(['apply', '--server-side', '-f', path]);
    await waitForCrds();
  }
  let applied = 0;

  return {
    dir,
    server,
    kubeconfigPath: files.kubeconfig,
    kubeConfig,
    ca,
    marker: dir,
    async applyObjects(objects) {
      const file = join(dir, `applied-${++applied}.json`);
      await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
      await kubectl(['apply', '--server-side', '--force-conflicts', '-f', file]);
      if (objects.some((o) => o.kind === 'CustomResourceDefinition')) await waitForCrds();
    },
    async restartApiServer() {
      await apiserver.stop();
      const next = new ManagedProcess('kube-apiserver', binary('kube-apiserver'), apiserverArgs, join(dir, 'kube-apiserver.log'));
      processes[processes.indexOf(apiserver)] = next;
      apiserver = next;
      apiserver.start();
      await waitUntil('kube-apiserver', apiserver, apiReady);
    },
    async stop() {
      for (const p of [...processes].reverse()) await p.stop();
      if (KEEP_DIRS) console.error(`kept ${dir} (${KEEP_DIRS_ENV})`);
      else await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` until it passes; fails at once, pointing at the log, if the process dies first. */
export async function waitUntil(name: string, p: ManagedProcess, probe: () => Promise<boolean>, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!p.running) throw new Error(`${name} exited before it was ready; the end of ${p.logFile}:\n${await logTail(p.logFile)}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${name} not ready after ${timeoutMs} ms; the end of ${p.logFile}:\n${await logTail(p.logFile)}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The last lines of a log, for failure messages: the directory is gone once the harness stops. */
export async function logTail(path: string, lines = LOG_TAIL_LINES): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines - 1).join('\n');
}

function httpGet(url: string, tlsOpts?: https.RequestOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const onResponse = (res: http.IncomingMessage): void => {
      res.resume();
      resolve(res.statusCode === 200);
    };
    const req = url.startsWith('https:') ? https.get(url, { ...tlsOpts, timeout: 2000 }, onResponse) : http.get(url, { timeout: 2000 }, onResponse);
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}
