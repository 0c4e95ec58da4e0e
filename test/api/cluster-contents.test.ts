import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FakeAPIServer } from '../../src/operator/api/v1alpha1.js';
import { eventually, kubeconfigFromCaSecret, startOperatorFixture, type OperatorFixture } from '../support/operator-fixture.js';

const run = promisify(execFile);

/**
 * --cluster-contents minimal: for scale tests, fake clusters hold what CAPI reads (the kubeadm
 * ConfigMaps and RBAC, Nodes, static Pods) and nothing kube-controller-manager or the kubelet
 * would add on their own (addon Pods, kube-dns endpoints, Node events).
 */
describe('the operator with --cluster-contents minimal', function () {
  this.timeout(60_000);
  let f: OperatorFixture;
  before(async () => {
    f = await startOperatorFixture({ config: { clusterContents: 'minimal' } });
  });
  after(async () => f?.close());

  it('registers a control-plane node with what CAPI reads, and no addon Pods, endpoints or Node events', async () => {
    await f.kubectl(
      ['apply', '-f', '-'],
      `apiVersion: fkas.metal3.io/v1alpha1
kind: FakeAPIServer
metadata: {name: lean, namespace: default}
spec: {}
---
apiVersion: fkas.metal3.io/v1alpha1
kind: FakeNode
metadata: {name: lean-cp-0, namespace: default}
spec: {clusterName: lean, nodeName: lean-cp-0, role: control-plane}
`,
    );
    const fas = await eventually(async () => {
      const o = await f.client.get<FakeAPIServer>({ apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace: 'default', name: 'lean' });
      return o.status?.endpoint && o.status.nodes === 1 ? o : undefined;
    }, 'FakeAPIServer lean serving its node');
    const path = await kubeconfigFromCaSecret(f, 'default', 'lean', fas.status!.endpoint!);
    const kc = async (...args: string[]): Promise<string> => (await run('kubectl', ['--kubeconfig', path, ...args], { env: { ...process.env, HOME: f.dir } })).stdout.trim();

    expect(await kc('get', 'cm', '-n', 'kube-system', 'kubeadm-config', '-o', 'name')).to.equal('configmap/kubeadm-config');
    expect((await kc('get', 'pods', '-n', 'kube-system', '-o', 'name')).split('\n').sort()).to.deep.equal(
      ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((c) => `pod/${c}-lean-cp-0`),
    );
    expect(await kc('get', 'ds', '-n', 'kube-system', 'kube-proxy', '-o', 'jsonpath={.status.numberReady}')).to.be.oneOf(['', '0']);
    expect(await kc('get', 'endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=kube-dns', '-o', 'name')).to.equal('');
    expect(await kc('get', 'events', '-A', '-o', 'name')).to.equal('');
  });
});
