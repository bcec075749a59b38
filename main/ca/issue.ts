/**
 * Signing a request under a profile: the CA key is found by its public key on
 * any open token; the exact TBS is planned and linted (pure), recorded as an
 * intent, signed, verified against the issuer key, and recorded. A request
 * signed under a CA profile makes a new subordinate CA.
 */
import { createHash } from 'node:crypto';
import { CustosError } from '../errors/index.ts';
import { tokenRecord, type KeySpec, type Signer } from '../hsm/token.ts';
import { planIssuedCertificate, signTbs, type CertificatePlan } from '../pki/x509/issue.ts';
import { runRecorded, signKept } from './recorded-act.ts';
import { newSerial } from '../pki/x509/serial.ts';
import { describeSigned, type TbsDescription } from '../pki/x509/preview.ts';
import type { CsrInfo } from '../pki/x509/csr.ts';
import { readIssuer } from '../pki/x509/issuer.ts';
import type { Profile } from '../pki/x509/profiles.ts';
import { parseSubject } from './subject.ts';
import { b64, profileFor, requireCa, type CaContext } from './context.ts';
import { commonNameOf, normalizeSerial, type IssuedRecord } from './state.ts';
import { loadRequest, recordRequest } from './requests.ts';
import { anchoredAct } from './journal-anchor.ts';
import { dropPreview, keepPreview, keptPreview, requireSameTbs, sha256Hex, PREVIEW_MAX_AGE_MS } from './previews.ts';

export interface IssueRequest {
  readonly caId: string;
  readonly requestId: string;
  readonly profileId: string;
  readonly validityDays?: number;
  /** Replaces the request's subject: the CA decides names, the request proves the key. */
  readonly subject?: string;
  /** For a CA profile: the new CA's name (default: the subject's CN). */
  readonly name?: string;
  readonly pathLen?: number;
  /** The batch a preview belongs to: held until the batch is signed or abandoned (previews.ts). */
  readonly batch?: string;
  /**
   * The request as importRequests returned it: used as it is (no second read
   * or check of the stored file) when this process parsed it and it is the
   * request requestId names.
   */
  readonly csr?: CsrInfo;
  /**
   * The plan previewIssue made for these same terms and the operator
   * reviewed: signed as it is (its serial, validity and bytes), so what was
   * shown is what is signed. Refused (PREVIEW_STALE) when its serial has been
   * used since, it was made for another CA, request or profile, or it is
   * older than PREVIEW_MAX_AGE_MS.
   */
  readonly plan?: CertificatePlan;
  /**
   * The SHA-256 of the TBS a preview showed (previewIssue, request.preview, or
   * an earlier CLI run): planned again from what that preview fixed and
   * signed only if it is those bytes (previews.ts).
   */
  readonly tbsSha256?: string;
}

/**
 * Plans the certificate for a request. issuerSpki is the key that will sign
 * (the CA key found on the token); it must be the issuer certificate's key.
 * Without it, the issuer certificate's own key is planned with (a preview).
 */
export function planIssue(ctx: CaContext, req: IssueRequest, csr: CsrInfo, issuerSpki?: Uint8Array, profileOf: ProfileOf = (id) => profileFor(ctx, id), fixed?: { serial: string; now: Date }): { plan: CertificatePlan; serial: string; profile: Profile } {
  const ca = requireCa(ctx, req.caId);
  const serial = fixed?.serial ?? newSerial((h) => ctx.state.isSerialUsed(ca.id, h));
  const profile = profileOf(req.profileId);
  const plan = planIssuedCertificate({
    profile, csr, issuerCertDer: ca.certDer, issuerSpki: issuerSpki ?? readIssuer(ca.certDer).spki,
    serial, now: fixed?.now ?? ctx.now(),
    ...(req.validityDays ? { validityDays: req.validityDays } : {}),
    ...(req.subject ? { subjectOverride: parseSubject(req.subject) } : {}),
    ...(req.pathLen !== undefined ? { pathLen: req.pathLen } : {}),
  });
  return { plan, serial, profile };
}

/** The new CA as its intent and done entry name it; a key no token could hold (keySpec absent) makes no CA. */
function newCaOf(name: string, key: TbsDescription['subjectPublicKey']): { name: string; keySpkiSha256: string; keySpec?: KeySpec } {
  return { name, keySpkiSha256: key.spkiSha256, ...(key.spec.kind !== 'other' ? { keySpec: { ...(key.spec as KeySpec) } } : {}) };
}

