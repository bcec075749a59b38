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
 * Signs a linted plan on the token. signTbs checks the token's signature
 * against the signing key before it makes the certificate, so a wrong
 * signature fails the intent and nothing is recorded as done.
 */
export function signPlan(ctx: CaContext, intent: JournalEntry, plan: CertificatePlan, token: Token, key: KeyRef): Promise<Uint8Array> {
  return runRecorded(ctx, intent, () => signTbs(plan.linted, token.signer(key), plan.algorithm));
}
