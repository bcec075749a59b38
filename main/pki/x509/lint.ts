/**
 * Checks the exact TBS bytes against RFC 5280 and CA/Browser Forum basics
 * before anything is signed. lintForSigning is the only way to get a Linted
 * value, and signTbs accepts nothing else: an unlinted TBS cannot be signed.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Version, type TBSCertificate, type Time } from '@peculiar/asn1-x509';
import { CustosError } from '../../errors/index.ts';
import { OID } from '../oids.ts';
import { decodeExtension, isUndecodable } from './extensions.ts';
import type { IssuerInfo } from './issuer.ts';
import { publicKeyFromSpki, publicKeySpec, rsaKeyProblems, rsaPublicKeyOf } from './keys.ts';
import { generalNamesCount, generalNamesProblems, MAX_SUBJECT_ALT_NAMES, nameProblems, visibleText, type NameProblem } from './name-rules.ts';
import { nodeVerifyParams } from './signature.ts';
import { readTbs, type ReadTbs } from './tbs-reader.ts';
import { buildTbs, type TbsInput } from './tbs.ts';

export type LintSeverity = 'error' | 'warning';
export interface LintFinding {
  readonly code: string;
  readonly severity: LintSeverity;
  readonly message: string;
}

declare const LINTED: unique symbol;
/** A TBS that passed lint with no error. Only lintForSigning makes one; its bytes are kept privately for signTbs. */
export interface Linted {
  readonly [LINTED]: true;
  /** A copy of the linted bytes (changing it changes nothing that will be signed). */
  readonly tbsDer: Uint8Array;
  readonly tbs: TBSCertificate;
  readonly spkiDer: Uint8Array;
  /** Warnings only: errors never make a Linted. */
  readonly findings: readonly LintFinding[];
}

const sealed = new WeakMap<object, Uint8Array>();

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;
const bytes = (buffer: ArrayBuffer): Uint8Array => new Uint8Array(buffer);

function checkTime(findings: LintFinding[], field: string, time: Time): void {
  const year = time.getTime().getUTCFullYear();
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  if (time.generalTime && year < 2050) findings.push({ code: 'validity.time_encoding', severity: 'error', message: `${field} is a GeneralizedTime for ${year}; dates before 2050 must be UTCTime (RFC 5280 §4.1.2.5).` });
  if (time.utcTime && year >= 2050) findings.push({ code: 'validity.time_encoding', severity: 'error', message: `${field} is a UTCTime for ${year}; dates from 2050 must be GeneralizedTime (RFC 5280 §4.1.2.5).` });
}

function checkSerial(findings: LintFinding[], serial: Uint8Array): void {
  const error = (code: string, message: string): void => { findings.push({ code, severity: 'error', message }); };
  if (serial.length === 0) return error('serial.zero', 'The serial number is empty.');
  if (serial[0]! & 0x80) error('serial.not_positive', 'The serial number is negative; RFC 5280 §4.1.2.2 requires a positive integer.');
  if (serial.length > 1 && serial[0] === 0 && (serial[1]! & 0x80) === 0) error('serial.not_minimal', 'The serial number has a superfluous leading zero octet (DER requires minimal encoding).');
  if (serial.every((b) => b === 0)) error('serial.zero', 'The serial number is zero; RFC 5280 §4.1.2.2 requires a positive integer.');
  if (serial.length > 20) error('serial.too_long', `The serial number has ${serial.length} octets; RFC 5280 §4.1.2.2 allows at most 20.`);
}

// Letters, digits and hyphens, labels of 1..63, at most 253 in all; a wildcard only as the whole first label.
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
function isDnsName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  if (labels[0] === '*' && labels.length > 2) labels.shift();
  return labels.every((label) => DNS_LABEL.test(label));
}

type Decoded = ReturnType<typeof decodeExtension>;
type Obj = { readonly [key: string]: unknown };
const asObject = (d: Decoded | undefined): Obj | undefined =>
  d && typeof d.value === 'object' && d.value !== null && !Array.isArray(d.value) && !isUndecodable(d) ? d.value as Obj : undefined;
const asList = (d: Decoded | undefined): readonly unknown[] | undefined => (d && Array.isArray(d.value) ? d.value : undefined);

