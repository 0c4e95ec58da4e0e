import { expect } from 'chai';
import { KubeClient } from '../../../src/operator/kube/client.js';
import { Informer } from '../../../src/operator/kube/informer.js';
import { componentLogger } from '../../../src/telemetry/logger.js';
import { startControlPlane, type ControlPlane } from '../../harness/control-plane.js';
import { processesMatching } from '../../harness/processes.js';
import { eventually } from '../../support/operator-fixture.js';

describe('the real control plane of the test harness', function () {
  this.timeout(20 * 60_000); // includes building kube-apiserver on a cold cache
  let cp: ControlPlane | undefined;
  after(async () => cp?.stop());

  it('starts etcd, kube-apiserver and kube-controller-manager, and survives an apiserver restart with watches recovering', async () => {
    cp = await startControlPlane({ withControllerManager: true });
    const client = KubeClient.fromFile(cp.kubeconfigPath);
    const version = await client.request<{ gitVersion: string }>('GET', '/version');
    expect(version.gitVersion).to.match(/^v1\.\d+\.\d+$/);
    await client.create({ apiVersion: 'v1', plural: 'namespaces' }, { metadata: { name: 'harness' } });
    await client.create({ apiVersion: 'apiextensions.k8s.io/v1', plural: 'customresourcedefinitions' }, {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gadgets.example.com' },
      spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'gadgets', kind: 'Gadget' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    });
    const gadgets = { apiVersion: 'example.com/v1', plural: 'gadgets', namespace: 'harness' };
    const seen: string[] = [];
    const informer = new Informer(client, { resource: gadgets, log: componentLogger('test'), onEvent: (t, o) => seen.push(`${t} ${o.metadata.name}`) });
    informer.start();
    await informer.synced;
    await client.create(gadgets, { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'before' } });
    await eventually(async () => seen.includes('ADDED before'), 'event before the restart', 30_000);
    await cp.restartApiServer();
    await client.create(gadgets, { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'after' } });
    await eventually(async () => seen.includes('ADDED after'), 'event after the restart', 60_000);
    informer.stop();
    // The namespace controller runs: a deleted namespace really goes.
    await client.delete({ apiVersion: 'v1', plural: 'namespaces', name: 'harness' });
    await eventually(async () => client.get({ apiVersion: 'v1', plural: 'namespaces', name: 'harness' }).then(() => false, () => true), 'namespace deleted', 60_000);
    client.close();
  });

  it('leaves no process behind when stopped', async () => {
    const marker = cp!.marker;
    expect(await processesMatching(marker)).to.not.be.empty;
    await cp!.stop();
    cp = undefined;
    expect(await processesMatching(marker)).to.deep.equal([]);
  });
});
