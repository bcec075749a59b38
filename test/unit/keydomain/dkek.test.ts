import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { combineShares, deriveKeys, kcv } from '../../../main/keydomain/dkek.ts';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { wrapKey } from '../../../main/keydomain/key-blob.ts';
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

  it('gives as KCV the first 8 bytes of SHA-256(DKEK), and heads every key blob with it', () => {
    const dkek = new Uint8Array(randomBytes(32));
    assert.equal(hex(kcv(dkek)), opensslSha256(dkek).slice(0, 16));
    const blob = wrapKey({ dkek, key: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey });
    assert.equal(hex(blob.subarray(0, 8)), hex(kcv(dkek)));
  });

  it('derives K_enc and K_mac as SHA-256 of the DKEK with counters 1 and 2', () => {
    const dkek = new Uint8Array(randomBytes(32));
    const { kEnc, kMac } = deriveKeys(dkek);
    assert.equal(hex(kEnc), opensslSha256(Uint8Array.of(...dkek, 0, 0, 0, 1)));
    assert.equal(hex(kMac), opensslSha256(Uint8Array.of(...dkek, 0, 0, 0, 2)));
  });
});
