import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { issueCertificate, type CertificateAuthority } from '../../src/pki/certificates.js';
import { generateEcKey, privateKeyToPem } from '../../src/pki/keys.js';
import type { FakeCluster } from '../../src/simulator/cluster.js';
import type { KubeObject } from '../../src/simulator/store/object.js';
import { ADMIN_USER, type Simulator } from '../../src/simulator/simulator.js';
import { binary } from '../harness/tools.js';

/**
 * Helpers for specs that reach a fake control plane through port-forward:
 * control-plane nodes with their static pods and etcd members, etcd client
 * certificates on disk, `kubectl port-forward` and `etcdctl` processes.
 */

/** CAPI's KCP presents this identity to etcd. */
export const KCP_ETCD_CLIENT_CN = 'cluster-api.x-k8s.io';
const PORT_FORWARD_READY_TIMEOUT_MS = 15_000;
const ETCDCTL_TIMEOUT = '10s';

/** A control-plane node as kubeadm leaves it: Node, static pods (Running), etcd member. */
export function addControlPlaneNode(cluster: FakeCluster, name: string, ip: string): void {
  const node = cluster.addNode({ name, internalIP: ip, labels: { 'node-role.kubernetes.io/control-plane': '' } });
  const owner = [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid! }];
  for (const component of ['etcd', 'kube-apiserver']) cluster.applyObject(staticPod(component, name, ip, owner));
  cluster.etcd.addMember(name, { ip });
}

function staticPod(component: string, node: string, ip: string, ownerReferences: KubeObject['metadata']['ownerReferences']): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${component}-${node}`, namespace: 'kube-system', labels: { component, tier: 'control-plane' }, ownerReferences },
    spec: { nodeName: node, hostNetwork: true, containers: [{ name: component, image: `registry.k8s.io/${component}:v1.32.0` }] },
    status: { phase: 'Running', hostIP: ip, podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

export interface ClientCertFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** Writes a client certificate signed by `signer`, and `trust` as the CA file etcdctl verifies the server with. */
export async function writeEtcdClientCert(dir: string, prefix: string, signer: CertificateAuthority, trust: CertificateAuthority = signer): Promise<ClientCertFiles> {
  const key = await generateEcKey();
  const cert = issueCertificate(signer, { commonName: KCP_ETCD_CLIENT_CN, usages: ['client'], publicKey: key });
  const files = { cert: join(dir, `${prefix}.crt`), key: join(dir, `${prefix}.key`), ca: join(dir, `${prefix}-ca.crt`) };
  await writeFile(files.cert, cert.certPem);
  await writeFile(files.key, privateKeyToPem(key), { mode: 0o600 });
  await writeFile(files.ca, trust.certPem);
  return files;
}

export interface PortForward {
  readonly localPort: number;
  /** Everything kubectl printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Runs `kubectl port-forward` on a random local port and waits until it forwards. */
export async function kubectlPortForward(kubeconfig: string, home: string, target: string, remotePort: number, env: Record<string, string> = {}): Promise<PortForward> {
  const child = spawn('kubectl', ['--kubeconfig', kubeconfig, '-n', 'kube-system', 'port-forward', '--address', '127.0.0.1', target, `:${remotePort}`], {
    env: { ...process.env, HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const stop = (): Promise<void> => stopProcess(child);
  const localPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kubectl port-forward did not start: ${out}`)), PORT_FORWARD_READY_TIMEOUT_MS);
    const check = (): void => {
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl port-forward exited ${code}: ${out}`));
    });
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { localPort, output: () => out, stop };
}

/** Kills a child process and waits for it to be gone. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await gone;
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The etcdctl the specs run: bin/etcdctl, built by `npm run tools` from go.etcd.io/etcd/etcdctl/v3 at
 * ETCD_VERSION (hack/tools/versions.env), never whatever etcdctl the PATH offers (distributions ship 3.4).
 */
export function etcdctlBinary(): string {
  const path = binary('etcdctl');
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run tools\` (it builds etcdctl with kube-apiserver and etcd)`);
  return path;
}

/** Runs the real etcdctl against one endpoint with the given client certificate (3.6 speaks only the v3 API: no ETCDCTL_API). */
export async function etcdctl(localPort: number, certs: ClientCertFiles, args: string[]): Promise<CommandResult> {
  const child = spawn(
    etcdctlBinary(),
    [`--endpoints=https://127.0.0.1:${localPort}`, `--cacert=${certs.ca}`, `--cert=${certs.cert}`, `--key=${certs.key}`, `--dial-timeout=${ETCDCTL_TIMEOUT}`, `--command-timeout=${ETCDCTL_TIMEOUT}`, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr };
}

/** TLS options of a kubernetes-admin client of a fake cluster (for raw port-forward clients). */
export async function adminTls(simulator: Simulator, cluster: FakeCluster): Promise<{ host: string; port: number; ca: string; cert: string; key: string }> {
  const ca = simulator.caOf(cluster.name)!;
  const key = await generateEcKey();
  const cert = issueCertificate(ca, { commonName: ADMIN_USER.user, organizations: [...ADMIN_USER.groups], usages: ['client'], publicKey: key });
  return { host: cluster.endpoint.host, port: cluster.port, ca: ca.certPem, cert: cert.certPem, key: privateKeyToPem(key) };
}
