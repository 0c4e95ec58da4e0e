import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { startFakeCluster, type FakeClusterFixture } from '../support/fake-cluster.js';

/**
 * The real kubectl against a fake cluster, with the kubeconfig the
 * simulator generates (client certificate of kubernetes-admin, signed by the
 * cluster CA): everything a person does by hand must work.
 */
describe('a fake cluster driven by the real kubectl', function () {
  this.timeout(60_000);
  let f: FakeClusterFixture;

  before(async () => {
    f = await startFakeCluster({ name: 'kubectl-test', kubernetesVersion: 'v1.31.4' });
    f.cluster.addNode({ name: 'cp-0', providerID: 'metal3://ns/bmh-0/m3m-0', internalIP: '192.168.111.20', labels: { 'node-role.kubernetes.io/control-plane': '' } });
    f.cluster.addNode({ name: 'worker-0', providerID: 'metal3://ns/bmh-1/m3m-1', internalIP: '192.168.111.21' });
  });
  after(async () => f?.close());

  it('reports the configured Kubernetes version', async () => {
    const out = JSON.parse(await f.kubectl(['version', '-o', 'json'])) as { serverVersion: { gitVersion: string; minor: string } };
    expect(out.serverVersion.gitVersion).to.equal('v1.31.4');
    expect(out.serverVersion.minor).to.equal('31');
  });

  it('lists API resources from discovery', async () => {
    const out = await f.kubectl(['api-resources', '--no-headers']);
    for (const name of ['nodes', 'pods', 'deployments', 'leases', 'clusterrolebindings', 'poddisruptionbudgets', 'customresourcedefinitions']) {
      expect(out).to.match(new RegExp(`^${name}\\s`, 'm'));
    }
  });

  it('prints nodes as a table with status, roles and version', async () => {
    const out = await f.kubectl(['get', 'nodes']);
    const lines = out.trim().split('\n');
    expect(lines[0]).to.match(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
    expect(lines.find((l) => l.startsWith('cp-0'))).to.match(/cp-0\s+Ready\s+control-plane\s+\d+s\s+v1\.31\.4/);
    expect(lines.find((l) => l.startsWith('worker-0'))).to.match(/worker-0\s+Ready\s+<none>/);
    const wide = await f.kubectl(['get', 'nodes', '-o', 'wide']);
    expect(wide).to.match(/INTERNAL-IP/).and.to.match(/192\.168\.111\.21/);
  });

  it('creates pods and lists them across namespaces in wide form', async () => {
    await f.kubectl(['run', 'web', '--image=nginx', '--restart=Never', '-n', 'default', '--overrides={"spec":{"nodeName":"worker-0"}}']);
    const out = await f.kubectl(['get', 'pods', '-A', '-o', 'wide']);
    expect(out).to.match(/NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
    expect(out).to.match(/default\s+web\s+0\/1\s+\S+\s+0\s+\S+\s+\S+\s+worker-0/);
  });

  it('describes a node', async () => {
    const out = await f.kubectl(['describe', 'node', 'cp-0']);
    expect(out).to.match(/Name:\s+cp-0/).and.to.match(/ProviderID:\s+metal3:\/\/ns\/bmh-0\/m3m-0/).and.to.match(/Ready\s+True/);
  });

  it('applies a manifest client-side: create, then update', async () => {
    const cm = (value: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  mode: ${value}\n`;
    expect(await f.kubectl(['apply', '-f', '-'], { input: cm('one') })).to.match(/configmap\/settings created/);
    expect(await f.kubectl(['apply', '-f', '-'], { input: cm('two') })).to.match(/configmap\/settings configured/);
    expect(await f.kubectl(['get', 'cm', 'settings', '-o', 'jsonpath={.data.mode}'])).to.equal('two');
    const annotations = await f.kubectl(['get', 'cm', 'settings', '-o', 'jsonpath={.metadata.annotations}']);
    expect(annotations).to.contain('kubectl.kubernetes.io/last-applied-configuration');
  });

  it('applies a deployment with server-side apply: create, update, and unchanged re-apply', async () => {
    const deploy = (replicas: number): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: default}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: "registry.example/api:1"}]
`;
    expect(await f.kubectl(['apply', '--server-side', '-f', '-'], { input: deploy(1) })).to.match(/deployment.apps\/api serverside-applied/);
    expect(await f.kubectl(['apply', '--server-side', '-f', '-'], { input: deploy(3) })).to.match(/serverside-applied/);
    const rv1 = await f.kubectl(['get', 'deploy', 'api', '-o', 'jsonpath={.metadata.resourceVersion}']);
    await f.kubectl(['apply', '--server-side', '-f', '-'], { input: deploy(3) });
    const rv2 = await f.kubectl(['get', 'deploy', 'api', '-o', 'jsonpath={.metadata.resourceVersion} {.spec.replicas} {.metadata.generation}']);
    expect(rv2).to.equal(`${rv1} 3 2`);
  });

  it('patches with each patch type', async () => {
    await f.kubectl(['patch', 'deploy', 'api', '--type=strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}']);
    const names = await f.kubectl(['get', 'deploy', 'api', '-o', 'jsonpath={.spec.template.spec.containers[*].name}']);
    expect(names.split(' ').sort()).to.deep.equal(['api', 'sidecar']);
    await f.kubectl(['patch', 'cm', 'settings', '--type=merge', '-p', '{"data":{"extra":"yes","mode":null}}']);
    expect(await f.kubectl(['get', 'cm', 'settings', '-o', 'jsonpath={.data}'])).to.equal('{"extra":"yes"}');
    await f.kubectl(['patch', 'cm', 'settings', '--type=json', '-p', '[{"op":"add","path":"/data/added","value":"1"},{"op":"remove","path":"/data/extra"}]']);
    expect(await f.kubectl(['get', 'cm', 'settings', '-o', 'jsonpath={.data}'])).to.equal('{"added":"1"}');
  });

  it('labels and annotates, and selects by label', async () => {
    await f.kubectl(['label', 'node', 'worker-0', 'tier=gold']);
    await f.kubectl(['annotate', 'node', 'worker-0', 'example.com/note=hello']);
    expect(await f.kubectl(['get', 'nodes', '-l', 'tier=gold', '-o', 'name'])).to.equal('node/worker-0\n');
    expect(await f.kubectl(['get', 'nodes', '-l', 'tier!=gold', '-o', 'name'])).to.equal('node/cp-0\n');
    expect(await f.kubectl(['get', 'node', 'worker-0', '-o', 'jsonpath={.metadata.annotations.example\\.com/note}'])).to.equal('hello');
  });

  it('streams watch events to `kubectl get --watch`', async () => {
    const child = spawn('kubectl', ['--kubeconfig', f.kubeconfigPath, 'get', 'configmaps', '-n', 'default', '--watch', '--output-watch-events'], {
      env: { ...process.env, HOME: f.dir },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => /ADDED\s+settings\s/.test(out));
      await f.kubectl(['create', 'configmap', 'watched', '-n', 'default', '--from-literal=a=b']);
      await waitFor(() => /ADDED\s+watched\s+1\s/.test(out));
      await f.kubectl(['delete', 'configmap', 'watched', '-n', 'default']);
      await waitFor(() => /DELETED\s+watched\s/.test(out));
    } finally {
      child.kill();
    }
  });

  it('drains a node by evicting its pods', async () => {
    const out = await f.kubectl(['drain', 'worker-0', '--force', '--ignore-daemonsets', '--timeout=20s']);
    expect(out).to.match(/evicting pod default\/web/).and.to.match(/node\/worker-0 drained/);
    expect(await f.kubectl(['get', 'node', 'worker-0', '-o', 'jsonpath={.spec.unschedulable}'])).to.equal('true');
    const pods = await f.kubectl(['get', 'pods', '-n', 'default', '-o', 'name']);
    expect(pods).to.not.contain('pod/web');
  });

  it('serves a custom resource once its CRD is created', async () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wdg]}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
    additionalPrinterColumns:
    - {name: Size, type: string, jsonPath: .spec.size}
`;
    await f.kubectl(['apply', '-f', '-'], { input: crd });
    await f.kubectl(['apply', '-f', '-'], { input: 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, namespace: default}\nspec: {size: large}\n' });
    const out = await f.kubectl(['get', 'wdg', '-n', 'default']);
    // Listing columns replaces the default Age column, as kube-apiserver does.
    expect(out).to.match(/^NAME\s+SIZE\n/).and.to.match(/w1\s+large/);
  });

  it('explains a built-in kind from OpenAPI', async () => {
    const out = await f.kubectl(['explain', 'pods.spec.containers']);
    expect(out).to.match(/KIND:\s+Pod/).and.to.match(/image/);
  });

  it('deletes objects', async () => {
    await f.kubectl(['delete', 'deploy', 'api', '-n', 'default']);
    const r = await f.kubectlResult(['get', 'deploy', 'api', '-n', 'default']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/deployments.apps "api" not found/);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
