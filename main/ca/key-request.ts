/**
 * A PKCS#10 request for a key that lives on a token (a subordinate CA's key
 * made on the ceremony HSM), signed by the token itself, so the same checks
 * apply to it as to a request that came in on a USB stick.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { SubjectPublicKeyInfo, type Name } from '@peculiar/asn1-x509';
import type { SignAlgorithm, Signer } from '../hsm/token.ts';
import { algorithmIdentifierFor } from '../pki/x509/algorithms.ts';

export async function requestForKey(signer: Pick<Signer, 'spki' | 'sign'>, subject: Name, algorithm: SignAlgorithm): Promise<Uint8Array> {
  const info = new CertificationRequestInfo({
    version: 0,
    subject,
    subjectPKInfo: AsnConvert.parse(signer.spki, SubjectPublicKeyInfo),
  });
  const infoDer = new Uint8Array(AsnConvert.serialize(info));
  const signature = await signer.sign(infoDer, algorithm);
  const request = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: algorithmIdentifierFor(algorithm),
    signature: signature.slice().buffer,
  });
  // Keep the exact info bytes that were signed: a re-encoding must not change them.
  request.certificationRequestInfoRaw = infoDer.slice().buffer;
  return new Uint8Array(AsnConvert.serialize(request));
}
