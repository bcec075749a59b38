import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '../../../main/secret.ts';
import {
  decryptShareFile, decryptShareFileAsync, encryptShareFile, encryptShareFileAsync, evpBytesToKey, SHARE_FILE_ITERATIONS,
} from '../../../main/keydomain/share-file.ts';
import { kcv } from '../../../main/keydomain/dkek.ts';
import { codeOf } from '../pki/cvc/support.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const password = Secret.fromString('correct horse battery staple');

/** OpenSSL's PBKDF1 (legacy provider) is MD5^count(password || salt): one EVP_BytesToKey block. Runs in its own process. */
async function opensslPbkdf1(pass: Uint8Array, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const { stdout } = await promisify(execFile)('openssl', ['kdf', '-provider', 'legacy', '-provider', 'default', '-keylen', '16',
    '-kdfopt', 'digest:MD5', '-kdfopt', `hexpass:${hex(pass)}`, '-kdfopt', `hexsalt:${hex(salt)}`, '-kdfopt', `iter:${iterations}`, 'PBKDF1']);
  return Uint8Array.from(Buffer.from(stdout.trim().replaceAll(':', ''), 'hex'));
}

describe('DKEK share file', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'custos-share-')); });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('derives key and IV as `openssl enc -md md5` does (EVP_BytesToKey, count 1)', () => {
    const salt = Uint8Array.from(Buffer.from('0102030405060708', 'hex'));
    const out = execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'md5', '-S', hex(salt), '-pass', 'pass:x', '-P']).toString();
    const key = /key\s*=\s*([0-9A-F]+)/i.exec(out)![1]!.toLowerCase();
    const iv = /iv\s*=\s*([0-9A-F]+)/i.exec(out)![1]!.toLowerCase();
    assert.equal(hex(evpBytesToKey(new TextEncoder().encode('x'), salt, 1)), key + iv);
  });

  it('writes a 64-byte "Salted__" file that `openssl enc -d -md md5` opens (count 1), and opens OpenSSL\'s', () => {
    const share = new Uint8Array(randomBytes(32));
    const file = encryptShareFile(share, Secret.fromString('x'), { iterations: 1 });
    assert.equal(file.length, 64);
    assert.equal(Buffer.from(file.subarray(0, 8)).toString('latin1'), 'Salted__');
    writeFileSync(join(dir, 'ours.pbe'), file);
    const plain = execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', '-md', 'md5', '-pass', 'pass:x', '-in', join(dir, 'ours.pbe')]);
    assert.equal(hex(plain), hex(share));
    writeFileSync(join(dir, 'share.bin'), share);
    execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'md5', '-pass', 'pass:x', '-in', join(dir, 'share.bin'), '-out', join(dir, 'theirs.pbe')]);
    const theirs = new Uint8Array(readFileSync(join(dir, 'theirs.pbe')));
    assert.equal(hex(decryptShareFile(theirs, Secret.fromString('x'), { iterations: 1 })), hex(share));
  });

  it('round-trips a share and refuses a wrong password with DKEK_SHARE_PASSWORD_WRONG', () => {
    const share = new Uint8Array(randomBytes(32));
    const file = encryptShareFile(share, password, { iterations: 1000 });
    assert.equal(hex(decryptShareFile(file, password, { iterations: 1000 })), hex(share));
    assert.equal(codeOf(() => decryptShareFile(file, Secret.fromString('wrong'), { iterations: 1000 })), 'DKEK_SHARE_PASSWORD_WRONG');
    assert.equal(codeOf(() => decryptShareFile(file, password, { iterations: 999 })), 'DKEK_SHARE_PASSWORD_WRONG');
  });

  it('refuses a file cut short with DKEK_SHARE_TRUNCATED, whatever its length', () => {
    const file = encryptShareFile(new Uint8Array(32), password, { iterations: 1 });
    for (const length of [0, 5, 8, 16, 63]) {
      assert.equal(codeOf(() => decryptShareFile(file.subarray(0, length), password, { iterations: 1 })), 'DKEK_SHARE_TRUNCATED', `${length} bytes`);
    }
  });

  it('refuses an altered file with DKEK_SHARE_PASSWORD_WRONG when the change reaches the padding block, as a wrong password', () => {
    const file = encryptShareFile(new Uint8Array(randomBytes(32)), password, { iterations: 1 });
    // The salt (8–15), the second cipher block (32–47, XORed into the padding) and the padding block (48–63).
    for (const offset of [8, 15, 32, 47, 48, 63]) {
      const altered = Uint8Array.from(file);
      altered[offset]! ^= 0x01;
      assert.equal(codeOf(() => decryptShareFile(altered, password, { iterations: 1 })), 'DKEK_SHARE_PASSWORD_WRONG', `byte ${offset}`);
    }
  });

  it('refuses files of the wrong size or without the "Salted__" magic with DKEK_SHARE_MALFORMED', () => {
    const file = encryptShareFile(new Uint8Array(32), password, { iterations: 1 });
    assert.equal(codeOf(() => decryptShareFile(Uint8Array.of(0x30, ...file.subarray(1, 40)), password, { iterations: 1 })), 'DKEK_SHARE_MALFORMED');
    assert.equal(codeOf(() => decryptShareFile(Uint8Array.of(...file, 0), password, { iterations: 1 })), 'DKEK_SHARE_MALFORMED');
    const noMagic = Uint8Array.from(file); noMagic[0] = 0x73;
    assert.equal(codeOf(() => decryptShareFile(noMagic, password, { iterations: 1 })), 'DKEK_SHARE_MALFORMED');
    assert.equal(codeOf(() => encryptShareFile(new Uint8Array(31), password, { iterations: 1 })), 'DKEK_SHARE_MALFORMED');
  });

  it('keeps the password out of error messages and details', () => {
    const file = encryptShareFile(new Uint8Array(32), password, { iterations: 1 });
    try { decryptShareFile(file, Secret.fromString('hunter2-secret'), { iterations: 1 }); assert.fail('opened'); } catch (e) {
      assert.doesNotMatch(JSON.stringify(e) + String(e), /hunter2/);
    }
  });

  it('derives on a worker thread with the same result', async () => {
    const share = new Uint8Array(randomBytes(32));
    const file = await encryptShareFileAsync(share, password, { iterations: 5000 });
    assert.equal(hex(decryptShareFile(file, password, { iterations: 5000 })), hex(share));
    assert.equal(hex(await decryptShareFileAsync(file, password, { iterations: 5000 })), hex(share));
    await assert.rejects(decryptShareFileAsync(file, Secret.fromString('wrong'), { iterations: 5000 }), { code: 'DKEK_SHARE_PASSWORD_WRONG' });
  });

  it('opens the share file sc-hsm-tool --create-dkek-share wrote, to the share whose KCV sc-hsm-tool reported', { timeout: 240_000 }, async () => {
    const file = new Uint8Array(readFileSync(join(import.meta.dirname, '../../fixtures/keydomain/sc-hsm-tool-share.pbe')));
    const share = await decryptShareFileAsync(file, Secret.fromString('sc-hsm-tool fixture share'));
    assert.equal(hex(kcv(share)), 'cf8280f569661cad');
    await assert.rejects(decryptShareFileAsync(file, Secret.fromString('sc-hsm-tool fixture share ')), { code: 'DKEK_SHARE_PASSWORD_WRONG' });
  });

  // The only test at the real count: our one derivation (3 × 10 M MD5 in JavaScript, the whole cost) runs on
  // a worker thread while OpenSSL derives the reference key in C alongside, so it takes one derivation's time.
  it('with the real 10,000,000 iterations writes a file OpenSSL opens with a PBKDF1-derived key', { timeout: 240_000 }, async () => {
    const share = new Uint8Array(randomBytes(32));
    const secret = new TextEncoder().encode('correct horse battery staple');
    const salt = new Uint8Array(randomBytes(8));
    // EVP_BytesToKey blocks are chained PBKDF1 runs: D_i = PBKDF1(D_(i-1) || password, salt).
    const reference = (async () => {
      const d1 = await opensslPbkdf1(secret, salt, SHARE_FILE_ITERATIONS);
      const d2 = await opensslPbkdf1(Uint8Array.of(...d1, ...secret), salt, SHARE_FILE_ITERATIONS);
      const d3 = await opensslPbkdf1(Uint8Array.of(...d2, ...secret), salt, SHARE_FILE_ITERATIONS);
      return [d1, d2, d3] as const;
    })();
    const [file, [d1, d2, d3]] = await Promise.all([encryptShareFileAsync(share, password, { salt }), reference]);
    assert.equal(hex(file.subarray(8, 16)), hex(salt));
    writeFileSync(join(dir, 'cipher.bin'), file.subarray(16));
    const plain = execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', '-K', hex(d1) + hex(d2), '-iv', hex(d3), '-in', join(dir, 'cipher.bin')]);
    assert.equal(hex(plain), hex(share));
  });
});
