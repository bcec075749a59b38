/**
 * Certificate revocation lists (RFC 5280 §5): build the TBSCertList, have a
 * Signer sign it, read one back. Built for size: a CA with a million revoked
 * certificates gets its CRL in seconds, with one buffer for the entry list
 * (see crl-der.ts) and @peculiar/asn1-x509 for everything around it.
 */
import 'reflect-metadata';
import { createHash, createPublicKey, verify as verifySignature, constants as cryptoConstants } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier, AuthorityKeyIdentifier, Certificate, CRLReason, DistributionPointName, Extension,
  GeneralName, InvalidityDate, IssuingDistributionPoint, KeyIdentifier, KeyUsage, KeyUsageFlags,
  RevokedCertificate, SubjectKeyIdentifier, TBSCertList, Time,
} from '@peculiar/asn1-x509';
import { Name } from '@peculiar/x509';
import * as asn1js from 'asn1js';
import { CustosError } from '../../errors/index.ts';
import { describeDerViolation, findDerViolation } from '../formats/strict-der.ts';
import type { SignAlgorithm, Signer } from '../../hsm/token.ts';
import { OID } from '../oids.ts';
import { algorithmIdentifierFor } from './algorithms.ts';
import { derLengthSize, prepareRevokedCertificates, readDerHeader, writeDerHeader, type DerHeader } from './crl-der.ts';
import { crlReasonName, type CrlReason, type RevokedEntry } from './revocation.ts';
import { fromBerSafely } from '../ber.ts';

/** How long a CRL is valid by default: an offline root signs rarely (CA/B Forum BR §4.9.7 allows 12 months for CA CRLs). */
export const CRL_NEXT_UPDATE_DAYS = 365;

/** RFC 5280 §5.2.3: CRL numbers are at most 20 octets. */
const MAX_CRL_NUMBER_OCTETS = 20;

const DAY_MS = 86_400_000;

function toSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

export interface CrlNextUpdate {
  readonly nextUpdate: Date;
  /** True when the requested period ran past the issuer's notAfter and was cut back to it. */
  readonly clipped: boolean;
}

/**
 * thisUpdate plus `days`, cut back to the issuer's notAfter: a CRL must not
 * promise a next issue the issuer cannot sign (its certificate will have
 * expired). Clipping is reported, not silent. Refuses (VALIDITY_EXCEEDS_ISSUER)
 * when the issuer has already expired at thisUpdate, since no period is left.
 */
export function crlNextUpdate(thisUpdate: Date, days: number = CRL_NEXT_UPDATE_DAYS, issuerNotAfter: Date): CrlNextUpdate {
  if (!Number.isFinite(days) || days <= 0) {
    throw new CustosError('VALIDITY_INVALID', `The CRL period must be a positive number of days, not ${days}.`, { days });
  }
  const start = toSeconds(thisUpdate);
  const limit = toSeconds(issuerNotAfter);
  if (start.getTime() >= limit.getTime()) {
    throw new CustosError('VALIDITY_EXCEEDS_ISSUER',
      `The issuer's certificate expires ${limit.toISOString()}, not after this CRL's thisUpdate ${start.toISOString()}: renew the CA certificate first.`,
      { thisUpdate: start.toISOString(), issuerNotAfter: limit.toISOString() });
  }
  const wanted = new Date(start.getTime() + Math.round(days * DAY_MS));
  return wanted.getTime() > limit.getTime() ? { nextUpdate: limit, clipped: true } : { nextUpdate: wanted, clipped: false };
}

export interface CrlTbsParams {
  /** The CA certificate whose key signs the CRL: gives the issuer Name, the AKI and the notAfter bound. */
  readonly issuerCertDer: Uint8Array;
  readonly entries: readonly RevokedEntry[];
  /** Monotonic per issuer (RFC 5280 §5.2.3): the caller takes it from the journal. */
  readonly crlNumber: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** The CRL's signature AlgorithmIdentifier; must be the one signCrl is given (algorithmIdentifierFor). */
  readonly algorithm: AlgorithmIdentifier;
  /** Written as a critical IssuingDistributionPoint with this full name (RFC 5280 §5.2.5). */
  readonly issuingDistributionPoint?: { readonly uri: string };
}

