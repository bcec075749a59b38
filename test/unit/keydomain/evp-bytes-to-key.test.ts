import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { hash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _MD5 } from '@noble/hashes/legacy.js';
import {
  digestRehasher, evpBytesToKey, evpBytesToKeyInWorker, kdfWork,
} from '../../../main/keydomain/evp-bytes-to-key.ts';
import { SHARE_FILE_ITERATIONS } from '../../../main/keydomain/share-file.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const run = promisify(execFile);

/**
 * OpenSSL's own EVP_BytesToKey(aes-256-cbc, md5, salt, password, count) from a
 * small C program against libcrypto, compiled here as bench/share-file.ts does.
 */
let evpTool = '';
async function opensslEvpBytesToKey(password: Uint8Array, salt: Uint8Array, iterations: number): Promise<string> {
  const { stdout } = await run(evpTool, [hex(password), hex(salt), String(iterations)]);
  return stdout.trim().split(/\s+/)[0]!;
}

describe('EVP_BytesToKey with MD5', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'custos-evp-'));
    evpTool = join(dir, 'evp-bytes-to-key');
    execFileSync('cc', ['-O2', '-o', evpTool, join(import.meta.dirname, '../../../bench/support/evp-bytes-to-key.c'), '-lcrypto']);
  });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('re-hashes a 16-byte digest as node:crypto\'s MD5 does, for random and edge-valued digests, call after call', () => {
    const rehasher = digestRehasher(_MD5);
    const starts = [...Array.from({ length: 50 }, () => new Uint8Array(randomBytes(16))), ...[0x00, 0xff, 0x80, 0x7f].map((b) => new Uint8Array(16).fill(b))];
    for (const start of starts) {
      rehasher.digest.set(start);
      let expected: Uint8Array = start;
      for (let i = 0; i < 3; i++) {
        rehasher.rehash();
        expected = hash('md5', expected, 'buffer');
        assert.equal(hex(rehasher.digest), hex(expected), `MD5^${i + 1} of ${hex(start)}`);
      }
    }
    rehasher.wipe();
    assert.ok(rehasher.digest.every((b) => b === 0), 'the digest is wiped');
  });

  for (const iterations of [1, 2, 3, 1000, (1 << 16) + 7]) {
    it(`gives OpenSSL's key and IV at count ${iterations}`, async () => {
      const password = new Uint8Array(randomBytes(1 + (iterations % 20)));
      const salt = new Uint8Array(randomBytes(8));
      assert.equal(hex(evpBytesToKey(password, salt, iterations)), await opensslEvpBytesToKey(password, salt, iterations));
    });
  }

  it('gives the same bytes on a worker thread, reporting progress that only grows and ends at the total', async () => {
    const password = new TextEncoder().encode('custodian password');
    const salt = new Uint8Array(randomBytes(8));
    const iterations = 600_000;
    const seen: Array<[number, number]> = [];
    const key = await evpBytesToKeyInWorker(password, salt, iterations, 48, { onProgress: (done, total) => seen.push([done, total]) });
    assert.equal(hex(key), await opensslEvpBytesToKey(password, salt, iterations));
    assert.ok(seen.length >= 6, `${seen.length} progress reports`);
    assert.ok(seen.every(([, total]) => total === kdfWork(iterations)));
    assert.ok(seen.every(([done], i) => i === 0 || done >= seen[i - 1]![0]), 'progress went backwards');
    assert.deepEqual(seen.at(-1), [kdfWork(iterations), kdfWork(iterations)]);
  });

  it('stops at once when cancelled, with CANCELLED, and refuses to start when already cancelled', async () => {
    const controller = new AbortController();
    let reports = 0;
    const started = Date.now();
    const derivation = evpBytesToKeyInWorker(new Uint8Array(8), new Uint8Array(8), SHARE_FILE_ITERATIONS, 48, {
      signal: controller.signal,
      onProgress: () => { reports += 1; if (reports === 2) controller.abort(); },
    });
    await assert.rejects(derivation, { code: 'CANCELLED' });
    assert.ok(Date.now() - started < 3000, `cancelled after ${Date.now() - started} ms`);
    await assert.rejects(evpBytesToKeyInWorker(new Uint8Array(8), new Uint8Array(8), 10, 48, { signal: controller.signal }), { code: 'CANCELLED' });
  });

  it('refuses a count or length it cannot honour with INPUT_INVALID', () => {
    for (const [iterations, length] of [[0, 48], [1.5, 48], [1, 0], [1, 2000]] as const) {
      assert.throws(() => evpBytesToKey(new Uint8Array(1), new Uint8Array(8), iterations, length), { code: 'INPUT_INVALID' });
    }
  });
});