/** How an act finds a profile: read afresh (an edited file is noticed), or as a batch read it once. */
type ProfileOf = (id: string) => Profile;

// Plans previewIssue made, with the terms they were made for: only these can be signed as previewed.
const previewed = new WeakMap<CertificatePlan, {
  readonly ctx: CaContext; readonly caId: string; readonly requestId: string; readonly profileId: string; readonly profile: Profile; readonly madeAt: number;
}>();

export { PREVIEW_MAX_AGE_MS };

/**
 * The certificate as it would be signed: kept under its TBS SHA-256
 * (previews.ts) for a later act given that hash, and remembered as an object
 * for this process's own batch (IssueRequest.plan).
 */
export function previewIssue(ctx: CaContext, req: IssueRequest): CertificatePlan {
  const { csr } = loadRequest(ctx, req.requestId, req.csr);
  const now = ctx.now();
  const { plan, profile, serial } = planIssue(ctx, req, csr, undefined, undefined, { serial: newSerial((h) => ctx.state.isSerialUsed(requireCa(ctx, req.caId).id, h)), now });
  keepPreview(ctx, 'certificate', plan.tbsDer, now, serial, req.batch);
  previewed.set(plan, { ctx, caId: req.caId, requestId: req.requestId, profileId: req.profileId, profile, madeAt: now.getTime() });
  return plan;
}

function stale(message: string): CustosError {
  return new CustosError('PREVIEW_STALE', `${message} Preview the certificate again, review it, and sign that.`, {});
}

/**
 * The reviewed plan of req.plan, checked to be the one to sign for req with
 * this key; or, without one, a fresh plan from the request (csr).
 */
function planToSign(ctx: CaContext, req: IssueRequest, csr: CsrInfo | undefined, issuerSpki: Uint8Array, profileOf: ProfileOf | undefined): { plan: CertificatePlan; serial: string; profile: Profile } {
  if (req.plan === undefined && req.tbsSha256 !== undefined) {
    const kept = keptPreview(ctx, 'certificate', req.tbsSha256);
    if (ctx.state.isSerialUsed(requireCa(ctx, req.caId).id, kept.number)) throw stale(`The preview's serial ${kept.number} has been used since.`);
    const planned = planIssue(ctx, req, csr ?? loadRequest(ctx, req.requestId, req.csr).csr, issuerSpki, profileOf, { serial: kept.number, now: new Date(kept.madeAt) });
    requireSameTbs('certificate', req.tbsSha256, planned.plan.tbsDer,
      'the CA, its key on the token, the request, the profile, the validity or the subject differ from the preview\'s, or the profile was edited since.');
    return planned;
  }
  if (req.plan === undefined) return planIssue(ctx, req, csr ?? loadRequest(ctx, req.requestId, req.csr).csr, issuerSpki, profileOf);
  const made = previewed.get(req.plan);
  if (!made || made.ctx !== ctx || made.caId !== req.caId || made.requestId !== req.requestId || made.profileId !== req.profileId) {
    throw stale('The preview was made for another CA, request or profile.');
  }
  const serial = req.plan.preview.serialHex;
  if (ctx.state.isSerialUsed(req.caId, serial)) throw stale(`The preview's serial ${serial} has been used since.`);
  if (ctx.now().getTime() - made.madeAt > PREVIEW_MAX_AGE_MS) throw stale('The preview is more than an hour old.');
  // Previewed with the issuer certificate's key; the token key found for the CA must be that key.
  if (Buffer.compare(readIssuer(requireCa(ctx, req.caId).certDer).spki, issuerSpki) !== 0) throw stale('The CA key on the token is not the key the preview was made with.');
  return { plan: req.plan, serial, profile: made.profile };
}

// Names of new CAs whose issuance is under way: a second one of the same name is refused
// before its intent, even while the first is still at the token.
const claimedCaNames = new WeakMap<CaContext, Set<string>>();

export function issueCertificate(ctx: CaContext, req: IssueRequest): Promise<IssuedRecord> {
  return anchoredIssue(ctx, req.caId, () => issueOne(ctx, req));
}

