import { expect } from 'chai';
import http2 from 'node:http2';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { createCertificateAuthority } from '../../src/pki/certificates.js';
import { generateEcKey } from '../../src/pki/keys.js';
import { Simulator } from '../../src/simulator/simulator.js';
import type { FakeCluster } from '../../src/simulator/cluster.js';
import { adminTls } from '../support/etcd-clients.js';

/**
 * An idle fake cluster keeps its certificates as text: the OpenSSL context
 * of its TLS server is built on a connection and kept only for the most
 * recently connected clusters. Evicted or not, every cluster must answer
 * exactly as before, with the certificate it has now.
 */
describe('TLS contexts of idle fake clusters', function () {
  this.timeout(30_000);
  const KEPT = 2;
  let sim: Simulator;
  beforeEach(() => (sim = new Simulator({ tlsContextsKept: KEPT })));
  afterEach(async () => sim.close());

  /** The status of a GET on an open HTTP/2 session. */
  function statusOf(session: http2.ClientHttp2Session, path: string): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const req = session.request({ ':path': path });
      req.on('response', (h) => resolve(Number(h[':status'])));
      req.on('error', reject);
      req.resume();
      req.end();
    });
  }

  /** GET /api/v1/nodes over a fresh HTTP/2 connection as kubernetes-admin; returns the status and the server's certificate. */
  async function getNodes(cluster: FakeCluster): Promise<{ status: number; serverCert: X509Certificate; session: http2.ClientHttp2Session }> {
    const creds = await adminTls(sim, cluster);
    const session = http2.connect(`https://${creds.host}:${creds.port}`, { ca: creds.ca, cert: creds.cert, key: creds.key });
    const status = await statusOf(session, '/api/v1/nodes');
    const raw = (session.socket as tls.TLSSocket).getPeerX509Certificate();
    if (!raw) throw new Error('no server certificate');
    return { status, serverCert: raw, session };
  }

  it('builds a context only for connected clusters, and at most the configured number', async () => {
    const clusters = await Promise.all(['a', 'b', 'c', 'd'].map((name) => sim.createCluster({ name })));
    expect(sim.tlsContexts, 'no connection yet').to.equal(0);
    for (const cluster of clusters) {
      const { status, session } = await getNodes(cluster);
      expect(status, cluster.name).to.equal(200);
      session.close();
    }
    expect(sim.tlsContexts).to.equal(KEPT);
  });

  it('serves an evicted cluster again, with its client CA still enforced', async () => {
    const [first, ...others] = await Promise.all(['a', 'b', 'c'].map((name) => sim.createCluster({ name })));
    for (const cluster of [first!, ...others]) (await getNodes(cluster)).session.close();
    // `first` was evicted by the two after it; a certificate of another CA must still get no identity.
    const stranger = await createCertificateAuthority({ commonName: 'stranger', key: await generateEcKey() });
    const creds = await adminTls(sim, first!);
    const session = http2.connect(`https://${creds.host}:${creds.port}`, { ca: creds.ca, cert: stranger.certPem, key: stranger.keyPem });
    const status = await statusOf(session, '/api/v1/nodes');
    session.close();
    expect(status).to.equal(401);
    const again = await getNodes(first!);
    again.session.close();
    expect(again.status).to.equal(200);
  });

  it('keeps an established connection working after its cluster was evicted', async () => {
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => sim.createCluster({ name })));
    const held = await getNodes(a!);
    for (const cluster of [b!, c!]) (await getNodes(cluster)).session.close();
    const status = await statusOf(held.session, '/api/v1/namespaces');
    held.session.close();
    expect(status).to.equal(200);
  });

  it('presents the rotated certificate on the next connection, whether the context was kept or evicted', async () => {
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => sim.createCluster({ name })));
    for (const cluster of [a!, b!, c!]) (await getNodes(cluster)).session.close();
    // a: evicted; c: kept.
    for (const cluster of [a!, c!]) {
      const next = await createCertificateAuthority({ commonName: 'kubernetes', key: await generateEcKey() });
      await sim.rotateCa(cluster.name, next);
      const { status, serverCert, session } = await getNodes(cluster);
      session.close();
      expect(status, cluster.name).to.equal(200);
      expect(serverCert.checkIssued(new X509Certificate(next.certPem)), `${cluster.name} serves a certificate of the new CA`).to.equal(true);
    }
  });
});
