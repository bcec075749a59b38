/**
 * The shape every signing act shares: the intent is already durable in the
 * journal; run the token step, and on failure record the failure before the
 * error goes on, so the journal never holds an intent the operator was not
 * told about.
 */
import { CustosError } from '../errors/index.ts';
import type { JournalEntry } from '../journal/index.ts';
import type { KeyRef, Token } from '../hsm/token.ts';
import { signTbs, verifyIssued, type CertificatePlan } from '../pki/x509/issue.ts';
import type { CaContext } from './context.ts';

export async function runRecorded<T>(ctx: CaContext, intent: JournalEntry, act: () => Promise<T>): Promise<T> {
  try {
    return await act();
  } catch (e) {
    ctx.journal.fail(intent, e instanceof CustosError ? e : { code: 'SIGN_FAILED', message: String(e) });
    throw e;
  }
}

/** Signs a linted plan on the token and checks the signature against the signing key. */
export function signPlan(ctx: CaContext, intent: JournalEntry, plan: CertificatePlan, token: Token, key: KeyRef): Promise<Uint8Array> {
  return runRecorded(ctx, intent, async () => {
    const certDer = await signTbs(plan.linted, token.signer(key), plan.algorithm);
    verifyIssued(certDer, key.spki);
    return certDer;
  });
}
