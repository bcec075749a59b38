/**
 * A SmartCard-HSM makes its own CV requests: GENERATE ASYMMETRIC KEY PAIR
 * answers with an authenticated request (67), signed inside by the new key
 * and outside by the device key, whose chain (EF 2F02: device CVC || DICA
 * CVC) leads to CardContact's SRCA, or on a rehearsal card to the virtual
 * root (SC-HSM.md §9). The request is imported with that chain, so its
 * attestation is checked and shown like any request brought on a medium.
 */
import { CustosError } from '../errors/index.ts';
import { tokenRecord, type KeySpec } from '../hsm/token.ts';
import { ScHsmToken } from '../hsm/sc-hsm/token.ts';
import { checkpointIfHeld } from '../ca/journal-anchor.ts';
import type { CaContext } from '../ca/context.ts';
import { concatBytes } from '../pki/cvc/tlv.ts';
import { importCvcRequest, type CvcRequestInspection } from './import.ts';
import type { CvcRequestRecord } from './state.ts';

export async function generateAttestedCvcRequest(ctx: CaContext, tokenId: string, spec: KeySpec, label: string): Promise<{ record: CvcRequestRecord; inspection: CvcRequestInspection }> {
  const token = await ctx.tokens.open(tokenId);
  if (!(token instanceof ScHsmToken)) {
    throw new CustosError('INPUT_INVALID', `${token.info.label} is not a SmartCard-HSM: only a SmartCard-HSM makes attested CV requests (make a plain one with custos cvc request --key).`, { tokenId });
  }
  const intent = ctx.journal.begin('key.generate', { tokenId, spec: { ...spec }, label, purpose: 'cvc' }, tokenRecord(token.info));
  const made = await ctx.journal.settle(intent, () => token.generateAttestedKeyPair(spec, label));
  ctx.journal.complete(intent, { keyId: made.key.id, spkiSha256: made.key.spkiSha256, label: made.key.label });
  await checkpointIfHeld(ctx, token).catch(() => undefined);
  const chain = concatBytes(...token.device.chain.map((c) => c.raw));
  return importCvcRequest(ctx.journal, `${label}.cvreq`, made.request, chain);
}
