import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FakeAPIServer, FakeNode } from '../../../src/operator/api/v1alpha1.js';
import { KubeClient } from '../../../src/operator/kube/client.js';
import { buildKubeconfig } from '../../../src/pki/kubeconfig.js';
import { DEFAULT_LEASE_NAME, LeaderElector } from '../../../src/operator/leader-election.js';
import { componentLogger } from '../../../src/telemetry/logger.js';
import type { KubeObject } from '../../../src/simulator/store/object.js';
import { startControlPlane, type ControlPlane } from '../../harness/control-plane.js';
import { REPO_ROOT } from '../../harness/tools.js';
import { eventually, startOperatorFixture, type OperatorFixture } from '../../support/operator-fixture.js';
import { startRecordingProxy, type RecordedRequest, type RecordingProxy } from './recording-proxy.js';
import { find, kustomize, LEADER_ELECTION_ROLE, MANAGER_ROLE, permissions, SERVICE_ACCOUNT, SYSTEM_NAMESPACE, type PolicyRule } from './support.js';

/**
 * The operator runs as the ServiceAccount of config/default, with exactly the
 * RBAC that config renders, against a real kube-apiserver. A recording proxy
 * between them sees every request and the status RBAC gave it. After the
 * FakeAPIServer, FakeNode, exposure: Service, restart and shim flows:
 *   - nothing it needs is missing: no request was refused (403);
 *   - nothing it doesn't need is granted: every permission the manager
 *     ClusterRole grants was used by some request.
 */

const NS = 'shipping-rbac';
/** The ServiceAccount token's lifetime: longer than the suite. */
const TOKEN_SECONDS = 3600;
/** Labels the operator pods carry in config/manager; exposure: Service selects them. */
const POD_LABELS = { 'app.kubernetes.io/name': 'metal3-fkas', 'app.kubernetes.io/component': 'controller-manager' };
const READY_TIMEOUT_MS = 30_000;
const sameMap = (a: Record<string, string>, b: Record<string, string>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);

const ready = (o: { status?: { conditions?: { type: string; status: string }[] } }): boolean =>
  !!o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
const fas = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'fkas.metal3.io/v1alpha1',
  kind: 'FakeAPIServer',
  metadata: { name, namespace: NS },
  spec: { kubernetesVersion: 'v1.32.0', ...spec },
});
const fasPath = (name?: string): Parameters<KubeClient['get']>[0] => ({
  apiVersion: 'fkas.metal3.io/v1alpha1',
  plural: 'fakeapiservers',
  namespace: NS,
  ...(name ? { name } : {}),
});
const fnPath = (name?: string): Parameters<KubeClient['get']>[0] => ({
  apiVersion: 'fkas.metal3.io/v1alpha1',
  plural: 'fakenodes',
  namespace: NS,
  ...(name ? { name } : {}),
});
const describeRequest = (r: RecordedRequest): string => `${r.method} ${r.path} → ${r.status}`;

