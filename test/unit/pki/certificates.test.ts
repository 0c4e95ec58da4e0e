import { expect } from 'chai';
import tls from 'node:tls';
import { createCertificateAuthority, issueCertificate, loadCertificateAuthority } from '../../../src/pki/certificates.js';
import { generateEcKey, generateRsaKey, privateKeyFromPem, privateKeyToPem, privateKeyToPkcs8Pem } from '../../../src/pki/keys.js';

describe('certificates for fake clusters', () => {
  it('issues server certificates with DNS and IP SANs that verify against an RSA CA', async () => {
    const ca = await createCertificateAuthority({ commonName: 'kubernetes', key: await generateRsaKey() });
    expect(ca.cert.ca).to.equal(true);
    const leaf = issueCertificate(ca, { commonName: 'kube-apiserver', dnsNames: ['kubernetes.default.svc'], ipAddresses: ['127.0.0.1', 'fd00::1'], usages: ['server'], publicKey: await generateEcKey() });
    expect(leaf.cert.verify(ca.cert.publicKey)).to.equal(true);
    expect(leaf.cert.subjectAltName).to.equal('DNS:kubernetes.default.svc, IP Address:127.0.0.1, IP Address:FD00:0:0:0:0:0:0:1');
    expect(leaf.cert.ca).to.equal(false);
  });

  it('makes EC CAs too, and honours the validity asked for', async () => {
    const ca = await createCertificateAuthority({ commonName: 'etcd-ca', key: await generateEcKey(), validForMs: 3600_000 });
    const leaf = issueCertificate(ca, { commonName: 'x', usages: ['client'], publicKey: await generateRsaKey(), validForMs: 60_000 });
    expect(leaf.cert.verify(ca.cert.publicKey)).to.equal(true);
    expect(Date.parse(leaf.cert.validTo) - Date.now()).to.be.within(0, 61_000 + 1000);
  });

  it('round-trips keys through PKCS#1, SEC1 and PKCS#8 PEM', async () => {
    const rsa = await generateRsaKey();
    expect(privateKeyToPem(rsa)).to.contain('BEGIN RSA PRIVATE KEY');
    const ec = await generateEcKey();
    expect(privateKeyToPem(ec)).to.contain('BEGIN EC PRIVATE KEY');
    for (const k of [rsa, ec]) {
      expect(privateKeyFromPem(privateKeyToPem(k)).equals(k)).to.equal(true);
      expect(privateKeyFromPem(privateKeyToPkcs8Pem(k)).equals(k)).to.equal(true);
    }
  });

  it('refuses a CA whose key belongs to another certificate, saying so', async () => {
    const a = await createCertificateAuthority({ commonName: 'a', key: await generateEcKey() });
    const b = await createCertificateAuthority({ commonName: 'b', key: await generateEcKey() });
    expect(() => loadCertificateAuthority(a.certPem, b.keyPem)).to.throw(/do not match/);
    const leaf = issueCertificate(a, { commonName: 'x', usages: ['server'], publicKey: await generateEcKey() });
    expect(() => loadCertificateAuthority(leaf.certPem, a.keyPem)).to.throw();
  });

  it('authenticates client certificates of its CA in a real TLS handshake, and not those of another CA', async () => {
    const ca = await createCertificateAuthority({ commonName: 'kubernetes', key: await generateRsaKey() });
    const other = await createCertificateAuthority({ commonName: 'kubernetes', key: await generateRsaKey() });
    const serverKey = await generateEcKey();
    const server = issueCertificate(ca, { commonName: 'kube-apiserver', ipAddresses: ['127.0.0.1'], usages: ['server'], publicKey: serverKey });
    const srv = tls.createServer({ cert: server.certPem, key: privateKeyToPem(serverKey), ca: ca.certPem, requestCert: true, rejectUnauthorized: false }, (s) => {
      const peer = s.getPeerCertificate();
      s.end(JSON.stringify({ authorized: s.authorized, cn: peer.subject?.CN, o: peer.subject?.O }));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    const ask = async (signer: typeof ca): Promise<{ authorized: boolean; cn: string; o: string }> => {
      const key = await generateEcKey();
      const cert = issueCertificate(signer, { commonName: 'kubernetes-admin', organizations: ['system:masters'], usages: ['client'], publicKey: key });
      return new Promise((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port, ca: ca.certPem, cert: cert.certPem, key: privateKeyToPem(key) }, () => undefined);
        let data = '';
        s.on('data', (d: Buffer) => (data += d.toString()));
        s.on('end', () => resolve(JSON.parse(data) as { authorized: boolean; cn: string; o: string }));
        s.on('error', reject);
      });
    };
    try {
      expect(await ask(ca)).to.deep.equal({ authorized: true, cn: 'kubernetes-admin', o: 'system:masters' });
      expect((await ask(other)).authorized).to.equal(false);
    } finally {
      srv.close();
    }
  });
});