/** Runs issuance for the CA on the token that holds its key, with that token's journal key signing a checkpoint at the end. */
async function anchoredIssue<T>(ctx: CaContext, caId: string | undefined, run: () => Promise<T>): Promise<T> {
  if (caId === undefined) return run();
  const ca = requireCa(ctx, caId);
  const { token } = await ctx.tokens.requireKey(ca.keySpkiSha256, `CA "${ca.name}"`);
  return anchoredAct(ctx, token, [ca.id], run);
}

/** What the requests of one batch share. */
interface BatchPart {
  /** The batch's turn at the token: refuses (and so settles the intent as failed) once an earlier request has failed. */
  readonly turn: <T>(call: () => Promise<T>) => Promise<T>;
  /** The profiles as the batch first read them. */
  readonly profileOf: ProfileOf;
}

/**
 * One request: planned and linted, its intent written, signed once the intent
 * is on disk (Journal.settle), verified, recorded. In a batch, every token
 * call goes through the batch's turn.
 */
async function issueOne(ctx: CaContext, req: IssueRequest, batch?: BatchPart): Promise<IssuedRecord> {
  const ca = requireCa(ctx, req.caId);
  // A reviewed plan carries everything the request gave it: the stored request is not read again.
  const csr = req.plan === undefined ? loadRequest(ctx, req.requestId, req.csr).csr : undefined;
  const { token, key } = await ctx.tokens.requireKey(ca.keySpkiSha256, `CA "${ca.name}"`);
  const { plan, serial, profile } = planToSign(ctx, req, csr, key.spki, batch?.profileOf);
  const isCa = profile.kind === 'ca';
  const name = isCa ? (req.name ?? commonNameOf(plan.preview.subject.text) ?? serial) : undefined;
  const claimed = claimedCaNames.get(ctx) ?? new Set<string>();
  if (name !== undefined && (claimed.has(name) || [...ctx.state.cas.values()].some((c) => c.name === name))) {
    throw new CustosError('CA_EXISTS', `A CA named "${name}" exists already: give the new CA another name.`, { name });
  }
  const tbsSha256 = createHash('sha256').update(plan.tbsDer).digest('hex');
  const newCa = name === undefined ? undefined : newCaOf(name, plan.preview.subjectPublicKey);
  // Made durable by settle, with the intents of the requests queued behind it. A new CA is named
  // here too: if a kill leaves only the intent and the kept certificate, the next open makes the
  // CA from them (state.ts applyRecoveredIssue), as the done entry would have.
  const intent = ctx.journal.intend('certificate.issue', {
    caId: ca.id, requestId: req.requestId, profileId: req.profileId, subject: plan.preview.subject.text, serialHex: serial, tbsSha256,
    ...(newCa ? { newCa } : {}),
  }, tokenRecord(token.info));
  if (name !== undefined) {
    claimed.add(name);
    claimedCaNames.set(ctx, claimed);
  }
  let certDer: Uint8Array;
  try {
    const signer = token.signer(key);
    const turn = batch?.turn;
    const inTurn: Signer = turn ? { ...signer, sign: (message, algorithm) => turn(() => signer.sign(message, algorithm)) } : signer;
    certDer = await runRecorded(ctx, intent, () => signKept(ctx, intent, plan.tbsDer.length, () => signTbs(plan.linted, inTurn, plan.algorithm)));
  } catch (e) {
    // The token may be gone or the key deleted: the next request looks the key up afresh.
    if (!(e instanceof CustosError && e.code === 'BATCH_STOPPED')) ctx.tokens.forgetKey(ca.keySpkiSha256);
    throw e;
  } finally {
    if (name !== undefined) claimed.delete(name);
  }
  const d = describeSigned(plan.preview, certDer);
  ctx.journal.complete(intent, {
    caId: ca.id, certificate: b64(certDer), sha256: d.sha256, serialHex: d.serialHex, subject: d.subject.text, issuer: d.issuer.text,
    notBefore: d.validity.notBefore, notAfter: d.validity.notAfter, profileId: req.profileId, isCa, requestId: req.requestId,
    ...(newCa?.keySpec ? { newCa } : {}),
  });
  dropPreview(ctx, sha256Hex(plan.tbsDer));
  return ctx.state.issued.get(ca.id)!.get(normalizeSerial(d.serialHex))!;
}

/**
 * How many requests of a batch are planned ahead of the one at the token.
 * Enough that the token always has the next one ready and one fsync covers
 * several intents; few enough that a failure leaves only these behind.
 */
