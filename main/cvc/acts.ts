/**
 * The CVC authority's acts, with the discipline of the X.509 ones
 * (main/ca/root.ts, issue.ts): the body is planned and linted (pure), shown
 * with its SHA-256, and signed only if it is exactly the previewed one; the
 * intent is on disk before the token is asked (recorded-act.ts), the token's
 * signature is checked with the issuer key before anything is recorded as
 * issued, and the token's journal key signs a checkpoint after the act
 * (journal-anchor.ts).
 */
import { createHash } from 'node:crypto';
import { CustosError } from '../errors/index.ts';
import { tokenRecord, type KeyRef, type KeySpec, type Token } from '../hsm/token.ts';
import {
  CVC_OID, cvcAlgorithm, cvcPublicKeyFromSpki, decodeCvCertificate, decodeCvRequest, encodeCvCertificate, encodeCvcBody,
  type CvCertificate, type CvcPublicKey,
} from '../pki/cvc/cvc.ts';
import type { CaContext } from '../ca/context.ts';
import { runRecorded, signKept } from '../ca/recorded-act.ts';
import { anchoredAct } from '../ca/journal-anchor.ts';
import { terminalTypeOfOid, roleOfChat } from './chat.ts';
import { loadCvcProfile, type CvcProfile } from './profiles.ts';
import { planCvcCertificate, signBodyOnToken, startOfDay, type CvcPlan } from './plan.ts';
import { requireCleanLint } from './lint.ts';
import { keySpecOfCvcKey, requireCurve, resolvedKey } from './keys.ts';
import { knownCertificates, requireCvcCertificate, requireCvcRequest } from './import.ts';
import { cvcStateOf, type CvcCertificateRecord } from './state.ts';

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The TA algorithm a token key signs with unless the operator names another: the hash that matches the curve's strength. */
export function defaultAlgorithm(spec: KeySpec): string {
  if (spec.kind === 'rsa') return CVC_OID['id-TA-RSA-v1-5-SHA-256'];
  return spec.curve === 'P-521' ? CVC_OID['id-TA-ECDSA-SHA-512'] : spec.curve === 'P-384' ? CVC_OID['id-TA-ECDSA-SHA-384'] : CVC_OID['id-TA-ECDSA-SHA-256'];
}

export function algorithmOid(name: string | undefined, spec: KeySpec): string {
  if (name === undefined) return defaultAlgorithm(spec);
  const oid = (CVC_OID as Record<string, string>)[name] ?? name;
  const algorithm = cvcAlgorithm(oid);
  if (algorithm === undefined) {
    throw new CustosError('CVC_OID_UNKNOWN', `"${name}" is not a TR-03110 signature algorithm (id-TA-ECDSA-SHA-256, id-TA-RSA-PSS-SHA-256 …).`, { algorithm: name });
  }
  // The OID goes into the certificate as the key's algorithm: an RSA key named ECDSA would make a certificate no verifier can use.
  if (algorithm.kind !== spec.kind) {
    throw new CustosError('CVC_KEY_OID_MISMATCH', `"${name}" is for ${algorithm.kind === 'ec' ? 'EC' : 'RSA'} keys, and this key is ${spec.kind === 'ec' ? 'EC' : 'RSA'}: choose an ${spec.kind === 'ec' ? 'id-TA-ECDSA-…' : 'id-TA-RSA-…'} algorithm.`, { algorithm: name });
  }
  return oid;
}

function cvcKeyOfTokenKey(key: KeyRef, oid: string): CvcPublicKey {
  return cvcPublicKeyFromSpki(key.spki, oid, true);
}

function profileOf(ctx: CaContext, id: string): CvcProfile {
  return ctx.profileDir ? loadCvcProfile(id, `${ctx.profileDir}/cvc`) : loadCvcProfile(id);
}

async function tokenKey(ctx: CaContext, tokenId: string, spkiSha256: string): Promise<{ token: Token; key: KeyRef }> {
  const token = await ctx.tokens.open(tokenId);
  const key = await token.findKey(spkiSha256);
  if (!key) throw new CustosError('KEY_NOT_FOUND', `The token ${token.info.label} holds no key with SHA-256 ${spkiSha256.slice(0, 16)}…: pick one of its keys.`, { tokenId, spkiSha256 });
  return { token, key };
}

