/**
 * The checks a CV certificate body passes before a CA key signs it (pure):
 * its CAR is the issuer's CHR, its dates lie inside the issuer's, its CHAT is
 * no wider than the issuer's, its role may be issued by the issuer's, its key
 * and the algorithm OID it names agree (and the issuer's key and its OID), and
 * its holder reference has TR-03110's form. One failure is enough to refuse.
 */
import { CustosError } from '../errors/index.ts';
import { cvcAlgorithm, type CvcBody, type CvcPublicKey } from '../pki/cvc/cvc.ts';
import { chatWiderThan, roleOfChat, type CvcRole } from './chat.ts';
import type { CvcProfile } from './profiles.ts';
import { algorithmName } from './describe.ts';

export interface CvcLintFinding {
  readonly check: 'car' | 'dates' | 'chat' | 'role' | 'key-oid' | 'holder-reference' | 'validity' | 'domain-parameters';
  readonly message: string;
}

/**
 * TR-03110 part 3 §A.6.1: country (two letters, ISO 3166-1 alpha-2), holder
 * mnemonic (up to nine characters), sequence number (five digits or letters).
 */
const HOLDER_REFERENCE = /^[A-Z]{2}[\x20-\x7e]{1,9}[A-Z0-9]{5}$/;

export function isTr03110HolderReference(chr: string): boolean {
  return HOLDER_REFERENCE.test(chr);
}

/** Which roles an issuer of each role may certify (TR-03110 part 3 §2.2). */
const MAY_ISSUE: Record<CvcRole, readonly CvcRole[]> = {
  cvca: ['cvca', 'dv-domestic', 'dv-foreign'],
  'dv-domestic': ['terminal'],
  'dv-foreign': ['terminal'],
  terminal: [],
};

export interface LintInput {
  readonly body: CvcBody;
  readonly profile: CvcProfile;
  /** The issuer's body and key (curve resolved); the body itself for a self-signed CVCA. */
  readonly issuer: { readonly body: CvcBody; readonly key: CvcPublicKey };
  /** The key that will sign, as the token holds it, and the algorithm it signs with. */
  readonly signingKey: CvcPublicKey;
  readonly selfSigned: boolean;
}

function keyAgrees(key: CvcPublicKey): boolean {
  return cvcAlgorithm(key.oid)?.kind === key.kind;
}

const days = (from: Date, to: Date): number => Math.round((to.getTime() - from.getTime()) / 86_400_000);

export function lintCvcBody({ body, profile, issuer, signingKey, selfSigned }: LintInput): CvcLintFinding[] {
  const out: CvcLintFinding[] = [];
  const add = (check: CvcLintFinding['check'], message: string): void => { out.push({ check, message }); };
  if (body.car !== issuer.body.chr) add('car', `the CAR ${body.car ?? '(none)'} is not the issuer's CHR ${issuer.body.chr}`);
  if (!isTr03110HolderReference(body.chr)) add('holder-reference', `the CHR "${body.chr}" is not country (2 capital letters), mnemonic (1–9 characters) and a 5-character sequence number`);
  if (!selfSigned && body.chr === issuer.body.chr) add('holder-reference', `the CHR ${body.chr} is the issuer's own: give the holder a CHR of its own (a rollover's new CVCA takes the next sequence number)`);
  if (!keyAgrees(body.publicKey)) add('key-oid', `the holder's ${body.publicKey.kind.toUpperCase()} key names ${algorithmName(body.publicKey.oid)}`);
  if (!keyAgrees(signingKey)) add('key-oid', `the issuer's ${signingKey.kind.toUpperCase()} key names ${algorithmName(signingKey.oid)}`);
  if (!profile.signatureAlgorithms.some((name) => algorithmName(body.publicKey.oid) === name)) {
    add('key-oid', `profile ${profile.id} allows ${profile.signatureAlgorithms.join(', ')}, not ${algorithmName(body.publicKey.oid)}`);
  }
  if (profile.domainParameters && body.publicKey.kind === 'ec' && !body.publicKey.withDomainParameters) add('domain-parameters', 'a CVCA key must carry its domain parameters');
  const { effectiveDate: from, expirationDate: to } = body;
  if (from === undefined || to === undefined) add('dates', 'the certificate needs an effective and an expiration date');
  else {
    if (to < from) add('dates', 'it expires before it takes effect');
    if (days(from, to) + 1 > profile.validity.maxDays) add('validity', `it is valid ${days(from, to) + 1} days; profile ${profile.id} allows at most ${profile.validity.maxDays}`);
    if (!selfSigned) {
      const { effectiveDate: issuerFrom, expirationDate: issuerTo } = issuer.body;
      if (issuerFrom !== undefined && from < issuerFrom) add('dates', `it takes effect ${from.toISOString().slice(0, 10)}, before its issuer ${issuer.body.chr} (${issuerFrom.toISOString().slice(0, 10)})`);
      if (issuerTo !== undefined && to > issuerTo) add('dates', `it expires ${to.toISOString().slice(0, 10)}, after its issuer ${issuer.body.chr} (${issuerTo.toISOString().slice(0, 10)})`);
    }
  }
  if (body.chat === undefined) add('role', 'the certificate carries no CHAT');
  else {
    const role = roleOfChat(body.chat);
    if (role !== profile.role) add('role', `its CHAT says ${role}, profile ${profile.id} makes ${profile.role}`);
    if (!selfSigned && issuer.body.chat) {
      const issuerRole = roleOfChat(issuer.body.chat);
      if (!MAY_ISSUE[issuerRole].includes(role)) add('role', `a ${issuerRole} does not certify a ${role}`);
      const wider = chatWiderThan(body.chat, issuer.body.chat);
      if (wider !== undefined) add('chat', wider);
    }
  }
  return out;
}

/** Throws for any finding: CVC_CHAT_EXCEEDS_ISSUER when the CHAT is too wide, LINT_FAILED otherwise, each naming every problem. */
export function requireCleanLint(findings: readonly CvcLintFinding[], chr: string): void {
  if (findings.length === 0) return;
  const problems = findings.map((f) => `${f.check}: ${f.message}`);
  const code = findings.some((f) => f.check === 'chat') ? 'CVC_CHAT_EXCEEDS_ISSUER' : 'LINT_FAILED';
  throw new CustosError(code, `CV certificate ${chr} will not be signed: ${findings.map((f) => f.message).join('; ')}.`, { chr, problems });
}
