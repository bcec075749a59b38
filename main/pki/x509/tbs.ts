/**
 * Building the TBSCertificate a CA will sign, from a profile and checked
 * inputs. Pure: no clock, no randomness, no token. The builder writes what it
 * is given; lint.ts decides whether it may be signed.
 */
import * as asn1js from 'asn1js';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies,
  CRLDistributionPoints, DistributionPoint, DistributionPointName, ExtendedKeyUsage, Extension, Extensions, GeneralName,
  GeneralNames, GeneralSubtree, GeneralSubtrees, KeyIdentifier, KeyUsage, KeyUsageFlags, NameConstraints, PolicyInformation,
  SubjectKeyIdentifier, SubjectPublicKeyInfo, TBSCertificate, Validity, Version, type AlgorithmIdentifier, type Name,
} from '@peculiar/asn1-x509';
import { CustosError } from '../../errors/index.ts';
import { OID } from '../oids.ts';
import type { SubjectAltNames, SubjectKey } from './csr.ts';
import { keyIdentifierOf, type IssuerInfo } from './issuer.ts';
import { keyPurposeOid, type Profile } from './profiles.ts';
import { joinDer, TAG_CONTEXT_0, TAG_CONTEXT_3, TAG_SEQUENCE } from './der-join.ts';
import { encodedAlgorithm } from './algorithms.ts';
import { remember } from '../../bounded-cache.ts';

const DAY_MS = 86_400_000;

export interface TbsInput {
  readonly profile: Profile;
  readonly subject: Name;
  readonly subjectSpki: Uint8Array;
  /** subjectSpki decoded and in DER already, when the caller has it (a request's key). */
  readonly subjectKey?: SubjectKey;
  /** 'self' for a self-signed root: issuer name and key identifier are the subject's own. */
  readonly issuer: IssuerInfo | 'self';
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** From algorithms.ts: the same identifier the signature will be made with. */
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly subjectAltNames?: SubjectAltNames;
  /** Requested extensions the profile allows, copied as they were asked for. */
  readonly requestExtensions?: readonly Extension[];
  /** Replaces the profile's basicConstraints pathLen (a subordinate CA's depth). */
  readonly pathLen?: number;
}

export interface BuiltTbs {
  readonly der: Uint8Array;
  /** The object lint reads; der is its encoding. */
  readonly tbs: TBSCertificate;
  /** The parts lint compares byte for byte, as they appear in der. */
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  readonly spkiDer: Uint8Array;
}

export interface ValidityPeriod {
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly days: number;
}

/**
 * The validity for a new certificate, starting now (whole seconds). A period of
 * N days ends one second before N×24 h later, since notAfter is inclusive
 * (RFC 5280 §4.1.2.5; CA/Browser Forum BR §1.6.1 "Validity Period").
 * Refuses rather than shortens: VALIDITY_INVALID past the profile's maximum,
 * VALIDITY_EXCEEDS_ISSUER past the issuer's notAfter.
 */
export function validityFor(profile: Profile, requestedDays: number | undefined, issuerNotAfter: Date | undefined, now: Date): ValidityPeriod {
  const days = requestedDays ?? profile.validity.defaultDays;
  if (!Number.isInteger(days) || days < 1) {
    throw new CustosError('VALIDITY_INVALID', `The validity must be a whole number of days, at least 1 (got ${days}).`, { field: 'validityDays', days });
  }
  if (days > profile.validity.maxDays) {
    throw new CustosError('VALIDITY_INVALID', `The profile "${profile.id}" allows at most ${profile.validity.maxDays} days; ${days} were asked for.`, { field: 'validityDays', days, maxDays: profile.validity.maxDays, profileId: profile.id });
  }
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + days * DAY_MS - 1000);
  if (issuerNotAfter && notAfter.getTime() > issuerNotAfter.getTime()) {
    const fitDays = Math.floor((issuerNotAfter.getTime() - notBefore.getTime() + 1000) / DAY_MS);
    throw new CustosError('VALIDITY_EXCEEDS_ISSUER',
      `A ${days}-day certificate would end on ${notAfter.toISOString()}, after its issuer ends on ${issuerNotAfter.toISOString()}; choose at most ${Math.max(fitDays, 0)} days or renew the issuer first.`,
      { field: 'validityDays', days, notAfter: notAfter.toISOString(), issuerNotAfter: issuerNotAfter.toISOString(), maxDays: Math.max(fitDays, 0) });
  }
  return { notBefore, notAfter, days };
}

