import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { FakeAPIServer } from '../../src/operator/api/v1alpha1.js';
import type { KubeClient } from '../../src/operator/kube/client.js';
import { freePort, waitUntil } from '../harness/control-plane.js';
import type { ManagedProcess } from '../harness/processes.js';
import { eventually, kubeconfigFromCaSecret } from './operator-fixture.js';
import { startOperatorProcess } from './operator-process.js';

const READY_MS = 60_000;
/** What CAPI and kubeadm write into a workload cluster, and what the operator seeds. */
const RESOURCES = ['namespaces', 'nodes', 'configmaps', 'secrets', 'pods', 'clusterrolebindings', 'leases'];

interface Item {
  readonly kind?: string;
  readonly metadata: { name: string; namespace?: string; uid: string; resourceVersion: string; creationTimestamp: string };
}

export interface DurableStoreRun {
  readonly client: KubeClient;
  readonly kubeconfigPath: string;
  /** Where logs and kubeconfigs go. */
  readonly dir: string;
  readonly portRange: string;
  /** `--store …` and its companions, the same for both starts. */
  readonly storeArgs: readonly string[];
}

/**
 * The promise of a durable `--store`, with the real operator process: what
 * clients wrote into a fake cluster — including an edited kubeadm-config,
 * an annotated Node (both seeded by the operator) and a deleted default
 * ClusterRoleBinding — is all there after kill -9 and a restart with the
 * same flags: same UIDs, same contents, resourceVersions only increased.
 * The operator must not seed over it.
 */
export async function killAndRestoreSpec(run: DurableStoreRun): Promise<void> {
  const probePort = await freePort();
  const start = (): ManagedProcess => startOperatorProcess({ extraArgs: run.storeArgs, kubeconfigPath: run.kubeconfigPath, portRange: run.portRange, probePort, logFile: join(run.dir, 'operator.log') });
  const ready = (p: ManagedProcess): Promise<void> => waitUntil('fkas operator', p, async () => (await fetch(`http://127.0.0.1:${probePort}/readyz`).catch(() => undefined))?.status === 200, READY_MS);
  const client = run.client;
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
    const kubeconfig = await kubeconfigFromCaSecret({ client, dir: run.dir }, 'default', 'durable', fas.status!.endpoint!);
    const kubectl = (args: string[], input?: string) =>
      new Promise<string>((resolve, reject) => {
        const child = execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, HOME: run.dir } }, (err, out, stderr) => (err ? reject(new Error(`${args.join(' ')}: ${stderr}`)) : resolve(out)));
        if (input !== undefined) child.stdin?.end(input);
      });
    await eventually(async () => (await kubectl(['get', 'configmap', '-n', 'kube-system', 'kubeadm-config', '-o', 'name']).catch(() => '')) !== '', 'kubeadm-config seeded', READY_MS, 200);

    // What a client (CAPI, kubeadm) does to the cluster.
    await kubectl(['patch', 'configmap', '-n', 'kube-system', 'kubeadm-config', '--type=merge', '-p', '{"data":{"ClusterConfiguration":"kubernetesVersion: v1.33.1\\n"}}']);
    await kubectl(['annotate', 'node', 'durable-cp-0', 'cluster.x-k8s.io/machine=durable-cp-abcde']);
    await kubectl(['create', 'secret', 'generic', '-n', 'kube-system', 'bootstrap-token-abcdef', '--from-literal=token-id=abcdef']);
    await kubectl(['create', 'clusterrolebinding', 'kubeadm:apiserver-kubelet-client', '--clusterrole=system:kubelet-api-admin', '--user=kube-apiserver-kubelet-client']);
    await kubectl(['delete', 'clusterrolebinding', 'system:basic-user']);
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
    expect(before.has('clusterrolebindings//system:basic-user')).to.equal(false);

    op.killGroup('SIGKILL');
    await eventually(async () => !op.running, 'operator dead');
    op = start();
    await ready(op);
    await eventually(async () => (await kubectl(['get', 'ns', 'default', '-o', 'name']).catch(() => '')) !== '', 'fake cluster serving again', READY_MS, 200);
    const after = await snapshot();

    const missing = [...before.keys()].filter((k) => !after.has(k));
    expect(missing, 'objects lost').to.deep.equal([]);
    expect([...after.keys()].filter((k) => !before.has(k) && !k.startsWith('leases/')), 'objects that came back or were seeded anew').to.deep.equal([]);
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
}

/** Starts the operator with flags that cannot work: it must exit non-zero at start, its log saying what to do. */
export async function failsAtStart(run: Omit<DurableStoreRun, 'client'>, logName: string): Promise<string> {
  const logFile = join(run.dir, logName);
  const op = startOperatorProcess({ extraArgs: run.storeArgs, kubeconfigPath: run.kubeconfigPath, portRange: run.portRange, probePort: await freePort(), logFile });
  try {
    const code = await op.exitedWithin(READY_MS);
    expect(code, 'the operator exits').to.not.equal('running');
    expect(code).to.not.equal(0);
  } finally {
    await op.stop();
  }
  const { readFile } = await import('node:fs/promises');
  return readFile(logFile, 'utf8');
}
