/**
 * The shape every signing act shares: the intent is already durable in the
 * journal; run the token step, and on failure record the failure before the
 * error goes on, so the journal never holds an intent the operator was not
 * told about.
 */
import type { JournalEntry } from '../journal/index.ts';
import type { KeyRef, Token } from '../hsm/token.ts';
import { signTbs, type CertificatePlan } from '../pki/x509/issue.ts';
import type { CaContext } from './context.ts';

export function runRecorded<T>(ctx: CaContext, intent: JournalEntry, act: () => Promise<T>): Promise<T> {
  return ctx.journal.settle(intent, act, 'SIGN_FAILED');
}

/**
 * What signing adds to a TBS, at most: the outer SEQUENCE's header, the
 * signature algorithm, and a BIT STRING holding an RSA-8192 or ECDSA P-521
 * signature, with room to spare.
 */
export const MAX_SIGNATURE_OVERHEAD_BYTES = 2048;

/**
 * Runs sign (the token step) with room for its result set aside on disk
 * first and the result kept there (Journal.reserveResult, keepResult): a
 * full disk refuses before the token signs, and what the token signed is
 * never lost because its record could not be written.
 */
export async function signKept(ctx: CaContext, intent: JournalEntry, tbsBytes: number, sign: () => Promise<Uint8Array>): Promise<Uint8Array> {
  ctx.journal.reserveResult(intent, tbsBytes + MAX_SIGNATURE_OVERHEAD_BYTES);
  const signed = await sign();
  ctx.journal.keepResult(intent, signed);
  return signed;
}

/**
 * Signs a linted plan on the token. signTbs checks the token's signature
 * against the signing key before it makes the certificate, so a wrong
 * signature fails the intent and nothing is recorded as done.
 */
export function signPlan(ctx: CaContext, intent: JournalEntry, plan: CertificatePlan, token: Token, key: KeyRef): Promise<Uint8Array> {
  return runRecorded(ctx, intent, () => signKept(ctx, intent, plan.tbsDer.length, () => signTbs(plan.linted, token.signer(key), plan.algorithm)));
}
