/**
 * request.signBatch: several reviewed previews signed one after another, with
 * the core's progress after each certificate and a cancel that takes effect
 * between certificates (never inside a signature: an intent written and not
 * completed would be an act to recover, not a stop).
 */
import { CustosError } from '../errors/index.ts';
import type { Handlers, Output } from './contract.ts';
import type { WorkProgress } from './work-progress.ts';

export const BATCH_SIGN = 'request.signBatch';


/**
 * abandon sets aside what the batch's previews still hold once it ends: the
 * signed ones are gone already, and a stopped batch is previewed again.
 */
export function batchSignHandlers(hub: WorkProgress, signOne: Handlers['request.sign'], abandon: (batch: string) => void = () => undefined): Pick<Handlers, 'request.signBatch' | 'work.cancel'> {
  return {
    'request.signBatch': async ({ caId, profileId, validityDays, items, batch }): Promise<Output<'request.signBatch'>> => {
      const work = hub.begin(BATCH_SIGN);
      const issued: Output<'request.signBatch'>['issued'] = [];
      try {
        work.report(0, items.length, `Signing ${items.length} certificates`);
        for (const [i, item] of items.entries()) {
          if (work.cancelled) return { issued, cancelled: true, notSigned: items.slice(i).map((x) => x.requestId) };
          try {
            issued.push(await signOne({ caId, profileId, ...(validityDays ? { validityDays } : {}), requestId: item.requestId, tbsSha256: item.tbsSha256 }));
          } catch (err) {
            // The ones signed before stay signed (each is its own journal act); say which request stopped the batch.
            const e = err instanceof CustosError ? err : new CustosError('SIGN_FAILED', err instanceof Error ? err.message : String(err), {});
            throw new CustosError('BATCH_STOPPED', `Request ${i + 1} of ${items.length} was not signed (${e.code}: ${e.message}); ${issued.length} signed before it stay signed, the rest were not signed.`,
              { requestId: item.requestId, signed: issued.length, total: items.length, stoppedBy: e.code, ...(e.details.tokenId !== undefined ? { tokenId: e.details.tokenId } : {}) }, { cause: e });
          }
          work.report(i + 1, items.length, `Signed ${i + 1} of ${items.length} certificates`);
        }
        return { issued, cancelled: false, notSigned: [] };
      } finally {
        work.end();
        if (batch !== undefined) abandon(batch);
      }
    },
    'work.cancel': async ({ operation }) => ({ cancelling: hub.cancel(operation) }),
  };
}