function stale(message: string): CustosError {
  return new CustosError('PREVIEW_STALE', `${message} Preview the certificate again, review it, and sign that.`, {});
}

/** The previewed body must be the one about to be signed, byte for byte. */
function requirePreviewed(plan: CvcPlan, bodySha256: string | undefined): void {
  if (bodySha256 !== undefined && bodySha256.toLowerCase() !== plan.bodySha256) {
    throw stale(`The body to be signed (SHA-256 ${plan.bodySha256.slice(0, 16)}…) is not the one previewed (${bodySha256.slice(0, 16)}…): the request, the issuer or the terms changed.`);
  }
}

function recordFields(cert: CvCertificate, plan: CvcPlan, profileId: string, key: CvcPublicKey): Record<string, string | Record<string, string | number>> {
  const chat = cert.body.chat!;
  const spec = keySpecOfCvcKey(key);
  return {
    certificateId: sha256Hex(cert.raw), certificate: b64(cert.raw), chr: cert.body.chr, car: cert.body.car!,
    role: roleOfChat(chat), ...(terminalTypeOfOid(chat.roleOid) ? { terminalType: terminalTypeOfOid(chat.roleOid)! } : {}),
    profileId, ...(plan.view.publicKey.spkiSha256 ? { keySpkiSha256: plan.view.publicKey.spkiSha256 } : {}),
    ...(spec ? { keySpec: { ...spec } } : {}),
    effectiveDate: plan.view.effectiveDate!, expirationDate: plan.view.expirationDate!,
  };
}

// ---- CVCA (self-signed) ----

export interface CvcaTerms {
  readonly tokenId: string;
  readonly keySpkiSha256: string;
  readonly chr: string;
  readonly profileId?: string;
  readonly validityDays?: number;
  readonly authorizations?: readonly string[];
  /** TR-03110 algorithm name or OID; default: ECDSA with the curve's hash, or RSA v1.5 SHA-256. */
  readonly algorithm?: string;
  /** Midnight UTC of the first day; default: today. */
  readonly effectiveDate?: Date;
}

export async function previewCvca(ctx: CaContext, terms: CvcaTerms): Promise<CvcPlan & { token: Token; key: KeyRef }> {
  const { token, key } = await tokenKey(ctx, terms.tokenId, terms.keySpkiSha256);
  const profile = profileOf(ctx, terms.profileId ?? 'cvca');
  if (profile.role !== 'cvca' || profile.link) throw new CustosError('PROFILE_INVALID', `Profile ${profile.id} does not make a self-signed CVCA: use cvca.`, { profileId: profile.id });
  const holderKey = cvcKeyOfTokenKey(key, algorithmOid(terms.algorithm, key.spec));
  const plan = planCvcCertificate({
    profile, chr: terms.chr, holderKey, signingKey: holderKey, effectiveDate: terms.effectiveDate ?? startOfDay(ctx.now()),
    ...(terms.validityDays ? { validityDays: terms.validityDays } : {}), ...(terms.authorizations ? { authorizations: terms.authorizations } : {}),
  });
  return { ...plan, token, key };
}

