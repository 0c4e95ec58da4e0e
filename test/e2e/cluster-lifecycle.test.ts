import { expect } from 'chai';
import { isTrue, machinesOf, controlPlaneReady, isControlPlane, paths, runningWithNode, waitFor, type CapiObject } from './support/capi-state.js';
import { startE2EEnvironment, type E2EEnvironment } from './support/environment.js';

/**
 * The product's reason to exist: Cluster API's own controllers provision
 * clusters whose API servers are metal3-fkas fakes, and see them as fully
 * up — control plane, etcd, workers, health checks, scaling, deletion.
 */

const CONTROL_PLANE_READY_MS = 5 * 60_000;
const timings: [string, number][] = [];

async function timed<T>(label: string, run: () => Promise<T>): Promise<T> {
  const start = Date.now();
  const v = await run();
  timings.push([label, Date.now() - start]);
  return v;
}

describe('Cluster API provisions clusters against metal3-fkas fake API servers', function () {
  this.timeout(60 * 60_000);
  let env: E2EEnvironment;
  const ns = 'e2e-one';
  const name = 'one';

  before(async () => {
    env = await timed('environment up (control plane, CAPI, operator)', startE2EEnvironment);
  });
  after(async () => {
    console.log('\n  e2e timings');
    for (const [label, ms] of timings) console.log(`    ${label.padEnd(60)} ${(ms / 1000).toFixed(1)} s`);
    await env?.stop();
  });

  /** The user's flow: FakeAPIServer → .status.endpoint → clusterctl generate cluster → kubectl apply. */
  async function provision(namespace: string, cluster: string, controlPlane: number, workers: number): Promise<void> {
    await env.kubectl(['create', 'namespace', namespace]);
    await env.kubectl(['apply', '-f', '-'], `apiVersion: fkas.metal3.io/v1alpha1\nkind: FakeAPIServer\nmetadata: {name: ${cluster}, namespace: ${namespace}}\nspec: {kubernetesVersion: ${env.kubernetesVersion}}\n`);
    const endpoint = await env.fakeApiServerEndpoint(namespace, cluster);
    const manifest = await env.generateCluster({ name: cluster, namespace, endpoint, controlPlane, workers });
    await env.kubectl(['apply', '-f', '-'], manifest);
  }

  it('brings a one-node control plane up: KCP initialized and ready, etcd and components healthy, Machine Running with a nodeRef', async () => {
    await provision(ns, name, 1, 2);
    const kcp = await timed('apply → control plane ready (1 node)', () => waitFor(env, ns, 'KCP ready with 1 replica', CONTROL_PLANE_READY_MS, () => controlPlaneReady(env, ns, name, 1)));
    expect(isTrue(kcp, 'EtcdClusterHealthy')).to.equal(true);
    const cluster = await env.get<CapiObject>(paths.cluster(ns, name));
    expect(isTrue(cluster, 'ControlPlaneInitialized'), 'ControlPlaneInitialized').to.equal(true);
    await waitFor(env, ns, 'Cluster ControlPlaneAvailable', 60_000, async () => isTrue(await env.get<CapiObject>(paths.cluster(ns, name)), 'ControlPlaneAvailable'));
  });

  it('runs a MachineDeployment of 2 workers with nodeRefs, and CAPI labels and annotates our fake Nodes', async () => {
    const workers = await timed('workers Running (2)', () =>
      waitFor(env, ns, '2 workers Running', CONTROL_PLANE_READY_MS, async () => {
        const ms = (await machinesOf(env, ns, name)).filter((m) => !isControlPlane(m));
        return ms.length === 2 && ms.every(runningWithNode) ? ms : undefined;
      }),
    );
    const nodes = JSON.parse(await env.workloadKubectl(ns, name, ['get', 'nodes', '-o', 'json'])) as { items: CapiObject[] };
    for (const m of workers) {
      const node = nodes.items.find((n) => n.metadata.name === m.status!.nodeRef!.name);
      expect(node, `node of ${m.metadata.name}`).to.not.equal(undefined);
      expect(node!.spec.providerID).to.equal(m.spec.providerID);
      // The Machine controller writes these onto the Node in the workload cluster.
      expect(node!.metadata.annotations).to.include({ 'cluster.x-k8s.io/machine': m.metadata.name, 'cluster.x-k8s.io/cluster-name': name });
    }
  });
});
