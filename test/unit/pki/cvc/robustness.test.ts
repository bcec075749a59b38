/**
 * Property-based robustness: mutated valid encodings either decode or fail with a
 * TLV_* / CVC_* CustosError — never another exception, never a hang. Seeded; a
 * failure prints its seed and path to replay.
 */
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeTlv, decodeTlvList, children } from '../../../../main/pki/cvc/tlv.ts';
import { CARDCONTACT_SRCA, decodeCvCertificate, decodeCvRequest, decodeCvcChain } from '../../../../main/pki/cvc/cvc.ts';
import { NITROKEY_EF2F02, NITROKEY_WKY } from '../../../fixtures/cvc/real-devices.ts';
import { mutate, mutateInside, mutationsArb, failsOnlyTyped, ROBUSTNESS_RUNS, ROBUSTNESS_SEED } from '../../../fixtures/cvc/mutations.ts';

const PREFIXES = ['TLV_', 'CVC_'];
const request = children(decodeTlv(NITROKEY_WKY)).find((t) => t.tag === 0x67)!.raw;
const options = { seed: ROBUSTNESS_SEED, numRuns: ROBUSTNESS_RUNS };

function property(valid: readonly Uint8Array[], decode: (b: Uint8Array) => unknown): void {
  fc.assert(fc.property(fc.constantFrom(...valid), mutationsArb, (input, mutations) => failsOnlyTyped(() => decode(mutate(input, mutations)), PREFIXES)), options);
}

describe('decoders survive mutated input', { timeout: 20_000 }, () => {
  it('TLV decoder', () => {
    property([CARDCONTACT_SRCA, NITROKEY_EF2F02, NITROKEY_WKY], (b) => {
      const list = decodeTlvList(b);
      for (const t of list) if (t.constructed) children(t);
      return decodeTlv(b);
    });
  });
  it('CV certificate decoder', () => {
    property([CARDCONTACT_SRCA, NITROKEY_EF2F02.subarray(0, 0xe7), NITROKEY_EF2F02.subarray(0xe7)], decodeCvCertificate);
  });
  it('EF 2F02 chain decoder', () => {
    property([NITROKEY_EF2F02], decodeCvcChain);
  });
  it('CV request decoder', () => {
    property([request, CARDCONTACT_SRCA], decodeCvRequest);
  });
  it('CV certificate and request decoders, damage inside a field with every length kept right', () => {
    fc.assert(fc.property(fc.constantFrom(CARDCONTACT_SRCA, request, NITROKEY_EF2F02.subarray(0, 0xe7)), fc.nat(), mutationsArb,
      (input, nth, mutations) => failsOnlyTyped(() => decodeCvRequest(mutateInside(input, nth, mutations)), PREFIXES)), options);
  });
});