export const BATCH_WINDOW = 8;

/**
 * Issues a batch of requests on the session the CA key's token holds. Up to
 * BATCH_WINDOW requests are planned, linted and their intents written while
 * the token signs the one before; each intent is on disk before the token is
 * asked, and each certificate is recorded as done only after its own
 * signature verified. At the first failure the token is asked for nothing
 * more: the requests already planned have their intents settled as
 * BATCH_STOPPED, no further request is started, and the first error is thrown
 * once those under way have ended (what they issued is in the journal and
 * the state). Each profile is read once, when the batch first needs it.
 */
export function issueCertificates(ctx: CaContext, requests: readonly IssueRequest[]): Promise<IssuedRecord[]> {
  // One checkpoint for the batch, by the first CA's token (a batch is normally one CA's).
  return anchoredIssue(ctx, requests[0]?.caId, () => issueInOrder(ctx, requests.map((req) => () => req)));
}

/**
 * A file's requests, read and checked by parseCsrFile, imported and issued
 * under the same terms as one batch: each request is recorded just before it
 * is planned. As with issueCertificates, nothing after the first failure is
 * started: the requests not yet reached are neither imported nor issued.
 */
export function issueRequests(ctx: CaContext, fileName: string, csrs: readonly CsrInfo[], terms: Omit<IssueRequest, 'requestId' | 'csr'>): Promise<IssuedRecord[]> {
  return anchoredIssue(ctx, csrs.length > 0 ? terms.caId : undefined,
    () => issueInOrder(ctx, csrs.map((csr) => () => ({ ...terms, requestId: recordRequest(ctx, fileName, csr).id, csr }))));
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function issueInOrder(ctx: CaContext, jobs: readonly (() => IssueRequest)[]): Promise<IssuedRecord[]> {
  const issued: IssuedRecord[] = [];
  // The earliest request of the batch that failed: it stops those after it, never those before.
  let failure: { readonly index: number; readonly error: unknown } | undefined;
  const failed = (index: number, error: unknown): void => { if (!failure || index < failure.index) failure = { index, error }; };
  // The token signs one request at a time, in the batch's order: each request's turn is taken when it
  // is started and comes once the one before it has left the token (signed, failed, or never got
  // there). The check is made when the turn comes, so none goes to the token after an earlier one
  // failed there or in planning. (A signature that fails its check after the token returned it is
  // found while the next request is at the token; that one is checked in turn.)
  let tokenFree: Promise<void> = Promise.resolve();
  const turnOf = (index: number): { turn: <T>(call: () => Promise<T>) => Promise<T>; leave: () => void } => {
    const before = tokenFree;
    let leave!: () => void;
    tokenFree = new Promise<void>((resolve) => { leave = resolve; });
    const turn = <T>(call: () => Promise<T>): Promise<T> => {
      const mine = before.then(() => {
        if (failure && failure.index < index) {
          throw new CustosError('BATCH_STOPPED', 'Not signed: an earlier request of the batch failed, so the batch stopped before this one.', {});
        }
        return call();
      });
      mine.then(leave, (error: unknown) => { failed(index, error); leave(); });
      return mine;
    };
    return { turn, leave };
  };
  // Each profile is read once for the whole batch: every certificate of it is issued under the same
  // profile, even if its file is edited while the batch runs (and no file is looked at per certificate).
  const profiles = new Map<string, Profile>();
  const profileOf: ProfileOf = (id) => {
    let profile = profiles.get(id);
    if (profile === undefined) {
      profile = profileFor(ctx, id);
      profiles.set(id, profile);
    }
    return profile;
  };
  const running = new Set<Promise<void>>();
  for (const [i, job] of jobs.entries()) {
    while (running.size >= BATCH_WINDOW && !failure) await Promise.race(running);
    // Planning is host work: it waits its turn behind the token's answers, so the token is handed its next request first.
    if (i > 0) await nextTurn();
    if (failure) break;
    const { turn, leave } = turnOf(i);
    const current: Promise<void> = (async () => issueOne(ctx, job(), { turn, profileOf }))()
      .then((record) => { issued[i] = record; }, (error: unknown) => failed(i, error))
      // A request that failed before the token (lint, a taken CA name) gives its turn up here.
      .finally(() => { leave(); running.delete(current); });
    running.add(current);
  }
  await Promise.all(running);
  if (failure) throw failure.error;
  return issued;
}