function parseIssuer(der: Uint8Array): Certificate {
  try {
    return AsnConvert.parse(der, Certificate);
  } catch (e) {
    throw new CustosError('INPUT_INVALID', 'The issuer certificate is not a DER X.509 certificate.', {}, { cause: e });
  }
}

function findExtension(cert: Certificate, oid: string): Extension | undefined {
  return cert.tbsCertificate.extensions?.find((x) => x.extnID === oid);
}

/** The issuer's SKI, or RFC 5280 §4.2.1.2 method (1) when the certificate carries none. */
function issuerKeyIdentifier(cert: Certificate): ArrayBuffer {
  const ski = findExtension(cert, OID.subjectKeyIdentifier);
  if (ski !== undefined) return AsnConvert.parse(ski.extnValue, SubjectKeyIdentifier).buffer;
  const digest = createHash('sha1').update(new Uint8Array(cert.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey)).digest();
  return digest.buffer.slice(digest.byteOffset, digest.byteOffset + digest.byteLength) as ArrayBuffer;
}

function crlNumberExtension(crlNumber: bigint): Extension {
  if (typeof crlNumber !== 'bigint' || crlNumber < 0n) {
    throw new CustosError('INPUT_INVALID', 'The CRL number must be a non-negative integer.', {});
  }
  const integer = asn1js.Integer.fromBigInt(crlNumber);
  if (integer.valueBlock.valueHexView.length > MAX_CRL_NUMBER_OCTETS) {
    throw new CustosError('INPUT_INVALID', `The CRL number ${crlNumber} is longer than ${MAX_CRL_NUMBER_OCTETS} octets (RFC 5280 §5.2.3).`, { crlNumber: crlNumber.toString() });
  }
  return new Extension({ extnID: OID.crlNumber, extnValue: new OctetString(integer.toBER()) });
}

function idpExtension(uri: string): Extension {
  // Written verbatim: relying parties match it octet for octet against the
  // certificates' crlDistributionPoints (OpenSSL's "different CRL scope"), so
  // no normalisation. IA5String holds ASCII only (RFC 5280 §4.2.1.6).
  let valid = /^[\x21-\x7e]+$/.test(uri);
  if (valid) {
    try { new URL(uri); } catch { valid = false; }
  }
  if (!valid) {
    throw new CustosError('INPUT_INVALID', `The issuing distribution point "${uri.slice(0, 200)}" is not an ASCII URI.`, { field: 'issuingDistributionPoint.uri' });
  }
  const idp = new IssuingDistributionPoint({
    distributionPoint: new DistributionPointName({ fullName: [new GeneralName({ uniformResourceIdentifier: uri })] }),
  });
  // RFC 5280 §5.2.5: "this extension MUST be marked critical".
  return new Extension({ extnID: OID.issuingDistributionPoint, critical: true, extnValue: new OctetString(AsnConvert.serialize(idp)) });
}

/** The content octets of a DER TLV (after tag and length). */
function contentOf(der: Uint8Array): Uint8Array {
  const header = readDerHeader(der, 0);
  return der.subarray(header.contentStart, header.end);
}

/**
 * The DER TBSCertList (RFC 5280 §5.1.2), version 2, entries sorted by serial.
 *
 * How the pieces meet: @peculiar/asn1-x509 serializes the TBSCertList twice
 * with revokedCertificates absent, once with crlExtensions and once without.
 * Both start with the same content octets (version, signature, issuer,
 * thisUpdate, nextUpdate); what the first has beyond the second is the
 * [0] crlExtensions TLV, the last field. revokedCertificates sits between
 * nextUpdate and crlExtensions (§5.1), so the result is
 *   30 <len(prefix + list + extensions)> prefix list extensions
 * with the outer length recomputed for the spliced content, written once
 * into a buffer sized for it, the list written in place by crl-der.ts.
 */
