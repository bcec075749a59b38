/**
 * Planning a certificate: everything up to the signature, with no I/O. The
 * CA service records the plan, shows plan.preview, then calls
 * signTbs(plan.linted, signer, plan.algorithm).
 */
import { OctetString } from '@peculiar/asn1-schema';
import { Extension, Name } from '@peculiar/asn1-x509';
import { CustosError } from '../../errors/index.ts';
import type { HashName, KeySpec, SignAlgorithm } from '../../hsm/token.ts';
import { OID } from '../oids.ts';
import { algorithmIdentifierFor, defaultHash, signAlgorithmFor } from './algorithms.ts';
import { subjectKeyOf, subjectNameOf, type CsrInfo, type SubjectAltNames } from './csr.ts';
import { EXTENSION_NAMES } from './extensions.ts';
import { readIssuer } from './issuer.ts';
import { describeKeySpec, publicKeyFromSpki, publicKeySpec, type PublicKeySpec } from './keys.ts';
import { buildLinted, type LintFinding, type Linted } from './lint.ts';
import { nameFromAttributes, type NameAttributeInput } from './names.ts';
import { describeReadTbs, type TbsDescription } from './preview.ts';
import type { Profile } from './profiles.ts';
import { validityFor } from './tbs.ts';

export { finishCertificate, signTbs, verifyIssued } from './sign.ts';

export type SubjectInput = Name | readonly (NameAttributeInput | readonly NameAttributeInput[])[];

export interface DroppedExtension {
  readonly oid: string;
  readonly name: string;
  readonly critical: boolean;
  readonly reason: string;
}

export interface CertificatePlan {
  /** The exact bytes lint passed and the token will sign. */
  readonly tbsDer: Uint8Array;
  readonly linted: Linted;
  /** Lint warnings (errors stop planning with LINT_FAILED). */
  readonly findings: readonly LintFinding[];
  readonly preview: TbsDescription;
  /** What the request asked for that the profile did not take. */
  readonly droppedRequestExtensions: readonly DroppedExtension[];
  /** Pass to signTbs: the algorithm the TBS names. */
  readonly algorithm: SignAlgorithm;
}

export interface RootPlanInput {
  readonly profile: Profile;
  readonly subject: SubjectInput;
  readonly signerSpki: Uint8Array;
  readonly spec: KeySpec;
  readonly serial: string;
  readonly now: Date;
  readonly validityDays?: number;
}

export interface IssuedPlanInput {
  readonly profile: Profile;
  readonly csr: CsrInfo;
  readonly issuerCertDer: Uint8Array;
  readonly issuerSpki: Uint8Array;
  readonly serial: string;
  readonly now: Date;
  readonly validityDays?: number;
  /** Replaces the request's subject (the CA decides the name; the request proves the key). */
  readonly subjectOverride?: SubjectInput;
  /** A subordinate CA's pathLenConstraint, replacing the profile's. */
  readonly pathLen?: number;
}

function toName(subject: SubjectInput): Name {
  return subject instanceof Name ? subject : nameFromAttributes(subject);
}

function algorithmFor(profile: Profile, spec: KeySpec): SignAlgorithm {
  const hash: HashName = profile.signature?.hash ?? defaultHash(spec);
  return signAlgorithmFor(spec, hash, profile.signature?.scheme ?? 'pkcs1');
}

function isAllowedKey(profile: Profile, spec: PublicKeySpec): boolean {
  if (spec.kind === 'rsa') return (profile.allowedKeySpecs.rsaBits as number[]).includes(spec.bits);
  if (spec.kind === 'ec') return profile.allowedKeySpecs.ecCurves.includes(spec.curve);
  return false;
}

function requireAllowedKey(profile: Profile, spec: PublicKeySpec, whose: string): void {
  if (isAllowedKey(profile, spec)) return;
  const allowed = [...profile.allowedKeySpecs.rsaBits.map((b) => `RSA ${b}`), ...profile.allowedKeySpecs.ecCurves.map((c) => `EC ${c}`)].join(', ');
  throw new CustosError('KEY_SPEC_UNSUPPORTED', `The profile "${profile.id}" does not certify ${whose} ${describeKeySpec(spec)} keys; it allows ${allowed}.`, { profileId: profile.id, key: describeKeySpec(spec) });
}

/** A KeySpec the token layer can sign with, from an issuer key read from its certificate. */
function signingSpec(spec: PublicKeySpec): KeySpec {
  if (spec.kind === 'ec') return spec;
  if (spec.kind === 'rsa' && (spec.bits === 2048 || spec.bits === 3072 || spec.bits === 4096)) return { kind: 'rsa', bits: spec.bits };
  throw new CustosError('KEY_SPEC_UNSUPPORTED', `The issuer key (${describeKeySpec(spec)}) is not one Custos signs with.`, { key: describeKeySpec(spec) });
}

