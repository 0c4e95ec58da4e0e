import { createHash, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';
import { certificateSubjectDer, subjectPublicKeyBits } from './der.js';
import { privateKeyFromPem, privateKeyToPem, publicKeyDer } from './keys.js';
import { RecentlyUsed } from '../util/recently-used.js';

/**
 * X.509 certificates for fake clusters: node-forge builds the ASN.1
 * structure, node:crypto signs it (0.7 ms per certificate instead of forge's
 * 23 ms). Building the TBSCertificate ourselves also lets us certify EC keys,
 * which forge's own certificate API cannot represent.
 */

export interface CertificateAuthority {
  readonly certPem: string;
  readonly keyPem: string;
  readonly cert: X509Certificate;
  readonly key: KeyObject;
}

interface ParsedCa {
  readonly keyPem: string;
  readonly key: KeyObject;
  /** Parsed when first asked for: a CA we just made issues certificates from `issuer` alone. */
  cert?: X509Certificate;
  /** The certificate's subject as ASN.1, the issuer of everything it signs. */
  issuer?: forge.asn1.Asn1;
}

/**
 * CAs parsed recently, by certificate PEM. A fake cluster's two CAs issue
 * certificates at its creation and rarely after; parsed, a CA costs ~17 KiB
 * outside the JS heap (and parsing it again ~1.5 ms), so only the CAs in use
 * stay parsed: enough for every cluster being created at once.
 */
const PARSED_CAS_KEPT = 128;
const parsedCas = new RecentlyUsed<string, ParsedCa>(PARSED_CAS_KEPT, () => {
  throw new Error('parsedCas is filled through parsedCa()');
});

/** A CA as kept between uses: its PEM text; `cert` and `key` come from the cache of recently used CAs. */
export class PemCertificateAuthority implements CertificateAuthority {
  constructor(
    readonly certPem: string,
    readonly keyPem: string,
    parsed?: { readonly key: KeyObject; readonly cert?: X509Certificate; readonly issuer?: forge.asn1.Asn1 },
  ) {
    if (parsed) parsedCas.set(certPem, { keyPem, ...parsed });
  }

  get cert(): X509Certificate {
    const parsed = this.parsed();
    return (parsed.cert ??= new X509Certificate(this.certPem));
  }

  get key(): KeyObject {
    return this.parsed().key;
  }

  /** Its subject, as the issuer of the certificates it signs. */
  get issuer(): forge.asn1.Asn1 {
    const parsed = this.parsed();
    return (parsed.issuer ??= parseSubject(this.cert));
  }

  private parsed(): ParsedCa {
    const hit = parsedCas.peek(this.certPem);
    if (hit && hit.keyPem === this.keyPem) {
      parsedCas.set(this.certPem, hit);
      return hit;
    }
    const parsed: ParsedCa = { keyPem: this.keyPem, key: privateKeyFromPem(this.keyPem) };
    parsedCas.set(this.certPem, parsed);
    return parsed;
  }
}

export interface IssuedCertificate {
  readonly certPem: string;
  readonly cert: X509Certificate;
}

export type CertificateUsage = 'server' | 'client';

export interface CertificateRequest {
  readonly commonName: string;
  readonly organizations?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly usages: readonly CertificateUsage[];
  /** Validity from now; default one year. */
  readonly validForMs?: number;
  /** The subject's key: a public key, or a private key whose public half is certified. */
  readonly publicKey: KeyObject;
}

/** CA validity, as kubeadm: ten years. */
export const CA_VALIDITY_MS = 10 * 365 * 24 * 3600 * 1000;
export const LEAF_VALIDITY_MS = 365 * 24 * 3600 * 1000;
/** notBefore is backdated so a client with a slightly slow clock accepts a fresh certificate. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const SERIAL_BYTES = 16;

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** keyUsage bits (RFC 5280 numbering, MSB first). */
const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

const { asn1 } = forge;
const C = asn1.Class;
const T = asn1.Type;

export async function createCertificateAuthority(opts: { commonName: string; key: KeyObject; validForMs?: number }): Promise<CertificateAuthority> {
  const { key } = opts;
  const subject = nameAsn1(opts.commonName, []);
  const spki = spkiAsn1(key);
  const der = buildCertificate({
    issuer: subject,
    subject,
    spki,
    signer: key,
    validForMs: opts.validForMs ?? CA_VALIDITY_MS,
    extensions: [
      extension(OID.basicConstraints, true, asn1.create(C.UNIVERSAL, T.SEQUENCE, true, [asn1.create(C.UNIVERSAL, T.BOOLEAN, false, '\xff')])),
      extension(OID.keyUsage, true, keyUsageBits([KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment, KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])),
      extension(OID.subjectKeyIdentifier, false, asn1.create(C.UNIVERSAL, T.OCTETSTRING, false, keyIdentifier(key))),
    ],
  });
  // Not parsed back: it issues certificates from the subject just built (issuer = subject).
  return new PemCertificateAuthority(toPem(der), privateKeyToPem(key), { key, issuer: subject });
}

/** Loads a CA from its Secret's `tls.crt`/`tls.key`, checking that they belong together. */
export function loadCertificateAuthority(certPem: string, keyPem: string): CertificateAuthority {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    throw new Error(`the CA certificate is not a readable PEM certificate: ${(err as Error).message}`, { cause: err });
  }
  const key = privateKeyFromPem(keyPem);
  if (!cert.checkPrivateKey(key)) throw new Error('the CA certificate and key do not match: they are not one key pair');
  if (!cert.ca) throw new Error('the CA certificate is not a CA (basicConstraints CA:TRUE is missing)');
  return new PemCertificateAuthority(certPem, keyPem, { cert, key });
}

