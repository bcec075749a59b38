/**
 * crl.preview through the core's progress hub: the CRL as it would be
 * signed, its revocations read in steps (entries of total), then encoded and
 * linted, then its key looked for, with a cancel honoured until the preview
 * is kept (previewCrlInSteps). Each entry
 * goes to the window with the subject it was issued to, where Custos issued
 * it, and its reason in words.
 */
import type { z } from 'zod';
import { CustosError } from '../errors/index.ts';
import type { Custos } from '../custos.ts';
import { previewCrlInSteps } from '../ca/crl.ts';
import { normalizeSerial } from '../ca/state.ts';
import { reasonInWords } from './reason-words.ts';
import type { CrlPreview, Handlers } from './contract.ts';

export const CRL_PREVIEW = 'crl.preview';

export async function previewCrlReporting(custos: Custos, { caId, nextUpdateDays }: Parameters<Handlers['crl.preview']>[0]): Promise<z.output<typeof CrlPreview>> {
  const ctx = custos.ctx;
  const ca = ctx.state.cas.get(caId);
  if (!ca) throw new CustosError('CA_NOT_FOUND', `No CA ${caId.slice(0, 12)}…`, { caId });
  const work = custos.work.begin(CRL_PREVIEW);
  let plan;
  try {
    plan = await previewCrlInSteps(ctx, { caId, ...(nextUpdateDays ? { nextUpdateDays } : {}) }, work);
  } finally {
    work.end();
  }
  const onToken = plan.keyOnOpenToken;
  const issued = ctx.state.issued.get(ca.id);
  return {
    caId: ca.id, crlNumber: plan.crlNumber.toString(), thisUpdate: plan.thisUpdate.toISOString(), nextUpdate: plan.nextUpdate.toISOString(), clipped: plan.clipped,
    entries: plan.entries.map((e) => {
      const subject = issued?.get(normalizeSerial(e.serialHex))?.subject;
      return {
        serialHex: e.serialHex.toLowerCase(), ...(subject !== undefined ? { subject } : {}), revocationDate: e.revocationDate.toISOString(),
        reason: e.reason ?? 'unspecified', reasonText: reasonInWords(e.reason ?? 'unspecified'),
        ...(e.invalidityDate ? { invalidityDate: e.invalidityDate.toISOString() } : {}),
      };
    }),
    ...(plan.issuingDistributionPoint ? { issuingDistributionPoint: plan.issuingDistributionPoint } : {}),
    tbsSha256: plan.tbsSha256, keyOnOpenToken: onToken,
    findings: [
      ...(onToken ? [] : [{ code: 'ca.key_not_on_open_token', severity: 'error' as const, message: `The key of CA "${ca.name}" is on no open token: insert the token that holds it and log in before issuing this CRL.` }]),
      ...(plan.clipped ? [{ code: 'crl.next_update_clipped', severity: 'warning' as const, message: `The next update was cut back to the CA certificate's end, ${ca.notAfter}.` }] : []),
    ],
  };
}
