import { expect } from 'chai';
import { loadCertificateAuthority } from '../../src/pki/certificates.js';
import type { FakeAPIServer } from '../../src/operator/api/v1alpha1.js';
import { etcdctl, kubectlPortForward, writeEtcdClientCert } from '../support/etcd-clients.js';
import { eventually, kubeconfigFromCaSecret, startOperatorFixture, type OperatorFixture } from '../support/operator-fixture.js';

/**
 * The operator's part of the etcd emulation: a FakeAPIServer's etcd serves
 * with the `<cluster>-etcd` CA Secret, and control-plane FakeNodes are its
 * members, as KCP expects.
 */
describe('the operator and the fake etcd', function () {
  this.timeout(60_000);
  let f: OperatorFixture;
  const ns = 'default';

  before(async () => {
    f = await startOperatorFixture();
  });
  after(async () => f?.close());

  it('serves etcd with the <cluster>-etcd Secret\'s CA, with one member per control-plane FakeNode, and drops the member of a deleted FakeNode', async () => {
    const node = (name: string, ip: string, role: string): string =>
      `apiVersion: fkas.metal3.io/v1alpha1\nkind: FakeNode\nmetadata: {name: ${name}, namespace: default}\nspec: {clusterName: gamma, nodeName: ${name}, role: ${role}, internalIP: ${ip}}\n`;
    await f.kubectl(['apply', '-f', '-'], [
      'apiVersion: fkas.metal3.io/v1alpha1\nkind: FakeAPIServer\nmetadata: {name: gamma, namespace: default}\nspec: {}\n',
      node('gamma-cp-0', '10.1.0.10', 'control-plane'),
      node('gamma-cp-1', '10.1.0.11', 'control-plane'),
      node('gamma-w-0', '10.1.0.20', 'worker'),
    ].join('---\n'));
    const fas = await eventually(async () => {
      const o = await f.client.get<FakeAPIServer>({ apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace: ns, name: 'gamma' });
      return o.status?.nodes === 3 && o.status.endpoint ? o : undefined;
    }, 'three nodes registered');
    const kubeconfig = await kubeconfigFromCaSecret(f, ns, 'gamma', fas.status!.endpoint!);
    const secret = await f.client.get<{ data: Record<string, string> }>({ apiVersion: 'v1', plural: 'secrets', namespace: ns, name: 'gamma-etcd' });
    const etcdCa = loadCertificateAuthority(Buffer.from(secret.data['tls.crt']!, 'base64').toString(), Buffer.from(secret.data['tls.key']!, 'base64').toString());
    const certs = await writeEtcdClientCert(f.dir, 'gamma-kcp', etcdCa);

    const members = async (): Promise<string> => {
      const pf = await kubectlPortForward(kubeconfig, f.dir, 'pod/etcd-gamma-cp-0', 2379);
      try {
        const r = await etcdctl(pf.localPort, certs, ['member', 'list']);
        expect(r.code, r.stderr).to.equal(0);
        return r.stdout;
      } finally {
        await pf.stop();
      }
    };
    const before = await members();
    expect(before).to.contain('gamma-cp-0').and.contain('gamma-cp-1').and.not.contain('gamma-w-0');

    await f.kubectl(['delete', 'fakenode', 'gamma-cp-1', '-n', ns]);
    await eventually(async () => !(await members()).includes('gamma-cp-1'), 'member of the deleted node gone');
  });
});
