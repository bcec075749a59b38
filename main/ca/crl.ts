/**
 * Issuing a full CRL: every revocation the journal holds for the CA, a CRL
 * number one above any ever reserved (so numbers only grow, even after a
 * failed attempt), nextUpdate from the CA's policy and never past its notAfter.
 */
import { assertCrlLintClean } from '../pki/x509/crl-lint.ts';
import { createHash } from 'node:crypto';
import { CustosError } from '../errors/index.ts';
import type { SignAlgorithm } from '../hsm/token.ts';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tokenRecord } from '../hsm/token.ts';
import { algorithmIdentifierFor, signAlgorithmFor } from '../pki/x509/algorithms.ts';
import { buildCrlTbs, crlNextUpdate, signCrl, CRL_NEXT_UPDATE_DAYS } from '../pki/x509/crl.ts';
import type { RevokedEntry, CrlReason } from '../pki/x509/revocation.ts';
import { writeNewFile } from '../exchange/files.ts';
import { crlDir, profileFor, requireCa, type CaContext } from './context.ts';
import { runRecorded, signKept } from './recorded-act.ts';
import { anchoredAct } from './journal-anchor.ts';
import type { CrlRecord, RevocationRecord } from './state.ts';
import { dropPreview, keepPreview, keptPreview, requireSameTbs, sha256Hex } from './previews.ts';
import type { Work } from '../work/progress-hub.ts';

/** Revocations read between two progress reports (and two turns of the event loop, so the window hears them). */
const ENTRIES_PER_STEP = 2_000;

/** Why a CRL is not stopped once its intent is written: the window shows it instead of Cancel. */
export const CRL_SIGNING_NOT_CANCELLABLE = 'the token is signing the CRL and it is being recorded; stopping now would leave an act half done.';

export interface CrlRequest {
  readonly caId: string;
  readonly nextUpdateDays?: number;
  readonly issuingDistributionPointUri?: string;
  /** The SHA-256 of the TBS previewCrl showed: exactly that CRL is signed. Without it the act previews for itself. */
  readonly tbsSha256?: string;
}

/** The CRL policy of the profile the CA's own certificate was issued under, if it names one. */
function crlPolicy(ctx: CaContext, caId: string): { nextUpdateDays?: number; issuingDistributionPoint?: string } | undefined {
  const own = [...ctx.state.issued.values()].flatMap((m) => [...m.values()]).find((r) => r.sha256 === caId);
  if (!own) return undefined;
  try {
    return profileFor(ctx, own.profileId).crl;
  } catch {
    return undefined;
  }
}

function revokedEntry(r: RevocationRecord): RevokedEntry {
  return {
    serialHex: r.serialHex,
    revocationDate: new Date(r.revokedAt),
    ...(r.reason !== 'unspecified' ? { reason: r.reason as CrlReason } : {}),
    ...(r.invalidityDate ? { invalidityDate: new Date(r.invalidityDate) } : {}),
  };
}

export function revokedEntries(ctx: CaContext, caId: string): RevokedEntry[] {
  return [...(ctx.state.revoked.get(caId)?.values() ?? [])].map(revokedEntry);
}

/** A turn of the event loop: a report just made reaches the window, and a cancel sent meanwhile is heard. */
const nextTurn = (): Promise<void> => new Promise<void>((resolve) => { setImmediate(resolve); });

/** What a CRL's entries are read for: the words of its progress and of its cancel. */
interface CrlWork {
  readonly noun: string;
  cancelled(caId: string, when: string): CustosError;
}

const ISSUING: CrlWork = {
  noun: 'CRL',
  cancelled: (caId, when) => new CustosError('CANCELLED', `The CRL was not issued: it was cancelled ${when}. Nothing was recorded or signed.`, { caId }),
};

const PREVIEWING: CrlWork = {
  noun: 'CRL preview',
  cancelled: (caId, when) => new CustosError('CANCELLED', `The CRL preview was cancelled ${when}. Nothing was kept, recorded or signed; preview it again to review it.`, { caId }),
};

/**
 * The revocations of a CA read in steps, each reported to work (entries of
 * total) with a turn of the event loop between, so a CA of many revocations
 * shows how far its CRL is; a cancel between steps stops it (CANCELLED),
 * safe since nothing is recorded, kept or signed yet.
 */
