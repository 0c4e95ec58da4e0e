import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FakeAPIServer } from '../../../src/operator/api/v1alpha1.js';
import { KubeClient } from '../../../src/operator/kube/client.js';
import { freePort, startControlPlane, waitUntil, type ControlPlane } from '../../harness/control-plane.js';
import { ManagedProcess } from '../../harness/processes.js';
import { REPO_ROOT } from '../../harness/tools.js';
import { eventually, kubeconfigFromCaSecret, startOperatorFixture } from '../../support/operator-fixture.js';

const run = promisify(execFile);
const fasPath = (name?: string) => ({ apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace: 'default', ...(name ? { name } : {}) });
const READY_MS = 60_000;

/** What only a real kube-apiserver can show: a crashed operator process, an apiserver restart, CRD schema validation. */
describe('the operator survives what happens to real deployments', function () {
  this.timeout(10 * 60_000);
  let cp: ControlPlane;
  let client: KubeClient;
  let dir: string;
  const kubectl = (args: string[], input?: string): Promise<{ code: number; out: string }> =>
    new Promise((resolve) => {
      const child = execFile('kubectl', ['--kubeconfig', cp.kubeconfigPath, ...args], { env: { ...process.env, HOME: dir } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  const readyFas = (name: string): Promise<FakeAPIServer> =>
    eventually(async () => {
      const o = await client.get<FakeAPIServer>(fasPath(name));
      return o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && o.status.endpoint ? o : undefined;
    }, `FakeAPIServer ${name} Ready`, READY_MS);

  before(async () => {
    cp = await startControlPlane({ withControllerManager: true, crds: [join(REPO_ROOT, 'crds')] });
    client = KubeClient.fromFile(cp.kubeconfigPath);
    dir = await mkdtemp(join(tmpdir(), 'fkas-resilience-'));
  });
  after(async () => {
    client?.close();
    await cp?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses invalid FakeAPIServers and FakeNodes through the CRD schema, with a message naming the field', async () => {
    const bad: [string, RegExp][] = [
      ['kind: FakeAPIServer\nmetadata: {name: badport}\nspec: {port: 70000}', /spec\.port.*65535/],
      ['kind: FakeAPIServer\nmetadata: {name: badversion}\nspec: {kubernetesVersion: latest}', /spec\.kubernetesVersion/],
      ['kind: FakeAPIServer\nmetadata: {name: badexposure}\nspec: {exposure: NodePort}', /spec\.exposure.*Unsupported value/],
      ['kind: FakeNode\nmetadata: {name: badrole}\nspec: {clusterName: a, nodeName: n, role: boss}', /spec\.role.*Unsupported value/],
      ['kind: FakeNode\nmetadata: {name: nonode}\nspec: {clusterName: a}', /spec\.nodeName.*Required/],
      ['kind: FakeNode\nmetadata: {name: badnodename}\nspec: {clusterName: a, nodeName: Not_A_Name}', /spec\.nodeName/],
    ];
    for (const [yaml, message] of bad) {
      const r = await kubectl(['apply', '-n', 'default', '-f', '-'], `apiVersion: fkas.metal3.io/v1alpha1\n${yaml}\n`);
      expect(r.code, yaml).to.not.equal(0);
      expect(r.out, yaml).to.match(message);
    }
    expect((await kubectl(['get', 'fas,fn', '-n', 'default', '-o', 'name'])).out).to.equal('');
  });

  it('comes back on the same endpoints, with its nodes, after its process is SIGKILLed', async () => {
    const probePort = await freePort();
    const start = (): ManagedProcess => {
      const p = new ManagedProcess('fkas-operator', process.execPath, [
        '--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'operator',
        '--kubeconfig', cp.kubeconfigPath, '--port-range', '31000-31099', '--probe-port', String(probePort), '--shim-port', '0',
      ], join(dir, 'operator.log'), { ...process.env, FKAS_LOG_LEVEL: 'info' });
      p.start();
      return p;
    };
    const ready = async (p: ManagedProcess): Promise<void> =>
      waitUntil('fkas operator', p, async () => (await fetch(`http://127.0.0.1:${probePort}/readyz`).catch(() => undefined))?.status === 200, READY_MS);
    let op = start();
    try {
      await ready(op);
      const applied = await kubectl(['apply', '-f', '-'], 'apiVersion: fkas.metal3.io/v1alpha1\nkind: FakeAPIServer\nmetadata: {name: crashy, namespace: default}\nspec: {}\n---\napiVersion: fkas.metal3.io/v1alpha1\nkind: FakeNode\nmetadata: {name: crashy-cp, namespace: default}\nspec: {clusterName: crashy, nodeName: crashy-cp-0, role: control-plane}\n');
      expect(applied.code, applied.out).to.equal(0);
      const endpoint = (await readyFas('crashy')).status!.endpoint!;
      const kubeconfig = await kubeconfigFromCaSecret({ client, dir }, 'default', 'crashy', endpoint);
      const nodes = (): Promise<string> => run('kubectl', ['--kubeconfig', kubeconfig, 'get', 'nodes', '-o', 'name'], { env: { ...process.env, HOME: dir } }).then((r) => r.stdout);
      await eventually(async () => (await nodes()) === 'node/crashy-cp-0\n', 'node registered', READY_MS);

      op.killGroup('SIGKILL');
      await eventually(async () => !op.running, 'operator dead');
      op = start();
      await ready(op);
      // Ready means restored: no waiting after /readyz.
      expect(await nodes()).to.equal('node/crashy-cp-0\n');
      expect((await client.get<FakeAPIServer>(fasPath('crashy'))).status!.endpoint).to.deep.equal(endpoint);
    } finally {
      await op.stop();
    }
  });

  it('keeps running through a kube-apiserver restart and reconciles what is created after it', async () => {
    const f = await startOperatorFixture({ kubeconfigPath: cp.kubeconfigPath, config: { portRange: { min: 31100, max: 31199 } } });
    try {
      await client.create(fasPath(), { apiVersion: 'fkas.metal3.io/v1alpha1', kind: 'FakeAPIServer', metadata: { name: 'before-restart', namespace: 'default' }, spec: {} });
      await readyFas('before-restart');
      await cp.restartApiServer();
      await client.create(fasPath(), { apiVersion: 'fkas.metal3.io/v1alpha1', kind: 'FakeAPIServer', metadata: { name: 'after-restart', namespace: 'default' }, spec: {} });
      const after = await readyFas('after-restart');
      expect(after.status!.endpoint!.port).to.be.within(31100, 31199);
      expect(f.operator.isReady).to.equal(true);
    } finally {
      await f.close();
    }
  });
});
