import { expect } from 'chai';
import { Simulator } from '../../src/simulator/simulator.js';
import type { FakeCluster } from '../../src/simulator/cluster.js';
import { rawClient, type RawClient } from '../support/raw-client.js';

/**
 * RBAC in a fake cluster: kube-apiserver's default roles from creation,
 * shared by all clusters until one changes them, decisions that follow
 * every RBAC write, system:masters unevaluated, anonymous kept to health
 * and version. (The differential suite compares the wording with a real
 * kube-apiserver; these specs need no binaries.)
 */
describe('RBAC in fake clusters', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let a: FakeCluster;
  let b: FakeCluster;
  let admin: RawClient;
  let jane: RawClient;
  const RBAC = '/apis/rbac.authorization.k8s.io/v1';
  const janeBinding = (name: string, role: string): string =>
    JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ kind: 'User', name: 'jane' }] });
  const post = (c: RawClient, path: string, body: string) => c.request('POST', path, { body, contentType: 'application/json' });

  before(async () => {
    sim = new Simulator();
    a = await sim.createCluster({ name: 'rbac-a', tokens: { 'robot-token': { user: 'robot', groups: [] } } });
    b = await sim.createCluster({ name: 'rbac-b' });
    admin = await rawClient(a.endpoint, sim.caOf('rbac-a')!);
    jane = await rawClient(a.endpoint, sim.caOf('rbac-a')!, { user: 'jane', groups: [] });
  });
  after(async () => sim.close());

  it("starts with kube-apiserver's default ClusterRoles, admin/edit/view aggregated as kube-controller-manager leaves them", async () => {
    const res = await admin.request('GET', `${RBAC}/clusterroles`);
    const names = res.json<{ items: { metadata: { name: string } }[] }>().items.map((i) => i.metadata.name);
    expect(names).to.include.members(['cluster-admin', 'admin', 'edit', 'view', 'system:basic-user', 'system:discovery', 'system:public-info-viewer', 'system:node']);
    const view = (await admin.request('GET', `${RBAC}/clusterroles/view`)).json<{ rules: { resources?: string[] }[] }>();
    expect(view.rules.flatMap((r) => r.resources ?? [])).to.include('configmaps').and.not.include('secrets');
    const bindings = (await admin.request('GET', `${RBAC}/clusterrolebindings/cluster-admin`)).json<{ subjects: { name: string }[] }>();
    expect(bindings.subjects.map((s) => s.name)).to.deep.equal(['system:masters']);
  });

  it('lends every cluster the same frozen objects until it writes its own, and a write in one cluster stays there', async () => {
    const store = (c: FakeCluster) => c.resources.store;
    const viewA = store(a).get('rbac.authorization.k8s.io/clusterroles', undefined, 'view');
    expect(viewA).to.equal(store(b).get('rbac.authorization.k8s.io/clusterroles', undefined, 'view'));
    expect(Object.isFrozen(viewA)).to.equal(true);
    expect((await admin.request('DELETE', `${RBAC}/clusterroles/system:monitoring`)).status).to.equal(200);
    expect((await admin.request('GET', `${RBAC}/clusterroles/system:monitoring`)).status).to.equal(404);
    expect(store(b).get('rbac.authorization.k8s.io/clusterroles', undefined, 'system:monitoring')).to.not.equal(undefined);
    const recreated = await post(admin, `${RBAC}/clusterroles`, JSON.stringify({ metadata: { name: 'system:monitoring' }, rules: [] }));
    expect(recreated.status).to.equal(201);
    expect((await admin.request('GET', `${RBAC}/clusterroles/system:monitoring`)).json<{ rules: unknown[] }>().rules).to.deep.equal([]);
    expect(store(b).count('rbac.authorization.k8s.io/clusterroles')).to.equal(store(a).count('rbac.authorization.k8s.io/clusterroles'));
  });

  it("refuses a user without bindings with kube's 403, allows it once bound, and refuses again once unbound", async () => {
    const denied = await jane.request('GET', '/api/v1/nodes');
    expect(denied.status).to.equal(403);
    expect(denied.json()).to.deep.include({
      reason: 'Forbidden',
      message: 'nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope',
      details: { kind: 'nodes' },
    });
    expect((await post(admin, `${RBAC}/clusterrolebindings`, janeBinding('jane-admin', 'cluster-admin'))).status).to.equal(201);
    expect((await jane.request('GET', '/api/v1/nodes')).status).to.equal(200);
    expect((await admin.request('DELETE', `${RBAC}/clusterrolebindings/jane-admin`)).status).to.equal(200);
    expect((await jane.request('GET', '/api/v1/nodes')).status).to.equal(403);
  });

  it('grants a RoleBinding only in its namespace', async () => {
    const rb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'jane-view' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'jane' }] };
    expect((await post(admin, `${RBAC}/namespaces/kube-public/rolebindings`, JSON.stringify(rb))).status).to.equal(201);
    expect((await jane.request('GET', '/api/v1/namespaces/kube-public/configmaps')).status).to.equal(200);
    const elsewhere = await jane.request('GET', '/api/v1/namespaces/default/configmaps');
    expect(elsewhere.status).to.equal(403);
    expect(elsewhere.json().message).to.equal('configmaps is forbidden: User "jane" cannot list resource "configmaps" in API group "" in the namespace "default"');
  });

  it('aggregates a ClusterRole created later into the role that selects it', async () => {
    expect((await post(admin, `${RBAC}/clusterrolebindings`, janeBinding('jane-view', 'view'))).status).to.equal(201);
    expect((await jane.request('GET', '/api/v1/nodes')).status).to.equal(403);
    const extra = { metadata: { name: 'nodes-viewer', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }] };
    expect((await post(admin, `${RBAC}/clusterroles`, JSON.stringify(extra))).status).to.equal(201);
    expect((await jane.request('GET', '/api/v1/nodes')).status).to.equal(200);
  });

  it('lets system:masters do anything, even with no binding to cluster-admin left', async () => {
    expect((await admin.request('DELETE', `${RBAC}/clusterrolebindings/cluster-admin`)).status).to.equal(200);
    expect((await admin.request('GET', '/api/v1/namespaces/kube-system/secrets')).status).to.equal(200);
  });

  it('keeps anonymous clients to health and version, answers 403 elsewhere and 401 to a token nobody owns', async () => {
    for (const path of ['/healthz', '/livez', '/readyz', '/version']) expect((await admin.request('GET', path, { anonymous: true })).status, path).to.equal(200);
    for (const path of ['/', '/api', '/healthz/etcd', '/api/v1/nodes']) expect((await admin.request('GET', path, { anonymous: true })).status, path).to.equal(403);
    const bad = await admin.request('GET', '/api/v1/nodes', { anonymous: true, token: 'nobody' });
    expect([bad.status, bad.json().message]).to.deep.equal([401, 'Unauthorized']);
    const robot = await admin.request('GET', '/api/v1/nodes', { anonymous: true, token: 'robot-token' });
    expect(robot.json().message).to.equal('nodes is forbidden: User "robot" cannot list resource "nodes" in API group "" at the cluster scope');
  });

  it('answers whoami and can-i for the caller', async () => {
    const who = await post(jane, '/apis/authentication.k8s.io/v1/selfsubjectreviews', '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}');
    expect(who.status).to.equal(201);
    expect(who.json<{ status: { userInfo: { username: string; groups: string[] } } }>().status.userInfo).to.include({ username: 'jane' }).and.deep.include({ groups: ['system:authenticated'] });
    const ask = (verb: string, resource: string, namespace?: string) =>
      post(jane, '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', JSON.stringify({ spec: { resourceAttributes: { verb, resource, ...(namespace ? { namespace } : {}) } } })).then((r) => r.json<{ status: { allowed: boolean; reason?: string } }>().status);
    expect(await ask('get', 'configmaps', 'kube-public')).to.deep.equal({ allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "jane-view" of ClusterRole "view" to User "jane"' });
    expect(await ask('delete', 'namespaces')).to.deep.equal({ allowed: false });
  });

  it('answers TokenReviews from the static tokens: whose token it is, for the API audience only', async () => {
    const review = async (spec: object) => {
      const r = await post(admin, '/apis/authentication.k8s.io/v1/tokenreviews', JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec }));
      return [r.status, r.json<{ status: unknown }>().status];
    };
    expect(await review({ token: 'robot-token' })).to.deep.equal([201, { authenticated: true, user: { username: 'robot', groups: ['system:authenticated'] }, audiences: ['https://kubernetes.default.svc.cluster.local'] }]);
    expect(await review({ token: 'robot-token', audiences: ['elsewhere'] })).to.deep.equal([201, { user: {}, error: 'invalid bearer token' }]);
    expect(await review({ token: 'nobody' })).to.deep.equal([201, { user: {}, error: 'invalid bearer token' }]);
  });
});
