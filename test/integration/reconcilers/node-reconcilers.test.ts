import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import type { FakeAPIServer, FakeNode } from '../../../src/operator/api/v1alpha1.js';
import { isNotFound, KubeClient } from '../../../src/operator/kube/client.js';
import { issueCertificate } from '../../../src/pki/certificates.js';
import { generateEcKey, privateKeyToPem } from '../../../src/pki/keys.js';
import { buildKubeconfig } from '../../../src/pki/kubeconfig.js';
import { startNodeReconcilers, type NodeReconcilers } from '../../../src/reconcilers/index.js';
import { WAIT_RETRY_MS } from '../../../src/reconcilers/shared/node-controller.js';
import type { KubeObject } from '../../../src/simulator/store/object.js';
import { startControlPlane, type ControlPlane } from '../../harness/control-plane.js';
import { REPO_ROOT } from '../../harness/tools.js';
import {
  at,
  BMH,
  claimHost,
  CLUSTER,
  createHost,
  createMachine,
  createMetal3Machine,
  FAKE_API_SERVERS,
  FAKE_NODES,
  M3M,
  MACHINE,
  machineProvisioned,
  releaseHost,
  setHostState,
} from '../../support/capi-objects.js';
import { capiCrds, metal3Crds } from '../../support/node-reconciler-crds.js';
import { eventually, kubeconfigFromCaSecret, startOperatorFixture, type OperatorFixture } from '../../support/operator-fixture.js';

/** The reconcilers run as a user holding only the ClusterRoles in config/rbac, so the roles are proven sufficient. */
const RECONCILER_USER = 'fkas-node-reconcilers';
const RECONCILER_ROLES = ['metal3-fkas-metal3-reconciler', 'metal3-fkas-machine-reconciler'];
/** How long a "nothing happens" assertion gives the watches to deliver before it looks. */
const QUIET_MS = 1_500;

interface Node {
  metadata: { name: string; labels: Record<string, string> };
  spec: { providerID?: string };
  status: { nodeInfo: { kubeletVersion: string } };
}
interface Event {
  involvedObject: { name: string; kind: string };
  reason: string;
  type: string;
  message: string;
}

