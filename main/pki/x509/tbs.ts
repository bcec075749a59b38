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
import type { SubjectAltNames } from './csr.ts';
import { keyIdentifierOf, type IssuerInfo } from './issuer.ts';
import { keyPurposeOid, type Profile } from './profiles.ts';

const DAY_MS = 86_400_000;

export interface TbsInput {
  readonly profile: Profile;
  readonly subject: Name;
  readonly subjectSpki: Uint8Array;
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
  readonly tbs: TBSCertificate;
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

function keyUsageFlags(profile: Profile, spki: SubjectPublicKeyInfo): number {
  // RFC 8813 §3 / RFC 5480 §3: an EC key cannot encipher keys, so those bits are left out for EC subjects.
  const isEc = spki.algorithm.algorithm === OID.ecPublicKey;
  return profile.keyUsage.usages
    .filter((u) => !(isEc && (u === 'keyEncipherment' || u === 'dataEncipherment')))
    .reduce((flags, u) => flags | KeyUsageFlags[u], 0);
}

function serialBytes(serialHex: string): ArrayBuffer {
  if (!/^([0-9a-f]{2})+$/.test(serialHex)) invalidInput('serial', `The serial "${serialHex}" is not lower-case hex of whole octets.`);
  return new Uint8Array(Buffer.from(serialHex, 'hex')).buffer;
}

function profileExtensions(i: TbsInput, spki: SubjectPublicKeyInfo, ski: Uint8Array): Extension[] {
  const { profile } = i;
  const exts: Extension[] = [];
  const pathLen = i.pathLen ?? profile.basicConstraints.pathLen;
  exts.push(extension(OID.basicConstraints, profile.basicConstraints.critical, new BasicConstraints({
    cA: profile.basicConstraints.ca, ...(profile.basicConstraints.ca && pathLen !== undefined ? { pathLenConstraint: pathLen } : {}),
  })));
  exts.push(extension(OID.keyUsage, profile.keyUsage.critical, new KeyUsage(keyUsageFlags(profile, spki))));
  if (profile.extKeyUsage) {
    exts.push(extension(OID.extKeyUsage, profile.extKeyUsage.critical, new ExtendedKeyUsage(profile.extKeyUsage.purposes.map(keyPurposeOid))));
  }
  if (profile.subjectKeyIdentifier) exts.push(extension(OID.subjectKeyIdentifier, false, new SubjectKeyIdentifier(ski)));
  if (profile.authorityKeyIdentifier) {
    const keyId = i.issuer === 'self' ? ski : (i.issuer.subjectKeyIdentifier ?? keyIdentifierOf(AsnConvert.parse(i.issuer.spki, SubjectPublicKeyInfo).subjectPublicKey));
    exts.push(extension(OID.authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyId) })));
  }
  if (i.subjectAltNames) {
    const names = generalNamesFrom(i.subjectAltNames);
    // RFC 5280 §4.2.1.6: with an empty subject the SAN carries the identity and MUST be critical.
    if (names.length) exts.push(extension(OID.subjectAltName, i.subject.length === 0, new GeneralNames(names)));
  }
  if (profile.crlDistributionPoints) {
    exts.push(extension(OID.crlDistributionPoints, false, new CRLDistributionPoints([new DistributionPoint({
      distributionPoint: new DistributionPointName({ fullName: profile.crlDistributionPoints.map(uri) }),
    })])));
  }
  const aia = profile.authorityInfoAccess;
  if (aia && ((aia.ocsp?.length ?? 0) + (aia.caIssuers?.length ?? 0)) > 0) {
    exts.push(extension(OID.authorityInfoAccess, false, new AuthorityInfoAccessSyntax([
      ...(aia.ocsp ?? []).map((u) => new AccessDescription({ accessMethod: OID.idAdOcsp, accessLocation: uri(u) })),
      ...(aia.caIssuers ?? []).map((u) => new AccessDescription({ accessMethod: OID.idAdCaIssuers, accessLocation: uri(u) })),
    ])));
  }
  if (profile.certificatePolicies) {
    exts.push(extension(OID.certificatePolicies, false, new CertificatePolicies(profile.certificatePolicies.map((policyIdentifier) => new PolicyInformation({ policyIdentifier })))));
  }
  if (profile.nameConstraints) {
    const permittedSubtrees = subtrees(profile.nameConstraints.permitted);
    const excludedSubtrees = subtrees(profile.nameConstraints.excluded);
    exts.push(extension(OID.nameConstraints, profile.nameConstraints.critical, new NameConstraints({
      ...(permittedSubtrees ? { permittedSubtrees } : {}), ...(excludedSubtrees ? { excludedSubtrees } : {}),
    })));
  }
  if (profile.ocspNoCheck) {
    // RFC 6960 §4.2.2.2.1: id-pkix-ocsp-nocheck's value is NULL.
    exts.push(new Extension({ extnID: OID.ocspNoCheck, critical: false, extnValue: new OctetString(new asn1js.Null().toBER()) }));
  }
  return exts;
}

export function buildTbs(i: TbsInput): BuiltTbs {
  let spki: SubjectPublicKeyInfo;
  try {
    spki = AsnConvert.parse(i.subjectSpki, SubjectPublicKeyInfo);
  } catch {
    invalidInput('subjectSpki', 'The subject public key is not a DER SubjectPublicKeyInfo.');
  }
  const ski = keyIdentifierOf(spki.subjectPublicKey);
  const extensions = [...profileExtensions(i, spki, ski), ...(i.requestExtensions ?? [])];
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialBytes(i.serialHex),
    signature: i.signatureAlgorithm,
    issuer: i.issuer === 'self' ? i.subject : i.issuer.subject,
    validity: new Validity({ notBefore: i.notBefore, notAfter: i.notAfter }),
    subject: i.subject,
    subjectPublicKeyInfo: spki,
    extensions: new Extensions(extensions),
  });
  return { der: new Uint8Array(AsnConvert.serialize(tbs)), tbs };
}
