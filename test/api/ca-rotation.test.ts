import { expect } from 'chai';
import { createCertificateAuthority } from '../../src/pki/certificates.js';
import { generateEcKey } from '../../src/pki/keys.js';
import { Simulator } from '../../src/simulator/simulator.js';

/**
 * CAPI adopts the CA Secrets the operator created, and may replace the
 * cluster CA: each CA rotates on its own, on the same port.
 */
describe('CA rotation of a fake cluster', function () {
  this.timeout(20_000);
  let sim: Simulator;
  beforeEach(() => (sim = new Simulator()));
  afterEach(async () => sim.close());

  it('keeps the etcd CA it was given when the cluster CA rotates (KCP must still reach etcd)', async () => {
    const etcdCa = await createCertificateAuthority({ commonName: 'etcd-ca', key: await generateEcKey() });
    const cluster = await sim.createCluster({ name: 'rot', etcdCa: { certPem: etcdCa.certPem, keyPem: etcdCa.keyPem } });
    const port = cluster.port;
    const next = await createCertificateAuthority({ commonName: 'kubernetes', key: await generateEcKey() });
    await sim.rotateCa('rot', { certPem: next.certPem, keyPem: next.keyPem });
    expect(sim.caOf('rot')!.certPem).to.equal(next.certPem);
    expect((await sim.etcdCaOf('rot')).certPem).to.equal(etcdCa.certPem);
    expect(cluster.port).to.equal(port);
  });

  it('keeps the cluster CA when the etcd CA rotates', async () => {
    await sim.createCluster({ name: 'rot2' });
    const before = sim.caOf('rot2')!.certPem;
    const etcdCa = await createCertificateAuthority({ commonName: 'etcd-ca', key: await generateEcKey() });
    sim.rotateEtcdCa('rot2', { certPem: etcdCa.certPem, keyPem: etcdCa.keyPem });
    expect((await sim.etcdCaOf('rot2')).certPem).to.equal(etcdCa.certPem);
    expect(sim.caOf('rot2')!.certPem).to.equal(before);
  });
});