/** Makes a CVCA: a self-signed CV certificate on a token key. bodySha256: the previewed body's, when one was reviewed. */
export async function initCvca(ctx: CaContext, terms: CvcaTerms & { readonly bodySha256?: string }): Promise<CvcCertificateRecord> {
  const state = cvcStateOf(ctx.journal);
  if (state.authorities().some((a) => a.chr === terms.chr)) {
    throw new CustosError('CA_EXISTS', `A CVC authority ${terms.chr} exists already: give the new CVCA the next sequence number.`, { chr: terms.chr });
  }
  const planned = await previewCvca(ctx, terms);
  requirePreviewed(planned, terms.bodySha256);
  requireCleanLint(planned.findings, terms.chr);
  const { token, key } = planned;
  return anchoredAct(ctx, token, [], async (journalKey) => {
    const intent = ctx.journal.begin('cvc.authority.init', {
      chr: terms.chr, profileId: terms.profileId ?? 'cvca', keySpkiSha256: key.spkiSha256, bodySha256: planned.bodySha256,
    }, tokenRecord(token.info));
    const raw = await runRecorded(ctx, intent, () => signKept(ctx, intent, planned.bodyRaw.length,
      async () => encodeCvCertificate(planned.bodyRaw, await signBodyOnToken(token.signer(key), planned.bodyRaw, planned.body.publicKey))));
    const cert = decodeCvCertificate(raw);
    ctx.journal.complete(intent, {
      ...recordFields(cert, planned, terms.profileId ?? 'cvca', planned.body.publicKey), keySpkiSha256: key.spkiSha256, keySpec: { ...key.spec },
      journalKey: { keySpkiSha256: journalKey.spkiSha256, spki: b64(journalKey.spki) },
    });
    return cvcStateOf(ctx.journal).certificates.get(sha256Hex(raw))!;
  });
}

// ---- certificates signed by an authority (DV, terminal, link) ----

export interface CvcSignTerms {
  /** The signing authority: its certificate id or CHR. */
  readonly issuer: string;
  readonly profileId: string;
  /** The request whose key is certified … */
  readonly requestId?: string;
  /** … or, for a rollover's link certificate, the new CVCA whose key the old one certifies. */
  readonly holder?: string;
  /** Default: the request's (or new CVCA's) CHR. */
  readonly chr?: string;
  readonly validityDays?: number;
  readonly authorizations?: readonly string[];
  readonly effectiveDate?: Date;
}

interface Subject { readonly key: CvcPublicKey; readonly chr: string; readonly requestId?: string }

function subjectOf(ctx: CaContext, terms: CvcSignTerms, all: readonly CvCertificate[]): Subject {
  if (terms.requestId !== undefined) {
    const request = requireCvcRequest(ctx.journal, terms.requestId);
    const inner = decodeCvRequest(request.raw).inner;
    return { key: inner.body.publicKey, chr: inner.body.chr, requestId: request.id };
  }
  if (terms.holder !== undefined) {
    const holder = requireCvcCertificate(ctx.journal, terms.holder);
    const cert = decodeCvCertificate(holder.raw);
    return { key: requireCurve(resolvedKey(cert, all), cert.body.chr), chr: cert.body.chr };
  }
  throw new CustosError('INPUT_INVALID', 'Name the request to certify (--request), or for a link certificate the new CVCA (--holder).', {});
}

export function requireAuthority(ctx: CaContext, idOrChr: string): CvcCertificateRecord {
  const state = cvcStateOf(ctx.journal);
  const found = state.authorities().find((a) => a.id === idOrChr) ?? state.authorities().reverse().find((a) => a.chr === idOrChr);
  if (!found) {
    const known = state.authorities().map((a) => a.chr);
    throw new CustosError('CVC_AUTHORITY_NOT_FOUND', `No CVC authority "${idOrChr}" here.${known.length ? ` Known: ${[...new Set(known)].join(', ')}.` : ' Make a CVCA first (custos cvc init).'}`, { issuer: idOrChr });
  }
  return found;
}

/** The plan for terms, without the token: what the preview shows. */
export function previewCvcCertificate(ctx: CaContext, terms: CvcSignTerms): CvcPlan & { issuer: CvcCertificateRecord; issuerKey: CvcPublicKey; requestId?: string } {
  const issuer = requireAuthority(ctx, terms.issuer);
  const profile = profileOf(ctx, terms.profileId);
  if (profile.role === 'cvca' && !profile.link) throw new CustosError('PROFILE_INVALID', `Profile ${profile.id} makes a self-signed CVCA: use custos cvc init.`, { profileId: profile.id });
  const all = knownCertificates(ctx.journal);
  const issuerCert = decodeCvCertificate(issuer.raw);
  const issuerKey = requireCurve(resolvedKey(issuerCert, all), issuerCert.body.chr);
  const subject = subjectOf(ctx, terms, all);
  const plan = planCvcCertificate({
    profile, chr: terms.chr ?? subject.chr, holderKey: subject.key, issuer: { body: issuerCert.body, key: issuerKey }, signingKey: issuerKey,
    effectiveDate: terms.effectiveDate ?? startOfDay(ctx.now()),
    ...(terms.validityDays ? { validityDays: terms.validityDays } : {}), ...(terms.authorizations ? { authorizations: terms.authorizations } : {}),
  });
  return { ...plan, issuer, issuerKey, ...(subject.requestId ? { requestId: subject.requestId } : {}) };
}

