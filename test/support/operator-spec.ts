import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createCertificateAuthority } from '../../src/pki/certificates.js';
import { generateRsaKey } from '../../src/pki/keys.js';
import type { FakeAPIServer, FakeNode } from '../../src/operator/api/v1alpha1.js';
import { connectionRefused, eventually, kubeconfigFromCaSecret, startOperatorFixture, type OperatorFixture } from './operator-fixture.js';

const run = promisify(execFile);

/**
 * What the operator must do for its users, independent of which management
 * API it runs against: the embedded one (test/api) or a real kube-apiserver
 * (test/integration).
 */
export function operatorBehaviour(kubeconfig: () => string | undefined): void {
  let f: OperatorFixture;
  const ns = 'default';
  const fas = (name: string): Promise<FakeAPIServer> => f.client.get<FakeAPIServer>({ apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace: ns, name });
  const ready = (name: string): Promise<FakeAPIServer> =>
    eventually(async () => {
      const o = await fas(name);
      return o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && o.status.endpoint ? o : undefined;
    }, `FakeAPIServer ${name} Ready`);
  const kc = (args: string[], path: string): Promise<string> => run('kubectl', ['--kubeconfig', path, ...args], { env: { ...process.env, HOME: f.dir } }).then((r) => r.stdout);

  before(async () => {
    const path = kubeconfig();
    f = await startOperatorFixture(path ? { kubeconfigPath: path } : {});
  });
  after(async () => f?.close());

  it('serves a FakeAPIServer applied with kubectl, publishes its endpoint and Ready, and CAPI-style kubeconfigs reach it', async () => {
    await f.kubectl(['apply', '-f', '-'], 'apiVersion: fkas.metal3.io/v1alpha1\nkind: FakeAPIServer\nmetadata: {name: alpha, namespace: default}\nspec: {kubernetesVersion: v1.31.3}\n');
    const o = await ready('alpha');
    expect(o.status!.endpoint!.host).to.equal('127.0.0.1');
    expect(o.status!.endpoint!.port).to.be.within(32000, 32999);
    expect(o.metadata.finalizers).to.include('fkas.metal3.io/listener');
    const secret = await f.client.get<{ type: string; metadata: { labels: Record<string, string> } }>({ apiVersion: 'v1', plural: 'secrets', namespace: ns, name: 'alpha-ca' });
    expect(secret.type).to.equal('cluster.x-k8s.io/secret');
    expect(secret.metadata.labels['cluster.x-k8s.io/cluster-name']).to.equal('alpha');
    const path = await kubeconfigFromCaSecret(f, ns, 'alpha', o.status!.endpoint!);
    const version = JSON.parse(await kc(['version', '-o', 'json'], path)) as { serverVersion: { gitVersion: string } };
    expect(version.serverVersion.gitVersion).to.equal('v1.31.3');
  });

  it('serves with a CA Secret that already exists, and never replaces it', async () => {
    const ca = await createCertificateAuthority({ commonName: 'kubernetes', key: await generateRsaKey() });
    const data = { 'tls.crt': Buffer.from(ca.certPem).toString('base64'), 'tls.key': Buffer.from(ca.keyPem).toString('base64') };
    await f.client.create({ apiVersion: 'v1', plural: 'secrets', namespace: ns }, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'beta-ca', namespace: ns }, type: 'cluster.x-k8s.io/secret', data });
    await f.client.create({ apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace: ns }, { apiVersion: 'fkas.metal3.io/v1alpha1', kind: 'FakeAPIServer', metadata: { name: 'beta', namespace: ns }, spec: {} });
    const o = await ready('beta');
    const after = await f.client.get<{ data: Record<string, string> }>({ apiVersion: 'v1', plural: 'secrets', namespace: ns, name: 'beta-ca' });
    expect(after.data).to.deep.equal(data);
    const { stdout } = await run('sh', ['-c', `echo | openssl s_client -connect 127.0.0.1:${o.status!.endpoint!.port} 2>/dev/null | openssl x509 -noout -issuer`]);
    expect(stdout).to.match(/CN\s*=\s*kubernetes/);
    const path = await kubeconfigFromCaSecret(f, ns, 'beta', o.status!.endpoint!);
    expect(await kc(['get', 'ns', 'kube-system', '-o', 'name'], path)).to.equal('namespace/kube-system\n');
  });

  it('registers worker and control-plane FakeNodes as Nodes with their static pods, kubeadm config and etcd pod', async () => {
    await f.kubectl(['apply', '-f', '-'], `apiVersion: fkas.metal3.io/v1alpha1
kind: FakeNode
metadata: {name: alpha-cp, namespace: default}
spec: {clusterName: alpha, nodeName: alpha-cp-0, providerID: 'metal3://default/bmh-0/alpha-cp-0', uuid: 1111-2222, role: control-plane, internalIP: 10.0.0.10, labels: {rack: r1}}
---
apiVersion: fkas.metal3.io/v1alpha1
kind: FakeNode
metadata: {name: alpha-w, namespace: default}
spec: {clusterName: alpha, nodeName: alpha-worker-0, providerID: 'metal3://default/bmh-1/alpha-worker-0', role: worker, kubernetesVersion: v1.31.2}
`);
    const o = await eventually(async () => { const x = await fas('alpha'); return x.status?.nodes === 2 ? x : undefined; }, 'two nodes counted');
    const path = await kubeconfigFromCaSecret(f, ns, 'alpha', o.status!.endpoint!);
    const nodes = JSON.parse(await kc(['get', 'nodes', '-o', 'json'], path)) as { items: { metadata: { name: string; labels: Record<string, string> }; spec: { providerID: string; taints?: unknown[] }; status: { nodeInfo: { kubeletVersion: string } } }[] };
    const cp = nodes.items.find((n) => n.metadata.name === 'alpha-cp-0')!;
    const w = nodes.items.find((n) => n.metadata.name === 'alpha-worker-0')!;
    expect(cp.spec.providerID).to.equal('metal3://default/bmh-0/alpha-cp-0');
    expect(cp.metadata.labels).to.include({ rack: 'r1', 'metal3.io/uuid': '1111-2222', 'node-role.kubernetes.io/control-plane': '' });
    expect(cp.status.nodeInfo.kubeletVersion).to.equal('v1.31.3');
    expect(cp.spec.taints).to.deep.equal([{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
    expect(w.status.nodeInfo.kubeletVersion).to.equal('v1.31.2');
    expect(w.metadata.labels['node-role.kubernetes.io/control-plane']).to.equal(undefined);
    const pods = await kc(['get', 'pods', '-n', 'kube-system', '-o', 'name'], path);
    for (const c of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) expect(pods).to.contain(`pod/${c}-alpha-cp-0`);
    expect(await kc(['get', 'pod', '-n', 'kube-system', 'etcd-alpha-cp-0', '-o', 'jsonpath={.status.phase} {.status.conditions[?(@.type=="Ready")].status}'], path)).to.equal('Running True');
    expect(await kc(['get', 'cm', '-n', 'kube-system', 'kubeadm-config', '-o', 'jsonpath={.data.ClusterConfiguration}'], path)).to.contain('kubernetesVersion: v1.31.3');
    const fn = await f.client.get<FakeNode>({ apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakenodes', namespace: ns, name: 'alpha-cp' });
    expect(fn.status?.conditions?.find((c) => c.type === 'Registered')?.status).to.equal('True');
  });

  it('keeps what clients add to a Node and flips Ready when spec.ready changes', async () => {
    const o = await fas('alpha');
    const path = await kubeconfigFromCaSecret(f, ns, 'alpha', o.status!.endpoint!);
    await kc(['annotate', 'node', 'alpha-worker-0', 'cluster.x-k8s.io/machine=m-1'], path);
    await f.kubectl(['patch', 'fakenode', 'alpha-w', '--type=merge', '-p', '{"spec":{"ready":false}}']);
    await eventually(async () => (await kc(['get', 'node', 'alpha-worker-0', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'], path)) === 'False', 'node NotReady');
    expect(await kc(['get', 'node', 'alpha-worker-0', '-o', 'jsonpath={.metadata.annotations.cluster\\.x-k8s\\.io/machine}'], path)).to.equal('m-1');
  });

  it('runs kube-proxy on every registered node and CoreDNS behind kube-dns, as a settled kubeadm cluster; a deleted FakeNode takes its kube-proxy Pod along', async () => {
    const o = await fas('alpha');
    const path = await kubeconfigFromCaSecret(f, ns, 'alpha', o.status!.endpoint!);
    type Pod = { spec: { nodeName?: string }; status: { phase: string } };
    const pods = async (app: string): Promise<Pod[]> => (JSON.parse(await kc(['get', 'pods', '-n', 'kube-system', '-l', `k8s-app=${app}`, '-o', 'json'], path)) as { items: Pod[] }).items;
    const proxyNodes = async (): Promise<string> => (await pods('kube-proxy')).map((p) => `${p.spec.nodeName}:${p.status.phase}`).sort().join(' ');
    expect(await proxyNodes()).to.equal('alpha-cp-0:Running alpha-worker-0:Running');
    expect((await pods('kube-dns')).map((p) => p.status.phase)).to.deep.equal(['Running', 'Running']);
    expect(await kc(['get', 'svc', '-n', 'kube-system', 'kube-dns', '-o', 'jsonpath={.spec.clusterIP}'], path)).to.equal('10.96.0.10');
    await f.kubectl(['apply', '-f', '-'], `apiVersion: fkas.metal3.io/v1alpha1
kind: FakeNode
metadata: {name: alpha-w2, namespace: default}
spec: {clusterName: alpha, nodeName: alpha-worker-2, role: worker, internalIP: 10.0.0.12}
`);
    await eventually(async () => (await proxyNodes()) === 'alpha-cp-0:Running alpha-worker-0:Running alpha-worker-2:Running', 'a kube-proxy Pod on the new node');
    await f.kubectl(['delete', 'fakenode', 'alpha-w2']);
    await eventually(async () => (await proxyNodes()) === 'alpha-cp-0:Running alpha-worker-0:Running', 'its kube-proxy Pod gone with it');
    expect(await kc(['get', 'ds', '-n', 'kube-system', 'kube-proxy', '-o', 'jsonpath={.status.desiredNumberScheduled}/{.status.numberReady}'], path)).to.equal('2/2');
  });

  it('brings every FakeAPIServer back on the same endpoint, with its nodes, after an operator restart', async () => {
    const before = (await fas('alpha')).status!.endpoint!;
    await f.restartOperator();
    expect(f.operator.isReady).to.equal(true);
    const path = await kubeconfigFromCaSecret(f, ns, 'alpha', before);
    const names = await kc(['get', 'nodes', '-o', 'name'], path);
    expect(names).to.equal('node/alpha-cp-0\nnode/alpha-worker-0\n');
    expect((await fas('alpha')).status!.endpoint).to.deep.equal(before);
  });

  it('closes the listener and frees the port on delete, leaving other controllers\' finalizers alone', async () => {
    const o = await fas('beta');
    const port = o.status!.endpoint!.port;
    await f.kubectl(['patch', 'fas', 'beta', '--type=json', '-p', '[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/keep"}]']);
    await f.kubectl(['delete', 'fas', 'beta', '--wait=false']);
    await eventually(async () => connectionRefused('127.0.0.1', port), 'listener closed');
    const left = await eventually(async () => { const x = await fas('beta'); return x.metadata.finalizers?.length === 1 ? x : undefined; }, 'our finalizer removed');
    expect(left.metadata.finalizers).to.deep.equal(['example.com/keep']);
    await f.kubectl(['patch', 'fas', 'beta', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers/0"}]']);
    await f.kubectl(['apply', '-f', '-'], `apiVersion: fkas.metal3.io/v1alpha1\nkind: FakeAPIServer\nmetadata: {name: gamma, namespace: default}\nspec: {port: ${port}}\n`);
    const g = await ready('gamma');
    expect(g.status!.endpoint!.port).to.equal(port);
  });

  it('reports a requested port that another FakeAPIServer holds as a condition, not a crash', async () => {
    const taken = (await fas('alpha')).status!.endpoint!.port;
    await f.kubectl(['apply', '-f', '-'], `apiVersion: fkas.metal3.io/v1alpha1\nkind: FakeAPIServer\nmetadata: {name: clash, namespace: default}\nspec: {port: ${taken}}\n`);
    const c = await eventually(async () => (await fas('clash')).status?.conditions?.find((x) => x.type === 'Ready' && x.reason === 'PortConflict'), 'PortConflict');
    expect(c.status).to.equal('False');
    expect(c.message).to.contain('default/alpha');
  });

  it('answers the legacy POST /register and PUT /updateNode like the original, through the CRs', async () => {
    const post = async (path: string, method: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
      const res = await fetch(`${f.shimUrl}${path}`, { method, body: typeof body === 'string' ? body : JSON.stringify(body) });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const first = await post('/register', 'POST', { cluster: 'legacy', namespace: 'default' });
    expect(first.status).to.equal(200);
    expect(first.json).to.include({ Resource: 'default/legacy', Host: '127.0.0.1' });
    const again = await post('/register', 'POST', { cluster: 'legacy', namespace: 'default' });
    expect(again.json).to.deep.equal(first.json);
    const node = await post('/updateNode', 'PUT', { cluster: 'legacy', namespace: 'default', nodeName: 'legacy-cp', providerID: 'metal3://x', uuid: 'u-9', labels: 'a=b,node-role.kubernetes.io/control-plane=', k8sversion: 'v1.30.1' });
    expect(node.status).to.equal(200);
    expect(node.json).to.include({ NodeName: 'legacy-cp', Role: 'control-plane' });
    const path = await kubeconfigFromCaSecret(f, 'default', 'legacy', { host: first.json.Host as string, port: first.json.Port as number });
    expect(await kc(['get', 'node', 'legacy-cp', '-o', 'jsonpath={.metadata.labels.metal3\\.io/uuid} {.metadata.labels.a} {.status.nodeInfo.kubeletVersion}'], path)).to.equal('u-9 b v1.30.1');
    // Bad inputs: each a 4xx JSON error naming the field, and nothing created.
    const bad: [string, string, unknown, number, string][] = [
      ['/register', 'POST', '{not json', 400, 'body'],
      ['/register', 'POST', { namespace: 'default' }, 400, 'cluster'],
      ['/register', 'POST', { cluster: 7, namespace: 'default' }, 400, 'cluster'],
      ['/register', 'POST', { cluster: 'Not_DNS', namespace: 'default' }, 400, 'cluster'],
      ['/updateNode', 'PUT', { cluster: 'legacy', namespace: 'default', providerID: 'p' }, 400, 'nodeName'],
      ['/updateNode', 'PUT', { cluster: 'legacy', namespace: 'default', nodeName: 'n', providerID: 'p', labels: 'novalue' }, 400, 'labels'],
      ['/updateNode', 'PUT', { cluster: 'legacy', namespace: 'default', nodeName: 'n', providerID: 'p', k8sversion: 'latest' }, 400, 'k8sversion'],
      ['/updateNode', 'PUT', { cluster: 'nobody', namespace: 'default', nodeName: 'n', providerID: 'p' }, 404, 'cluster'],
    ];
    for (const [path, method, body, status, field] of bad) {
      const r = await post(path, method, body);
      expect([r.status, r.json.field], `${method} ${path} ${JSON.stringify(body)}`).to.deep.equal([status, field]);
      expect(r.json.error).to.be.a('string');
    }
    const wrongMethod = await fetch(`${f.shimUrl}/register`, { method: 'GET' });
    expect(wrongMethod.status).to.equal(405);
    const huge = await post('/register', 'POST', { cluster: 'x'.repeat(70_000), namespace: 'default' });
    expect(huge.status).to.equal(413);
    const names = await f.kubectl(['get', 'fakenodes', '-o', 'name']);
    expect(names).to.not.contain('legacy-n\n');
    expect(await f.kubectl(['get', 'fas', '-o', 'name'])).to.not.contain('not_dns');
  });
}