export function extension(oid: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID: oid, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

function uri(value: string): GeneralName {
  return new GeneralName({ uniformResourceIdentifier: value });
}

function invalidInput(field: string, message: string): never {
  throw new CustosError('INPUT_INVALID', message, { field });
}

export function generalNamesFrom(san: SubjectAltNames): GeneralName[] {
  const names: GeneralName[] = [];
  for (const dns of san.dns) names.push(new GeneralName({ dNSName: dns }));
  for (const ip of san.ip) {
    const name = new GeneralName({ iPAddress: ip });
    try { AsnConvert.serialize(name); } catch { invalidInput('subjectAltName', `"${ip}" is not an IP address.`); }
    names.push(name);
  }
  for (const email of san.email) names.push(new GeneralName({ rfc822Name: email }));
  for (const u of san.uri) names.push(uri(u));
  return names;
}

function subtrees(spec: { dns?: string[]; email?: string[]; ip?: string[] } | undefined): GeneralSubtrees | undefined {
  if (!spec) return undefined;
  const names = [
    ...(spec.dns ?? []).map((d) => new GeneralName({ dNSName: d })),
    ...(spec.email ?? []).map((e) => new GeneralName({ rfc822Name: e })),
    // RFC 5280 §4.2.1.10: an iPAddress subtree is address then mask; the converter writes "a.b.c.d/len" so.
    ...(spec.ip ?? []).map((ip) => new GeneralName({ iPAddress: ip })),
  ];
  return names.length ? new GeneralSubtrees(names.map((base) => new GeneralSubtree({ base }))) : undefined;
}

function keyUsageFlags(profile: Profile, isEc: boolean): number {
  // RFC 8813 §3 / RFC 5480 §3: an EC key cannot encipher keys, so those bits are left out for EC subjects.
  return profile.keyUsage.usages
    .filter((u) => !(isEc && (u === 'keyEncipherment' || u === 'dataEncipherment')))
    .reduce((flags, u) => flags | KeyUsageFlags[u], 0);
}

function serialBytes(serialHex: string): ArrayBuffer {
  if (!/^([0-9a-f]{2})+$/.test(serialHex)) invalidInput('serial', `The serial "${serialHex}" is not lower-case hex of whole octets.`);
  return new Uint8Array(Buffer.from(serialHex, 'hex')).buffer;
}

/** An extension with its DER, so a certificate's bytes can be joined from parts encoded once. */
export interface EncodedExtension {
  readonly ext: Extension;
  readonly der: Uint8Array;
}

function encoded(ext: Extension): EncodedExtension {
  return { ext, der: new Uint8Array(AsnConvert.serialize(ext)) };
}

/** The profile's extensions that are the same for every certificate one issuer makes under it for one kind of key. */
interface FixedExtensions {
  /** basicConstraints, keyUsage, extKeyUsage: before the subjectKeyIdentifier. */
  readonly head: readonly EncodedExtension[];
  /** authorityKeyIdentifier, when the issuer is not the subject itself. */
  readonly aki?: EncodedExtension;
  /** crlDistributionPoints, authorityInfoAccess, certificatePolicies, nameConstraints, ocsp-nocheck: after the subjectAltName. */
  readonly tail: readonly EncodedExtension[];
}

const FIXED_CACHE_ENTRIES = 32;
const fixedCache = new WeakMap<Profile, Map<string, FixedExtensions>>();

function fixedExtensions(profile: Profile, isEc: boolean, pathLen: number | undefined, issuerKeyId: Uint8Array | undefined): FixedExtensions {
  const key = `${isEc}|${pathLen ?? '-'}|${issuerKeyId ? Buffer.from(issuerKeyId).toString('hex') : 'self'}`;
  const byKey = fixedCache.get(profile) ?? new Map<string, FixedExtensions>();
  fixedCache.set(profile, byKey);
  const hit = byKey.get(key);
  if (hit) return hit;
  const head: EncodedExtension[] = [];
  head.push(encoded(extension(OID.basicConstraints, profile.basicConstraints.critical, new BasicConstraints({
    cA: profile.basicConstraints.ca, ...(profile.basicConstraints.ca && pathLen !== undefined ? { pathLenConstraint: pathLen } : {}),
  }))));
  head.push(encoded(extension(OID.keyUsage, profile.keyUsage.critical, new KeyUsage(keyUsageFlags(profile, isEc)))));
  if (profile.extKeyUsage) {
    head.push(encoded(extension(OID.extKeyUsage, profile.extKeyUsage.critical, new ExtendedKeyUsage(profile.extKeyUsage.purposes.map(keyPurposeOid)))));
  }
  const aki = profile.authorityKeyIdentifier && issuerKeyId
    ? encoded(extension(OID.authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuerKeyId) })))
    : undefined;
  const tail: EncodedExtension[] = [];
  if (profile.crlDistributionPoints) {
    tail.push(encoded(extension(OID.crlDistributionPoints, false, new CRLDistributionPoints([new DistributionPoint({
      distributionPoint: new DistributionPointName({ fullName: profile.crlDistributionPoints.map(uri) }),
    })]))));
  }
  const aia = profile.authorityInfoAccess;
  if (aia && ((aia.ocsp?.length ?? 0) + (aia.caIssuers?.length ?? 0)) > 0) {
    tail.push(encoded(extension(OID.authorityInfoAccess, false, new AuthorityInfoAccessSyntax([
      ...(aia.ocsp ?? []).map((u) => new AccessDescription({ accessMethod: OID.idAdOcsp, accessLocation: uri(u) })),
      ...(aia.caIssuers ?? []).map((u) => new AccessDescription({ accessMethod: OID.idAdCaIssuers, accessLocation: uri(u) })),
    ]))));
  }
  if (profile.certificatePolicies) {
    tail.push(encoded(extension(OID.certificatePolicies, false, new CertificatePolicies(profile.certificatePolicies.map((policyIdentifier) => new PolicyInformation({ policyIdentifier }))))));
  }
  if (profile.nameConstraints) {
    const permittedSubtrees = subtrees(profile.nameConstraints.permitted);
    const excludedSubtrees = subtrees(profile.nameConstraints.excluded);
    tail.push(encoded(extension(OID.nameConstraints, profile.nameConstraints.critical, new NameConstraints({
      ...(permittedSubtrees ? { permittedSubtrees } : {}), ...(excludedSubtrees ? { excludedSubtrees } : {}),
    }))));
  }
  if (profile.ocspNoCheck) {
    // RFC 6960 §4.2.2.2.1: id-pkix-ocsp-nocheck's value is NULL.
    tail.push(encoded(new Extension({ extnID: OID.ocspNoCheck, critical: false, extnValue: new OctetString(new asn1js.Null().toBER()) })));
  }
  return remember(byKey, key, { head, ...(aki ? { aki } : {}), tail }, FIXED_CACHE_ENTRIES);
}

