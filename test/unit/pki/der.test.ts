import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { certificateSubjectDer, readTlv, subjectPublicKeyBits } from '../../../src/pki/der.js';
import { issueCertificate, loadCertificateAuthority } from '../../../src/pki/certificates.js';

/** A CA made by another implementation (forge's own certificate API), RSA, with a subject key identifier it computed itself. */
function forgeCa(opts: { version: number; subjectKeyIdentifier: boolean }): { certPem: string; keyPem: string; cert: forge.pki.Certificate } {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 1024, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.version = opts.version;
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '4f01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 3600_000);
  const name = [{ shortName: 'O', value: 'metal3 fkas spec' }, { shortName: 'CN', value: 'forge-ca' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([{ name: 'basicConstraints', cA: true }, ...(opts.subjectKeyIdentifier ? [{ name: 'subjectKeyIdentifier' }] : [])]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey), cert };
}

describe('DER reading for certificates (src/pki/der.ts)', () => {
  it('finds the subject Name of a certificate, with or without the version field', () => {
    for (const version of [2, 0]) {
      const { certPem, cert } = forgeCa({ version, subjectKeyIdentifier: false });
      const raw = new X509Certificate(certPem).raw;
      const expected = forge.asn1.toDer(forge.pki.distinguishedNameToAsn1(cert.subject)).getBytes();
      expect(Buffer.from(certificateSubjectDer(raw)).toString('binary'), `version ${version + 1}`).to.equal(expected);
    }
  });

  it('issues certificates whose authority key identifier matches the subject key identifier another implementation wrote', () => {
    const foreign = forgeCa({ version: 2, subjectKeyIdentifier: true });
    const ca = loadCertificateAuthority(foreign.certPem, foreign.keyPem);
    const leaf = issueCertificate(ca, { commonName: 'kube-apiserver', usages: ['server'], publicKey: ca.key });
    // OpenSSL's issuer check compares issuer Name to subject Name and the AKI to the CA's SKI.
    expect(leaf.cert.checkIssued(ca.cert)).to.equal(true);
    expect(leaf.cert.verify(ca.cert.publicKey)).to.equal(true);
    expect(leaf.cert.issuer).to.equal(ca.cert.subject);
  });

  it('reads the subjectPublicKey bits of a P-256 key: the 65-byte uncompressed point', () => {
    const spki = Buffer.from(
      '3059301306072a8648ce3d020106082a8648ce3d03010703420004' + '11'.repeat(32) + '22'.repeat(32),
      'hex',
    );
    const bits = subjectPublicKeyBits(spki);
    expect(bits.length).to.equal(65);
    expect(bits[0]).to.equal(0x04);
  });

  it('refuses truncated and overlong encodings instead of reading past the end', () => {
    expect(() => readTlv(Buffer.from([0x30]), 0)).to.throw(/truncated/);
    expect(() => readTlv(Buffer.from([0x30, 0x05, 0x01]), 0)).to.throw(/past the end/);
    expect(() => readTlv(Buffer.from([0x30, 0x85, 1, 1, 1, 1, 1]), 0)).to.throw(/not supported/);
    expect(() => certificateSubjectDer(Buffer.from([0x30, 0x02, 0x30, 0x00]))).to.throw(/no subject/);
  });
});