export function issueCertificate(ca: CertificateAuthority, req: CertificateRequest): IssuedCertificate {
  const caKey = ca.key;
  const sans: forge.asn1.Asn1[] = [];
  for (const dns of req.dnsNames ?? []) sans.push(asn1.create(C.CONTEXT_SPECIFIC, 2, false, dns));
  for (const ip of req.ipAddresses ?? []) sans.push(asn1.create(C.CONTEXT_SPECIFIC, 7, false, ipBytes(ip)));
  const ekus = req.usages.map((u) => asn1.create(C.UNIVERSAL, T.OID, false, asn1.oidToDer(u === 'server' ? OID.serverAuth : OID.clientAuth).getBytes()));
  const isRsa = req.publicKey.asymmetricKeyType === 'rsa';
  const extensions = [
    extension(OID.basicConstraints, true, asn1.create(C.UNIVERSAL, T.SEQUENCE, true, [])),
    extension(OID.keyUsage, true, keyUsageBits(isRsa ? [KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment] : [KEY_USAGE.digitalSignature])),
    extension(OID.extKeyUsage, false, asn1.create(C.UNIVERSAL, T.SEQUENCE, true, ekus)),
    extension(OID.authorityKeyIdentifier, false, asn1.create(C.UNIVERSAL, T.SEQUENCE, true, [asn1.create(C.CONTEXT_SPECIFIC, 0, false, keyIdentifier(caKey))])),
  ];
  if (sans.length) extensions.push(extension(OID.subjectAltName, false, asn1.create(C.UNIVERSAL, T.SEQUENCE, true, sans)));
  const der = buildCertificate({
    issuer: issuerOf(ca),
    subject: nameAsn1(req.commonName, req.organizations ?? []),
    spki: spkiAsn1(req.publicKey),
    signer: caKey,
    validForMs: req.validForMs ?? LEAF_VALIDITY_MS,
    extensions,
  });
  const certPem = toPem(der);
  // Parsed only when asked for: serving certificates are only ever used as PEM.
  let parsed: X509Certificate | undefined;
  return {
    certPem,
    get cert(): X509Certificate {
      return (parsed ??= new X509Certificate(certPem));
    },
  };
}

/** Per CA certificate: its subject as ASN.1 (parsed once; every certificate it issues names it). */
const issuers = new WeakMap<X509Certificate, forge.asn1.Asn1>();
/** Per key: its key identifier (computed once; every certificate a CA issues names it). */
const keyIdentifiers = new WeakMap<KeyObject, string>();

/** The CA's subject, taken verbatim from its certificate so issuer and subject match byte for byte. */
function issuerOf(ca: CertificateAuthority): forge.asn1.Asn1 {
  if (ca instanceof PemCertificateAuthority) return ca.issuer;
  const caCert = ca.cert;
  let issuer = issuers.get(caCert);
  if (!issuer) issuers.set(caCert, (issuer = parseSubject(caCert)));
  return issuer;
}

function parseSubject(x509: X509Certificate): forge.asn1.Asn1 {
  return asn1.fromDer(forge.util.createBuffer(Buffer.from(certificateSubjectDer(x509.raw)).toString('binary')));
}

interface CertificateParts {
  readonly issuer: forge.asn1.Asn1;
  readonly subject: forge.asn1.Asn1;
  readonly spki: forge.asn1.Asn1;
  readonly signer: KeyObject;
  readonly validForMs: number;
  readonly extensions: forge.asn1.Asn1[];
}

