/**
 * A bundle's manifest as CMS SignedData (RFC 5652): the manifest's bytes
 * encapsulated as id-data, signed attributes (content type, message digest,
 * signing time) signed by the bundle-signer key on its token, and the
 * signer's certificate with the CA's chain carried in `certificates`, so
 * `openssl cms -verify` and a verifier with no token can check it alone.
 *
 * Built with @peculiar/asn1-cms, read back and verified with pkijs: two
 * implementations, so a bundle that one of them misreads does not pass.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import {
  Attribute, CertificateChoices, CertificateSet, ContentInfo, DigestAlgorithmIdentifiers, EncapsulatedContent, EncapsulatedContentInfo,
  IssuerAndSerialNumber, MessageDigest, SignedData, SignerIdentifier, SignerInfo, SignerInfos, SigningTime,
} from '@peculiar/asn1-cms';
import { CustosError } from '../errors/index.ts';
import type { HashName, Signer } from '../hsm/token.ts';
import { OID } from '../pki/oids.ts';
import { algorithmIdentifierFor, defaultHash, signAlgorithmFor } from '../pki/x509/algorithms.ts';

/** A manifest lists files, not their bytes: a megabyte is thousands of files. */
export const MAX_MANIFEST_BYTES = 1 << 20;

const HASH_OID: Record<HashName, string> = { 'SHA-256': OID.sha256, 'SHA-384': OID.sha384, 'SHA-512': OID.sha512 };
const NODE_HASH: Record<HashName, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function oidValue(oid: string): ArrayBuffer {
  return new asn1js.ObjectIdentifier({ value: oid }).toBER(false);
}

/**
 * Signs content as CMS SignedData with signer (the bundle-signer key on its
 * token), whose certificate is signerCertDer; chainDer (the CA and its
 * issuers) goes with it. Returns the DER ContentInfo.
 */
export async function signManifest(content: Uint8Array, signer: Pick<Signer, 'sign' | 'spec'>, signerCertDer: Uint8Array, chainDer: readonly Uint8Array[], signingTime: Date): Promise<Uint8Array> {
  const hash = defaultHash(signer.spec);
  const algorithm = signAlgorithmFor(signer.spec, hash);
  const digest = new Uint8Array(createHash(NODE_HASH[hash]).update(content).digest());
  const signerCert = AsnConvert.parse(signerCertDer, Certificate);
  const attributes = [
    new Attribute({ attrType: OID.contentType, attrValues: [oidValue(OID.data)] }),
    new Attribute({ attrType: OID.messageDigest, attrValues: [AsnConvert.serialize(new MessageDigest(digest))] }),
    new Attribute({ attrType: OID.signingTime, attrValues: [AsnConvert.serialize(new SigningTime(signingTime))] }),
  ].map((a) => ({ attribute: a, der: new Uint8Array(AsnConvert.serialize(a)) }))
    // DER orders a SET OF by its members' encodings (X.690 §11.6).
    .sort((a, b) => Buffer.compare(a.der, b.der));
  // What is signed is the attributes' DER as an explicit SET OF, not their [0] IMPLICIT form (RFC 5652 §5.4).
  const toBeSigned = new Uint8Array(new asn1js.Set({ value: attributes.map((a) => asn1js.fromBER(toArrayBuffer(a.der)).result) }).toBER(false));
  const signature = await signer.sign(toBeSigned, algorithm);
  const digestAlgorithm = new AlgorithmIdentifier({ algorithm: HASH_OID[hash] });
  const signerInfo = new SignerInfo({
    version: 1,
    sid: new SignerIdentifier({ issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer: signerCert.tbsCertificate.issuer, serialNumber: signerCert.tbsCertificate.serialNumber }) }),
    digestAlgorithm,
    signedAttrs: attributes.map((a) => a.attribute),
    signatureAlgorithm: algorithmIdentifierFor(algorithm),
    signature: new OctetString(signature),
  });
  const signedData = new SignedData({
    version: 1,
    digestAlgorithms: new DigestAlgorithmIdentifiers([digestAlgorithm]),
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: OID.data, eContent: new EncapsulatedContent({ single: new OctetString(content) }) }),
    certificates: new CertificateSet([signerCertDer, ...chainDer].map((der) => new CertificateChoices({ certificate: AsnConvert.parse(der, Certificate) }))),
    signerInfos: new SignerInfos([signerInfo]),
  });
  const der = new Uint8Array(AsnConvert.serialize(new ContentInfo({ contentType: OID.signedData, content: AsnConvert.serialize(signedData) })));
  // Read back as a verifier will: the token's signature must hold and every certificate travel byte for byte.
  const read = await readSignedManifest(der);
  if (!read.signatureValid || Buffer.compare(read.signerCertificate ?? new Uint8Array(), signerCertDer) !== 0) {
    throw new CustosError('SIGNATURE_VERIFY_FAILED', 'The manifest signature the token made does not verify against the bundle signer\'s certificate: nothing was written. Check that the certificate belongs to this key.', {});
  }
  if (read.certificates.length !== chainDer.length + 1 || !read.certificates.slice(1).every((c, i) => Buffer.compare(c, chainDer[i]!) === 0)) {
    throw new CustosError('INTERNAL', 'A certificate changed its encoding on its way into the manifest.', {});
  }
  return der;
}

