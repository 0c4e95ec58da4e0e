/**
 * Just enough DER reading to find fields in certificates and public keys we
 * made or were given (RFC 5280 structures), without decoding the rest: forge's
 * full ASN.1 parse of a certificate costs ~0.1 ms, and an operator restart
 * reads two CAs for every fake cluster.
 */

export interface Tlv {
  readonly tag: number;
  /** Where the whole element (tag, length, content) starts and ends. */
  readonly start: number;
  readonly end: number;
  /** Where its content starts. */
  readonly contentStart: number;
}

/** The element that starts at `offset`; throws on a truncated or indefinite-length encoding. */
export function readTlv(der: Uint8Array, offset: number): Tlv {
  const tag = der[offset];
  let lengthByte = der[offset + 1];
  if (tag === undefined || lengthByte === undefined) throw new Error(`DER truncated at byte ${offset}`);
  let contentStart = offset + 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const octets = lengthByte & 0x7f;
    if (octets === 0 || octets > 4) throw new Error(`DER length of ${octets} octets at byte ${offset} is not supported`);
    length = 0;
    for (let i = 0; i < octets; i++) {
      lengthByte = der[contentStart + i];
      if (lengthByte === undefined) throw new Error(`DER truncated at byte ${contentStart + i}`);
      length = length * 256 + lengthByte;
    }
    contentStart += octets;
  }
  const end = contentStart + length;
  if (end > der.length) throw new Error(`DER element at byte ${offset} runs past the end (${end} > ${der.length})`);
  return { tag, start: offset, end, contentStart };
}

/** The elements inside a constructed element (a SEQUENCE's fields). */
export function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readTlv(der, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

const CONTEXT_0 = 0xa0;

/** A certificate's subject Name, as its DER bytes (what a certificate it signs names as issuer). */
export function certificateSubjectDer(certDer: Uint8Array): Uint8Array {
  const tbs = readTlv(certDer, readTlv(certDer, 0).contentStart);
  const fields = children(certDer, tbs);
  // TBSCertificate: [0] version (optional), serialNumber, signature, issuer, validity, subject, …
  const first = fields[0]?.tag === CONTEXT_0 ? 1 : 0;
  const subject = fields[first + 4];
  if (!subject) throw new Error('not an X.509 certificate: its TBSCertificate has no subject');
  return certDer.subarray(subject.start, subject.end);
}

/** The subjectPublicKey bits of a SubjectPublicKeyInfo, without the unused-bits octet. */
export function subjectPublicKeyBits(spkiDer: Uint8Array): Uint8Array {
  const bitString = children(spkiDer, readTlv(spkiDer, 0))[1];
  if (!bitString) throw new Error('not a SubjectPublicKeyInfo: no subjectPublicKey');
  return spkiDer.subarray(bitString.contentStart + 1, bitString.end);
}
