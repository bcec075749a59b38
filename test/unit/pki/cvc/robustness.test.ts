/**
 * Property-based robustness: mutated valid encodings either decode or fail with a
 * TLV_* / CVC_* CustosError — never another exception, never a hang. Seeded; the
 * valid encodings are generated per run (card-shaped chain, request and .wky), and
 * a failure prints the input bytes with the mutations, so it replays.
 */
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeTlv, decodeTlvList, children } from '../../../../main/pki/cvc/tlv.ts';
import { CARDCONTACT_SRCA, decodeCvCertificate, decodeCvRequest, decodeCvcChain } from '../../../../main/pki/cvc/cvc.ts';
import { makeDeviceChain, makeWrappedKeyFile } from '../../../support/cvc-chain.ts';
import { mutate, mutateInside, mutationsArb, failsOnlyTyped, ROBUSTNESS_RUNS, ROBUSTNESS_SEED } from '../../../fixtures/cvc/mutations.ts';

const PREFIXES = ['TLV_', 'CVC_'];
const chain = makeDeviceChain();
const wrapped = makeWrappedKeyFile(chain, { curve: 'secp256k1' });
const request = wrapped.request.raw;
const options = { seed: ROBUSTNESS_SEED, numRuns: ROBUSTNESS_RUNS };

function property(valid: readonly Uint8Array[], decode: (b: Uint8Array) => unknown): void {
  fc.assert(fc.property(fc.constantFrom(...valid), mutationsArb, (input, mutations) => failsOnlyTyped(() => decode(mutate(input, mutations)), PREFIXES)), options);
}

describe('decoders survive mutated input', { timeout: 20_000 }, () => {
  it('TLV decoder', () => {
    property([CARDCONTACT_SRCA, chain.ef2f02, wrapped.wky], (b) => {
      const list = decodeTlvList(b);
      for (const t of list) if (t.constructed) children(t);
      return decodeTlv(b);
    });
  });
  it('CV certificate decoder', () => {
    property([CARDCONTACT_SRCA, chain.srca.raw, chain.dica.raw, chain.device.raw], decodeCvCertificate);
  });
  it('EF 2F02 chain decoder', () => {
    property([chain.ef2f02], decodeCvcChain);
  });
  it('CV request decoder', () => {
    property([request, CARDCONTACT_SRCA], decodeCvRequest);
  });
  it('CV certificate and request decoders, damage inside a field with every length kept right', () => {
    fc.assert(fc.property(fc.constantFrom(CARDCONTACT_SRCA, request, chain.device.raw), fc.nat(), mutationsArb,
      (input, nth, mutations) => failsOnlyTyped(() => decodeCvRequest(mutateInside(input, nth, mutations)), PREFIXES)), options);
  });
});
