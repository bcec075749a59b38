/**
 * What a file holds, read from its bytes alone (never from its name): X.509
 * certificate, PKCS#10 request, CRL, PKCS#7 bundle, CV certificate or request,
 * in DER or PEM. Private keys are recognised only to be refused: Custos never
 * reads one. Only the outer structure is looked at, so a million-entry CRL is
 * recognised without being parsed.
 */
import * as asn1js from 'asn1js';
import { readDerHeader, type DerHeader } from '../x509/crl-der.ts';
import { children, decodeTlv, findTag } from '../cvc/tlv.ts';
import { OID } from '../oids.ts';
import { looksLikePem, readPemBlocks } from './pem.ts';

export type FormatKind = 'certificate' | 'csr' | 'crl' | 'pkcs7' | 'cvc' | 'cvc-request' | 'private-key-refused' | 'unknown';
export type Encoding = 'der' | 'pem';

export interface DetectedFormat {
  readonly kind: FormatKind;
  readonly encoding: Encoding;
}

/** PEM labels (RFC 7468 and the traditional OpenSSL ones) and the kind each promises. */
const LABEL_KIND: Readonly<Record<string, FormatKind>> = {
  'CERTIFICATE': 'certificate',
  'X509 CERTIFICATE': 'certificate',
  'TRUSTED CERTIFICATE': 'certificate',
  'CERTIFICATE REQUEST': 'csr',
  'NEW CERTIFICATE REQUEST': 'csr',
  'X509 CRL': 'crl',
  'PKCS7': 'pkcs7',
  'CMS': 'pkcs7',
};

const PRIVATE_KEY_LABEL = /PRIVATE KEY/;

// Tags of the CVC profile (BSI TR-03110 part 3 appendix D.2).
const CVC_CERTIFICATE = 0x7f21;
const CVC_BODY = 0x7f4e;
const CVC_AUTHENTICATION = 0x67;
const CVC_EFFECTIVE_DATE = 0x5f25;
const CVC_EXPIRATION_DATE = 0x5f24;

const SIGNED_DATA_OID_DER = Buffer.from(new asn1js.ObjectIdentifier({ value: OID.signedData }).toBER(false));

/** The direct children of a constructed DER value, at most `limit` (enough to tell structures apart). */
function childHeaders(bytes: Uint8Array, parent: DerHeader, limit = 16): DerHeader[] {
  const out: DerHeader[] = [];
  for (let at = parent.contentStart; at < parent.end && out.length < limit;) {
    const child = readDerHeader(bytes, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

function detectCvc(bytes: Uint8Array): FormatKind {
  const tlv = decodeTlv(bytes);
  if (tlv.tag === CVC_AUTHENTICATION) {
    return findTag(children(tlv), CVC_CERTIFICATE) !== undefined ? 'cvc-request' : 'unknown';
  }
  const body = findTag(children(tlv), CVC_BODY);
  if (body === undefined) return 'unknown';
  const fields = children(body);
  // A certificate carries its validity dates; a request (TR-03110-3 §C.2) has none.
  return findTag(fields, CVC_EFFECTIVE_DATE) !== undefined && findTag(fields, CVC_EXPIRATION_DATE) !== undefined ? 'cvc' : 'cvc-request';
}

function detectAsn1(bytes: Uint8Array): FormatKind {
  const outer = readDerHeader(bytes, 0);
  if (outer.tag !== 0x30 || outer.end !== bytes.length) return 'unknown';
  const top = childHeaders(bytes, outer);
  const tags = top.map((h) => h.tag);
  const at = (i: number): number | undefined => tags[i];

  // ContentInfo (RFC 5652 §3): contentType OID, [0] EXPLICIT content.
  if (top.length === 2 && at(0) === 0x06 && at(1) === 0xa0) {
    return Buffer.from(bytes.subarray(top[0]!.start, top[0]!.end)).equals(SIGNED_DATA_OID_DER) ? 'pkcs7' : 'unknown';
  }
  // SIGNED{...}: to-be-signed SEQUENCE, AlgorithmIdentifier, BIT STRING.
  if (top.length === 3 && at(0) === 0x30 && at(1) === 0x30 && at(2) === 0x03) {
    const tbs = childHeaders(bytes, top[0]!);
    const tbsTags = tbs.map((h) => h.tag);
    // TBSCertList has thisUpdate directly inside (RFC 5280 §5.1); TBSCertificate keeps its times in Validity.
    if (tbsTags.slice(0, 5).some((t) => t === 0x17 || t === 0x18)) return 'crl';
    if (tbsTags[0] === 0xa0 || tbs.length >= 6) return 'certificate';
    // CertificationRequestInfo (RFC 2986 §4.1): version, subject, subjectPKInfo, [0] attributes.
    if (tbs.length === 4 && tbsTags.join() === [0x02, 0x30, 0x30, 0xa0].join()) return 'csr';
    return 'unknown';
  }
  // PrivateKeyInfo / OneAsymmetricKey (RFC 5958): version, AlgorithmIdentifier, OCTET STRING.
  if (at(0) === 0x02 && at(1) === 0x30 && at(2) === 0x04) return 'private-key-refused';
  // EncryptedPrivateKeyInfo (RFC 5958 §3).
  if (top.length === 2 && at(0) === 0x30 && at(1) === 0x04) return 'private-key-refused';
  // ECPrivateKey (RFC 5915 §3): version 1, OCTET STRING key.
  if (at(0) === 0x02 && at(1) === 0x04) return 'private-key-refused';
  // RSAPrivateKey (RFC 8017 A.1.2): version and eight INTEGERs.
  if (top.length >= 9 && tags.slice(0, 9).every((t) => t === 0x02)) return 'private-key-refused';
  return 'unknown';
}

function detectDer(bytes: Uint8Array): FormatKind {
  try {
    if ((bytes[0] === 0x7f && bytes[1] === 0x21) || bytes[0] === CVC_AUTHENTICATION) return detectCvc(bytes);
    return detectAsn1(bytes);
  } catch {
    return 'unknown';
  }
}

function detectPem(bytes: Uint8Array): FormatKind {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  // A key anywhere in the file refuses the whole file, even beside certificates.
  for (const m of text.matchAll(/-----BEGIN ([^\r\n]*?)-----/g)) if (PRIVATE_KEY_LABEL.test(m[1]!)) return 'private-key-refused';
  let blocks;
  try {
    blocks = readPemBlocks(text);
  } catch {
    return 'unknown';
  }
  const first = blocks[0];
  if (first === undefined) return 'unknown';
  const promised = LABEL_KIND[first.label];
  const found = detectDer(first.der);
  if (found === 'private-key-refused') return found;
  // The label and the content must agree; every block must be of the same kind.
  if (promised === undefined || promised !== found) return 'unknown';
  return blocks.every((b) => LABEL_KIND[b.label] === promised) ? found : 'unknown';
}

export function detectFormat(bytes: Uint8Array): DetectedFormat {
  if (looksLikePem(bytes)) return { kind: detectPem(bytes), encoding: 'pem' };
  return { kind: bytes.length === 0 ? 'unknown' : detectDer(bytes), encoding: 'der' };
}
