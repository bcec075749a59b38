/**
 * Signing a linted TBS with a token's Signer, and checking the result with
 * node:crypto before anyone sees it: a token that returns a wrong signature
 * must not leave a certificate behind.
 */
import { verify as verifySignature } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { CustosError } from '../../errors/index.ts';
import type { SignAlgorithm, Signer } from '../../hsm/token.ts';
import { algorithmIdentifierFor } from './algorithms.ts';
import { publicKeyFromSpki } from './keys.ts';
import { lintedBytes, type Linted } from './lint.ts';
import { nodeVerifyParams } from './signature.ts';
import { readCertificate, type ReadCertificate } from './tbs-reader.ts';

const sameBytes = (a: ArrayBuffer | Uint8Array, b: ArrayBuffer | Uint8Array): boolean =>
  Buffer.compare(a instanceof Uint8Array ? a : new Uint8Array(a), b instanceof Uint8Array ? b : new Uint8Array(b)) === 0;

function verifyFailed(message: string): never {
  throw new CustosError('SIGNATURE_VERIFY_FAILED', message, {});
}

/** Certificate = linted TBS + its own signature AlgorithmIdentifier + the signature (RFC 5280 §4.1). */
export function finishCertificate(linted: Linted, signature: Uint8Array): Uint8Array {
  const tbsDer = lintedBytes(linted);
  const der = new Uint8Array(AsnConvert.serialize(new Certificate({
    tbsCertificate: linted.tbs,
    signatureAlgorithm: linted.tbs.signature,
    signatureValue: new Uint8Array(signature).buffer,
  })));
  // The TBS is written again from its parsed form: make sure it is still exactly the linted bytes.
  // The TBS is the first element, right after the outer SEQUENCE header (2 to 5 octets for any real size).
  const at = Buffer.from(der.buffer, der.byteOffset, der.byteLength).indexOf(tbsDer);
  if (at < 2 || at > 5) throw new CustosError('INTERNAL', 'The certificate would not carry the exact bytes that were linted; nothing was issued.', {});
  return der;
}

/** Verifies an issued certificate's signature with the issuer's public key; SIGNATURE_VERIFY_FAILED otherwise. */
export function verifyIssued(certDer: Uint8Array, issuerSpkiDer: Uint8Array): void {
  let read: ReadCertificate;
  try {
    read = readCertificate(certDer);
  } catch {
    verifyFailed('The certificate is not one DER X.509 certificate.');
  }
  const cert = read.certificate;
  // RFC 5280 §4.1.1.2: the outer signatureAlgorithm must equal the TBS signature field.
  if (!sameBytes(AsnConvert.serialize(cert.signatureAlgorithm), AsnConvert.serialize(cert.tbsCertificate.signature))) {
    verifyFailed('The certificate\u2019s two signature algorithm fields differ.');
  }
  const params = nodeVerifyParams(cert.signatureAlgorithm);
  if (!params) verifyFailed(`The signature algorithm ${cert.signatureAlgorithm.algorithm} cannot be verified.`);
  const tbsBytes = read.der;
  let valid = false;
  try {
    valid = verifySignature(params.hash, tbsBytes, { key: publicKeyFromSpki(issuerSpkiDer), ...params.options }, new Uint8Array(cert.signatureValue));
  } catch {
    valid = false;
  }
  if (!valid) verifyFailed('The certificate\u2019s signature does not verify with the issuer\u2019s public key.');
}

/**
 * Signs a linted TBS on the token and returns the certificate DER, verified
 * against the signer's public key. The algorithm must be the one the TBS names.
 */
export async function signTbs(linted: Linted, signer: Signer, algorithm: SignAlgorithm): Promise<Uint8Array> {
  const tbsDer = lintedBytes(linted);
  if (!sameBytes(AsnConvert.serialize(algorithmIdentifierFor(algorithm)), AsnConvert.serialize(linted.tbs.signature))) {
    throw new CustosError('INPUT_INVALID', 'The signature algorithm asked for is not the one the certificate names; build the TBS with the same algorithm.', { field: 'algorithm' });
  }
  const signature = await signer.sign(tbsDer, algorithm);
  const der = finishCertificate(linted, signature);
  verifyIssued(der, signer.spki);
  return der;
}
