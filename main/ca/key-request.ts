/**
 * A PKCS#10 request for a key that lives on a token (a subordinate CA's key
 * made on the ceremony HSM), signed by the token itself, so the same checks
 * apply to it as to a request that came in on a USB stick.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { Attribute, Extensions, SubjectPublicKeyInfo, type Extension, type Name } from '@peculiar/asn1-x509';
import { OID } from '../pki/oids.ts';
import type { SignAlgorithm, Signer } from '../hsm/token.ts';
import { algorithmIdentifierFor } from '../pki/x509/algorithms.ts';

export async function requestForKey(signer: Pick<Signer, 'spki' | 'sign'>, subject: Name, algorithm: SignAlgorithm, extensions: readonly Extension[] = []): Promise<Uint8Array> {
  const info = new CertificationRequestInfo({
    version: 0,
    subject,
    subjectPKInfo: AsnConvert.parse(signer.spki, SubjectPublicKeyInfo),
  });
  if (extensions.length > 0) {
    // PKCS#9 extensionRequest (RFC 2985 §5.4.2): the extensions the applicant asks for.
    info.attributes.push(new Attribute({ type: OID.extensionRequest, values: [AsnConvert.serialize(new Extensions([...extensions]))] }));
  }
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
