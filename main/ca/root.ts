/**
 * Making a self-signed root on a token key: plan (pure), record the intent,
 * ask the token, verify, record the result.
 */
import { createHash } from 'node:crypto';
import { CustosError } from '../errors/index.ts';
import { tokenRecord, type KeyRef, type Token } from '../hsm/token.ts';
import { planRootCertificate, type CertificatePlan } from '../pki/x509/issue.ts';
import { signPlan } from './recorded-act.ts';
import { anchoredAct } from './journal-anchor.ts';
import { newSerial } from '../pki/x509/serial.ts';
import { describeCertificate } from '../pki/x509/preview.ts';
import { parseSubject } from './subject.ts';
import { dropPreview, keepPreview, keptPreview, requireSameTbs } from './previews.ts';
import { refuseKeyOnIncompleteDomain } from './key-domain.ts';
import { b64, profileFor, type CaContext } from './context.ts';
import type { CaRecord } from './state.ts';

export interface RootRequest {
  readonly tokenId: string;
  readonly keySpkiSha256: string;
  readonly profileId: string;
  readonly subject: string;
  readonly validityDays?: number;
  readonly name: string;
  /**
   * The SHA-256 of the TBS previewRoot showed: exactly that certificate is
   * signed. The window and the CLI always pass it; a caller that reviewed
   * nothing (a test, the rehearsal script) omits it and the act previews
   * for itself.
   */
  readonly tbsSha256?: string;
}

async function tokenKey(ctx: CaContext, tokenId: string, spkiSha256: string): Promise<{ token: Token; key: KeyRef }> {
  const token = await ctx.tokens.open(tokenId);
  const key = await token.findKey(spkiSha256);
  if (!key) throw new CustosError('KEY_NOT_FOUND', `The token ${token.info.label} holds no key with SHA-256 ${spkiSha256.slice(0, 16)}…: pick one of its keys.`, { tokenId, spkiSha256 });
  return { token, key };
}

/** What a preview fixed; without it, a new serial and now. */
interface Fixed {
  readonly serial: string;
  readonly now: Date;
}

/** What will be signed, for the preview and for createRoot; the CA's name plays no part in it. */
export async function planRoot(ctx: CaContext, req: Omit<RootRequest, 'name' | 'tbsSha256'>, fixed?: Fixed): Promise<{ plan: CertificatePlan; token: Token; key: KeyRef; serial: string }> {
  const { token, key } = await tokenKey(ctx, req.tokenId, req.keySpkiSha256);
  const serial = fixed?.serial ?? newSerial((h) => ctx.state.isSerialUsed(undefined, h));
  const plan = planRootCertificate({
    profile: profileFor(ctx, req.profileId), subject: parseSubject(req.subject), signerSpki: key.spki, spec: key.spec,
    serial, now: fixed?.now ?? ctx.now(), ...(req.validityDays ? { validityDays: req.validityDays } : {}),
  });
  return { plan, token, key, serial };
}

/**
 * The root certificate as it would be signed, kept (previews.ts) under its
 * TBS SHA-256 for createRoot to sign exactly.
 */
export async function previewRoot(ctx: CaContext, req: Omit<RootRequest, 'name' | 'tbsSha256'>): Promise<{ plan: CertificatePlan; tbsSha256: string }> {
  const now = ctx.now();
  const { plan, serial } = await planRoot(ctx, req, { serial: newSerial((h) => ctx.state.isSerialUsed(undefined, h)), now });
  return { plan, tbsSha256: keepPreview(ctx, 'root', plan.tbsDer, now, serial) };
}

/**
 * Signs the root previewed under req.tbsSha256, planned again from what that
 * preview fixed; PREVIEW_MISMATCH when the terms now give other bytes.
 */
export async function createRoot(ctx: CaContext, req: RootRequest): Promise<CaRecord> {
  if ([...ctx.state.cas.values()].some((c) => c.name === req.name)) {
    throw new CustosError('CA_EXISTS', `A CA named "${req.name}" exists already: choose another name.`, { name: req.name });
  }
  const tbsSha256 = req.tbsSha256 ?? (await previewRoot(ctx, req)).tbsSha256;
  const kept = keptPreview(ctx, 'root', tbsSha256);
  if (ctx.state.isSerialUsed(undefined, kept.number)) {
    throw new CustosError('PREVIEW_STALE', `The preview's serial ${kept.number} has been used since. Preview the root again, review it, and sign that.`, { serialHex: kept.number });
  }
  const planned = await planRoot(ctx, req, { serial: kept.number, now: new Date(kept.madeAt) });
  requireSameTbs('root', tbsSha256, planned.plan.tbsDer, 'the token, key, profile, subject or validity differ from the preview\'s, or the profile was edited since.');
  // A root's key must be one the custodians can back up: never one made before its card's domain was complete.
  await refuseKeyOnIncompleteDomain(planned.token);
  // The root's token gets its journal key (recorded before the root) and signs the checkpoint after it.
  const ca = await anchoredAct(ctx, planned.token, [], (journalKey) => signRoot(ctx, req, planned, journalKey));
  dropPreview(ctx, tbsSha256);
  return ca;
}

async function signRoot(ctx: CaContext, req: RootRequest, { plan, token, key, serial }: Awaited<ReturnType<typeof planRoot>>, journalKey: KeyRef): Promise<CaRecord> {
  const tbsSha256 = createHash('sha256').update(plan.tbsDer).digest('hex');
  const record = tokenRecord(token.info);
  // Everything the done entry's newCa says but the certificate: a kill after the token signed leaves
  // the intent and the kept certificate, from which the next open makes this CA (state.ts applyRecoveredRoot).
  const intent = ctx.journal.begin('ca.root', {
    name: req.name, profileId: req.profileId, subject: plan.preview.subject.text, serialHex: serial, tbsSha256, keySpkiSha256: key.spkiSha256,
    keySpec: { ...key.spec }, journalKey: { keySpkiSha256: journalKey.spkiSha256 },
  }, record);
  const certDer = await signPlan(ctx, intent, plan, token, key);
  const d = describeCertificate(certDer);
  ctx.journal.complete(intent, {
    caId: d.sha256, certificate: b64(certDer), sha256: d.sha256, serialHex: d.serialHex, subject: d.subject.text, issuer: d.issuer.text,
    notBefore: d.validity.notBefore, notAfter: d.validity.notAfter, profileId: req.profileId, isCa: true,
    newCa: { name: req.name, keySpkiSha256: key.spkiSha256, keySpec: { ...key.spec }, journalKey: { keySpkiSha256: journalKey.spkiSha256, spki: b64(journalKey.spki) } },
  });
  return ctx.state.cas.get(d.sha256)!;
}