export function buildCrlTbs(params: CrlTbsParams): Uint8Array {
  const issuer = parseIssuer(params.issuerCertDer);
  const thisUpdate = toSeconds(params.thisUpdate);
  const nextUpdate = toSeconds(params.nextUpdate);
  if (Number.isNaN(thisUpdate.getTime()) || Number.isNaN(nextUpdate.getTime()) || nextUpdate.getTime() <= thisUpdate.getTime()) {
    throw new CustosError('VALIDITY_INVALID', 'The CRL nextUpdate must be a valid date after thisUpdate.', {});
  }
  const notAfter = issuer.tbsCertificate.validity.notAfter.getTime();
  if (nextUpdate.getTime() > notAfter.getTime()) {
    throw new CustosError('VALIDITY_EXCEEDS_ISSUER',
      `The CRL nextUpdate ${nextUpdate.toISOString()} is after the issuer's notAfter ${notAfter.toISOString()}: use crlNextUpdate to clip it.`,
      { nextUpdate: nextUpdate.toISOString(), issuerNotAfter: notAfter.toISOString() });
  }
  const keyUsage = findExtension(issuer, OID.keyUsage);
  if (keyUsage !== undefined && (AsnConvert.parse(keyUsage.extnValue, KeyUsage).toNumber() & KeyUsageFlags.cRLSign) === 0) {
    throw new CustosError('INPUT_INVALID', 'The issuer certificate\'s keyUsage lacks cRLSign, so it may not sign CRLs (RFC 5280 §4.2.1.3).', {});
  }

  const crlExtensions = [
    new Extension({
      extnID: OID.authorityKeyIdentifier,
      extnValue: new OctetString(AsnConvert.serialize(new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuerKeyIdentifier(issuer)) }))),
    }),
    crlNumberExtension(params.crlNumber),
  ];
  if (params.issuingDistributionPoint !== undefined) crlExtensions.push(idpExtension(params.issuingDistributionPoint.uri));

  const list = prepareRevokedCertificates(params.entries);

  const tbs = new TBSCertList({
    version: 1, // v2 (RFC 5280 §5.1.2.1): required when extensions are present.
    signature: params.algorithm,
    issuer: issuer.tbsCertificate.subject,
    thisUpdate: new Time(thisUpdate),
    nextUpdate: new Time(nextUpdate),
    crlExtensions,
  });
  const withExtensions = contentOf(new Uint8Array(AsnConvert.serialize(tbs)));
  tbs.crlExtensions = undefined;
  const prefix = contentOf(new Uint8Array(AsnConvert.serialize(tbs)));
  if (!Buffer.from(withExtensions.buffer, withExtensions.byteOffset, prefix.length).equals(prefix)) {
    throw new CustosError('INTERNAL', 'The TBSCertList serialized differently with and without extensions.');
  }
  const extensions = withExtensions.subarray(prefix.length);

  const contentLength = prefix.length + list.byteLength + extensions.length;
  const out = Buffer.allocUnsafe(1 + derLengthSize(contentLength) + contentLength);
  let offset = writeDerHeader(out, 0, 0x30, contentLength);
  out.set(prefix, offset);
  offset = list.writeTo(out, offset + prefix.length);
  out.set(extensions, offset);
  offset += extensions.length;
  if (offset !== out.length) throw new CustosError('INTERNAL', `The CRL was sized ${out.length} bytes but ${offset} were written.`);
  return out;
}