/**
 * Signs the certificate terms describe with the issuer's key, found on any
 * open token by its public key. bodySha256 is the previewed body's hash:
 * signing refuses (PREVIEW_STALE) a body that differs from it.
 */
export async function signCvcCertificate(ctx: CaContext, terms: CvcSignTerms & { readonly bodySha256?: string }): Promise<CvcCertificateRecord> {
  const plan = previewCvcCertificate(ctx, terms);
  requirePreviewed(plan, terms.bodySha256);
  requireCleanLint(plan.findings, plan.body.chr);
  const { issuer, issuerKey } = plan;
  const { token, key } = await ctx.tokens.requireKey(issuer.keySpkiSha256!, `CVC authority ${issuer.chr}`);
  return anchoredAct(ctx, token, [issuer.id], async () => {
    const intent = ctx.journal.begin('cvc.certificate.sign', {
      issuerId: issuer.id, profileId: terms.profileId, chr: plan.body.chr, car: plan.body.car!, bodySha256: plan.bodySha256,
      ...(plan.requestId ? { requestId: plan.requestId } : {}),
    }, tokenRecord(token.info));
    let raw: Uint8Array;
    try {
      raw = await runRecorded(ctx, intent, () => signKept(ctx, intent, plan.bodyRaw.length,
        async () => encodeCvCertificate(plan.bodyRaw, await signBodyOnToken(token.signer(key), plan.bodyRaw, issuerKey))));
    } catch (e) {
      ctx.tokens.forgetKey(issuer.keySpkiSha256!);
      throw e;
    }
    const cert = decodeCvCertificate(raw);
    ctx.journal.complete(intent, {
      ...recordFields(cert, plan, terms.profileId, plan.body.publicKey), issuerId: issuer.id,
      ...(plan.requestId ? { requestId: plan.requestId } : {}),
    });
    return cvcStateOf(ctx.journal).certificates.get(sha256Hex(raw))!;
  });
}

// ---- requests for keys on tokens ----

export interface CvcRequestTerms {
  readonly tokenId: string;
  readonly keySpkiSha256: string;
  readonly chr: string;
  /** The authority the request is for (42 in the body); optional, as in TR-03110 part 3 §C.2. */
  readonly car?: string;
  readonly algorithm?: string;
}

/**
 * A plain CV request (7F21) for a key on a token, its inner signature made by
 * that key: how a DV or terminal whose key Custos holds asks its issuer.
 * Journaled as a signature of that key, and imported like any request.
 */
export async function makeCvcRequest(ctx: CaContext, terms: CvcRequestTerms): Promise<Uint8Array> {
  const { token, key } = await tokenKey(ctx, terms.tokenId, terms.keySpkiSha256);
  const holderKey = cvcKeyOfTokenKey(key, algorithmOid(terms.algorithm, key.spec));
  const bodyRaw = encodeCvcBody({ cpi: 0, ...(terms.car ? { car: terms.car } : {}), publicKey: holderKey, chr: terms.chr });
  const intent = ctx.journal.begin('cvc.request.make', { chr: terms.chr, keySpkiSha256: key.spkiSha256, bodySha256: sha256Hex(bodyRaw) }, tokenRecord(token.info));
  const raw = await runRecorded(ctx, intent, async () => encodeCvCertificate(bodyRaw, await signBodyOnToken(token.signer(key), bodyRaw, holderKey)));
  ctx.journal.complete(intent, { requestSha256: sha256Hex(raw) });
  return raw;
}
