import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { combineShares, deriveKeys, kcv } from '../../../main/keydomain/dkek.ts';
import { NITROKEY_DKEK, NITROKEY_WKY } from '../../fixtures/cvc/real-devices.ts';
import { codeOf } from '../pki/cvc/support.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const opensslSha256 = (data: Uint8Array): string => execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: data }).toString('hex');

describe('DKEK', () => {
  it('combines shares by XOR, in any order, and one share is the DKEK itself', () => {
    const shares = [0, 1, 2].map(() => new Uint8Array(randomBytes(32)));
    const dkek = combineShares(shares);
    assert.equal(hex(combineShares([shares[2]!, shares[0]!, shares[1]!])), hex(dkek));
    assert.equal(hex(combineShares([shares[0]!])), hex(shares[0]!));
    const expected = shares[0]!.map((b, i) => b ^ shares[1]![i]! ^ shares[2]![i]!);
    assert.equal(hex(dkek), hex(expected));
  });

  it('refuses a share that is not 32 bytes, and no shares at all', () => {
    assert.equal(codeOf(() => combineShares([new Uint8Array(32), new Uint8Array(31)])), 'DKEK_SHARE_MALFORMED');
    assert.equal(codeOf(() => combineShares([])), 'DKEK_INCOMPLETE');
  });

  it('gives the KCV a real Nitrokey HSM wrote into its key blob', () => {
    // The blob inside the .wky starts at byte 8 (30 82 03 9A 04 82 01 6B): its first 8 bytes are the KCV.
    assert.equal(hex(kcv(NITROKEY_DKEK)), hex(NITROKEY_WKY.subarray(8, 16)));
    assert.equal(hex(kcv(NITROKEY_DKEK)), opensslSha256(NITROKEY_DKEK).slice(0, 16));
  });

  it('derives K_enc and K_mac as SHA-256 of the DKEK with counters 1 and 2', () => {
    const { kEnc, kMac } = deriveKeys(NITROKEY_DKEK);
    assert.equal(hex(kEnc), opensslSha256(Uint8Array.of(...NITROKEY_DKEK, 0, 0, 0, 1)));
    assert.equal(hex(kMac), opensslSha256(Uint8Array.of(...NITROKEY_DKEK, 0, 0, 0, 2)));
  });
});
