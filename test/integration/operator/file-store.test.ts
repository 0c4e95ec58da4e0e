import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeAPIServer } from '../../../src/operator/api/v1alpha1.js';
import { KubeClient } from '../../../src/operator/kube/client.js';
import { KEEP_DIRS, freePort, startControlPlane, waitUntil, type ControlPlane } from '../../harness/control-plane.js';
import type { ManagedProcess } from '../../harness/processes.js';
import { startOperatorProcess } from '../../support/operator-process.js';
import { REPO_ROOT } from '../../harness/tools.js';
import { eventually, kubeconfigFromCaSecret } from '../../support/operator-fixture.js';

const READY_MS = 60_000;
const PORT_RANGE = '33300-33399';
/** What CAPI and kubeadm write into a workload cluster, and what the operator seeds. */
const RESOURCES = ['namespaces', 'nodes', 'configmaps', 'secrets', 'pods', 'clusterrolebindings', 'leases'];

interface Item {
  readonly kind?: string;
  readonly metadata: { name: string; namespace?: string; uid: string; resourceVersion: string; creationTimestamp: string };
}

/**
 * `--store file:<dir>` with the real operator process: what clients wrote
 * into a fake cluster — including an edited kubeadm-config and an annotated
 * Node, which the operator itself seeded — is all there after kill -9 and a
 * restart with the same flags: same UIDs, same contents, resourceVersions
 * only increased. The operator must not seed over it.
 */
describe('the operator with --store file: across kill -9', function () {
  this.timeout(10 * 60_000);
  let cp: ControlPlane;
  let client: KubeClient;
  let dir: string;

  before(async () => {
    cp = await startControlPlane({ crds: [join(REPO_ROOT, 'crds')] });
    client = KubeClient.fromFile(cp.kubeconfigPath);
    dir = await mkdtemp(join(tmpdir(), 'fkas-file-store-'));
  });
  after(async () => {
    client?.close();
    await cp?.stop();
    if (!KEEP_DIRS) await rm(dir, { recursive: true, force: true });
  });

  it('restores every object with its UID, contents and resourceVersion, and seeds nothing over them', async () => {
    const probePort = await freePort();
    const start = (): ManagedProcess =>
      startOperatorProcess({ extraArgs: ['--store', `file:${join(dir, 'store')}`], kubeconfigPath: cp.kubeconfigPath, portRange: PORT_RANGE, probePort, logFile: join(dir, 'operator.log') });
    const ready = (p: ManagedProcess): Promise<void> =>
      waitUntil('fkas operator', p, async () => (await fetch(`http://127.0.0.1:${probePort}/readyz`).catch(() => undefined))?.status === 200, READY_MS);
    let op = start();
    try {
      await ready(op);
      const path = { apiVersion: 'fkas.metal3.io/v1alpha1', namespace: 'default' };
      await client.create({ ...path, plural: 'fakeapiservers' }, { apiVersion: path.apiVersion, kind: 'FakeAPIServer', metadata: { name: 'durable', namespace: 'default' }, spec: {} });
      await client.create({ ...path, plural: 'fakenodes' }, { apiVersion: path.apiVersion, kind: 'FakeNode', metadata: { name: 'durable-cp', namespace: 'default' }, spec: { clusterName: 'durable', nodeName: 'durable-cp-0', role: 'control-plane' } });
      const fas = await eventually(async () => {
        const o = await client.get<FakeAPIServer>({ ...path, plural: 'fakeapiservers', name: 'durable' });
        return o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && o.status.endpoint ? o : undefined;
      }, 'FakeAPIServer Ready', READY_MS);
      const kubeconfig = await kubeconfigFromCaSecret({ client, dir }, 'default', 'durable', fas.status!.endpoint!);
      const kubectl = (args: string[], input?: string) =>
        new Promise<string>((resolve, reject) => {
          const child = execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, HOME: dir } }, (err, out, stderr) => (err ? reject(new Error(`${args.join(' ')}: ${stderr}`)) : resolve(out)));
          if (input !== undefined) child.stdin?.end(input);
        });
      await eventually(async () => (await kubectl(['get', 'configmap', '-n', 'kube-system', 'kubeadm-config', '-o', 'name']).catch(() => '')) !== '', 'kubeadm-config seeded', READY_MS, 200);

      // What a client (CAPI, kubeadm) does to the cluster.
      await kubectl(['patch', 'configmap', '-n', 'kube-system', 'kubeadm-config', '--type=merge', '-p', '{"data":{"ClusterConfiguration":"kubernetesVersion: v1.33.1\\n"}}']);
      await kubectl(['annotate', 'node', 'durable-cp-0', 'cluster.x-k8s.io/machine=durable-cp-abcde']);
      await kubectl(['create', 'secret', 'generic', '-n', 'kube-system', 'bootstrap-token-abcdef', '--from-literal=token-id=abcdef']);
      await kubectl(['create', 'clusterrolebinding', 'kubeadm:apiserver-kubelet-client', '--clusterrole=system:kubelet-api-admin', '--user=kube-apiserver-kubelet-client']);
      for (let i = 0; i < 20; i++) await kubectl(['create', 'configmap', `cm-${i}`, `--from-literal=i=${i}`]);

      const snapshot = async (): Promise<Map<string, Item>> => {
        const all = new Map<string, Item>();
        for (const r of RESOURCES) {
          const list = JSON.parse(await kubectl(['get', r, '-A', '-o', 'json'])) as { items: Item[] };
          for (const item of list.items) all.set(`${r}/${item.metadata.namespace ?? ''}/${item.metadata.name}`, item);
        }
        return all;
      };
      const before = await snapshot();

      op.killGroup('SIGKILL');
      await eventually(async () => !op.running, 'operator dead');
      op = start();
      await ready(op);
      await eventually(async () => (await kubectl(['get', 'ns', 'default', '-o', 'name']).catch(() => '')) !== '', 'fake cluster serving again', READY_MS, 200);
      const after = await snapshot();

      const missing = [...before.keys()].filter((k) => !after.has(k));
      expect(missing, 'objects lost').to.deep.equal([]);
      for (const [key, was] of before) {
        const now = after.get(key)!;
        expect(now.metadata.uid, `${key} uid`).to.equal(was.metadata.uid);
        expect(now.metadata.creationTimestamp, `${key} creationTimestamp`).to.equal(was.metadata.creationTimestamp);
        expect(Number(now.metadata.resourceVersion), `${key} resourceVersion`).to.be.at.least(Number(was.metadata.resourceVersion));
        // Node leases are renewed by the operator; everything else is exactly as the client left it.
        if (!key.startsWith('leases/')) expect(now, key).to.deep.equal(was);
      }
      const kubeadm = JSON.parse(await kubectl(['get', 'configmap', '-n', 'kube-system', 'kubeadm-config', '-o', 'json'])) as { data: Record<string, string> };
      expect(kubeadm.data.ClusterConfiguration).to.equal('kubernetesVersion: v1.33.1\n');
      const node = JSON.parse(await kubectl(['get', 'node', 'durable-cp-0', '-o', 'json'])) as { metadata: { annotations: Record<string, string> } };
      expect(node.metadata.annotations['cluster.x-k8s.io/machine']).to.equal('durable-cp-abcde');
      // And the cluster goes on from a version above everything it held.
      const created = JSON.parse(await kubectl(['create', 'configmap', 'after-restart', '-o', 'json'])) as Item;
      const highest = Math.max(...[...before.values()].map((i) => Number(i.metadata.resourceVersion)));
      expect(Number(created.metadata.resourceVersion)).to.be.greaterThan(highest);
    } finally {
      await op.stop();
    }
  });
});
