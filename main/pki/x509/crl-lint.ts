/**
 * Checks a CRL's exact TBS bytes against RFC 5280 §5 before it is signed,
 * read back from the bytes with @peculiar/asn1-x509 rather than from the plan
 * they were built from: the CRL is written by Custos' own encoder
 * (crl-der.ts, for speed on large lists), so this is the independent reading
 * that catches an encoder that wrote something other than was meant. A
 * relying party that rejects a CRL rejects every certificate under it, and a
 * ceremony re-issues a CRL precisely so that nobody is locked out.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { AuthorityKeyIdentifier, Certificate, CRLReason, RevokedCertificate, SubjectKeyIdentifier, TBSCertList, type Extension, type Time } from '@peculiar/asn1-x509';
import { CustosError } from '../../errors/index.ts';
import { OID } from '../oids.ts';
import { readDerHeader, type DerHeader } from './crl-der.ts';
import { splitRevokedList } from './crl.ts';
import { describeDerViolation, findDerViolation } from '../formats/strict-der.ts';
import type { LintFinding } from './lint.ts';

/** The CRL extensions and entry extensions Custos may write; any other marked critical is refused (RFC 5280 §5.2, §5.3). */
const KNOWN_CRL_EXTENSIONS: ReadonlySet<string> = new Set([OID.crlNumber, OID.authorityKeyIdentifier, OID.issuingDistributionPoint]);
const KNOWN_ENTRY_EXTENSIONS: ReadonlySet<string> = new Set([OID.crlReason, OID.invalidityDate]);
/** RFC 5280 §5.3.1: value 7 is not used. */
const UNUSED_REASON = 7;

const timeOf = (t: Time): Date => t.getTime();
const hex = (b: ArrayBuffer | Uint8Array): string => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');
const error = (code: string, message: string): LintFinding => ({ code, severity: 'error', message });

function extensionValue(extensions: readonly Extension[] | undefined, oid: string): Extension | undefined {
  return extensions?.find((e) => e.extnID === oid);
}

/** RFC 5280 §4.1.2.2 / §5.2.3: a non-negative INTEGER of at most 20 octets, read as unsigned. */
function crlNumberProblems(ext: Extension): LintFinding[] {
  const problems: LintFinding[] = [];
  if (ext.critical) problems.push(error('crl.number.critical', 'The CRL number extension is marked critical; RFC 5280 §5.2.3 requires it non-critical.'));
  const raw = new Uint8Array(ext.extnValue.buffer);
  // INTEGER tag, short length, content.
  if (raw[0] !== 0x02 || raw.length < 3 || raw[1] !== raw.length - 2) return [...problems, error('crl.number.malformed', 'The CRL number is not a DER INTEGER.')];
  const content = raw.subarray(2);
  if ((content[0]! & 0x80) !== 0) problems.push(error('crl.number.negative', 'The CRL number is negative.'));
  if (content.length > 21 || (content.length === 21 && content[0] !== 0)) problems.push(error('crl.number.too-long', 'The CRL number is longer than 20 octets (RFC 5280 §5.2.3).'));
  return problems;
}

/**
 * Entries decoded in full (revocation date, entry extensions) up to this many; past it, every entry is
 * still checked for its shape and for a serial listed twice, which a faulty encoder would produce, while
 * their dates and reasons are the journal's revocation records, each checked as it was recorded.
 */
const ENTRIES_DECODED = 2000;

function entryProblems(tbsDer: Uint8Array, list: DerHeader, thisUpdate: Date): LintFinding[] {
  const findings: LintFinding[] = [];
  const seen = new Set<string>();
  let decoded = 0;
  for (let at = list.contentStart; at < list.end;) {
    const entry = readDerHeader(tbsDer, at, list.end);
    const serialField = entry.tag === 0x30 ? readDerHeader(tbsDer, entry.contentStart, entry.end) : undefined;
    if (!serialField || serialField.tag !== 0x02) {
      findings.push(error('crl.entry.malformed', `Revoked entry ${seen.size + 1} is not a SEQUENCE starting with a serial number.`));
      return findings;
    }
    const serial = hex(tbsDer.subarray(serialField.contentStart, serialField.end));
    if (seen.has(serial)) findings.push(error('crl.entry.duplicate', `Serial ${serial} is listed twice.`));
    seen.add(serial);
    if (decoded < ENTRIES_DECODED) {
      decoded += 1;
      findings.push(...decodedEntryProblems(AsnConvert.parse(tbsDer.subarray(at, entry.end), RevokedCertificate), serial, thisUpdate));
    }
    at = entry.end;
  }
  return findings;
}

function decodedEntryProblems(entry: RevokedCertificate, serial: string, thisUpdate: Date): LintFinding[] {
  const findings: LintFinding[] = [];
  const revoked = timeOf(entry.revocationDate);
  if (revoked > thisUpdate) findings.push(error('crl.entry.future', `Serial ${serial} is revoked at ${revoked.toISOString()}, after the CRL's thisUpdate.`));
  for (const ext of entry.crlEntryExtensions ?? []) {
    if (ext.critical && !KNOWN_ENTRY_EXTENSIONS.has(ext.extnID)) findings.push(error('crl.entry.extension.unknown-critical', `Serial ${serial} carries an unknown critical entry extension ${ext.extnID}.`));
    if (ext.extnID === OID.crlReason) {
      if (ext.critical) findings.push(error('crl.entry.reason.critical', `Serial ${serial}'s reason code is marked critical; RFC 5280 §5.3.1 requires it non-critical.`));
      const reason = AsnConvert.parse(ext.extnValue, CRLReason).reason as number;
      if (reason === UNUSED_REASON || reason < 0 || reason > 10) findings.push(error('crl.entry.reason.invalid', `Serial ${serial} has reason code ${reason}, which RFC 5280 §5.3.1 does not allow.`));
    }
  }
  return findings;
}