function hashForNode(algorithm: SignAlgorithm): string {
  return { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' }[algorithm.hash];
}

/** Checks a signature with node:crypto: the token's answer is verified before it is written anywhere. */
export function verifyCrlSignatureBytes(tbsDer: Uint8Array, signature: Uint8Array, spki: Uint8Array, algorithm: SignAlgorithm): boolean {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  const options = algorithm.scheme === 'rsa-pss'
    ? { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.saltLengthBytes }
    : algorithm.scheme === 'ecdsa' ? { key, dsaEncoding: 'der' as const } : { key };
  return verifySignature(hashForNode(algorithm), tbsDer, options, signature);
}

/**
 * Signs a TBSCertList and returns the DER CertificateList (RFC 5280 §5.1).
 * Refuses a TBS whose signature field names another algorithm than the one
 * the token is asked to use, and a signature that does not verify with the
 * signer's public key.
 */
export async function signCrl(tbsDer: Uint8Array, signer: Signer, signAlgorithm: SignAlgorithm): Promise<Uint8Array> {
  const algorithmDer = new Uint8Array(AsnConvert.serialize(algorithmIdentifierFor(signAlgorithm)));
  const tbs = readDerHeader(tbsDer, 0);
  if (tbs.tag !== 0x30 || tbs.end !== tbsDer.length) throw new CustosError('CRL_INVALID', 'The TBSCertList is not one DER SEQUENCE.', {});
  let field = readDerHeader(tbsDer, tbs.contentStart, tbs.end);
  if (field.tag === 0x02) field = readDerHeader(tbsDer, field.end, tbs.end);
  const declared = tbsDer.subarray(field.start, field.end);
  if (!Buffer.from(declared).equals(algorithmDer)) {
    throw new CustosError('CRL_INVALID', 'The TBSCertList names a different signature algorithm than the one the token is asked to use.', {});
  }
  let signature: Uint8Array;
  try {
    signature = await signer.sign(tbsDer, signAlgorithm);
  } catch (e) {
    if (e instanceof CustosError) throw e;
    throw new CustosError('SIGN_FAILED', `The token did not sign the CRL: ${e instanceof Error ? e.message : String(e)}`, {}, { cause: e });
  }
  if (!verifyCrlSignatureBytes(tbsDer, signature, signer.spki, signAlgorithm)) {
    throw new CustosError('SIGNATURE_VERIFY_FAILED', 'The token\'s CRL signature does not verify with its public key: nothing was written.', { spkiSha256: signer.spkiSha256 });
  }
  const bitString = new Uint8Array(new asn1js.BitString({ valueHex: signature }).toBER());
  const contentLength = tbsDer.length + algorithmDer.length + bitString.length;
  const out = Buffer.allocUnsafe(1 + derLengthSize(contentLength) + contentLength);
  let offset = writeDerHeader(out, 0, 0x30, contentLength);
  out.set(tbsDer, offset);
  offset += tbsDer.length;
  out.set(algorithmDer, offset);
  out.set(bitString, offset + algorithmDer.length);
  return out;
}

export interface ParsedCrlEntry {
  readonly serialHex: string;
  readonly revocationDate: Date;
  readonly reason?: CrlReason;
  readonly invalidityDate?: Date;
}

export interface ParsedCrl {
  /** The issuer as RFC 4514 text, for display. */
  readonly issuer: string;
  readonly issuerDer: Uint8Array;
  readonly crlNumber?: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  /** OID of the outer signatureAlgorithm. */
  readonly signatureAlgorithm: string;
  readonly authorityKeyIdentifierHex?: string;
  readonly issuingDistributionPointUris: readonly string[];
  readonly entryCount: number;
  /** The first `maxEntries` entries in CRL order; all of them when entriesTruncated is false. */
  readonly entries: readonly ParsedCrlEntry[];
  readonly entriesTruncated: boolean;
  readonly tbsDer: Uint8Array;
  readonly signature: Uint8Array;
}

export interface ParseCrlOptions {
  /** Entries decoded into objects; the rest are only counted, so a million-entry CRL reads in linear time and little memory. */
  readonly maxEntries?: number;
}

export const DEFAULT_PARSED_CRL_ENTRIES = 1000;

function hexOf(bytes: ArrayBuffer | Uint8Array): string {
  return Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('hex');
}

function parseEntry(der: Uint8Array): ParsedCrlEntry {
  const entry = AsnConvert.parse(der, RevokedCertificate);
  let serialHex = hexOf(entry.userCertificate);
  if (serialHex.length > 2 && serialHex.startsWith('00')) serialHex = serialHex.slice(2);
  let reason: CrlReason | undefined;
  let invalidityDate: Date | undefined;
  for (const x of entry.crlEntryExtensions ?? []) {
    if (x.extnID === OID.crlReason) {
      const code = AsnConvert.parse(x.extnValue, CRLReason).reason;
      reason = crlReasonName(code);
      if (reason === undefined) throw new CustosError('CRL_INVALID', `Serial ${serialHex} has reason code ${code}, which RFC 5280 does not define.`, { serialHex });
    } else if (x.extnID === OID.invalidityDate) {
      invalidityDate = AsnConvert.parse(x.extnValue, InvalidityDate).value;
    }
  }
  return {
    serialHex,
    revocationDate: entry.revocationDate.getTime(),
    ...(reason !== undefined ? { reason } : {}),
    ...(invalidityDate !== undefined ? { invalidityDate } : {}),
  };
}

/**
 * A TBSCertList's revoked list located header by header, and the TBS with the
 * list cut out: what @peculiar/asn1-x509 decodes quickly at any list length
 * (decoding 100,000 entries as objects takes seconds). The list, when present,
 * is the SEQUENCE right after thisUpdate/nextUpdate (RFC 5280 §5.1).
 */
export function splitRevokedList(tbsDer: Uint8Array): { readonly list?: DerHeader; readonly tbsWithoutList: Uint8Array } {
  const tbs = readDerHeader(tbsDer, 0);
  let list: DerHeader | undefined;
  let previousTag = -1;
  for (let offset = tbs.contentStart; offset < tbs.end;) {
    const field = readDerHeader(tbsDer, offset, tbs.end);
    if (field.tag === 0x30 && (previousTag === 0x17 || previousTag === 0x18)) {
      list = field;
      break;
    }
    previousTag = field.tag;
    offset = field.end;
  }
  if (list === undefined) return { tbsWithoutList: tbsDer };
  const before = tbsDer.subarray(tbs.contentStart, list.start);
  const after = tbsDer.subarray(list.end, tbs.end);
  const length = before.length + after.length;
  const rebuilt = new Uint8Array(1 + derLengthSize(length) + length);
  const at = writeDerHeader(rebuilt, 0, 0x30, length);
  rebuilt.set(before, at);
  rebuilt.set(after, at + before.length);
  return { list, tbsWithoutList: rebuilt };
}

/**
 * Reads a DER CRL. The entry list is walked header by header (linear, no
 * object per entry) and only the first maxEntries are decoded; the rest of the
 * TBSCertList goes through @peculiar/asn1-x509 with the list cut out.
 * Does not check the signature: see verifyCrlSignatureBytes.
 */
export function parseCrl(der: Uint8Array, options: ParseCrlOptions = {}): ParsedCrl {
  const maxEntries = options.maxEntries ?? DEFAULT_PARSED_CRL_ENTRIES;
  // DER only, by the same walk as requests and certificates (strict-der.ts); linear, so a million entries cost one pass.
  const violation = findDerViolation(der);
  if (violation) throw new CustosError('CRL_INVALID', `This CRL is not DER: it has ${describeDerViolation(violation)}.`, { found: describeDerViolation(violation) });
  const outer = readDerHeader(der, 0);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new CustosError('CRL_INVALID', 'This is not one DER CertificateList: it has trailing bytes or a wrong tag.', {});
  const tbs = readDerHeader(der, outer.contentStart, outer.end);
  const sigAlg = readDerHeader(der, tbs.end, outer.end);
  const sigBits = readDerHeader(der, sigAlg.end, outer.end);
  if (tbs.tag !== 0x30 || sigAlg.tag !== 0x30 || sigBits.tag !== 0x03 || sigBits.end !== outer.end) {
    throw new CustosError('CRL_INVALID', 'This is not a CertificateList: it needs tbsCertList, signatureAlgorithm and signature.', {});
  }

  const tbsDer = der.subarray(tbs.start, tbs.end);
  const { list, tbsWithoutList } = splitRevokedList(tbsDer);
  let parsed: TBSCertList;
  let algorithm: AlgorithmIdentifier;
  try {
    parsed = AsnConvert.parse(tbsWithoutList, TBSCertList);
    algorithm = AsnConvert.parse(der.subarray(sigAlg.start, sigAlg.end), AlgorithmIdentifier);
  } catch (e) {
    throw new CustosError('CRL_INVALID', `This CRL could not be read: ${e instanceof Error ? e.message : String(e)}`, {}, { cause: e });
  }

  const entries: ParsedCrlEntry[] = [];
  let entryCount = 0;
  if (list !== undefined) {
    let at = list.contentStart;
    while (at < list.end) {
      const entry = readDerHeader(tbsDer, at, list.end);
      if (entry.tag !== 0x30) throw new CustosError('CRL_INVALID', `Revoked entry ${entryCount + 1} is not a SEQUENCE.`, { entry: entryCount + 1 });
      if (entryCount < maxEntries) entries.push(parseEntry(tbsDer.subarray(at, entry.end)));
      entryCount += 1;
      at = entry.end;
    }
  }

  let crlNumber: bigint | undefined;
  let authorityKeyIdentifierHex: string | undefined;
  const idpUris: string[] = [];
  for (const x of parsed.crlExtensions ?? []) {
    if (x.extnID === OID.crlNumber) {
      const integer = fromBerSafely(x.extnValue.buffer).result;
      if (!(integer instanceof asn1js.Integer)) throw new CustosError('CRL_INVALID', 'The CRL number extension does not hold an INTEGER.', {});
      crlNumber = integer.toBigInt();
    } else if (x.extnID === OID.authorityKeyIdentifier) {
      const aki = AsnConvert.parse(x.extnValue, AuthorityKeyIdentifier);
      if (aki.keyIdentifier !== undefined) authorityKeyIdentifierHex = hexOf(aki.keyIdentifier.buffer);
    } else if (x.extnID === OID.issuingDistributionPoint) {
      const idp = AsnConvert.parse(x.extnValue, IssuingDistributionPoint);
      for (const name of idp.distributionPoint?.fullName ?? []) if (name.uniformResourceIdentifier !== undefined) idpUris.push(name.uniformResourceIdentifier);
    }
  }
  const issuerDer = new Uint8Array(AsnConvert.serialize(parsed.issuer));
  const bits = der.subarray(sigBits.contentStart, sigBits.end);
  return {
    issuer: new Name(issuerDer).toString(),
    issuerDer,
    ...(crlNumber !== undefined ? { crlNumber } : {}),
    thisUpdate: parsed.thisUpdate.getTime(),
    ...(parsed.nextUpdate !== undefined ? { nextUpdate: parsed.nextUpdate.getTime() } : {}),
    signatureAlgorithm: algorithm.algorithm,
    ...(authorityKeyIdentifierHex !== undefined ? { authorityKeyIdentifierHex } : {}),
    issuingDistributionPointUris: idpUris,
    entryCount,
    entries,
    entriesTruncated: entryCount > entries.length,
    tbsDer,
    // BIT STRING content: one octet of unused bits (0 for signatures), then the signature.
    signature: bits.subarray(1),
  };
}