function buildCertificate(p: CertificateParts): Buffer {
  const now = Date.now();
  const sigAlg = signatureAlgorithm(p.signer);
  const serial = randomBytes(SERIAL_BYTES);
  // Positive (top bit clear) and minimal: a first byte that is never 0. forge drops one leading zero byte only,
  // so a serial starting 00 00 0x (one in 65,536 with just the top bit cleared) stayed padded, and OpenSSL
  // refused the certificate ("illegal padding"): seen once in 20,000 CAs made 16 at a time.
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  const tbs = asn1.create(C.UNIVERSAL, T.SEQUENCE, true, [
    asn1.create(C.CONTEXT_SPECIFIC, 0, true, [asn1.create(C.UNIVERSAL, T.INTEGER, false, '\x02')]),
    asn1.create(C.UNIVERSAL, T.INTEGER, false, serial.toString('binary')),
    sigAlg,
    p.issuer,
    asn1.create(C.UNIVERSAL, T.SEQUENCE, true, [timeAsn1(new Date(now - CLOCK_SKEW_MS)), timeAsn1(new Date(now + p.validForMs))]),
    p.subject,
    p.spki,
    asn1.create(C.CONTEXT_SPECIFIC, 3, true, [asn1.create(C.UNIVERSAL, T.SEQUENCE, true, p.extensions)]),
  ]);
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const signature = sign('sha256', tbsDer, p.signer);
  const cert = asn1.create(C.UNIVERSAL, T.SEQUENCE, true, [
    tbs,
    signatureAlgorithm(p.signer),
    asn1.create(C.UNIVERSAL, T.BITSTRING, false, `\x00${signature.toString('binary')}`),
  ]);
  return Buffer.from(asn1.toDer(cert).getBytes(), 'binary');
}

function signatureAlgorithm(key: KeyObject): forge.asn1.Asn1 {
  if (key.asymmetricKeyType === 'rsa') {
    return asn1.create(C.UNIVERSAL, T.SEQUENCE, true, [
      asn1.create(C.UNIVERSAL, T.OID, false, asn1.oidToDer(OID.sha256WithRSA).getBytes()),
      asn1.create(C.UNIVERSAL, T.NULL, false, ''),
    ]);
  }
  if (key.asymmetricKeyType === 'ec') {
    return asn1.create(C.UNIVERSAL, T.SEQUENCE, true, [asn1.create(C.UNIVERSAL, T.OID, false, asn1.oidToDer(OID.ecdsaWithSHA256).getBytes())]);
  }
  throw new Error(`cannot sign certificates with a ${key.asymmetricKeyType ?? 'unknown'} key: use RSA or EC P-256`);
}

function nameAsn1(commonName: string, organizations: readonly string[]): forge.asn1.Asn1 {
  const rdn = (oid: string, value: string): forge.asn1.Asn1 =>
    asn1.create(C.UNIVERSAL, T.SET, true, [
      asn1.create(C.UNIVERSAL, T.SEQUENCE, true, [
        asn1.create(C.UNIVERSAL, T.OID, false, asn1.oidToDer(oid).getBytes()),
        asn1.create(C.UNIVERSAL, T.UTF8, false, forge.util.encodeUtf8(value)),
      ]),
    ]);
  return asn1.create(C.UNIVERSAL, T.SEQUENCE, true, [...organizations.map((o) => rdn(OID.organization, o)), rdn(OID.commonName, commonName)]);
}

function spkiAsn1(key: KeyObject): forge.asn1.Asn1 {
  return asn1.fromDer(forge.util.createBuffer(publicKeyDer(key).toString('binary')));
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(key: KeyObject): string {
  let id = keyIdentifiers.get(key);
  if (id === undefined) keyIdentifiers.set(key, (id = computeKeyIdentifier(key)));
  return id;
}

function computeKeyIdentifier(key: KeyObject): string {
  return createHash('sha1').update(subjectPublicKeyBits(publicKeyDer(key))).digest().toString('binary');
}

function extension(oid: string, critical: boolean, value: forge.asn1.Asn1): forge.asn1.Asn1 {
  return asn1.create(C.UNIVERSAL, T.SEQUENCE, true, [
    asn1.create(C.UNIVERSAL, T.OID, false, asn1.oidToDer(oid).getBytes()),
    ...(critical ? [asn1.create(C.UNIVERSAL, T.BOOLEAN, false, '\xff')] : []),
    asn1.create(C.UNIVERSAL, T.OCTETSTRING, false, asn1.toDer(value).getBytes()),
  ]);
}

function keyUsageBits(bits: readonly number[]): forge.asn1.Asn1 {
  const bytes = [0, 0];
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
  const used = bytes[1] === 0 ? [bytes[0]!] : bytes;
  const last = used[used.length - 1]!;
  let unused = 0;
  while (unused < 7 && (last & (1 << unused)) === 0) unused++;
  return asn1.create(C.UNIVERSAL, T.BITSTRING, false, String.fromCharCode(unused, ...used));
}

function timeAsn1(d: Date): forge.asn1.Asn1 {
  return d.getUTCFullYear() < 2050
    ? asn1.create(C.UNIVERSAL, T.UTCTIME, false, asn1.dateToUtcTime(d))
    : asn1.create(C.UNIVERSAL, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));
}

function ipBytes(ip: string): string {
  const v = isIP(ip);
  if (v === 4) return String.fromCharCode(...ip.split('.').map(Number));
  if (v === 6) {
    const [head = '', tail = ''] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
    return groups.map((g) => { const n = parseInt(g, 16); return String.fromCharCode(n >> 8, n & 0xff); }).join('');
  }
  throw new Error(`"${ip}" is not an IP address; put host names in dnsNames`);
}

function toPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}