async function revokedEntriesInSteps(ctx: CaContext, caId: string, work: Work, purpose: CrlWork): Promise<RevokedEntry[]> {
  const records = [...(ctx.state.revoked.get(caId)?.values() ?? [])];
  const entries = new Array<RevokedEntry>(records.length);
  const total = records.length;
  work.report(0, total, `Reading ${total} revocations for the ${purpose.noun}`);
  for (let start = 0; start < total; start += ENTRIES_PER_STEP) {
    await nextTurn();
    if (work.cancelled) throw purpose.cancelled(caId, 'while its entries were read');
    const end = Math.min(total, start + ENTRIES_PER_STEP);
    for (let i = start; i < end; i++) entries[i] = revokedEntry(records[i]!);
    work.report(end, total, `Read ${end} of ${total} revocations for the ${purpose.noun}`);
  }
  return entries;
}

/** A CRL as it would be signed: the exact TBS, and what it says, for the preview and the act. */
export interface CrlPlan {
  readonly caId: string;
  readonly tbsDer: Uint8Array;
  readonly tbsSha256: string;
  readonly crlNumber: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** nextUpdate was cut back to the CA certificate's notAfter. */
  readonly clipped: boolean;
  readonly entries: readonly RevokedEntry[];
  readonly issuingDistributionPoint?: string;
  readonly algorithm: SignAlgorithm;
}

/**
 * Plans the CRL (pure but for reading the state and the CA's profile): the
 * next CRL number, every revocation recorded, thisUpdate now or, for a kept
 * preview, when it was made. The CA's key spec comes from its record, so a
 * CRL can be previewed with its key on no open token.
 */
export function planCrl(ctx: CaContext, req: CrlRequest, fixed?: { crlNumber: bigint; thisUpdate: Date }, entries?: readonly RevokedEntry[]): CrlPlan {
  const ca = requireCa(ctx, req.caId);
  const crlNumber = fixed?.crlNumber ?? (ctx.state.lastCrlNumber.get(ca.id) ?? 0n) + 1n;
  const thisUpdate = fixed?.thisUpdate ?? ctx.now();
  const policy = crlPolicy(ctx, ca.id);
  const { nextUpdate, clipped } = crlNextUpdate(thisUpdate, req.nextUpdateDays ?? policy?.nextUpdateDays ?? CRL_NEXT_UPDATE_DAYS, new Date(ca.notAfter));
  const idp = req.issuingDistributionPointUri ?? policy?.issuingDistributionPoint;
  const algorithm = signAlgorithmFor(ca.keySpec);
  entries ??= revokedEntries(ctx, ca.id);
  const tbsDer = buildCrlTbs({
    issuerCertDer: ca.certDer, entries, crlNumber, thisUpdate, nextUpdate, algorithm: algorithmIdentifierFor(algorithm),
    ...(idp ? { issuingDistributionPoint: { uri: idp } } : {}),
  });
  // Read back from the bytes and checked against RFC 5280 before any preview shows it or any token signs it.
  assertCrlLintClean(tbsDer, { certDer: ca.certDer });
  return {
    caId: ca.id, tbsDer, tbsSha256: sha256Hex(tbsDer), crlNumber, thisUpdate, nextUpdate, clipped, entries, algorithm,
    ...(idp ? { issuingDistributionPoint: idp } : {}),
  };
}

/** The CRL as it would be signed, kept (previews.ts) under its TBS SHA-256 for issueCrl to sign exactly. */
export function previewCrl(ctx: CaContext, req: CrlRequest): CrlPlan {
  return keptPlan(ctx, planCrl(ctx, req));
}

function keptPlan(ctx: CaContext, plan: CrlPlan): CrlPlan {
  keepPreview(ctx, 'crl', plan.tbsDer, plan.thisUpdate, plan.crlNumber.toString(16));
  return plan;
}

/** A CRL preview as the window shows it: the plan, and whether the CA's key is on an open token to sign it now. */
export interface CrlPreviewPlan extends CrlPlan {
  readonly keyOnOpenToken: boolean;
}

/**
 * previewCrl reporting into work: the revocations read in steps (entries of
 * total), then the TBS encoded and read back by the lint, one call shown as
 * under way, not counted; then the CA's key looked for on the open tokens,
 * which a card may take a moment to answer. A cancel is honoured after each
 * step until the preview is kept, and leaves nothing: no kept preview, no
 * journal entry (a preview records none), no CRL number reserved.
 */
export async function previewCrlInSteps(ctx: CaContext, req: CrlRequest, work: Work): Promise<CrlPreviewPlan> {
  const ca = requireCa(ctx, req.caId);
  const entries = await revokedEntriesInSteps(ctx, ca.id, work, PREVIEWING);
  work.report(0, 0, `Encoding the CRL's ${entries.length} entries and checking them against RFC 5280`);
  await nextTurn();
  if (work.cancelled) throw PREVIEWING.cancelled(ca.id, 'before its entries were encoded');
  const plan = planCrl(ctx, req, undefined, entries);
  work.report(0, 0, `Looking for the key of CA "${ca.name}" on the open tokens`);
  // The encoding and lint held the event loop: a cancel sent meanwhile is heard during the lookup.
  const keyOnOpenToken = (await ctx.tokens.findKey(ca.keySpkiSha256)) !== undefined;
  if (work.cancelled) throw PREVIEWING.cancelled(ca.id, 'while the CA key was looked for');
  return { ...keptPlan(ctx, plan), keyOnOpenToken };
}