function profileExtensions(i: TbsInput, spki: SubjectPublicKeyInfo, ski: Uint8Array): EncodedExtension[] {
  const { profile } = i;
  const isEc = spki.algorithm.algorithm === OID.ecPublicKey;
  const issuerKeyId = i.issuer === 'self' ? undefined
    : (i.issuer.subjectKeyIdentifier ?? keyIdentifierOf(AsnConvert.parse(i.issuer.spki, SubjectPublicKeyInfo).subjectPublicKey));
  const fixed = fixedExtensions(profile, isEc, i.pathLen ?? profile.basicConstraints.pathLen, issuerKeyId);
  const exts = [...fixed.head];
  if (profile.subjectKeyIdentifier) exts.push(encoded(extension(OID.subjectKeyIdentifier, false, new SubjectKeyIdentifier(ski))));
  if (profile.authorityKeyIdentifier) {
    // A self-signed root names its own key.
    exts.push(fixed.aki ?? encoded(extension(OID.authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(ski) }))));
  }
  if (i.subjectAltNames) {
    const names = generalNamesFrom(i.subjectAltNames);
    // RFC 5280 §4.2.1.6: with an empty subject the SAN carries the identity and MUST be critical.
    if (names.length) exts.push(encoded(extension(OID.subjectAltName, i.subject.length === 0, new GeneralNames(names))));
  }
  exts.push(...fixed.tail);
  return exts;
}

// TBSCertificate.version: [0] EXPLICIT INTEGER 2 (v3).
const VERSION_V3 = joinDer(TAG_CONTEXT_0, [new Uint8Array(new asn1js.Integer({ value: Version.v3 }).toBER())]);

export function buildTbs(i: TbsInput): BuiltTbs {
  let spki: SubjectPublicKeyInfo;
  try {
    spki = i.subjectKey?.info ?? AsnConvert.parse(i.subjectSpki, SubjectPublicKeyInfo);
  } catch {
    invalidInput('subjectSpki', 'The subject public key is not a DER SubjectPublicKeyInfo.');
  }
  const ski = keyIdentifierOf(spki.subjectPublicKey);
  const extensions = [...profileExtensions(i, spki, ski), ...(i.requestExtensions ?? []).map(encoded)];
  const issuer = i.issuer === 'self' ? i.subject : i.issuer.subject;
  const validity = new Validity({ notBefore: i.notBefore, notAfter: i.notAfter });
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialBytes(i.serialHex),
    signature: i.signatureAlgorithm,
    issuer,
    validity,
    subject: i.subject,
    subjectPublicKeyInfo: spki,
    extensions: new Extensions(extensions.map((e) => e.ext)),
  });
  // The subject and its key are encoded afresh (a request may carry BER; a certificate is DER): the
  // key by OpenSSL when the caller has it so (subjectKey), else by the schema library. The issuer
  // name is joined as the exact bytes of the issuer certificate's subject: chaining compares names
  // byte for byte (RFC 5280 §4.1.2.4).
  const subjectDer = new Uint8Array(AsnConvert.serialize(i.subject));
  const spkiDer = i.subjectKey?.der ?? new Uint8Array(AsnConvert.serialize(spki));
  const issuerDer = i.issuer === 'self' ? subjectDer : i.issuer.subjectDer;
  const der = joinDer(TAG_SEQUENCE, [
    VERSION_V3,
    new Uint8Array(new asn1js.Integer({ valueHex: tbs.serialNumber }).toBER()),
    encodedAlgorithm(tbs.signature),
    issuerDer,
    new Uint8Array(AsnConvert.serialize(validity)),
    subjectDer,
    spkiDer,
    joinDer(TAG_CONTEXT_3, [joinDer(TAG_SEQUENCE, extensions.map((e) => e.der))]),
  ]);
  return { der, tbs, issuerDer, subjectDer, spkiDer };
}
