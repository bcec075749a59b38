/**
 * Property-based robustness of what the driver reads from a card and what the
 * virtual card reads from a host: mutated valid encodings either parse or fail
 * with a typed CustosError (or, on the card side, a status word) — never
 * another exception, never a hang. Seeded, so a failure replays.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { encodeTlv } from '../../../../main/pki/cvc/tlv.ts';
import { parseResponseApdu, encodeCommandApdu } from '../../../../main/hsm/sc-hsm/apdu.ts';
import { versionFromFcp } from '../../../../main/hsm/sc-hsm/card.ts';
import { decodePrivateKeyDescription, encodePrivateKeyDescription } from '../../../../main/hsm/sc-hsm/pkcs15.ts';
import { spkiOfPublicObject } from '../../../../main/hsm/sc-hsm/keys.ts';
import { ecdsaPlainFromDer } from '../../../../main/hsm/sc-hsm/pka.ts';
import { tokenInfoLabel } from '../../../../main/hsm/sc-hsm/token.ts';
import { parseCommandApdu } from '../../../../main/hsm/virtual/apdu.ts';
import { failsOnlyTyped, mutate, mutationsArb, ROBUSTNESS_RUNS, ROBUSTNESS_SEED } from '../../../fixtures/cvc/mutations.ts';
import { makeDeviceChain, makeKeyGenerationRequest } from '../../../support/cvc-chain.ts';

const options = { seed: ROBUSTNESS_SEED, numRuns: ROBUSTNESS_RUNS };
const fcp = encodeTlv(0x62, [encodeTlv(0x81, Uint8Array.of(0, 0)), encodeTlv(0x85, Uint8Array.of(0, 1, 0xff, 3, 5))]);
const prkds = [
  encodePrivateKeyDescription({ kind: 'ec', label: 'Root CA 2026', id: new Uint8Array(20).fill(7), keyReference: 1, sizeBits: 384 }),
  encodePrivateKeyDescription({ kind: 'rsa', label: 'Issuing', id: Uint8Array.of(1, 2, 3), keyReference: 2, sizeBits: 3072 }),
];
const chain = makeDeviceChain();
const request = makeKeyGenerationRequest(chain, { curve: 'P-256', sequence: 1 }).request.raw;
const ecdsaDer = new Uint8Array((await import('node:crypto')).sign('sha256', Buffer.from('x'), { key: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey, dsaEncoding: 'der' }));
const commands = [
  encodeCommandApdu({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: Uint8Array.of(0xe8, 0x2b, 6, 1, 4, 1, 0x81, 0xc3, 0x1f, 2, 1), ne: 256 }),
  encodeCommandApdu({ cla: 0x80, ins: 0x68, p1: 1, p2: 0x70, data: new Uint8Array(48).fill(1), ne: 512 }),
  encodeCommandApdu({ cla: 0x80, ins: 0x74, p1: 1, p2: 0x93, data: new Uint8Array(600).fill(2), ne: 65536 }),
  encodeCommandApdu({ cla: 0x00, ins: 0x20, p1: 0, p2: 0x81 }),
];

describe('SmartCard-HSM parsers survive mutated input', { timeout: 60_000 }, () => {
  it('response APDU split (data, status word)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => failsOnlyTyped(() => parseResponseApdu(b), ['APDU_'])), options);
  });
  it('applet version from the SELECT answer (FCP)', () => {
    fc.assert(fc.property(mutationsArb, (m) => failsOnlyTyped(() => versionFromFcp(mutate(fcp, m)), ['TLV_', 'TOKEN_NOT_FOUND'])), options);
  });
  it('PKCS#15 private key descriptions', () => {
    fc.assert(fc.property(fc.constantFrom(...prkds), mutationsArb, (d, m) => failsOnlyTyped(() => decodePrivateKeyDescription(mutate(d, m)), ['FORMAT_'])), options);
  });
  it('a key\'s public object (CV request or X.509)', () => {
    fc.assert(fc.property(mutationsArb, (m) => failsOnlyTyped(() => spkiOfPublicObject(mutate(request, m)), ['TLV_', 'CVC_', 'FORMAT_', 'KEY_SPEC_'])), options);
  });
  it('ECDSA signatures from a custodian card', () => {
    fc.assert(fc.property(mutationsArb, (m) => failsOnlyTyped(() => ecdsaPlainFromDer(mutate(ecdsaDer, m), 32), ['SIGN_', 'PKA_', 'FORMAT_', 'APDU_'])), options);
  });
  it('TokenInfo labels never throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => { tokenInfoLabel(b); return true; }), options);
  });
  it('the virtual card\'s command APDU parser answers malformed APDUs with nothing, not an exception', () => {
    fc.assert(fc.property(fc.constantFrom(...commands), mutationsArb, (c, m) => {
      const parsed = parseCommandApdu(mutate(c, m));
      return parsed === undefined || typeof parsed.ins === 'number';
    }), options);
    assert.equal(parseCommandApdu(Uint8Array.of(0x00)), undefined);
  });
});
