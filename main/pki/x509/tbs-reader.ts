/**
 * Reading a DER TBSCertificate or Certificate back into the schema objects,
 * keeping the exact bytes of the parts that are compared or hashed byte for
 * byte (the signed TBS, names, SPKI).
 */
import { Certificate, TBSCertificate } from '@peculiar/asn1-x509';
import { CustosError } from '../../errors/index.ts';
import { childrenOf, fromAsn, isContextTag, rawBytes, readSequence, type Asn1Block } from './der.ts';

export interface ReadTbs {
  readonly der: Uint8Array;
  readonly tbs: TBSCertificate;
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  readonly spkiDer: Uint8Array;
}

export interface ReadCertificate extends ReadTbs {
  readonly certificate: Certificate;
  /** The whole certificate; `der` is its TBS. */
  readonly certDer: Uint8Array;
}

// TBSCertificate ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, … }
function parts(items: readonly Asn1Block[]): Pick<ReadTbs, 'issuerDer' | 'subjectDer' | 'spkiDer'> {
  const first = isContextTag(items[0], 0) ? 1 : 0;
  return { issuerDer: rawBytes(items[first + 2]), subjectDer: rawBytes(items[first + 4]), spkiDer: rawBytes(items[first + 5]) };
}

function invalid(what: string, message: string): never {
  throw new CustosError('INPUT_INVALID', message, { field: what });
}

/** Throws INPUT_INVALID when the bytes are not exactly one DER TBSCertificate. */
export function readTbs(der: Uint8Array): ReadTbs {
  const read = readSequence(der);
  if ('failure' in read) invalid('tbsDer', 'The to-be-signed certificate is not one DER structure.');
  let tbs: TBSCertificate;
  try {
    tbs = fromAsn(read.sequence, TBSCertificate);
  } catch (e) {
    invalid('tbsDer', `The to-be-signed certificate does not match RFC 5280's TBSCertificate (${(e as Error).message}).`);
  }
  return { der, tbs, ...parts(read.items) };
}

/** Throws INPUT_INVALID when the bytes are not exactly one DER X.509 certificate. */
export function readCertificate(certDer: Uint8Array): ReadCertificate {
  const read = readSequence(certDer);
  if ('failure' in read || read.items.length !== 3) invalid('certDer', 'The certificate is not one DER structure.');
  let certificate: Certificate;
  try {
    certificate = fromAsn(read.sequence, Certificate);
  } catch (e) {
    invalid('certDer', `The certificate does not match RFC 5280's Certificate (${(e as Error).message}).`);
  }
  return { certDer, certificate, der: rawBytes(read.items[0]), tbs: certificate.tbsCertificate, ...parts(childrenOf(read.items[0])) };
}