describe('the operator with exactly the RBAC in config/ (real kube-apiserver)', function () {
  this.timeout(10 * 60_000);
  let cp: ControlPlane | undefined;
  let proxy: RecordingProxy | undefined;
  let f: OperatorFixture | undefined;
  let admin: KubeClient;
  let managerRules: PolicyRule[] = [];

  before(async () => {
    cp = await startControlPlane({ crds: [join(REPO_ROOT, 'crds')] });
    admin = KubeClient.fromFile(cp.kubeconfigPath);
    // The operator's identity and roles exactly as config/default renders them (not the Deployment: it runs in-process here).
    const rendered = await kustomize('default');
    const rbac = rendered.filter((o) => ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(o.kind ?? ''));
    managerRules = (find(rendered, 'ClusterRole', MANAGER_ROLE) as unknown as { rules: PolicyRule[] }).rules;
    await cp.applyObjects(rbac);
    await admin.create({ apiVersion: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    // A real ServiceAccount token from the TokenRequest API: what the pod would mount.
    const tr = await admin.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${SYSTEM_NAMESPACE}/serviceaccounts/${SERVICE_ACCOUNT}/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: TOKEN_SECONDS } },
    });
    proxy = await startRecordingProxy({ server: cp.server, caPem: cp.ca.certPem });
    const kubeconfigPath = join(cp.dir, 'operator-sa.kubeconfig');
    await writeFile(
      kubeconfigPath,
      buildKubeconfig({ clusterName: 'management', server: proxy.url, caPem: proxy.caPem, user: SERVICE_ACCOUNT, token: tr.status.token }),
      { mode: 0o600 },
    );
    // As in the Deployment: no --install-crds (config/crd installed them), pods' labels for exposure: Service.
    f = await startOperatorFixture({ kubeconfigPath, config: { installCrds: false, serviceSelector: POD_LABELS } });
  });
  after(async () => {
    await f?.close();
    await proxy?.close();
    admin?.close();
    await cp?.stop();
  });

  it('serves a FakeAPIServer: finalizer, CA Secrets created, endpoint and Ready written', async () => {
    await admin.create(fasPath(), fas('direct'));
    const o = await eventually(
      async () => {
        const x = await admin.get<FakeAPIServer>(fasPath('direct'));
        return ready(x) ? x : undefined;
      },
      'FakeAPIServer direct Ready',
      READY_TIMEOUT_MS,
    );
    expect(o.metadata.finalizers).to.include('fkas.metal3.io/listener');
    await admin.get({ apiVersion: 'v1', plural: 'secrets', namespace: NS, name: 'direct-ca' });
  });

  it('serves a FakeAPIServer with exposure: Service through a Service it creates and keeps', async () => {
    await admin.create(fasPath(), fas('exposed', { exposure: 'Service' }));
    const o = await eventually(
      async () => {
        const x = await admin.get<FakeAPIServer>(fasPath('exposed'));
        return ready(x) && x.status?.endpoint?.port === 6443 ? x : undefined;
      },
      'FakeAPIServer exposed Ready behind its Service',
      READY_TIMEOUT_MS,
    );
    const svc = await admin.get<{ spec: { clusterIP: string } }>({ apiVersion: 'v1', plural: 'services', namespace: NS, name: 'exposed-fkas' });
    expect(o.status!.endpoint!.host).to.equal(svc.spec.clusterIP);
  });

  it('registers a FakeNode and removes it on delete', async () => {
    await admin.create(fnPath(), {
      apiVersion: 'fkas.metal3.io/v1alpha1',
      kind: 'FakeNode',
      metadata: { name: 'direct-cp-0', namespace: NS },
      spec: { clusterName: 'direct', nodeName: 'direct-cp-0', role: 'control-plane', providerID: 'fake://direct-cp-0' },
    });
    await eventually(
      async () => {
        const x = await admin.get<FakeNode>(fnPath('direct-cp-0'));
        return x.status?.conditions?.some((c) => c.type === 'Registered' && c.status === 'True');
      },
      'FakeNode direct-cp-0 Registered',
      READY_TIMEOUT_MS,
    );
    await admin.delete(fnPath('direct-cp-0'));
    await eventually(async () => !(await admin.list(fnPath())).items.length, 'FakeNode direct-cp-0 gone', READY_TIMEOUT_MS);
  });

  it('repairs a Service that drifted, on the next reconcile of its FakeAPIServer', async () => {
    const svcPath = { apiVersion: 'v1', plural: 'services', namespace: NS, name: 'exposed-fkas' };
    await admin.patch(svcPath, 'merge', { spec: { selector: { app: 'somebody-else' } } });
    // Any change to the FakeAPIServer makes it reconcile (the operator does not watch Services).
    await admin.patch(fasPath('exposed'), 'merge', { metadata: { annotations: { touched: 'yes' } } });
    await eventually(
      async () => sameMap((await admin.get<{ spec: { selector: Record<string, string> } }>(svcPath)).spec.selector, POD_LABELS),
      'the Service selecting the operator pods again',
      READY_TIMEOUT_MS,
    );
  });

  it('comes back after a restart without writing anything for clusters it serves again', async () => {
    // What earlier steps decided is written first: the window below holds the new process's writes only.
    const statuses = f!.operator.context!.statuses;
    await Promise.all([statuses.fakeApiServers.flush(), statuses.fakeNodes.flush()]);
    const before = proxy!.requests.length;
    await f!.restartOperator();
    await eventually(async () => f!.operator.isReady, 'operator ready after restart', READY_TIMEOUT_MS);
    // A Service-exposed cluster may listen on another port after a restart: its Service then follows.
    const writes = proxy!.requests.slice(before).filter((r) => ['create', 'update', 'patch', 'delete'].includes(r.verb) && r.resource !== 'services');
    expect(writes.map((r) => `${r.verb} ${r.resource}`)).to.deep.equal([]);
  });

  it('records a problem that repeats as one Event with a count', async () => {
    const port = (await admin.get<FakeAPIServer>(fasPath('direct'))).status!.endpoint!.port;
    await admin.create(fasPath(), fas('clash', { port }));
    // The conflict is retried after 15 s: the same Warning again, counted on the existing Event.
    await eventually(async () => proxy!.requests.some((r) => r.resource === 'events' && r.verb === 'patch'), 'a repeated Event patched', 2 * READY_TIMEOUT_MS);
    await admin.delete(fasPath('clash'));
  });

  it('answers the legacy shim: POST /register and PUT /updateNode (role from the CAPI Machine lookup)', async () => {
    const reg = await fetch(`${f!.shimUrl}/register`, { method: 'POST', body: JSON.stringify({ cluster: 'legacy', namespace: NS }) });
    expect(reg.status, await reg.clone().text()).to.equal(200);
    expect(((await reg.json()) as { Resource: string }).Resource).to.equal(`${NS}/legacy`);
    const body = {
      cluster: 'legacy',
      namespace: NS,
      nodeName: 'node-0',
      providerID: 'metal3://legacy-0',
      uuid: 'f0e1d2c3-0000-4000-8000-000000000000',
      labels: 'tier=gold',
      k8sversion: 'v1.32.0',
    };
    for (let i = 0; i < 2; i++) {
      // The second call updates the FakeNode in place (a patch, not a create).
      const res = await fetch(`${f!.shimUrl}/updateNode`, { method: 'PUT', body: JSON.stringify(body) });
      expect(res.status, await res.clone().text()).to.equal(200);
    }
  });

  it('deletes FakeAPIServers: listener closed, finalizer removed', async () => {
    for (const name of ['direct', 'exposed', 'legacy']) await admin.delete(fasPath(name));
    await eventually(async () => !(await admin.list(fasPath())).items.length, 'every FakeAPIServer gone', READY_TIMEOUT_MS);
  });

  it('was never refused anything it asked for (no 403 from RBAC)', () => {
    const refused = proxy!.requests.filter((r) => r.status === 401 || r.status === 403);
    expect(refused.map(describeRequest)).to.deep.equal([]);
  });

  it('used every permission its ClusterRole grants, and asked for nothing outside it', () => {
    const used = permissions(proxy!.requests.map((r) => ({ apiGroups: [r.group], resources: [r.resource], verbs: [r.verb] })));
    const granted = permissions(managerRules);
    expect(
      granted.filter((p) => !used.includes(p)),
      'granted but never used',
    ).to.deep.equal([]);
    expect(
      used.filter((p) => !granted.includes(p)),
      'used but not granted',
    ).to.deep.equal([]);
  });

  it('holds nothing in its own namespace but the leader-election Lease verbs', async () => {
    const rendered = await kustomize('default');
    const role = find(rendered, 'Role', LEADER_ELECTION_ROLE) as unknown as { metadata: { namespace: string }; rules: PolicyRule[] };
    expect(role.metadata.namespace).to.equal(SYSTEM_NAMESPACE);
    expect(permissions(role.rules)).to.deep.equal(['coordination.k8s.io leases create', 'coordination.k8s.io leases get', 'coordination.k8s.io leases update']);
  });

  it('uses exactly get, create and update on its Lease with --leader-elect, and is refused nothing', async () => {
    const client = KubeClient.fromFile(f!.kubeconfigPath);
    const log = componentLogger('test');
    const before = proxy!.requests.length;
    // What `fkas operator --leader-elect` runs (src/cli/leadership.ts), with short timings: acquire (create), renew (get, update), release.
    const elector = new LeaderElector({
      client,
      namespace: SYSTEM_NAMESPACE,
      name: DEFAULT_LEASE_NAME,
      log,
      leaseDurationMs: 3000,
      renewDeadlineMs: 2000,
      retryPeriodMs: 250,
    });
    try {
      await elector.acquire(() => undefined);
      await new Promise((r) => setTimeout(r, 600)); // at least one renewal
      await elector.release();
    } finally {
      client.close();
    }
    const leaseRequests = proxy!.requests.slice(before).filter((r) => r.resource === 'leases');
    expect(leaseRequests.filter((r) => r.status === 401 || r.status === 403).map(describeRequest)).to.deep.equal([]);
    const used = permissions(leaseRequests.map((r) => ({ apiGroups: [r.group], resources: [r.resource], verbs: [r.verb] })));
    expect(used).to.deep.equal(['coordination.k8s.io leases create', 'coordination.k8s.io leases get', 'coordination.k8s.io leases update']);
  });
});
