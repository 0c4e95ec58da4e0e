import { expect } from 'chai';
import { clusterProvisioned, isTrue, machineIdentities, machinesMarkedForRemediation, paths, waitFor, type CapiObject } from './support/capi-state.js';
import { startE2EEnvironment, type E2EEnvironment } from './support/environment.js';
import { Timings } from './support/timings.js';
import { capiNodeAnnotations, highestResourceVersion, objectKey, workloadObjects, type WorkloadObject } from './support/workload-snapshot.js';

/**
 * Issue 13 with the real Cluster API controllers: the operator is killed
 * (`kill -9`) while CAPI manages a cluster it serves. With `--store file:`
 * the restarted operator serves everything CAPI and kubeadm wrote, as it
 * was; with `--store memory` the contents are gone, but resourceVersions
 * still only go forward, so CAPI's caches relist instead of trusting a past
 * that no longer exists, write again what they need, and converge.
 */

const PROVISION_MS = 5 * 60_000;
const CONVERGE_MS = 3 * 60_000;

describe('the operator killed mid-life, with the real Cluster API controllers', function () {
  this.timeout(30 * 60_000);
  const timings = new Timings();
  let env: E2EEnvironment;
  const ns = 'e2e-restart';
  const name = 'keep';

  before(async () => {
    env = await timings.timed('environment up (operator with --store file:)', () => startE2EEnvironment({ store: 'file' }));
  });
  after(async () => {
    timings.print('e2e operator restart timings');
    await env?.stop();
  });

  /** Every Node carries the annotations the Machine controller writes (its machine, cluster, owner). */
  const nodesAnnotatedByCapi = async (): Promise<Record<string, Record<string, string>> | undefined> => {
    const annotations = capiNodeAnnotations(await workloadObjects(env, ns, name));
    const nodes = Object.values(annotations);
    return nodes.length === 2 && nodes.every((a) => a['cluster.x-k8s.io/machine'] && a['cluster.x-k8s.io/cluster-name'] === name) ? annotations : undefined;
  };

  /** CAPI sees the cluster as it was: connected, provisioned, the same Machines, none to remediate. */
  async function capiConverged(machinesBefore: Record<string, string>): Promise<void> {
    await waitFor(env, ns, 'CAPI converged', CONVERGE_MS, async () => {
      const mhc = await env.get<{ status?: { expectedMachines?: number; currentHealthy?: number } }>({ apiVersion: 'cluster.x-k8s.io/v1beta2', plural: 'machinehealthchecks', namespace: ns, name: `${name}-workers` });
      return (
        isTrue(await env.get<CapiObject>(paths.cluster(ns, name)), 'RemoteConnectionProbe') &&
        mhc.status?.expectedMachines === 1 &&
        mhc.status.currentHealthy === 1 &&
        (await clusterProvisioned(env, ns, name, 1, 1))
      );
    });
    expect(await machineIdentities(env, ns, name), 'Machines (none replaced)').to.deep.equal(machinesBefore);
    expect(await machinesMarkedForRemediation(env, ns, name), 'Machines marked for remediation').to.deep.equal([]);
  }

  it('with --store file: loses no object, no annotation CAPI wrote on a Node, and no change to kubeadm-config; CAPI remediates nothing', async () => {
    await timings.timed('apply → 1 control plane + 1 worker ready', async () => {
      await env.provision({ namespace: ns, name, controlPlane: 1, workers: 1 });
      await waitFor(env, ns, 'cluster provisioned', PROVISION_MS, () => clusterProvisioned(env, ns, name, 1, 1));
    });
    const annotations = await waitFor(env, ns, 'Nodes annotated by CAPI', CONVERGE_MS, nodesAnnotatedByCapi);
    const machines = await machineIdentities(env, ns, name);
    const before = await workloadObjects(env, ns, name);

    await timings.timed('kill -9, restart (file:) → ready', () => env.restartOperator({ signal: 'SIGKILL' }));
    const after = await workloadObjects(env, ns, name);

    const lost = [...before].filter(([key, was]) => after.get(key)?.metadata.uid !== was.metadata.uid).map(([key]) => key);
    expect(lost, 'objects lost or recreated').to.deep.equal([]);
    const rewound = [...before].filter(([key, was]) => Number(after.get(key)!.metadata.resourceVersion) < Number(was.metadata.resourceVersion)).map(([key]) => key);
    expect(rewound, 'objects older than before the kill').to.deep.equal([]);
    expect(capiNodeAnnotations(after), 'cluster.x-k8s.io/* annotations on Nodes').to.deep.equal(annotations);
    const kubeadmConfig = (m: ReadonlyMap<string, WorkloadObject>): WorkloadObject | undefined => m.get('v1/ConfigMap/kube-system/kubeadm-config');
    expect(kubeadmConfig(before), 'kubeadm-config before').to.not.equal(undefined);
    expect(kubeadmConfig(after), 'kubeadm-config').to.deep.equal(kubeadmConfig(before));
    console.log(`    ${before.size} objects before the kill, all there after it; ${after.size - before.size} written since`);
    await timings.timed('CAPI converged after the restart (file:)', () => capiConverged(machines));
  });

  it('with --store memory: CAPI relists (no watch is served from a version before the restart), writes its Node annotations again, and converges', async () => {
    const annotations = await waitFor(env, ns, 'Nodes annotated by CAPI', CONVERGE_MS, nodesAnnotatedByCapi);
    const machines = await machineIdentities(env, ns, name);
    const before = await workloadObjects(env, ns, name);
    // The NodeList's own version, as an informer resumes from it (kubectl get -o json prints a List without one).
    const nodeList = JSON.parse(await env.workloadKubectl(ns, name, ['get', '--raw', '/api/v1/nodes'])) as { metadata: { resourceVersion: string } };

    await timings.timed('kill -9, restart (memory) → ready', () => env.restartOperator({ signal: 'SIGKILL', store: 'memory' }));
    const fresh = await workloadObjects(env, ns, name);
    const gone = [...before.keys()].filter((key) => fresh.get(key)?.metadata.uid !== before.get(key)!.metadata.uid);
    console.log(`    memory store: ${gone.length} of ${before.size} objects gone or recreated by the restart`);
    // The Nodes among them: the operator registers them again from their FakeNodes, without what CAPI wrote on them.
    const nodes = [...before.values()].filter((o) => o.kind === 'Node').map(objectKey);
    expect(nodes, 'Nodes before').to.have.length(2);
    expect(gone, 'objects the memory store lost (else this spec proves nothing)').to.include.members(nodes);
    // Versions go on from above everything the cluster held, so a client's old version is too old, not current. Only
    // what every cluster shares unchanged from its bootstrap (kube's default RBAC: same uid, same version) keeps its version.
    const highestBefore = highestResourceVersion(before);
    const unchanged = (o: WorkloadObject): boolean => before.get(objectKey(o))?.metadata.uid === o.metadata.uid && before.get(objectKey(o))?.metadata.resourceVersion === o.metadata.resourceVersion;
    const behind = [...fresh.values()].filter((o) => !unchanged(o) && Number(o.metadata.resourceVersion) <= highestBefore).map(objectKey);
    expect(behind, 'objects written after the restart at a version the cluster had already handed out').to.deep.equal([]);
    expect(nodeList.metadata.resourceVersion, 'NodeList resourceVersion').to.match(/^[1-9][0-9]*$/);
    // A watch that stays open instead of answering fails here rather than hanging the suite.
    const resumed = await env.workloadKubectl(ns, name, ['get', '--request-timeout=20s', '--raw', `/api/v1/nodes?watch=true&resourceVersion=${nodeList.metadata.resourceVersion}`]);
    const first = JSON.parse(resumed.split('\n')[0]!) as { type: string; object: { code?: number; reason?: string } };
    expect({ type: first.type, code: first.object.code, reason: first.object.reason }, 'a watch resumed from before the restart').to.deep.equal({ type: 'ERROR', code: 410, reason: 'Expired' });

    // The Machine controller writes its annotations only on Nodes its cache shows without them: back means relisted.
    const again = await timings.timed('CAPI wrote its Node annotations again (memory)', () => waitFor(env, ns, 'Nodes annotated by CAPI again', CONVERGE_MS, nodesAnnotatedByCapi));
    expect(again).to.deep.equal(annotations);
    await timings.timed('CAPI converged after the restart (memory)', () => capiConverged(machines));
  });
});
