import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCertificate, type CertificateAuthority } from '../../../src/pki/certificates.js';
import { generateEcKey, privateKeyToPem } from '../../../src/pki/keys.js';
import { buildKubeconfig } from '../../../src/pki/kubeconfig.js';
import { Simulator } from '../../../src/simulator/simulator.js';
import { startControlPlane, type ControlPlane } from '../../harness/control-plane.js';
import { rawClient, type RawClient } from '../../support/raw-client.js';

/**
 * The two servers a differential scenario runs against — a real
 * kube-apiserver (RBAC on, started by the harness) and a fake cluster — and
 * one client per identity for each, raw HTTP and kubeconfig for kubectl.
 */

export type IdentityName = 'admin' | 'jane' | 'vera' | 'anonymous';

/** Who the scenarios act as: CAPI's admin, a user with no permissions, a user the setup binds to view/edit, and nobody. */
export const IDENTITIES: Readonly<Record<Exclude<IdentityName, 'anonymous'>, { user: string; groups: string[] }>> = {
  admin: { user: 'kubernetes-admin', groups: ['system:masters'] },
  jane: { user: 'jane', groups: [] },
  vera: { user: 'vera', groups: ['fkas:viewers'] },
};

export interface Target {
  readonly name: 'kube-apiserver' | 'fake-cluster';
  readonly clients: Readonly<Record<IdentityName, RawClient>>;
  readonly kubeconfigs: Readonly<Record<Exclude<IdentityName, 'anonymous'>, string>>;
}

export interface Targets {
  readonly real: Target;
  readonly fake: Target;
  stop(): Promise<void>;
}

export async function startTargets(): Promise<Targets> {
  const dir = await mkdtemp(join(tmpdir(), 'fkas-differential-'));
  let cp: ControlPlane | undefined;
  const sim = new Simulator();
  try {
    // As in a kubeadm cluster, kube-controller-manager fills the aggregated ClusterRoles (admin, edit, view).
    cp = await startControlPlane({ withControllerManager: true, controllers: ['clusterrole-aggregation'] });
    await waitForAggregation(cp);
    const realEndpoint = { host: '127.0.0.1', port: Number(new URL(cp.server).port) };
    const cluster = await sim.createCluster({ name: 'differential' });
    const real = await target('kube-apiserver', realEndpoint, cp.ca, cp.server, dir);
    const fake = await target('fake-cluster', cluster.endpoint, sim.caOf('differential')!, cluster.endpoint.url, dir);
    const stopCp = cp;
    return {
      real,
      fake,
      async stop() {
        await sim.close();
        await stopCp.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await sim.close();
    await cp?.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function target(name: Target['name'], endpoint: { host: string; port: number }, ca: CertificateAuthority, server: string, dir: string): Promise<Target> {
  const clients = {} as Record<IdentityName, RawClient>;
  const kubeconfigs = {} as Record<Exclude<IdentityName, 'anonymous'>, string>;
  for (const [id, identity] of Object.entries(IDENTITIES) as [Exclude<IdentityName, 'anonymous'>, { user: string; groups: string[] }][]) {
    clients[id] = await rawClient(endpoint, ca, identity);
    const key = await generateEcKey();
    const cert = issueCertificate(ca, { commonName: identity.user, organizations: identity.groups, usages: ['client'], publicKey: key });
    const path = join(dir, `${name}-${id}.kubeconfig`);
    await writeFile(path, buildKubeconfig({ clusterName: name, server, caPem: ca.certPem, user: identity.user, clientCertPem: cert.certPem, clientKeyPem: privateKeyToPem(key) }), { mode: 0o600 });
    kubeconfigs[id] = path;
  }
  const admin = clients.admin;
  clients.anonymous = { ...admin, request: (method, path, opts = {}) => admin.request(method, path, { ...opts, anonymous: true }) };
  return { name, clients, kubeconfigs };
}

const AGGREGATION_TIMEOUT_MS = 30_000;
const POLL_MS = 200;

/** Waits until kube-controller-manager has written rules into the `view` ClusterRole. */
async function waitForAggregation(cp: ControlPlane): Promise<void> {
  const admin = await rawClient({ host: '127.0.0.1', port: Number(new URL(cp.server).port) }, cp.ca, IDENTITIES.admin);
  const deadline = Date.now() + AGGREGATION_TIMEOUT_MS;
  for (;;) {
    const res = await admin.request('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/view');
    if (res.status === 200 && (res.json<{ rules?: unknown[] }>().rules?.length ?? 0) > 0) return;
    if (Date.now() > deadline) throw new Error(`the view ClusterRole has no rules after ${AGGREGATION_TIMEOUT_MS} ms: is the clusterrole-aggregation controller running?`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
