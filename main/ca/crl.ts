/**
 * Issuing a full CRL: every revocation the journal holds for the CA, a CRL
 * number one above any ever reserved (so numbers only grow, even after a
 * failed attempt), nextUpdate from the CA's policy and never past its notAfter.
 */
import { createHash } from 'node:crypto';
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
import type { CrlRecord } from './state.ts';

export interface CrlRequest {
  readonly caId: string;
  readonly nextUpdateDays?: number;
  readonly issuingDistributionPointUri?: string;
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

export function revokedEntries(ctx: CaContext, caId: string): RevokedEntry[] {
  return [...(ctx.state.revoked.get(caId)?.values() ?? [])].map((r) => ({
    serialHex: r.serialHex,
    revocationDate: new Date(r.revokedAt),
    ...(r.reason !== 'unspecified' ? { reason: r.reason as CrlReason } : {}),
    ...(r.invalidityDate ? { invalidityDate: new Date(r.invalidityDate) } : {}),
  }));
}

/** Issues the CRL on the token that holds the CA key, whose journal key then signs a checkpoint over it. */
export async function issueCrl(ctx: CaContext, req: CrlRequest): Promise<{ record: CrlRecord; der: Uint8Array; clipped: boolean }> {
  const ca = requireCa(ctx, req.caId);
  const { token } = await ctx.tokens.requireKey(ca.keySpkiSha256, `CA "${ca.name}"`);
  return anchoredAct(ctx, token, [ca.id], () => issueCrlOnToken(ctx, req));
}

async function issueCrlOnToken(ctx: CaContext, req: CrlRequest): Promise<{ record: CrlRecord; der: Uint8Array; clipped: boolean }> {
  const ca = requireCa(ctx, req.caId);
  const { token, key } = await ctx.tokens.requireKey(ca.keySpkiSha256, `CA "${ca.name}"`);
  const crlNumber = (ctx.state.lastCrlNumber.get(ca.id) ?? 0n) + 1n;
  const thisUpdate = ctx.now();
  const policy = crlPolicy(ctx, ca.id);
  const { nextUpdate, clipped } = crlNextUpdate(thisUpdate, req.nextUpdateDays ?? policy?.nextUpdateDays ?? CRL_NEXT_UPDATE_DAYS, new Date(ca.notAfter));
  const idp = req.issuingDistributionPointUri ?? policy?.issuingDistributionPoint;
  const algorithm = signAlgorithmFor(key.spec);
  const entries = revokedEntries(ctx, ca.id);
  const tbsDer = buildCrlTbs({
    issuerCertDer: ca.certDer, entries, crlNumber, thisUpdate, nextUpdate, algorithm: algorithmIdentifierFor(algorithm),
    ...(idp ? { issuingDistributionPoint: { uri: idp } } : {}),
  });
  const tbsSha256 = createHash('sha256').update(tbsDer).digest('hex');
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