function finishPlan(linted: Linted, algorithm: SignAlgorithm, dropped: DroppedExtension[], subjectKey: PublicKeySpec): CertificatePlan {
  return { tbsDer: linted.tbsDer, linted, findings: linted.findings, preview: describeReadTbs(linted, subjectKey), droppedRequestExtensions: dropped, algorithm };
}

export function planRootCertificate(input: RootPlanInput): CertificatePlan {
  const { profile } = input;
  if (profile.kind !== 'root') throw new CustosError('INPUT_INVALID', `The profile "${profile.id}" is not for a root CA.`, { field: 'profile', profileId: profile.id });
  let keySpec: PublicKeySpec;
  try {
    keySpec = publicKeySpec(publicKeyFromSpki(input.signerSpki));
  } catch {
    throw new CustosError('INPUT_INVALID', 'The signer public key is not a DER SubjectPublicKeyInfo.', { field: 'signerSpki' });
  }
  if (describeKeySpec(keySpec) !== describeKeySpec(input.spec)) {
    throw new CustosError('INPUT_INVALID', `The signer key is ${describeKeySpec(keySpec)} but ${describeKeySpec(input.spec)} was named.`, { field: 'spec' });
  }
  requireAllowedKey(profile, keySpec, 'root');
  const algorithm = algorithmFor(profile, input.spec);
  const validity = validityFor(profile, input.validityDays, undefined, input.now);
  const linted = buildLinted({
    profile, subject: toName(input.subject), subjectSpki: input.signerSpki, issuer: 'self', serialHex: input.serial,
    notBefore: validity.notBefore, notAfter: validity.notAfter, signatureAlgorithm: algorithmIdentifierFor(algorithm),
  }, 'self');
  return finishPlan(linted, algorithm, [], keySpec);
}

function takeRequestExtensions(profile: Profile, csr: CsrInfo): { san?: SubjectAltNames; copied: Extension[]; dropped: DroppedExtension[] } {
  const dropped: DroppedExtension[] = [];
  const copied: Extension[] = [];
  let san: SubjectAltNames | undefined;
  for (const ext of csr.requestedExtensions) {
    const name = EXTENSION_NAMES[ext.oid] ?? ext.oid;
    const allowed = profile.allowedRequestExtensions.includes(ext.oid) || (ext.oid === OID.subjectAltName && profile.allowedRequestExtensions.includes('subjectAltName'));
    if (!allowed) {
      dropped.push({ oid: ext.oid, name, critical: ext.critical, reason: `The profile "${profile.id}" does not take ${name} from a request.` });
    } else if (ext.oid === OID.subjectAltName) {
      san = csr.subjectAltNames;
      const taken = san.dns.length + san.ip.length + san.email.length + san.uri.length;
      const asked = Array.isArray(ext.value) ? ext.value.length : 0;
      if (taken < asked) {
        dropped.push({ oid: ext.oid, name, critical: ext.critical, reason: `${asked - taken} subjectAltName entr${asked - taken === 1 ? 'y was' : 'ies were'} left out: only DNS, IP, email and URI names are taken.` });
      }
    } else {
      const der = csr.requestedExtensionsDer[ext.oid]!;
      copied.push(new Extension({ extnID: ext.oid, critical: der.critical, extnValue: new OctetString(der.value) }));
    }
  }
  return { ...(san ? { san } : {}), copied, dropped };
}

export function planIssuedCertificate(input: IssuedPlanInput): CertificatePlan {
  const { profile, csr } = input;
  if (profile.kind === 'root') throw new CustosError('INPUT_INVALID', `The profile "${profile.id}" is for self-signed roots, not for issuing from a request.`, { field: 'profile', profileId: profile.id });
  const issuer = readIssuer(input.issuerCertDer);
  if (Buffer.compare(issuer.spki, input.issuerSpki) !== 0) {
    throw new CustosError('INPUT_INVALID', 'The signing key is not the key of the issuer certificate: choose the CA key that matches it.', { field: 'issuerSpki' });
  }
  requireAllowedKey(profile, csr.keySpec, 'requested');
  const algorithm = algorithmFor(profile, signingSpec(issuer.keySpec));
  const validity = validityFor(profile, input.validityDays, issuer.notAfter, input.now);
  const { san, copied, dropped } = takeRequestExtensions(profile, csr);
  const linted = buildLinted({
    profile,
    subject: input.subjectOverride ? toName(input.subjectOverride) : subjectNameOf(csr),
    subjectSpki: csr.spki,
    subjectKey: subjectKeyOf(csr),
    issuer,
    serialHex: input.serial,
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
    signatureAlgorithm: algorithmIdentifierFor(algorithm),
    ...(san ? { subjectAltNames: san } : {}),
    requestExtensions: copied,
    ...(input.pathLen === undefined ? {} : { pathLen: input.pathLen }),
  }, issuer);
  return finishPlan(linted, algorithm, dropped, csr.keySpec);
}
