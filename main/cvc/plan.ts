/**
 * The exact body (7F4E) a CV certificate will carry, made from a profile, the
 * holder's key and the issuer (pure); and the token step that signs it. The
 * preview shows this body's SHA-256, and signing refuses a body whose hash is
 * not the previewed one, so what the operator reviewed is what is signed.
 */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ECDSASigValue } from '@peculiar/asn1-ecc';
import { CustosError } from '../errors/index.ts';
import type { HashName, Signer, SignAlgorithm } from '../hsm/token.ts';
import {
  bytesFromBigint, bigintFromBytes, cvcAlgorithm, DOMAIN_PARAMETERS, encodeCvcBody, verifyCvcSignature,
  type CvcBody, type CvcPublicKey,
} from '../pki/cvc/cvc.ts';
import { describeChat, encodeChat, TERMINAL_TYPES, terminalTypeOfOid, type TerminalType } from './chat.ts';
import { describeCvcBody, type CvcBodyView } from './describe.ts';
import { lintCvcBody, type CvcLintFinding } from './lint.ts';
import type { CvcProfile } from './profiles.ts';

export interface CvcPlanInput {
  readonly profile: CvcProfile;
  readonly chr: string;
  /** The holder's key, curve resolved, with the algorithm OID it will sign with. */
  readonly holderKey: CvcPublicKey;
  /** The issuer's body and key (curve resolved); absent for a self-signed CVCA. */
  readonly issuer?: { readonly body: CvcBody; readonly key: CvcPublicKey };
  /** The key on the token that will sign (the issuer's, or the holder's own for a self-signed CVCA). */
  readonly signingKey: CvcPublicKey;
  /** Named relative authorizations; default: the profile's. */
  readonly authorizations?: readonly string[];
  /** Midnight UTC of the first day. */
  readonly effectiveDate: Date;
  readonly validityDays?: number;
}

export interface CvcPlan {
  readonly body: CvcBody;
  /** The whole 7F4E TLV: what the CA key signs. */
  readonly bodyRaw: Uint8Array;
  readonly bodySha256: string;
  readonly view: CvcBodyView;
  /** The OID the issuer's key signs with. */
  readonly signatureOid: string;
  readonly findings: readonly CvcLintFinding[];
}

export const DAY_MS = 86_400_000;

/** Midnight UTC of a moment's day: CVC dates have no time. */
export function startOfDay(date: Date): Date {
  return new Date(Math.floor(date.getTime() / DAY_MS) * DAY_MS);
}

function terminalTypeFor(profile: CvcProfile, issuer: CvcPlanInput['issuer']): TerminalType {
  if (profile.terminalType !== null) return profile.terminalType;
  const type = issuer?.body.chat ? terminalTypeOfOid(issuer.body.chat.roleOid) : undefined;
  if (type === undefined) {
    throw new CustosError('INPUT_INVALID', `Profile ${profile.id} takes its terminal type from the issuer, whose CHAT names none of ${Object.keys(TERMINAL_TYPES).join(', ')}.`, { profileId: profile.id });
  }
  return type;
}

export function planCvcCertificate(input: CvcPlanInput): CvcPlan {
  const { profile, issuer } = input;
  const type = terminalTypeFor(profile, issuer);
  const authorizations = input.authorizations
    ?? (profile.authorizations === 'issuer' ? (issuer?.body.chat ? describeChat(issuer.body.chat).authorizations : []) : profile.authorizations);
  const validityDays = input.validityDays ?? profile.validity.defaultDays;
  if (!Number.isInteger(validityDays) || validityDays < 1) throw new CustosError('VALIDITY_INVALID', 'The validity must be a whole number of days, at least 1.', { validityDays });
  const effectiveDate = startOfDay(input.effectiveDate);
  const holderKey = input.holderKey.kind === 'ec' ? { ...input.holderKey, withDomainParameters: profile.domainParameters } : input.holderKey;
  const body: CvcBody = {
    cpi: 0, car: issuer?.body.chr ?? input.chr, publicKey: holderKey, chr: input.chr,
    chat: encodeChat(type, profile.role, authorizations),
    effectiveDate, expirationDate: new Date(effectiveDate.getTime() + (validityDays - 1) * DAY_MS),
  };
  const bodyRaw = encodeCvcBody(body);
  const selfSigned = issuer === undefined;
  const findings = lintCvcBody({ body, profile, issuer: issuer ?? { body, key: holderKey }, signingKey: input.signingKey, selfSigned });
  return {
    body, bodyRaw, bodySha256: createHash('sha256').update(bodyRaw).digest('hex'),
    view: describeCvcBody(body, holderKey), signatureOid: input.signingKey.oid, findings,
  };
}

const TOKEN_HASH: Partial<Record<string, HashName>> = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };
const HASH_BYTES: Record<HashName, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/** What the token is asked for a TA OID; SHA-1 and SHA-224 are not asked of a token (MECHANISM_UNSUPPORTED). */
export function tokenAlgorithm(oid: string): SignAlgorithm {
  const algorithm = cvcAlgorithm(oid);
  const hash = algorithm ? TOKEN_HASH[algorithm.hash] : undefined;
  if (algorithm === undefined || hash === undefined) {
    throw new CustosError('MECHANISM_UNSUPPORTED', `A CA key on a token signs with SHA-256, SHA-384 or SHA-512, not ${oid}: choose another signature algorithm.`, { oid });
  }
  if (algorithm.scheme === 'ecdsa') return { scheme: 'ecdsa', hash };
  // TR-03110 part 3 §A.6.4.1: PSS with a salt as long as the hash.
  if (algorithm.scheme === 'rsa-pss') return { scheme: 'rsa-pss', hash, saltLengthBytes: HASH_BYTES[hash] };
  return { scheme: 'rsa-pkcs1', hash };
}

/** Tokens answer ECDSA as DER (RFC 3279 §2.2.3); a CVC carries r||s, each at the curve's field length (TR-03111 §5.2.1). */
export function plainFromDerEcdsa(der: Uint8Array, fieldBytes: number): Uint8Array {
  let value: ECDSASigValue;
  try {
    value = AsnConvert.parse(der, ECDSASigValue);
  } catch (e) {
    throw new CustosError('SIGN_FAILED', 'The token answered with an ECDSA signature that is not DER.', {}, { cause: e });
  }
  const r = bytesFromBigint(bigintFromBytes(new Uint8Array(value.r)), fieldBytes);
  const s = bytesFromBigint(bigintFromBytes(new Uint8Array(value.s)), fieldBytes);
  return Uint8Array.of(...r, ...s);
}

/**
 * Has the token sign the body with the issuer's key and checks the result
 * with the issuer's key before it is used: a wrong signature is
 * SIGNATURE_VERIFY_FAILED, and nothing is recorded as issued.
 */
export async function signBodyOnToken(signer: Signer, bodyRaw: Uint8Array, issuerKey: CvcPublicKey): Promise<Uint8Array> {
  const algorithm = tokenAlgorithm(issuerKey.oid);
  const answer = await signer.sign(bodyRaw, algorithm);
  const signature = issuerKey.kind === 'ec' ? plainFromDerEcdsa(answer, DOMAIN_PARAMETERS[issuerKey.curve!].fieldBytes) : answer;
  if (!verifyCvcSignature(bodyRaw, signature, issuerKey)) {
    throw new CustosError('SIGNATURE_VERIFY_FAILED', 'The token\'s signature does not verify with the CA key: nothing was issued.', {});
  }
  return signature;
}