function keyKind(spkiDer: Uint8Array): string {
  try { return publicKeySpec(publicKeyFromSpki(spkiDer)).kind; } catch { return 'other'; }
}

function lintRead(read: ReadTbs, issuer: IssuerInfo | 'self'): LintFinding[] {
  const findings: LintFinding[] = [];
  const error = (code: string, message: string): void => { findings.push({ code, severity: 'error', message }); };
  const warning = (code: string, message: string): void => { findings.push({ code, severity: 'warning', message }); };
  const { tbs } = read;
  const self = issuer === 'self';

  checkSerial(findings, bytes(tbs.serialNumber));

  const extensions = tbs.extensions ?? [];
  if (tbs.extensions && extensions.length === 0) error('extensions.empty', 'The extensions field is present but empty (RFC 5280 §4.1: SIZE (1..MAX)).');
  if (extensions.length > 0 && tbs.version !== Version.v3) error('version.not_v3', 'A certificate with extensions must be version 3 (RFC 5280 §4.1.2.1).');
  const byOid = new Map<string, Decoded>();
  for (const ext of extensions) {
    const d = decodeExtension(ext);
    if (byOid.has(ext.extnID)) error('extensions.duplicate', `The ${d.name} extension appears more than once (RFC 5280 §4.2).`);
    else byOid.set(ext.extnID, d);
    if (isUndecodable(d)) error('extension.malformed', `The ${d.name} extension does not decode.`);
  }

  // Issuer name and key.
  const issuerSubjectDer = self ? read.subjectDer : issuer.subjectDer;
  if (!equalBytes(read.issuerDer, issuerSubjectDer)) error('issuer.name_mismatch', self ? 'A self-signed certificate\u2019s issuer must equal its subject.' : 'The issuer name is not byte-for-byte the issuer certificate\u2019s subject (RFC 5280 §4.1.2.4).');
  if (!self && (!issuer.isCa || !issuer.keyCertSign)) error('issuer.not_ca', 'The issuer certificate is not a CA allowed to sign certificates (basicConstraints cA and keyUsage keyCertSign).');
  const issuerKeyType = self ? keyKind(read.spkiDer) : issuer.keySpec.kind;
  const algorithm = nodeVerifyParams(tbs.signature);
  if (!algorithm) error('signature.algorithm_unsupported', `The signature algorithm ${tbs.signature.algorithm} is not one Custos signs with.`);
  else if (algorithm.keyType !== issuerKeyType) error('signature.key_mismatch', `The signature algorithm is for ${algorithm.keyType.toUpperCase()} keys but the issuer key is ${issuerKeyType.toUpperCase()}.`);

  // Validity.
  const notBefore = tbs.validity.notBefore.getTime();
  const notAfter = tbs.validity.notAfter.getTime();
  checkTime(findings, 'notBefore', tbs.validity.notBefore);
  checkTime(findings, 'notAfter', tbs.validity.notAfter);
  if (notAfter.getTime() < notBefore.getTime()) error('validity.reversed', 'notAfter is before notBefore.');
  if (!self && (notBefore.getTime() < issuer.notBefore.getTime() || notAfter.getTime() > issuer.notAfter.getTime())) {
    error('validity.outside_issuer', `The validity ${notBefore.toISOString()} – ${notAfter.toISOString()} is not inside the issuer\u2019s ${issuer.notBefore.toISOString()} – ${issuer.notAfter.toISOString()}.`);
  }

  // CA or leaf.
  const bcExt = byOid.get(OID.basicConstraints);
  const bc = asObject(bcExt);
  const kuExt = byOid.get(OID.keyUsage);
  const usages = new Set(asList(kuExt) ?? []);
  const isCa = bc?.ca === true;
  const pathLen = typeof bc?.pathLenConstraint === 'number' ? bc.pathLenConstraint : undefined;
  if (isCa) {
    if (!bcExt!.critical) error('ca.basic_constraints_not_critical', 'A CA certificate must mark basicConstraints critical (RFC 5280 §4.2.1.9).');
    if (!usages.has('keyCertSign')) error('ca.key_cert_sign_missing', 'A CA certificate must assert keyCertSign (RFC 5280 §4.2.1.3).');
    if (!byOid.has(OID.subjectKeyIdentifier)) error('ca.ski_missing', 'A CA certificate must carry a subjectKeyIdentifier (RFC 5280 §4.2.1.2).');
    if (!self && issuer.pathLenConstraint !== undefined && (pathLen === undefined || pathLen >= issuer.pathLenConstraint)) {
      error('ca.path_len_exceeds_issuer', issuer.pathLenConstraint === 0
        ? 'The issuer has pathLenConstraint 0: it may not certify another CA.'
        : `The issuer allows ${issuer.pathLenConstraint} CA level(s) below it, so this CA\u2019s pathLenConstraint must be below ${issuer.pathLenConstraint} (it is ${pathLen ?? 'unlimited'}).`);
    }
  } else {
    if (usages.has('keyCertSign')) error('leaf.key_cert_sign', 'Only a CA certificate (basicConstraints cA) may assert keyCertSign (RFC 5280 §4.2.1.9).');
    if (pathLen !== undefined) error('leaf.path_len', 'pathLenConstraint is only meaningful with cA true (RFC 5280 §4.2.1.9).');
    if (byOid.has(OID.nameConstraints)) error('leaf.name_constraints', 'nameConstraints may only appear in a CA certificate (RFC 5280 §4.2.1.10).');
  }
  if (kuExt && !kuExt.critical) warning('key_usage.not_critical', 'keyUsage should be critical (RFC 5280 §4.2.1.3).');
  if (kuExt && !isUndecodable(kuExt) && usages.size === 0) error('key_usage.empty', 'keyUsage is present with no bit set (RFC 5280 §4.2.1.3).');

  // Key identifiers.
  const skiExt = byOid.get(OID.subjectKeyIdentifier);
  const akiExt = byOid.get(OID.authorityKeyIdentifier);
  if (akiExt?.critical) error('aki.critical', 'authorityKeyIdentifier must not be critical (RFC 5280 §4.2.1.1).');
  if (skiExt?.critical) error('ski.critical', 'subjectKeyIdentifier must not be critical (RFC 5280 §4.2.1.2).');
  const ownSki = typeof skiExt?.value === 'string' ? skiExt.value : undefined;
  const expectedAki = self ? ownSki : issuer.subjectKeyIdentifier && Buffer.from(issuer.subjectKeyIdentifier).toString('hex');
  if (!self && !akiExt) error('aki.missing', 'A certificate not self-signed must carry an authorityKeyIdentifier (RFC 5280 §4.2.1.1).');
  if (!self && !issuer.subjectKeyIdentifier) warning('issuer.ski_missing', 'The issuer certificate has no subjectKeyIdentifier to match.');
  const aki = asObject(akiExt);
  if (aki && expectedAki && aki.keyIdentifier !== expectedAki) error('aki.mismatch', 'The authorityKeyIdentifier is not the issuer\u2019s subjectKeyIdentifier.');

  // Subject.
  const sanExt = byOid.get(OID.subjectAltName);
  if (tbs.subject.length === 0 && (!sanExt || !sanExt.critical)) error('subject.empty_without_critical_san', 'An empty subject needs a critical subjectAltName (RFC 5280 §4.1.2.6, §4.2.1.6).');
  if (sanExt && asList(sanExt)?.length === 0) error('san.empty', 'subjectAltName is present with no name (RFC 5280 §4.2.1.6).');
  for (const entry of (asList(sanExt) ?? []) as { type: string; value: string }[]) {
    if (entry.type === 'dns' && !isDnsName(entry.value)) error('san.dns_invalid', `"${visibleText(entry.value)}" is not a DNS name (RFC 5280 §4.2.1.6, RFC 1034 §3.5 preferred syntax).`);
  }
  // Names as their bytes are (name-rules.ts): bounds, control and bidi characters, encodings.
  const nameFinding = (prefix: string) => (p: NameProblem): void => error(`${prefix}.${p.kind.replace('-', '_')}`, p.message);
  nameProblems(read.subjectDer).forEach(nameFinding('subject'));
  const sanRaw = extensions.find((ext) => ext.extnID === OID.subjectAltName);
  if (sanRaw) {
    const sanDer = new Uint8Array(sanRaw.extnValue.buffer);
    const count = generalNamesCount(sanDer) ?? 0;
    if (count > MAX_SUBJECT_ALT_NAMES) error('san.too_many', `subjectAltName holds ${count} names; Custos certifies at most ${MAX_SUBJECT_ALT_NAMES}.`);
    else generalNamesProblems(sanDer).forEach(nameFinding('san'));
  }

  // Subject key: RSA numbers a careful CA refuses (CA/Browser Forum BR §6.1.6).
  let rsaKey;
  try {
    rsaKey = rsaPublicKeyOf(tbs.subjectPublicKeyInfo);
  } catch {
    error('key.malformed', 'The subject\u2019s RSA public key does not decode.');
  }
  if (rsaKey) for (const p of rsaKeyProblems(rsaKey)) error(p.field === 'modulus' ? 'key.rsa_modulus' : 'key.rsa_exponent', `The subject key\u2019s ${p.message}`);
  return findings;
}

