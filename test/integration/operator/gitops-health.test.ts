import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import type { FakeAPIServer, FakeNode } from '../../../src/operator/api/v1alpha1.js';
import { KubeClient, type ResourcePath } from '../../../src/operator/kube/client.js';
import { startControlPlane, type ControlPlane } from '../../harness/control-plane.js';
import { ensureTools, REPO_ROOT } from '../../harness/tools.js';
import { ARGO_HEALTH_SCRIPT, argoHealth, kstatus } from '../../support/health-tools.js';
import { eventually, startOperatorFixture, type OperatorFixture } from '../../support/operator-fixture.js';

/**
 * What Flux (kstatus) and Argo CD (our Lua health check) say about
 * FakeAPIServers and FakeNodes, computed by the real libraries from objects
 * read back from a real kube-apiserver: in progress from the moment they
 * are created (before the operator has written anything), current/healthy
 * when served or registered, failed/degraded when they cannot be.
 */
describe('GitOps health of FakeAPIServers and FakeNodes (kstatus, Argo CD) on a real kube-apiserver', function () {
  this.timeout(10 * 60_000);
  const ns = 'default';
  const FAS: ResourcePath = { apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace: ns };
  const FN: ResourcePath = { apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakenodes', namespace: ns };
  let cp: ControlPlane | undefined;
  let client: KubeClient;
  let f: OperatorFixture | undefined;
  const fas = (name: string): Promise<FakeAPIServer> => client.get<FakeAPIServer>({ ...FAS, name });
  const fakeNode = (name: string): Promise<FakeNode> => client.get<FakeNode>({ ...FN, name });
  const createFas = (name: string, spec: Record<string, unknown> = {}): Promise<FakeAPIServer> =>
    client.create<FakeAPIServer>(FAS, { apiVersion: 'fkas.metal3.io/v1alpha1', kind: 'FakeAPIServer', metadata: { name, namespace: ns }, spec });
  const createNode = (name: string, spec: Record<string, unknown>): Promise<FakeNode> =>
    client.create<FakeNode>(FN, { apiVersion: 'fkas.metal3.io/v1alpha1', kind: 'FakeNode', metadata: { name, namespace: ns }, spec });
  const condition = (o: { status?: { conditions?: { type: string; status: string; reason: string }[] } }, type: string) => o.status?.conditions?.find((c) => c.type === type);

  before(async () => {
    await ensureTools('health');
    cp = await startControlPlane({ crds: [join(REPO_ROOT, 'crds')] });
    client = KubeClient.fromFile(cp.kubeconfigPath);
  });
  after(async () => {
    await f?.close();
    client?.close();
    await cp?.stop();
  });

  it('reports a FakeAPIServer and a FakeNode InProgress/Progressing right after creation, before the operator runs', async () => {
    // A client that sends a status on create gets it dropped, as for any status subresource.
    const created = await client.create<FakeAPIServer>(FAS, { apiVersion: 'fkas.metal3.io/v1alpha1', kind: 'FakeAPIServer', metadata: { name: 'health-a', namespace: ns }, spec: {}, status: { observedGeneration: 1 } });
    expect(created.status).to.deep.equal({ observedGeneration: -1 });
    const server = await fas('health-a');
    expect(server.status).to.deep.equal({ observedGeneration: -1 });
    expect(await kstatus(server)).to.include({ object: 'FakeAPIServer/default/health-a', status: 'InProgress' });
    expect(await argoHealth(server)).to.include({ status: 'Progressing' });

    await createNode('health-a-w', { clusterName: 'health-a', nodeName: 'health-a-w0' });
    const node = await fakeNode('health-a-w');
    expect(node.status).to.deep.equal({ observedGeneration: -1 });
    expect((await kstatus(node)).status).to.equal('InProgress');
    expect((await argoHealth(node)).status).to.equal('Progressing');
  });

  it('reports them Current/Healthy once the operator serves the cluster and registers the node', async () => {
    f = await startOperatorFixture({ kubeconfigPath: cp!.kubeconfigPath });
    const server = await eventually(async () => {
      const o = await fas('health-a');
      return condition(o, 'Ready')?.status === 'True' ? o : undefined;
    }, 'health-a Ready');
    expect(server.status!.observedGeneration).to.equal(server.metadata.generation);
    expect(condition(server, 'Reconciling')?.status).to.equal('False');
    expect(condition(server, 'Stalled')?.status).to.equal('False');
    expect(await kstatus(server)).to.include({ status: 'Current' });
    expect(await argoHealth(server)).to.include({ status: 'Healthy' });

    const node = await eventually(async () => {
      const o = await fakeNode('health-a-w');
      return condition(o, 'Ready')?.status === 'True' ? o : undefined;
    }, 'health-a-w Ready');
    expect(await kstatus(node)).to.include({ status: 'Current' });
    expect(await argoHealth(node)).to.include({ status: 'Healthy' });
  });

  it('reports a FakeAPIServer that cannot serve (PortConflict) as Failed/Degraded, with the reason', async () => {
    const taken = (await fas('health-a')).status!.endpoint!.port;
    await createFas('health-clash', { port: taken });
    const server = await eventually(async () => {
      const o = await fas('health-clash');
      return condition(o, 'Stalled')?.status === 'True' ? o : undefined;
    }, 'health-clash Stalled');
    expect(condition(server, 'Stalled')!.reason).to.equal('PortConflict');
    expect(condition(server, 'Reconciling')?.status).to.equal('False');
    const verdict = await kstatus(server);
    expect(verdict.status).to.equal('Failed');
    expect(verdict.message).to.contain('default/health-a');
    const argo = await argoHealth(server);
    expect(argo.status).to.equal('Degraded');
    expect(argo.message).to.match(/^PortConflict: /);
  });

  it('reports a FakeNode waiting for its FakeAPIServer as InProgress/Progressing (Reconciling True)', async () => {
    await createNode('health-orphan', { clusterName: 'no-such-cluster', nodeName: 'orphan-0' });
    const node = await eventually(async () => {
      const o = await fakeNode('health-orphan');
      return condition(o, 'Reconciling')?.status === 'True' ? o : undefined;
    }, 'health-orphan Reconciling');
    expect(condition(node, 'Reconciling')!.reason).to.equal('WaitingForFakeAPIServer');
    expect(await kstatus(node)).to.include({ status: 'InProgress' });
    expect(await argoHealth(node)).to.include({ status: 'Progressing' });
  });

  it('reports a FakeNode registered NotReady by spec.ready=false as Healthy to Argo CD (kstatus reads its Ready=False as InProgress)', async () => {
    await createNode('health-down', { clusterName: 'health-a', nodeName: 'health-a-down', ready: false });
    const node = await eventually(async () => {
      const o = await fakeNode('health-down');
      return condition(o, 'Ready')?.reason === 'NotReadyBySpec' ? o : undefined;
    }, 'health-down registered NotReady');
    expect(await argoHealth(node)).to.include({ status: 'Healthy' });
    expect(await kstatus(node)).to.include({ status: 'InProgress' });
  });

  it('reports a changed spec InProgress until the operator has observed its generation', async () => {
    await f!.operator.shutdown();
    const changed = await client.patch<FakeAPIServer>({ ...FAS, name: 'health-a' }, 'merge', { spec: { kubernetesVersion: 'v1.31.9' } });
    expect(changed.metadata.generation).to.equal(2);
    expect(await kstatus(changed)).to.include({ status: 'InProgress' });
    expect(await argoHealth(changed)).to.include({ status: 'Progressing' });
    await f!.restartOperator();
    const served = await eventually(async () => {
      const o = await fas('health-a');
      return o.status?.observedGeneration === 2 && condition(o, 'Ready')?.status === 'True' ? o : undefined;
    }, 'generation 2 observed');
    expect(await kstatus(served)).to.include({ status: 'Current' });
  });

  it('ships the same Lua for both kinds in the argocd-cm patch as the script tested here', () => {
    const patch = load(readFileSync(join(REPO_ROOT, 'examples/argocd/health/argocd-cm-health.yaml'), 'utf8')) as { data: Record<string, string> };
    const script = readFileSync(ARGO_HEALTH_SCRIPT, 'utf8');
    expect(Object.keys(patch.data).sort()).to.deep.equal(['resource.customizations.health.fkas.metal3.io_FakeAPIServer', 'resource.customizations.health.fkas.metal3.io_FakeNode']);
    for (const lua of Object.values(patch.data)) expect(lua).to.equal(script);
  });
});