export interface CrlIssuer {
  /** The issuing CA's certificate, DER. */
  readonly certDer: Uint8Array;
}

/**
 * Every finding of the CRL TBS against its issuer. The CRL is refused on any
 * error; there are no warnings yet, since each check here is a MUST.
 */
export function lintCrlTbs(tbsDer: Uint8Array, issuer: CrlIssuer): LintFinding[] {
  let tbs: TBSCertList;
  let cert: Certificate;
  // Strict DER over the whole body (one linear walk), then the body without its revoked list through
  // @peculiar/asn1-x509; the list is walked header by header (decoding 100,000 entries as objects takes seconds).
  const violation = findDerViolation(tbsDer);
  if (violation) return [error('crl.malformed', `The CRL's body is not DER: it has ${describeDerViolation(violation)}.`)];
  let list: DerHeader | undefined;
  try {
    const split = splitRevokedList(tbsDer);
    list = split.list;
    tbs = AsnConvert.parse(split.tbsWithoutList, TBSCertList);
  } catch (e) {
    return [error('crl.malformed', `The CRL's body is not a TBSCertList: ${(e as Error).message}`)];
  }
  try {
    cert = AsnConvert.parse(issuer.certDer, Certificate);
  } catch (e) {
    return [error('crl.issuer.malformed', `The issuer's certificate cannot be read: ${(e as Error).message}`)];
  }
  const findings: LintFinding[] = [];
  const issuerTbs = cert.tbsCertificate;
  // §5.1.2.1: v2 whenever extensions are present, and Custos always writes the CRL number.
  if (tbs.version !== 1) findings.push(error('crl.version', `The CRL is version ${(tbs.version ?? 0) + 1}; a CRL with extensions must be version 2.`));
  if (hex(AsnConvert.serialize(tbs.issuer)) !== hex(AsnConvert.serialize(issuerTbs.subject))) {
    findings.push(error('crl.issuer.name', 'The CRL\'s issuer name is not, byte for byte, the subject of the CA\'s certificate.'));
  }
  const thisUpdate = timeOf(tbs.thisUpdate);
  // thisUpdate is not held to the CA's validity on its own: a nextUpdate after thisUpdate and within the CA's end bounds it.
  const notAfter = timeOf(issuerTbs.validity.notAfter);
  if (!tbs.nextUpdate) {
    findings.push(error('crl.next-update.missing', 'The CRL has no nextUpdate; RFC 5280 §5.1.2.5 requires conforming CAs to include it.'));
  } else {
    const nextUpdate = timeOf(tbs.nextUpdate);
    if (nextUpdate <= thisUpdate) findings.push(error('crl.next-update.order', `nextUpdate ${nextUpdate.toISOString()} is not after thisUpdate ${thisUpdate.toISOString()}.`));
    if (nextUpdate > notAfter) findings.push(error('crl.next-update.after-issuer', `nextUpdate ${nextUpdate.toISOString()} is after the CA's certificate ends (${notAfter.toISOString()}).`));
  }

  const extensions = tbs.crlExtensions;
  const number = extensionValue(extensions, OID.crlNumber);
  if (!number) findings.push(error('crl.number.missing', 'The CRL has no CRL number (RFC 5280 §5.2.3).'));
  else findings.push(...crlNumberProblems(number));
  const aki = extensionValue(extensions, OID.authorityKeyIdentifier);
  if (!aki) {
    findings.push(error('crl.aki.missing', 'The CRL has no authority key identifier (RFC 5280 §5.2.1).'));
  } else {
    if (aki.critical) findings.push(error('crl.aki.critical', 'The authority key identifier is marked critical; RFC 5280 §5.2.1 requires it non-critical.'));
    const ski = extensionValue(issuerTbs.extensions, OID.subjectKeyIdentifier);
    if (ski) {
      const keyId = AsnConvert.parse(aki.extnValue, AuthorityKeyIdentifier).keyIdentifier;
      const subjectKeyId = AsnConvert.parse(ski.extnValue, SubjectKeyIdentifier);
      if (!keyId || hex(keyId.buffer) !== hex(subjectKeyId.buffer)) {
        findings.push(error('crl.aki.mismatch', 'The CRL\'s authority key identifier is not the CA certificate\'s subject key identifier.'));
      }
    }
  }
  for (const ext of extensions ?? []) {
    if (ext.critical && !KNOWN_CRL_EXTENSIONS.has(ext.extnID)) findings.push(error('crl.extension.unknown-critical', `The CRL carries an unknown critical extension ${ext.extnID}.`));
  }
  if (new Set((extensions ?? []).map((e) => e.extnID)).size !== (extensions ?? []).length) {
    findings.push(error('crl.extension.duplicate', 'The CRL carries an extension twice (RFC 5280 §4.2).'));
  }

  if (list) findings.push(...entryProblems(tbsDer, list, thisUpdate));
  return findings;
}

/** Throws LINT_FAILED naming every error finding, before anything is signed or journaled. */
export function assertCrlLintClean(tbsDer: Uint8Array, issuer: CrlIssuer): void {
  const errors = lintCrlTbs(tbsDer, issuer).filter((f) => f.severity === 'error');
  if (errors.length === 0) return;
  throw new CustosError('LINT_FAILED', `The CRL was not signed: ${errors.length} lint error(s): ${errors.map((f) => f.message).join(' ')}`, {
    codes: errors.map((f) => f.code), messages: errors.map((f) => f.message),
  });
}