/** Every finding for these TBS bytes; a TBS that cannot be read gives one error finding. */
export function lintTbs(tbsDer: Uint8Array, issuer: IssuerInfo | 'self'): LintFinding[] {
  let read: ReadTbs;
  try {
    read = readTbs(tbsDer);
  } catch (e) {
    return [{ code: 'tbs.malformed', severity: 'error', message: (e as Error).message }];
  }
  return lintRead(read, issuer);
}

/** Throws LINT_FAILED naming every error finding; warnings pass. */
export function assertLintClean(findings: readonly LintFinding[]): void {
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length === 0) return;
  throw new CustosError('LINT_FAILED', `The certificate was not signed: ${errors.length} lint error(s): ${errors.map((f) => f.message).join(' ')}`, {
    codes: errors.map((f) => f.code), messages: errors.map((f) => f.message),
  });
}

/** Lints and seals: the only way to get the Linted value signTbs needs. Throws LINT_FAILED on any error finding. */
export function lintForSigning(tbsDer: Uint8Array, issuer: IssuerInfo | 'self'): Linted {
  const own = tbsDer.slice();
  let read: ReadTbs;
  try {
    read = readTbs(own);
  } catch (e) {
    assertLintClean([{ code: 'tbs.malformed', severity: 'error', message: (e as Error).message }]);
    throw e;
  }
  const findings = lintRead(read, issuer);
  assertLintClean(findings);
  const linted = Object.freeze({ tbsDer: own.slice(), tbs: read.tbs, spkiDer: read.spkiDer, findings: Object.freeze(findings) }) as unknown as Linted;
  sealed.set(linted, own);
  return linted;
}

