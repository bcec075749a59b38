/**
 * Reading a DER TBSCertificate back into the schema object, keeping the exact
 * bytes of the fields that are compared byte for byte (names, SPKI).
 */
import { TBSCertificate } from '@peculiar/asn1-x509';
import { fromAsn, isContextTag, rawBytes, readSequence } from './der.ts';
import { CustosError } from '../../errors/index.ts';

export interface ReadTbs {
  readonly der: Uint8Array;
  readonly tbs: TBSCertificate;
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  readonly spkiDer: Uint8Array;
}

/** Throws INPUT_INVALID when the bytes are not exactly one DER TBSCertificate. */
export function readTbs(der: Uint8Array): ReadTbs {
  const read = readSequence(der);
  if ('failure' in read) {
    throw new CustosError('INPUT_INVALID', 'The to-be-signed certificate is not one DER structure.', { field: 'tbsDer' });
  }
  let tbs: TBSCertificate;
  try {
    tbs = fromAsn(read.sequence, TBSCertificate);
  } catch (e) {
    throw new CustosError('INPUT_INVALID', `The to-be-signed certificate does not match RFC 5280's TBSCertificate (${(e as Error).message}).`, { field: 'tbsDer' });
  }
  const { items } = read;
  const first = isContextTag(items[0], 0) ? 1 : 0;
  return { der, tbs, issuerDer: rawBytes(items[first + 2]), subjectDer: rawBytes(items[first + 4]), spkiDer: rawBytes(items[first + 5]) };
}