describe('node reconcilers against a real kube-apiserver', function () {
  this.timeout(20 * 60_000);
  let cp: ControlPlane | undefined;
  let f: OperatorFixture | undefined;
  let reconcilers: NodeReconcilers | undefined;
  let client: KubeClient;
  let ns = '';
  let nsCount = 0;

  before(async () => {
    cp = await startControlPlane({ withControllerManager: true, crds: [join(REPO_ROOT, 'crds')] });
    const roles = (await Promise.all(RECONCILER_ROLES.map((r) => readFile(join(REPO_ROOT, 'config/rbac', `${r.replace('metal3-fkas-', '')}-role.yaml`), 'utf8')))).flatMap((t) => loadAll(t) as KubeObject[]);
    const bindings: KubeObject[] = RECONCILER_ROLES.map((role) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: role },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: RECONCILER_USER }],
    }));
    await cp.applyObjects([...(await metal3Crds()), ...(await capiCrds()), ...roles, ...bindings]);
    f = await startOperatorFixture({ kubeconfigPath: cp.kubeconfigPath });
    client = f.client;
    reconcilers = startNodeReconcilers({ kubeConfig: await restrictedKubeConfig(cp, f.dir), metal3: true, machineNodes: true });
    await reconcilers.synced();
  });
  after(async () => {
    await reconcilers?.stop();
    await f?.close();
    await cp?.stop();
  });

  beforeEach(async () => {
    ns = `reconcilers-${++nsCount}`;
    await client.create({ apiVersion: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  });
  afterEach(async () => {
    await client.delete({ apiVersion: 'v1', plural: 'namespaces', name: ns });
    await eventually(async () => (await exists({ apiVersion: 'v1', plural: 'namespaces', name: ns })) === false, `namespace ${ns} gone`, 90_000);
  });

  const exists = async (path: Parameters<KubeClient['get']>[0]): Promise<boolean> => {
    try {
      await client.get(path);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  };
  const fakeNode = async (name: string): Promise<FakeNode | undefined> => ((await exists(at(FAKE_NODES, ns, name))) ? client.get<FakeNode>(at(FAKE_NODES, ns, name)) : undefined);
  /** A FakeAPIServer, Ready, and a client for its fake cluster (with a kubeconfig built from the CA Secret, as CAPI does). */
  const fakeCluster = async (name: string, spec: Record<string, unknown> = {}): Promise<KubeClient> => {
    await client.create(at(FAKE_API_SERVERS, ns), { apiVersion: FAKE_API_SERVERS.apiVersion, kind: 'FakeAPIServer', metadata: { name, namespace: ns }, spec: { kubernetesVersion: 'v1.32.0', ...spec } });
    const fas = await eventually(async () => {
      const o = await client.get<FakeAPIServer>(at(FAKE_API_SERVERS, ns, name));
      return o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && o.status.endpoint ? o : undefined;
    }, `FakeAPIServer ${name} Ready`);
    return KubeClient.fromFile(await kubeconfigFromCaSecret(f!, ns, name, fas.status!.endpoint!));
  };
  const nodeIn = async (fc: KubeClient, name: string): Promise<Node | undefined> => {
    try {
      return await fc.get<Node>({ apiVersion: 'v1', plural: 'nodes', name });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  const eventOn = (object: string, reason: string): Promise<Event> =>
    eventually(async () => (await client.list<Event>({ apiVersion: 'v1', plural: 'events', namespace: ns })).items.find((e) => e.involvedObject.name === object && e.reason === reason), `Event ${reason} on ${object}`);
  /** Lets watch events arrive and every queued reconcile finish. */
  const settle = async (): Promise<void> => {
    await new Promise((r) => setTimeout(r, QUIET_MS));
    await Promise.all(reconcilers!.controllers.map((c) => c.queue.drain()));
  };

  describe('the Metal3 reconciler', () => {
    it('follows a BareMetalHost through available → provisioning → provisioned → deprovisioning → deleted with a FakeNode and a Node in the fake cluster', async () => {
      const fc = await fakeCluster('m3');
      const machine = await createMachine(client, ns, 'm3-cp-0', { cluster: 'm3', controlPlane: true, version: 'v1.33.1' });
      await createMetal3Machine(client, ns, 'm3-cp-0-x7k2p', machine, 'm3', true);
      const host = await createHost(client, ns, 'node-0');
      const uid = host.metadata.uid;

      // available, then claimed by CAPM3 and being provisioned: no kubelet yet, so no node.
      await settle();
      await claimHost(client, ns, 'node-0', 'm3-cp-0-x7k2p');
      await setHostState(client, ns, 'node-0', 'provisioning');
      await settle();
      expect(await fakeNode('m3-cp-0')).to.equal(undefined);
      expect(await nodeIn(fc, 'm3-cp-0')).to.equal(undefined);

      // provisioned: the node the Machine expects, as CAPM3 looks for it.
      await setHostState(client, ns, 'node-0', 'provisioned');
      const fn = await eventually(() => fakeNode('m3-cp-0'), 'FakeNode m3-cp-0');
      expect(fn.spec).to.include({ clusterName: 'm3', nodeName: 'm3-cp-0', providerID: `metal3://${ns}/node-0/m3-cp-0-x7k2p`, uuid: uid, kubernetesVersion: 'v1.33.1', role: 'control-plane' });
      expect(fn.metadata.labels).to.include({ 'fkas.metal3.io/managed-by': 'metal3-reconciler', 'fkas.metal3.io/cluster-name': 'm3' });
      expect(fn.metadata.annotations).to.include({ 'fkas.metal3.io/source': `BareMetalHost:${ns}/node-0` });
      expect((fn.metadata as { ownerReferences?: unknown[] }).ownerReferences).to.deep.equal([{ apiVersion: BMH.apiVersion, kind: 'BareMetalHost', name: 'node-0', uid }]);
      const node = await eventually(() => nodeIn(fc, 'm3-cp-0'), 'Node m3-cp-0 in the fake cluster');
      expect(node.spec.providerID).to.equal(`metal3://${ns}/node-0/m3-cp-0-x7k2p`);
      expect(node.metadata.labels).to.include({ 'metal3.io/uuid': uid, 'node-role.kubernetes.io/control-plane': '' });
      expect(node.status.nodeInfo.kubeletVersion).to.equal('v1.33.1');
      await eventOn('node-0', 'FakeNodeCreated');

      // CAPM3 copies the providerID it found on the Node: nothing to change (idempotent).
      await client.patch(at(M3M, ns, 'm3-cp-0-x7k2p'), 'merge', { spec: { providerID: `metal3://${ns}/node-0/m3-cp-0-x7k2p` } });
      await settle();
      // (The operator writes the FakeNode's finalizer and status meanwhile; spec and our metadata must stay as they were.)
      const again = (await fakeNode('m3-cp-0'))!;
      expect(again.metadata.generation).to.equal(fn.metadata.generation);
      expect([again.metadata.labels, again.metadata.annotations, again.spec]).to.deep.equal([fn.metadata.labels, fn.metadata.annotations, fn.spec]);

      // deprovisioning: the FakeNode and the Node go.
      await setHostState(client, ns, 'node-0', 'deprovisioning');
      await eventually(async () => (await fakeNode('m3-cp-0')) === undefined, 'FakeNode removed on deprovisioning');
      await eventually(async () => (await nodeIn(fc, 'm3-cp-0')) === undefined, 'Node removed from the fake cluster');
      await eventOn('node-0', 'FakeNodeDeleted');
      await releaseHost(client, ns, 'node-0');
      await setHostState(client, ns, 'node-0', 'available');

      // provisioned again, then the host is deleted outright.
      await claimHost(client, ns, 'node-0', 'm3-cp-0-x7k2p');
      await setHostState(client, ns, 'node-0', 'provisioned');
      await eventually(() => nodeIn(fc, 'm3-cp-0'), 'Node back after provisioning again');
      await client.delete(at(BMH, ns, 'node-0'));
      await eventually(async () => (await fakeNode('m3-cp-0')) === undefined, 'FakeNode removed with its host');
      await eventually(async () => (await nodeIn(fc, 'm3-cp-0')) === undefined, 'Node removed with its host');
      fc.close();
    });

    it('uses the Metal3Machine alone when no Machine owns it, and leaves FakeNodes it did not make alone', async () => {
      const fc = await fakeCluster('solo');
      // A FakeNode a user made by hand, with the name the host's node would get.
      await client.create(at(FAKE_NODES, ns), { apiVersion: FAKE_NODES.apiVersion, kind: 'FakeNode', metadata: { name: 'solo-md-0-k8v2x', namespace: ns }, spec: { clusterName: 'solo', nodeName: 'solo-md-0-k8v2x' } });
      await createMetal3Machine(client, ns, 'solo-md-0-k8v2x', undefined, 'solo');
      await createHost(client, ns, 'node-1');
      await claimHost(client, ns, 'node-1', 'solo-md-0-k8v2x');
      await setHostState(client, ns, 'node-1', 'provisioned');
      const conflict = await eventOn('node-1', 'FakeNodeConflict');
      expect(conflict.type).to.equal('Warning');
      const users = (await fakeNode('solo-md-0-k8v2x'))!;
      expect(users.metadata.labels ?? {}).to.not.have.property('fkas.metal3.io/managed-by');
      // Once the user's FakeNode is gone, the host's takes its place (at the next retry), named after the Metal3Machine.
      await client.delete(at(FAKE_NODES, ns, 'solo-md-0-k8v2x'));
      const fn = await eventually(async () => {
        const x = await fakeNode('solo-md-0-k8v2x');
        return x?.metadata.labels?.['fkas.metal3.io/managed-by'] === 'metal3-reconciler' ? x : undefined;
      }, "the host's FakeNode", WAIT_RETRY_MS + 15_000);
      expect(fn.spec).to.include({ clusterName: 'solo', role: 'worker' });
      expect(fn.spec.kubernetesVersion).to.equal(undefined);
      const node = await eventually(() => nodeIn(fc, 'solo-md-0-k8v2x'), 'Node solo-md-0-k8v2x');
      expect(node.status.nodeInfo.kubeletVersion).to.equal('v1.32.0');
      fc.close();
    });

    it('skips hosts with bad or partial data with a Warning Event, and picks them up once the data is whole', async () => {
      // Provisioned without consumerRef (externally, or the consumer was cleared).
      await createHost(client, ns, 'orphan');
      await setHostState(client, ns, 'orphan', 'provisioned');
      expect((await eventOn('orphan', 'NoConsumerRef')).type).to.equal('Warning');
      // Claimed by a Metal3Machine that does not exist.
      await createHost(client, ns, 'dangling');
      await claimHost(client, ns, 'dangling', 'no-such-m3m');
      await setHostState(client, ns, 'dangling', 'provisioned');
      expect((await eventOn('dangling', 'Metal3MachineNotFound')).message).to.contain('no-such-m3m');
      // Consumed by something that is not a Metal3Machine.
      await createHost(client, ns, 'claimed');
      await claimHost(client, ns, 'claimed', 'claim-1', 'HostClaim');
      await setHostState(client, ns, 'claimed', 'provisioned');
      await eventOn('claimed', 'UnsupportedConsumer');
      // Provisioned into a cluster no FakeAPIServer serves yet.
      const machine = await createMachine(client, ns, 'ghost-0', { cluster: 'ghost' });
      await createMetal3Machine(client, ns, 'ghost-0-q2w3e', machine, 'ghost');
      await createHost(client, ns, 'node-g');
      await claimHost(client, ns, 'node-g', 'ghost-0-q2w3e');
      await setHostState(client, ns, 'node-g', 'provisioned');
      expect((await eventOn('node-g', 'UnknownCluster')).message).to.contain('ghost');
      await settle();
      expect(await client.list(at(FAKE_NODES, ns))).to.have.property('items').that.is.empty;
      // The cluster appears: the waiting host gets its node without any other change.
      const fc = await fakeCluster('ghost');
      await eventually(() => nodeIn(fc, 'ghost-0'), 'Node ghost-0 once its cluster exists');
      fc.close();
    });
  });

  describe('the machine-nodes reconciler', () => {
    it('gives each Machine of a cluster with spec.machineNodes a FakeNode once its infrastructure is ready with a providerID, and removes it with the Machine', async () => {
      const fc = await fakeCluster('docker1', { machineNodes: true });
      const infra = (name: string): { apiGroup: string; kind: string; name: string } => ({ apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'DockerMachine', name });
      await createMachine(client, ns, 'docker1-md-0-abc', { cluster: 'docker1', version: 'v1.32.4', infrastructure: infra('docker1-md-0-abc') });
      await createMachine(client, ns, 'docker1-cp-xyz', { cluster: 'docker1', controlPlane: true, version: 'v1.32.4', infrastructure: infra('docker1-cp-xyz') });
      await settle();
      expect(await fakeNode('docker1-md-0-abc')).to.equal(undefined);

      await machineProvisioned(client, ns, 'docker1-md-0-abc', 'docker:////docker1-md-0-abc');
      await machineProvisioned(client, ns, 'docker1-cp-xyz', 'docker:////docker1-cp-xyz');
      const worker = await eventually(() => nodeIn(fc, 'docker1-md-0-abc'), 'worker Node');
      expect(worker.spec.providerID).to.equal('docker:////docker1-md-0-abc');
      expect(worker.status.nodeInfo.kubeletVersion).to.equal('v1.32.4');
      expect(worker.metadata.labels).to.not.have.property('node-role.kubernetes.io/control-plane');
      const cpNode = await eventually(() => nodeIn(fc, 'docker1-cp-xyz'), 'control-plane Node');
      expect(cpNode.metadata.labels).to.have.property('node-role.kubernetes.io/control-plane');
      const fn = (await fakeNode('docker1-md-0-abc'))!;
      expect(fn.metadata.labels).to.include({ 'fkas.metal3.io/managed-by': 'machine-reconciler' });
      expect((fn.metadata as { ownerReferences?: { kind: string }[] }).ownerReferences?.[0]?.kind).to.equal('Machine');

      // An in-place upgrade (CAPI v1.12+) changes the Machine's version: the node follows.
      await client.patch(at(MACHINE, ns, 'docker1-md-0-abc'), 'merge', { spec: { version: 'v1.33.0' } });
      await eventually(async () => (await nodeIn(fc, 'docker1-md-0-abc'))?.status.nodeInfo.kubeletVersion === 'v1.33.0', 'kubelet version upgraded');
      await eventOn('docker1-md-0-abc', 'FakeNodeUpdated');

      await client.delete(at(MACHINE, ns, 'docker1-md-0-abc'));
      await eventually(async () => (await fakeNode('docker1-md-0-abc')) === undefined, 'FakeNode removed with its Machine');
      await eventually(async () => (await nodeIn(fc, 'docker1-md-0-abc')) === undefined, 'Node removed with its Machine');
      expect(await nodeIn(fc, 'docker1-cp-xyz')).to.not.equal(undefined);
      fc.close();
    });

    it('lets a CAPI Cluster opt in (and out) with the fkas.metal3.io/machine-nodes annotation', async () => {
      const fc = await fakeCluster('annotated');
      await client.create(at(CLUSTER, ns), { apiVersion: CLUSTER.apiVersion, kind: 'Cluster', metadata: { name: 'annotated', namespace: ns }, spec: { controlPlaneEndpoint: { host: '127.0.0.1', port: 6443 } } });
      await createMachine(client, ns, 'annotated-0', { cluster: 'annotated', infrastructure: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'AWSMachine', name: 'annotated-0' } });
      await machineProvisioned(client, ns, 'annotated-0', 'aws:///us-east-1a/i-0123456789abcdef0');
      await settle();
      expect(await fakeNode('annotated-0')).to.equal(undefined);

      await client.patch(at(CLUSTER, ns, 'annotated'), 'merge', { metadata: { annotations: { 'fkas.metal3.io/machine-nodes': 'true' } } });
      const node = await eventually(() => nodeIn(fc, 'annotated-0'), 'Node once the Cluster opts in');
      expect(node.spec.providerID).to.equal('aws:///us-east-1a/i-0123456789abcdef0');

      await client.patch(at(CLUSTER, ns, 'annotated'), 'merge', { metadata: { annotations: { 'fkas.metal3.io/machine-nodes': null } } });
      await eventually(async () => (await fakeNode('annotated-0')) === undefined, 'FakeNode removed once the Cluster opts out');
      fc.close();
    });

    it('skips Machines with bad data with a Warning Event', async () => {
      const fc = await fakeCluster('strict', { machineNodes: true });
      await createMachine(client, ns, 'strict-noid', { cluster: 'strict' });
      await machineProvisioned(client, ns, 'strict-noid');
      expect((await eventOn('strict-noid', 'MissingProviderID')).type).to.equal('Warning');
      // A version the FakeNode schema refuses: reported, not retried in a loop, nothing created.
      await createMachine(client, ns, 'strict-badver', { cluster: 'strict', version: 'latest' });
      await machineProvisioned(client, ns, 'strict-badver', 'test:///strict-badver');
      expect((await eventOn('strict-badver', 'FakeNodeInvalid')).message).to.contain('kubernetesVersion');
      // An opted-in cluster without a FakeAPIServer.
      await client.create(at(CLUSTER, ns), { apiVersion: CLUSTER.apiVersion, kind: 'Cluster', metadata: { name: 'nowhere', namespace: ns, annotations: { 'fkas.metal3.io/machine-nodes': 'true' } }, spec: { controlPlaneEndpoint: { host: '127.0.0.1', port: 6443 } } });
      await createMachine(client, ns, 'nowhere-0', { cluster: 'nowhere' });
      await machineProvisioned(client, ns, 'nowhere-0', 'test:///nowhere-0');
      await eventOn('nowhere-0', 'UnknownCluster');
      await settle();
      expect(await client.list(at(FAKE_NODES, ns))).to.have.property('items').that.is.empty;
      // The reconciler is still at work for good Machines.
      await createMachine(client, ns, 'strict-good', { cluster: 'strict' });
      await machineProvisioned(client, ns, 'strict-good', 'test:///strict-good');
      await eventually(() => nodeIn(fc, 'strict-good'), 'Node strict-good');
      fc.close();
    });
  });
});

/** A kubeconfig for RECONCILER_USER, a client certificate signed by the control plane's CA. */
async function restrictedKubeConfig(cp: ControlPlane, dir: string): Promise<KubeConfig> {
  const key = await generateEcKey();
  const cert = issueCertificate(cp.ca, { commonName: RECONCILER_USER, usages: ['client'], publicKey: key });
  const path = join(dir, 'node-reconcilers.kubeconfig');
  await writeFile(path, buildKubeconfig({ clusterName: 'management', server: cp.server, caPem: cp.ca.certPem, user: RECONCILER_USER, clientCertPem: cert.certPem, clientKeyPem: privateKeyToPem(key) }), { mode: 0o600 });
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}
