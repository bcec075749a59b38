/**
 * Revocation by serial: recorded in the journal (the CRL is built from it),
 * with the reason and, for a key compromise, when the key was last trusted.
 */
import { CustosError } from '../errors/index.ts';
import type { CrlReason } from '../pki/x509/revocation.ts';
import { requireCa, requireIssued, type CaContext } from './context.ts';
import type { IssuedRecord, RevocationRecord } from './state.ts';

export interface RevokeRequest {
  readonly caId: string;
  readonly serialHex: string;
  readonly reason: CrlReason;
  readonly invalidityDate?: Date;
}

/** What a revocation will record, checked before anyone is asked to confirm it; nothing is recorded here. */
export interface RevocationPlan {
  readonly issued: IssuedRecord;
  /** The certificate is a subordinate CA's: every certificate it issued loses its trust with it. */
  readonly isCa: boolean;
  readonly caId: string;
  readonly caName: string;
}

export function planRevocation(ctx: CaContext, req: RevokeRequest): RevocationPlan {
  const ca = requireCa(ctx, req.caId);
  const issued = requireIssued(ctx, ca.id, req.serialHex);
  if (issued.sha256 === ca.id) {
    throw new CustosError('INPUT_INVALID', 'A root cannot revoke its own certificate: retire the root instead.', { caId: ca.id });
  }
  const existing = ctx.state.revoked.get(ca.id)?.get(issued.serialHex);
  if (existing) {
    throw new CustosError('ALREADY_REVOKED', `Serial ${issued.serialHex} was revoked already on ${existing.revokedAt} (${existing.reason}).`, { serialHex: issued.serialHex });
  }
  if (req.invalidityDate && req.invalidityDate.getTime() > ctx.now().getTime()) {
    throw new CustosError('INPUT_INVALID', 'The invalidity date is in the future: give the date the key was last known to be safe.', { field: 'invalidityDate' });
  }
  return { issued, isCa: issued.isCa, caId: ca.id, caName: ca.name };
}

export function revokeSerial(ctx: CaContext, req: RevokeRequest): { issued: IssuedRecord; revocation: RevocationRecord } {
  const { issued, caId } = planRevocation(ctx, req);
  const now = ctx.now();
  ctx.journal.append('certificate.revoke', {
    caId, serialHex: issued.serialHex, reason: req.reason, revokedAt: now.toISOString(),
    ...(req.invalidityDate ? { invalidityDate: req.invalidityDate.toISOString() } : {}),
  }, { durable: true });
  return { issued, revocation: ctx.state.revoked.get(caId)!.get(issued.serialHex)! };
}
