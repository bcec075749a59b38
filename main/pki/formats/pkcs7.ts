/**
 * Certificate chains as PKCS#7 / CMS "certs-only" bundles (.p7b): a degenerate
 * SignedData with no signers and no content (RFC 5652 §5, RFC 8551 §3.2.2),
 * the form Windows, OpenSSL and GnuTLS import as a chain. Built and read by pkijs.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CustosError } from '../../errors/index.ts';
import { OID } from '../oids.ts';
import { PEM_LABEL, toPem } from './pem.ts';

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function parseCertificate(der: Uint8Array, index: number): pkijs.Certificate {
  try {
    return pkijs.Certificate.fromBER(toArrayBuffer(der));
  } catch (e) {
    throw new CustosError('INPUT_INVALID', `Chain element ${index + 1} is not a DER X.509 certificate.`, { index }, { cause: e });
  }
}

/** The DER .p7b of the certificates, in the order given (leaf first or root first, as the caller decides). */
export function certificateChainToPkcs7(certsDer: readonly Uint8Array[]): Uint8Array {
  if (certsDer.length === 0) throw new CustosError('INPUT_INVALID', 'A PKCS#7 chain needs at least one certificate.', {});
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    certificates: certsDer.map(parseCertificate),
    digestAlgorithms: [],
    signerInfos: [],
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  const der = new Uint8Array(contentInfo.toSchema().toBER(false));
  // A bundle must carry each certificate byte for byte: a re-encoded one would no longer match its signature.
  const carried = pkcs7ToCertificates(der);
  if (carried.length !== certsDer.length || carried.some((c, i) => !Buffer.from(c).equals(certsDer[i]!))) {
    throw new CustosError('INTERNAL', 'A certificate changed its encoding on its way into the PKCS#7 bundle.', {});
  }
  return der;
}

/** The same bundle as PEM, label PKCS7 (RFC 7468 §8, as OpenSSL writes it). */
export function certificateChainToPkcs7Pem(certsDer: readonly Uint8Array[]): string {
  return toPem(certificateChainToPkcs7(certsDer), PEM_LABEL.pkcs7);
}

/** The certificates of a DER PKCS#7 SignedData, in their order in the bundle. Attribute certificates and CRLs are ignored. */
export function pkcs7ToCertificates(der: Uint8Array): Uint8Array[] {
  let signedData: pkijs.SignedData;
  try {
    const asn1 = asn1js.fromBER(toArrayBuffer(der));
    if (asn1.offset === -1 || asn1.offset !== der.byteLength) throw new Error(asn1.result.error || 'trailing bytes');
    const contentInfo = new pkijs.ContentInfo({ schema: asn1.result });
    if (contentInfo.contentType !== OID.signedData) {
      throw new CustosError('FORMAT_MISMATCH', `This PKCS#7 file holds content type ${contentInfo.contentType}, not SignedData.`, { contentType: contentInfo.contentType });
    }
    signedData = new pkijs.SignedData({ schema: contentInfo.content });
  } catch (e) {
    if (e instanceof CustosError) throw e;
    throw new CustosError('FORMAT_UNKNOWN', `This is not a DER PKCS#7 bundle: ${e instanceof Error ? e.message : String(e)}`, {}, { cause: e });
  }
  return (signedData.certificates ?? [])
    .filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
    .map((c) => new Uint8Array(c.toSchema().toBER(false)));
}
