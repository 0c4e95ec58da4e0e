import { expect } from 'chai';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { generateEcKey, generateRsaKey, privateKeyFromPem, publicKeyDer } from '../../../src/pki/keys.js';

describe('private keys read from PEM', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const same = (pem: string, key: typeof ec) =>
    expect(privateKeyFromPem(pem).export({ type: 'pkcs8', format: 'der' }).equals(key.export({ type: 'pkcs8', format: 'der' }))).to.equal(true);

  it('reads SEC1 (EC PRIVATE KEY), PKCS#1 (RSA PRIVATE KEY) and PKCS#8 (PRIVATE KEY) as the same key', () => {
    same(ec.export({ type: 'sec1', format: 'pem' }) as string, ec);
    same(ec.export({ type: 'pkcs8', format: 'pem' }) as string, ec);
    same(rsa.export({ type: 'pkcs1', format: 'pem' }) as string, rsa);
    same(rsa.export({ type: 'pkcs8', format: 'pem' }) as string, rsa);
  });

  it('reads a key with CRLF line ends and surrounding blank lines, as Secrets written on other systems hold them', () => {
    const pem = `\n${(ec.export({ type: 'sec1', format: 'pem' }) as string).replace(/\n/g, '\r\n')}\n`;
    same(pem, ec);
  });

  it('refuses what is not a key, saying which formats it reads', () => {
    expect(() => privateKeyFromPem('-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n')).to.throw(/not a readable private key PEM \(PKCS#1, SEC1 or PKCS#8 expected\)/);
    expect(() => privateKeyFromPem('not a key')).to.throw(/not a readable private key PEM/);
  });
});

describe('generated keys', () => {
  it('come with the public half OpenSSL derives from them, for certificates to name', async () => {
    for (const key of [await generateEcKey(), await generateRsaKey(1024)]) {
      expect(key.type).to.equal('private');
      expect(publicKeyDer(key).equals(createPublicKey(key).export({ type: 'spki', format: 'der' }))).to.equal(true);
    }
    const imported = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    expect(publicKeyDer(imported).equals(createPublicKey(imported).export({ type: 'spki', format: 'der' }))).to.equal(true);
  });
});
