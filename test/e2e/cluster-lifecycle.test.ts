import { expect } from 'chai';
import { isTrue, machinesOf, controlPlaneReady, isControlPlane, paths, runningWithNode, waitFor, type CapiObject } from './support/capi-state.js';
import { startE2EEnvironment, type E2EEnvironment } from './support/environment.js';
import { connectionRefused } from '../support/operator-fixture.js';

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

  const provision = (namespace: string, cluster: string, controlPlane: number, workers: number): Promise<void> => env.provision({ namespace, name: cluster, controlPlane, workers });

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

  it('lets a MachineHealthCheck see healthy workers, and remediates one whose fake node turns NotReady', async () => {
    const mhc = { apiVersion: 'cluster.x-k8s.io/v1beta2', plural: 'machinehealthchecks', namespace: ns, name: `${name}-workers` };
    await waitFor(env, ns, 'MHC sees 2 healthy workers', 120_000, async () => {
      const o = await env.get<{ status?: { expectedMachines?: number; currentHealthy?: number } }>(mhc);
      return o.status?.expectedMachines === 2 && o.status.currentHealthy === 2;
    });
    const victim = (await machinesOf(env, ns, name)).filter((m) => !isControlPlane(m))[0]!;
    // The FakeNode the Machine reconciler made is named after the node.
    await env.kubectl(['patch', 'fakenode', '-n', ns, victim.status!.nodeRef!.name, '--type=merge', '-p', '{"spec":{"ready":false}}']);
    await timed('MHC remediation (NotReady → replacement Running)', () =>
      waitFor(env, ns, `a replacement for ${victim.metadata.name}`, CONTROL_PLANE_READY_MS, async () => {
        const ms = (await machinesOf(env, ns, name)).filter((m) => !isControlPlane(m));
        return !ms.some((m) => m.metadata.name === victim.metadata.name) && ms.length === 2 && ms.every(runningWithNode);
      }),
    );
  });

  it('scales KubeadmControlPlane 1 → 3 → 1 through the fake etcd, ready at each step', async () => {
    for (const replicas of [3, 1]) {
      await env.kubectl(['patch', 'kcp', '-n', ns, name, '--type=merge', '-p', JSON.stringify({ spec: { replicas } })]);
      await timed(`KCP scaled to ${replicas}`, () => waitFor(env, ns, `KCP ready with ${replicas} replicas`, CONTROL_PLANE_READY_MS, () => controlPlaneReady(env, ns, name, replicas)));
      // etcd members follow: KCP adds them with the nodes and removes them through MemberRemove.
      const cps = (await machinesOf(env, ns, name)).filter(isControlPlane).map((m) => m.status!.nodeRef!.name).sort();
      const pods = (await env.workloadKubectl(ns, name, ['get', 'pods', '-n', 'kube-system', '-l', 'component=etcd', '-o', 'jsonpath={.items[*].spec.nodeName}'])).split(' ').filter(Boolean).sort();
      expect(pods).to.deep.equal(cps);
    }
  });

  it('deletes the Cluster with everything in it, then the FakeAPIServer, leaving no listener', async () => {
    const { port } = await env.fakeApiServerEndpoint(ns, name);
    await timed('Cluster deleted', async () => {
      await env.kubectl(['delete', 'cluster', '-n', ns, name, '--wait=false']);
      await waitFor(env, ns, 'Cluster, Machines and FakeNodes gone', CONTROL_PLANE_READY_MS, async () => {
        const clusters = await env.client.list(paths.cluster(ns));
        const fakeNodes = await env.client.list(paths.fakeNodes(ns));
        return clusters.items.length === 0 && (await machinesOf(env, ns, name)).length === 0 && fakeNodes.items.length === 0;
      });
    });
    await env.kubectl(['delete', 'fakeapiserver', '-n', ns, name]);
    await waitFor(env, ns, 'listener closed', 60_000, () => connectionRefused('127.0.0.1', port));
  });

  it('provisions five clusters in parallel without sharing anything by accident, one registered through POST /register', async () => {
    const names = ['p1', 'p2', 'p3', 'p4', 'p5'];
    const started = Date.now();
    await Promise.all(names.map(async (c, i) => {
      const namespace = `e2e-${c}`;
      if (i === 0) {
        await env.kubectl(['create', 'namespace', namespace]);
        const res = await fetch(`${env.shimUrl}/register`, { method: 'POST', body: JSON.stringify({ cluster: c, namespace }) });
        const body = (await res.json()) as { Resource: string; Host: string; Port: number };
        expect(res.status).to.equal(200);
        expect(body.Resource).to.equal(`${namespace}/${c}`);
        const manifest = await env.generateCluster({ name: c, namespace, endpoint: { host: body.Host, port: body.Port }, controlPlane: 1, workers: 1 });
        await env.kubectl(['apply', '-f', '-'], manifest);
      } else {
        await provision(namespace, c, 1, 1);
      }
    }));
    await Promise.all(names.map((c) => waitFor(env, `e2e-${c}`, `${c} ready`, CONTROL_PLANE_READY_MS, async () => {
      const ready = await controlPlaneReady(env, `e2e-${c}`, c, 1);
      const workers = (await machinesOf(env, `e2e-${c}`, c)).filter((m) => !isControlPlane(m));
      return ready && workers.length === 1 && workers.every(runningWithNode);
    })));
    timings.push(['five clusters in parallel: apply → all ready', Date.now() - started]);
    // Each fake cluster holds exactly its own nodes, on its own port.
    const ports = new Set<number>();
    for (const c of names) {
      ports.add((await env.fakeApiServerEndpoint(`e2e-${c}`, c)).port);
      const nodes = (await env.workloadKubectl(`e2e-${c}`, c, ['get', 'nodes', '-o', 'name'])).trim().split('\n');
      expect(nodes, c).to.have.length(2);
      for (const n of nodes) expect(n.startsWith(`node/${c}-`), `${c}: ${n}`).to.equal(true);
    }
    expect(ports.size).to.equal(5);
  });
});