/**
 * Issues the CRL previewed under req.tbsSha256 on the token that holds the CA
 * key, whose journal key then signs a checkpoint over it. Planned again from
 * the preview's CRL number and thisUpdate: a revocation recorded since, or a
 * CRL issued since, makes other bytes and is refused (PREVIEW_MISMATCH).
 */
export async function issueCrl(ctx: CaContext, req: CrlRequest, work?: Work): Promise<{ record: CrlRecord; der: Uint8Array; clipped: boolean }> {
  const ca = requireCa(ctx, req.caId);
  const { token } = await ctx.tokens.requireKey(ca.keySpkiSha256, `CA "${ca.name}"`);
  const tbsSha256 = req.tbsSha256 ?? previewCrl(ctx, req).tbsSha256;
  const kept = keptPreview(ctx, 'crl', tbsSha256);
  const entries = work ? await revokedEntriesInSteps(ctx, ca.id, work, ISSUING) : undefined;
  if (work) {
    if (work.cancelled) throw new CustosError('CANCELLED', 'The CRL was not issued: it was cancelled. Nothing was recorded or signed.', { caId: ca.id });
    // Encoding and signing are one call each, not counted: the bar shows work under way, not a full bar.
    work.report(0, 0, `Encoding the CRL's ${entries!.length} entries`);
  }
  const plan = planCrl(ctx, req, { crlNumber: BigInt(`0x${kept.number}`), thisUpdate: new Date(kept.madeAt) }, entries);
  const next = (ctx.state.lastCrlNumber.get(ca.id) ?? 0n) + 1n;
  if (plan.crlNumber < next) {
    throw new CustosError('PREVIEW_STALE', `CRL number ${plan.crlNumber} has been issued or reserved since the preview. Preview the CRL again, review it, and issue that.`, { crlNumber: plan.crlNumber.toString() });
  }
  requireSameTbs('crl', tbsSha256, plan.tbsDer, 'a revocation was recorded since, or the CA, its CRL policy or the period differ from the preview\'s.');
  // From the intent on, the act is recorded and signed whole: no cancel.
  work?.report(0, 0, `Signing CRL ${plan.crlNumber} (${plan.entries.length} entries) on the token`, CRL_SIGNING_NOT_CANCELLABLE);
  const result = await anchoredAct(ctx, token, [ca.id], () => issueCrlOnToken(ctx, plan));
  dropPreview(ctx, tbsSha256);
  return result;
}

async function issueCrlOnToken(ctx: CaContext, plan: CrlPlan): Promise<{ record: CrlRecord; der: Uint8Array; clipped: boolean }> {
  const ca = requireCa(ctx, plan.caId);
  const { token, key } = await ctx.tokens.requireKey(ca.keySpkiSha256, `CA "${ca.name}"`);
  const { crlNumber, thisUpdate, nextUpdate, entries, tbsDer, tbsSha256, algorithm, clipped } = plan;
  const intent = ctx.journal.begin('crl.issue', {
    caId: ca.id, crlNumber: crlNumber.toString(), entries: entries.length, thisUpdate: thisUpdate.toISOString(), nextUpdate: nextUpdate.toISOString(), tbsSha256,
  }, tokenRecord(token.info));
  const dir = crlDir(ctx, ca.id);
  const file = join(dir, `${crlNumber}.crl`);
  const der = await runRecorded(ctx, intent, async () => {
    const signed = await signKept(ctx, intent, tbsDer.length, () => signCrl(tbsDer, token.signer(key), algorithm)).catch((e: unknown) => {
      // The token may be gone or the key deleted: the next act looks the key up afresh.
      ctx.tokens.forgetKey(ca.keySpkiSha256);
      throw e;
    });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    await writeNewFile(file, signed);
    return signed;
  });
  ctx.journal.complete(intent, {
    caId: ca.id, crlNumber: crlNumber.toString(), entries: entries.length, thisUpdate: thisUpdate.toISOString(), nextUpdate: nextUpdate.toISOString(),
    sha256: createHash('sha256').update(der).digest('hex'), file, clipped,
  });
  const list = ctx.state.crls.get(ca.id)!;
  return { record: list[list.length - 1]!, der, clipped };
}