export interface SignedManifest {
  /** The encapsulated manifest, as signed. */
  readonly content: Uint8Array;
  /** Every certificate the SignedData carries, in its order. */
  readonly certificates: readonly Uint8Array[];
  /** The certificate the SignerInfo names, when it is among them. */
  readonly signerCertificate: Uint8Array | undefined;
  /** The signature over the signed attributes verifies with that certificate's key, and the message digest is the content's. */
  readonly signatureValid: boolean;
  /** Why it does not, in words. */
  readonly signatureProblem?: string;
  /** The signingTime attribute. */
  readonly signingTime: Date | undefined;
}

function malformed(why: string): CustosError {
  return new CustosError('BUNDLE_MANIFEST_MALFORMED', `The bundle's manifest is not a whole CMS SignedData (${why}): it was cut short or altered. Write the bundle again from the offline CA.`, { reason: why.slice(0, 200) });
}

/** Parses a DER manifest and checks its one signature. BUNDLE_MANIFEST_MALFORMED for anything that is not one whole SignedData with encapsulated content. */
export async function readSignedManifest(der: Uint8Array): Promise<SignedManifest> {
  const asn1 = asn1js.fromBER(toArrayBuffer(der));
  if (asn1.offset === -1) throw malformed(asn1.result.error || 'not DER');
  if (asn1.offset !== der.byteLength) throw malformed('bytes after its end');
  let signedData: pkijs.SignedData;
  try {
    const contentInfo = new pkijs.ContentInfo({ schema: asn1.result });
    if (contentInfo.contentType !== OID.signedData) throw malformed(`content type ${contentInfo.contentType}, not SignedData`);
    signedData = new pkijs.SignedData({ schema: contentInfo.content });
  } catch (e) {
    if (e instanceof CustosError) throw e;
    throw malformed(e instanceof Error ? e.message : String(e));
  }
  if (signedData.signerInfos.length !== 1) throw malformed(`${signedData.signerInfos.length} signers, not one`);
  const eContent = signedData.encapContentInfo.eContent;
  if (signedData.encapContentInfo.eContentType !== OID.data || !eContent) throw malformed('no encapsulated manifest');
  const content = new Uint8Array(eContent.getValue());
  if (content.byteLength > MAX_MANIFEST_BYTES) throw malformed(`a manifest of ${content.byteLength} bytes`);
  const certificates = (signedData.certificates ?? [])
    .filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
    .map((c) => new Uint8Array(c.toSchema().toBER(false)));
  const signerInfo = signedData.signerInfos[0]!;
  const signingTimeAttr = signerInfo.signedAttrs?.attributes.find((a) => a.type === OID.signingTime);
  const time = signingTimeAttr?.values[0] as asn1js.UTCTime | asn1js.GeneralizedTime | undefined;
  const signingTime = time && 'toDate' in time ? time.toDate() : undefined;
  let signerCertificate: Uint8Array | undefined;
  try {
    const result = await signedData.verify({ signer: 0, checkChain: false, extendedMode: true });
    signerCertificate = result.signerCertificate ? new Uint8Array(result.signerCertificate.toSchema().toBER(false)) : undefined;
    if (!result.signatureVerified) return { content, certificates, signerCertificate, signatureValid: false, signatureProblem: result.message || 'the signature does not verify', signingTime };
  } catch (e) {
    const problem = e as { message?: string; signerCertificate?: pkijs.Certificate; code?: number };
    signerCertificate = problem.signerCertificate ? new Uint8Array(problem.signerCertificate.toSchema().toBER(false)) : undefined;
    return { content, certificates, signerCertificate, signatureValid: false, signatureProblem: problem.message ?? String(e), signingTime };
  }
  return { content, certificates, signerCertificate, signatureValid: true, signingTime };
}
