/**
 * crl.issue through the core's progress hub: the CRL's revocations read in
 * steps (entries of total), a cancel honoured until the act's intent is
 * written, and from there the reason it can no longer be stopped.
 */
import type { Custos } from '../custos.ts';
import { issueCrl, type CrlRequest } from '../ca/crl.ts';

export const CRL_ISSUE = 'crl.issue';

export async function issueCrlReporting(custos: Custos, req: CrlRequest): ReturnType<typeof issueCrl> {
  const work = custos.work.begin(CRL_ISSUE);
  try {
    return await issueCrl(custos.ctx, req, work);
  } finally {
    work.end();
  }
}
