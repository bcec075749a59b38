import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkPrimeSync } from 'node:crypto';
import {
  formatColonHex, generateSharePassword, parseColonHex, recoverSharePassword, splitSharePassword,
} from '../../../main/keydomain/password-shares.ts';
import { decryptShareFile, encryptShareFile } from '../../../main/keydomain/share-file.ts';
import { Secret } from '../../../main/secret.ts';
import { codeOf } from '../pki/cvc/support.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('password shares', () => {
  it('makes an 8-byte password with the top bit clear', () => {
    for (let i = 0; i < 50; i++) {
      const p = generateSharePassword();
      assert.equal(p.length, 8);
      assert.equal(p[0]! & 0x80, 0);
    }
  });

  it('never makes a password whose first byte is zero, which sc-hsm-tool would drop when it rebuilds it', () => {
    // One draw in 128 would start with 00: 3000 draws meet one almost surely.
    for (let i = 0; i < 3000; i++) assert.notEqual(generateSharePassword()[0], 0);
  });

  it('splits 3-of-5 over a 64-bit safe prime above the secret; every 3 shares recover it', () => {
    const password = generateSharePassword();
    const { prime, shares } = splitSharePassword(password, 3, 5);
    assert.equal(prime.toString(2).length, 64);
    assert.ok(checkPrimeSync(prime) && checkPrimeSync((prime - 1n) / 2n), 'prime is a safe prime');
    assert.ok(prime > BigInt(`0x${hex(password)}`));
    assert.deepEqual(shares.map((s) => s.x), [1, 2, 3, 4, 5]);
    for (const pick of [[0, 1, 2], [0, 2, 4], [1, 3, 4], [2, 3, 4], [0, 1, 2, 3, 4]]) {
      assert.equal(hex(recoverSharePassword(prime, pick.map((i) => shares[i]!))), hex(password), pick.join(','));
    }
    assert.notEqual(hex(recoverSharePassword(prime, [shares[0]!, shares[1]!])), hex(password));
  });

  it('recovers a password whose first byte is zero as all 8 bytes', () => {
    const password = Uint8Array.of(0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde);
    const { prime, shares } = splitSharePassword(password, 2, 3);
    assert.equal(hex(recoverSharePassword(prime, [shares[2]!, shares[0]!])), hex(password));
  });

  it('opens a share file with the password recovered from shares', () => {
    const password = generateSharePassword();
    const share = new Uint8Array(32).fill(7);
    const file = encryptShareFile(share, Secret.fromBytes(password), { iterations: 10 });
    const { prime, shares } = splitSharePassword(password, 2, 3);
    const typed = shares.slice(1).map((s) => ({ x: s.x, y: parseColonHex(formatColonHex(s.y)) }));
    const recovered = recoverSharePassword(parseColonHex(formatColonHex(prime)), typed);
    assert.equal(hex(decryptShareFile(file, Secret.fromBytes(recovered), { iterations: 10 })), hex(share));
  });

  it('shows values as colon-separated hex bytes, as sc-hsm-tool prints them', () => {
    assert.equal(formatColonHex(0x0a1b2cn), '0A:1B:2C');
    assert.equal(parseColonHex('0a:1B:2c'), 0x0a1b2cn);
    assert.equal(codeOf(() => parseColonHex('0A1B:2C')), 'INPUT_INVALID');
  });

  it('refuses thresholds sc-hsm-tool refuses and repeated share IDs', () => {
    const p = generateSharePassword();
    assert.equal(codeOf(() => splitSharePassword(p, 1, 3)), 'INPUT_INVALID');
    assert.equal(codeOf(() => splitSharePassword(p, 2, 2)), 'INPUT_INVALID');
    assert.equal(codeOf(() => splitSharePassword(p, 4, 3)), 'INPUT_INVALID');
    const { prime, shares } = splitSharePassword(p, 2, 3);
    assert.equal(codeOf(() => recoverSharePassword(prime, [shares[0]!, shares[0]!])), 'INPUT_INVALID');
  });
});
