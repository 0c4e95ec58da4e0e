import { expect } from 'chai';
import type { FakeCluster } from '../../../src/simulator/cluster.js';
import { storageKey } from '../../../src/simulator/kinds/registry.js';
import type { ManagedFieldsEntry } from '../../../src/simulator/store/managed-fields.js';
import type { KubeObject } from '../../../src/simulator/store/object.js';
import { asCreatedBy } from '../../../src/simulator/store/seeded-writes.js';
import { Simulator } from '../../../src/simulator/simulator.js';
import { dnsServiceIP, settleKubeadmAddons } from '../../../src/operator/workload/kubeadm-addons.js';
import { populateLikeKubeadm, registerLikeKubeadm } from '../../support/kubeadm-cluster.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Characters kube's generated names and hashes are made of. */
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';

describe('a fake kubeadm cluster, settled as a real one', () => {
  let sim: Simulator;
  let c: FakeCluster;
  const list = (plural: string, group = '', ns?: string): Obj[] => c.resources.store.list(storageKey({ group, plural }), ns).map((e) => e.object as Obj);
  const get = (plural: string, group: string, ns: string | undefined, name: string): Obj => list(plural, group, ns).find((o) => o.metadata.name === name)!;
  const kubeProxyPods = (): Obj[] => list('pods', '', 'kube-system').filter((p) => p.metadata.labels?.['k8s-app'] === 'kube-proxy');
  const corednsPods = (): Obj[] => list('pods', '', 'kube-system').filter((p) => p.metadata.labels?.['k8s-app'] === 'kube-dns');

  beforeEach(async () => {
    sim = new Simulator();
    c = await sim.createCluster({ name: 'k' });
  });
  afterEach(async () => sim.close());

  it('settling a settled cluster again writes nothing (an operator restart re-registers every node)', () => {
    populateLikeKubeadm(c, 3);
    const versions = (): string[] => c.resources.store.collectionNames().flatMap((coll) => c.resources.store.list(coll).map((e) => `${e.key}@${e.object.metadata.resourceVersion}`));
    const before = versions();
    settleKubeadmAddons(c, '2030-01-01T00:00:00Z');
    expect(versions()).to.deep.equal(before);
  });

  describe('kube-proxy', () => {
    it('a cluster with 3 nodes lists 3 Running kube-proxy Pods owned by the DaemonSet, whose status says 3/3 ready', () => {
      populateLikeKubeadm(c, 3);
      const ds = get('daemonsets', 'apps', 'kube-system', 'kube-proxy');
      const pods = kubeProxyPods();
      expect(pods.map((p) => p.spec.nodeName).sort()).to.deep.equal(['k-cp-0', 'k-w-1', 'k-w-2']);
      for (const p of pods) {
        expect(p.metadata.name).to.match(new RegExp(`^kube-proxy-${SAFE}{5}$`));
        expect(p.metadata.ownerReferences).to.deep.equal([{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kube-proxy', uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true }]);
        expect(p.status.phase).to.equal('Running');
        expect(p.status.conditions.find((x: Obj) => x.type === 'Ready').status).to.equal('True');
        // hostNetwork: the pod's address is its node's.
        expect(p.status.podIP).to.equal(p.status.hostIP);
        expect(p.metadata.labels['controller-revision-hash']).to.match(new RegExp(`^${SAFE}+$`));
      }
      expect(ds.status).to.include({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, numberAvailable: 3, updatedNumberScheduled: 3, numberMisscheduled: 0 });
    });

    it('a node added later gets its own kube-proxy Pod, and the counts follow', () => {
      populateLikeKubeadm(c, 1);
      registerLikeKubeadm(c, { name: 'late', ip: '10.0.9.9' });
      expect(kubeProxyPods().find((p) => p.spec.nodeName === 'late')?.status.hostIP).to.equal('10.0.9.9');
      expect(get('daemonsets', 'apps', 'kube-system', 'kube-proxy').status).to.include({ desiredNumberScheduled: 2, numberReady: 2 });
    });

    it('deleting a node removes its kube-proxy Pod, whoever deletes it, and the DaemonSet counts one less', () => {
      populateLikeKubeadm(c, 3);
      c.resources.delete(c.kind('', 'v1', 'nodes'), undefined, 'k-w-2');
      expect(kubeProxyPods().map((p) => p.spec.nodeName).sort()).to.deep.equal(['k-cp-0', 'k-w-1']);
      expect(get('daemonsets', 'apps', 'kube-system', 'kube-proxy').status).to.include({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2 });
    });
  });

  /** A client's update of a workload's first container image, as KubeadmControlPlane does on upgrade. */
  const upgradeImage = (plural: 'daemonsets' | 'deployments', name: string, image: string): void => {
    const kind = c.kind('apps', 'v1', plural);
    const body = JSON.parse(JSON.stringify(c.resources.get(kind, 'kube-system', name))) as Obj;
    body.spec.template.spec.containers[0].image = image;
    c.resources.update(kind, 'kube-system', name, body as KubeObject, { manager: 'manager' });
  };

  describe('upgrades, as KubeadmControlPlane makes them', () => {
    it('a new kube-proxy image replaces every kube-proxy Pod with one of the new image, and the DaemonSet observes its new generation', () => {
      populateLikeKubeadm(c, 2);
      const before = kubeProxyPods().map((p) => p.metadata.name);
      upgradeImage('daemonsets', 'kube-proxy', 'registry.k8s.io/kube-proxy:v1.35.0');
      const pods = kubeProxyPods();
      expect(pods.map((p) => p.spec.containers[0].image)).to.deep.equal(['registry.k8s.io/kube-proxy:v1.35.0', 'registry.k8s.io/kube-proxy:v1.35.0']);
      expect(pods.map((p) => p.metadata.name)).to.not.include.members(before);
      const ds = get('daemonsets', 'apps', 'kube-system', 'kube-proxy');
      expect(ds.metadata.generation).to.equal(2);
      expect(ds.status).to.include({ observedGeneration: 2, updatedNumberScheduled: 2, numberReady: 2 });
    });

    it('a new CoreDNS image rolls out a second ReplicaSet (revision 2) and scales the first to zero', () => {
      populateLikeKubeadm(c, 1);
      upgradeImage('deployments', 'coredns', 'registry.k8s.io/coredns/coredns:v1.12.0');
      const sets = list('replicasets', 'apps', 'kube-system');
      expect(sets.map((rs) => `${rs.metadata.annotations['deployment.kubernetes.io/revision']}:${rs.spec.replicas}:${rs.status.replicas}`).sort()).to.deep.equal(['1:0:0', '2:2:2']);
      const fresh = sets.find((rs) => rs.spec.replicas === 2)!;
      expect(corednsPods().map((p) => `${p.metadata.ownerReferences[0].name}:${p.spec.containers[0].image}`)).to.deep.equal([
        `${fresh.metadata.name}:registry.k8s.io/coredns/coredns:v1.12.0`,
        `${fresh.metadata.name}:registry.k8s.io/coredns/coredns:v1.12.0`,
      ]);
      const deploy = get('deployments', 'apps', 'kube-system', 'coredns');
      expect(deploy.metadata.annotations['deployment.kubernetes.io/revision']).to.equal('2');
      expect(deploy.status).to.include({ observedGeneration: 2, updatedReplicas: 2, availableReplicas: 2 });
    });
  });

  describe('CoreDNS', () => {
    it('runs 2 Pods of a coredns-<hash> ReplicaSet owned by the Deployment, on the control-plane node; the Deployment says 2/2 available', () => {
      populateLikeKubeadm(c, 1);
      const deploy = get('deployments', 'apps', 'kube-system', 'coredns');
      const [rs, ...more] = list('replicasets', 'apps', 'kube-system');
      expect(more).to.have.length(0);
      expect(rs!.metadata.name).to.match(new RegExp(`^coredns-${SAFE}{1,10}$`));
      expect(rs!.metadata.ownerReferences[0]).to.include({ kind: 'Deployment', name: 'coredns', uid: deploy.metadata.uid, controller: true });
      const hash = rs!.metadata.labels['pod-template-hash'];
      expect(rs!.metadata.name).to.equal(`coredns-${hash}`);
      const pods = corednsPods();
      expect(pods).to.have.length(2);
      for (const p of pods) {
        expect(p.metadata.name).to.match(new RegExp(`^coredns-${hash}-${SAFE}{5}$`));
        expect(p.metadata.ownerReferences[0]).to.include({ kind: 'ReplicaSet', name: rs!.metadata.name, uid: rs!.metadata.uid });
        expect(p.spec.nodeName).to.equal('k-cp-0');
        expect(p.status.phase).to.equal('Running');
        expect(p.status.podIP).to.match(/^10\.244\./);
      }
      expect(new Set(pods.map((p) => p.status.podIP)).size).to.equal(2);
      expect(rs!.status).to.include({ replicas: 2, readyReplicas: 2, availableReplicas: 2 });
      expect(deploy.status).to.include({ replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 });
      expect(deploy.status.conditions.map((x: Obj) => `${x.type}=${x.status}/${x.reason}`)).to.deep.equal(['Available=True/MinimumReplicasAvailable', 'Progressing=True/NewReplicaSetAvailable']);
    });

    it('serves kube-dns at the tenth address of the service network, its EndpointSlice listing both Pods', () => {
      populateLikeKubeadm(c, 1);
      const svc = get('services', '', 'kube-system', 'kube-dns');
      expect(dnsServiceIP('10.96.0.0/12')).to.equal('10.96.0.10');
      expect(svc.spec.clusterIP).to.equal('10.96.0.10');
      expect(svc.spec.ports.map((p: Obj) => `${p.name}/${p.port}/${p.protocol}`)).to.deep.equal(['dns/53/UDP', 'dns-tcp/53/TCP', 'metrics/9153/TCP']);
      const [slice] = list('endpointslices', 'discovery.k8s.io', 'kube-system');
      expect(slice!.metadata.name).to.match(new RegExp(`^kube-dns-${SAFE}{5}$`));
      expect(slice!.metadata.labels).to.include({ 'kubernetes.io/service-name': 'kube-dns', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
      expect(slice!.endpoints.map((e: Obj) => e.addresses[0]).sort()).to.deep.equal(corednsPods().map((p) => p.status.podIP).sort());
      expect(get('endpoints', '', 'kube-system', 'kube-dns').subsets[0].addresses).to.have.length(2);
    });

    it('makes a deleted Pod again, as its ReplicaSet would (kubectl delete pod -l k8s-app=kube-dns restarts CoreDNS)', () => {
      populateLikeKubeadm(c, 1);
      const before = corednsPods().map((p) => p.metadata.name);
      for (const name of before) c.resources.delete(c.kind('', 'v1', 'pods'), 'kube-system', name);
      const after = corednsPods();
      expect(after.map((p) => p.status.phase)).to.deep.equal(['Running', 'Running']);
      expect(after.map((p) => p.metadata.name)).to.not.include.members(before);
      expect(get('deployments', 'apps', 'kube-system', 'coredns').status.readyReplicas).to.equal(2);
    });

    it('brings Pods of a deleted node back on another node, and the endpoints follow', () => {
      populateLikeKubeadm(c, 3);
      c.resources.delete(c.kind('', 'v1', 'nodes'), undefined, 'k-cp-0');
      const pods = corednsPods();
      expect(pods).to.have.length(2);
      expect(pods.map((p) => p.spec.nodeName).sort()).to.deep.equal(['k-w-1', 'k-w-2']);
      const [slice] = list('endpointslices', 'discovery.k8s.io', 'kube-system');
      expect(slice!.endpoints.map((e: Obj) => e.nodeName).sort()).to.deep.equal(['k-w-1', 'k-w-2']);
    });

    it('leaves its Pods Pending when no node is left, the Deployment unavailable, and runs them once a node registers', () => {
      populateLikeKubeadm(c, 1);
      c.removeNode('k-cp-0');
      expect(corednsPods().map((p) => p.status.phase)).to.deep.equal(['Pending', 'Pending']);
      expect(get('deployments', 'apps', 'kube-system', 'coredns').status.conditions[0]).to.include({ type: 'Available', status: 'False' });
      registerLikeKubeadm(c, { name: 'back', ip: '10.0.0.50' });
      expect(corednsPods().map((p) => `${p.status.phase}@${p.spec.nodeName}`)).to.deep.equal(['Running@back', 'Running@back']);
      expect(get('deployments', 'apps', 'kube-system', 'coredns').status.availableReplicas).to.equal(2);
    });
  });

  describe('events of a new Node', () => {
    it('records what kubectl describe node shows: the kubelet starting and reporting, the node controller registering it', () => {
      populateLikeKubeadm(c, 1);
      const events = list('events', '', 'default').filter((e) => e.involvedObject.name === 'k-cp-0');
      expect(events.map((e) => `${e.source.component}: ${e.reason}: ${e.message}`)).to.have.members([
        'kubelet: Starting: Starting kubelet.',
        'kubelet: NodeHasSufficientMemory: Node k-cp-0 status is now: NodeHasSufficientMemory',
        'kubelet: NodeHasNoDiskPressure: Node k-cp-0 status is now: NodeHasNoDiskPressure',
        'kubelet: NodeHasSufficientPID: Node k-cp-0 status is now: NodeHasSufficientPID',
        'kubelet: NodeAllocatableEnforced: Updated Node Allocatable limit across pods',
        'kubelet: NodeReady: Node k-cp-0 status is now: NodeReady',
        'node-controller: RegisteredNode: Node k-cp-0 event: Registered Node k-cp-0 in Controller',
      ]);
      const node = get('nodes', '', undefined, 'k-cp-0');
      for (const e of events) {
        expect(e.metadata.name).to.match(/^k-cp-0\.[0-9a-f]+$/);
        expect(e).to.include({ type: 'Normal', count: 1, reportingComponent: e.source.component });
        // The kubelet names its Node by name as uid; the node controller by its real uid.
        expect(e.involvedObject.uid).to.equal(e.source.component === 'kubelet' ? 'k-cp-0' : node.metadata.uid);
      }
    });

    it('go with their Node (kube-apiserver expires them after an hour; a fake cluster has no timers)', () => {
      populateLikeKubeadm(c, 2);
      c.removeNode('k-w-1');
      expect(list('events', '', 'default').filter((e) => e.involvedObject.name === 'k-w-1')).to.have.length(0);
      expect(list('events', '', 'default').filter((e) => e.involvedObject.name === 'k-cp-0')).to.have.length(7);
    });

    it('a node turning NotReady and Ready again gets NodeNotReady, then NodeReady, from its kubelet', () => {
      populateLikeKubeadm(c, 1);
      registerLikeKubeadm(c, { name: 'flaky', ip: '10.0.0.70' });
      const nodes = c.kind('', 'v1', 'nodes');
      const setReady = (status: string): void => {
        const node = JSON.parse(JSON.stringify(c.resources.get(nodes, undefined, 'flaky'))) as Obj;
        node.status.conditions.find((x: Obj) => x.type === 'Ready').status = status;
        c.resources.update(nodes, undefined, 'flaky', node as KubeObject, { subresource: 'status' });
      };
      setReady('False');
      setReady('False');
      setReady('True');
      const reasons = list('events', '', 'default').filter((e) => e.involvedObject.name === 'flaky').map((e) => e.reason);
      expect(reasons.filter((r) => r === 'NodeNotReady' || r === 'NodeReady')).to.deep.equal(['NodeReady', 'NodeNotReady', 'NodeReady']);
    });

    it('a node that registers NotReady gets no NodeReady event', () => {
      populateLikeKubeadm(c, 1);
      registerLikeKubeadm(c, { name: 'sick', ip: '10.0.0.60', ready: false });
      const reasons = list('events', '', 'default').filter((e) => e.involvedObject.name === 'sick').map((e) => e.reason);
      expect(reasons).to.include('RegisteredNode').and.not.to.include('NodeReady');
    });
  });

  describe('managedFields of what the cluster was seeded with', () => {
    const managers = (o: Obj): string[] => (o.metadata.managedFields as ManagedFieldsEntry[]).map((e) => `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ''}`);

    it('name the writers a kubeadm cluster shows', () => {
      populateLikeKubeadm(c, 1);
      expect(managers(get('configmaps', '', 'kube-system', 'kubeadm-config'))).to.deep.equal(['kubeadm/Update']);
      expect(managers(get('daemonsets', 'apps', 'kube-system', 'kube-proxy'))).to.deep.equal(['kube-controller-manager/Update/status', 'kubeadm/Update']);
      expect(managers(get('pods', '', 'kube-system', 'etcd-k-cp-0'))).to.deep.equal(['kubelet/Update', 'kubelet/Update/status']);
      expect(managers(get('nodes', '', undefined, 'k-cp-0'))).to.deep.equal(['kubelet/Update', 'kubelet/Update/status']);
      expect(managers(kubeProxyPods()[0]!)).to.deep.equal(['kube-controller-manager/Update', 'kubelet/Update/status']);
    });

    it('of the coredns ReplicaSet (shared between clusters) are what kube-apiserver records for kube-controller-manager creating it', async () => {
      populateLikeKubeadm(c, 1);
      const other = await sim.createCluster({ name: 'k2' });
      populateLikeKubeadm(other, 1);
      for (const rs of [list('replicasets', 'apps', 'kube-system')[0]!, other.resources.store.list('apps/replicasets', 'kube-system')[0]!.object as Obj]) {
        const fresh = JSON.parse(JSON.stringify(rs)) as KubeObject;
        fresh.metadata.managedFields = undefined;
        delete fresh.status;
        asCreatedBy(c.kind('apps', 'v1', 'replicasets'), fresh, { manager: 'kube-controller-manager' }, rs.metadata.managedFields[0].time as string);
        const main = (rs.metadata.managedFields as ManagedFieldsEntry[]).filter((e) => !e.subresource);
        expect(JSON.parse(JSON.stringify(main))).to.deep.equal(fresh.metadata.managedFields);
      }
    });

    it('of a kube-proxy Pod are what kube-apiserver records for kube-controller-manager creating it and the kubelet reporting it', () => {
      populateLikeKubeadm(c, 2);
      for (const pod of kubeProxyPods()) {
        const fresh = JSON.parse(JSON.stringify(pod)) as KubeObject;
        asCreatedBy(c.kind('', 'v1', 'pods'), fresh, { manager: 'kube-controller-manager', statusManager: 'kubelet' }, pod.metadata.managedFields[0].time as string);
        expect(JSON.parse(JSON.stringify(pod.metadata.managedFields))).to.deep.equal(fresh.metadata.managedFields);
      }
    });
  });
});
