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

export function revokeSerial(ctx: CaContext, req: RevokeRequest): { issued: IssuedRecord; revocation: RevocationRecord } {
  const ca = requireCa(ctx, req.caId);
  const issued = requireIssued(ctx, ca.id, req.serialHex);
  if (issued.sha256 === ca.id) {
    throw new CustosError('INPUT_INVALID', 'A root cannot revoke its own certificate: retire the root instead.', { caId: ca.id });
  }
  const existing = ctx.state.revoked.get(ca.id)?.get(issued.serialHex);
  if (existing) {
    throw new CustosError('ALREADY_REVOKED', `Serial ${issued.serialHex} was revoked already on ${existing.revokedAt} (${existing.reason}).`, { serialHex: issued.serialHex });
  }
  const now = ctx.now();
  if (req.invalidityDate && req.invalidityDate.getTime() > now.getTime()) {
    throw new CustosError('INPUT_INVALID', 'The invalidity date is in the future: give the date the key was last known to be safe.', { field: 'invalidityDate' });
  }
  ctx.journal.append('certificate.revoke', {
    caId: ca.id, serialHex: issued.serialHex, reason: req.reason, revokedAt: now.toISOString(),
    ...(req.invalidityDate ? { invalidityDate: req.invalidityDate.toISOString() } : {}),
  }, { durable: true });
  return { issued, revocation: ctx.state.revoked.get(ca.id)!.get(issued.serialHex)! };
}