/**
 * Builds a TBS and lints it in one step, reading the object the bytes were
 * just encoded from rather than parsing them again: nothing runs between the
 * two, so the sealed bytes are the encoding of what lint read. The parts lint
 * compares byte for byte (issuer and subject names, subject key) are the very
 * arrays buildTbs joined into those bytes. Throws LINT_FAILED on any error
 * finding.
 */
export function buildLinted(input: TbsInput, issuer: IssuerInfo | 'self'): Linted {
  const { der, tbs, issuerDer, subjectDer, spkiDer } = buildTbs(input);
  const read: ReadTbs = { der, tbs, issuerDer, subjectDer, spkiDer };
  const findings = lintRead(read, issuer);
  assertLintClean(findings);
  const linted = Object.freeze({ tbsDer: der.slice(), tbs, spkiDer, findings: Object.freeze(findings) }) as unknown as Linted;
  sealed.set(linted, der);
  return linted;
}

export function isLinted(value: unknown): value is Linted {
  return typeof value === 'object' && value !== null && sealed.has(value);
}

/** The exact bytes that were linted, for signTbs; refuses anything lintForSigning did not make. */
export function lintedBytes(linted: Linted): Uint8Array {
  const der = sealed.get(linted);
  if (!der) throw new CustosError('LINT_FAILED', 'Only a certificate that passed lint can be signed.', {});
  return der.slice();
}
