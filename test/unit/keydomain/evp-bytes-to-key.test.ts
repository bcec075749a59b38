import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { hash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _MD5 } from '@noble/hashes/legacy.js';
import {
  digestRehasher, evpBytesToKey, evpBytesToKeyInWorker, KDF_ADDON_ENV, kdfPath, kdfSlowPathNote, kdfWork, loadMd5ChainAddon, opensslDigestChain,
  type DigestChain, type KdfPath, type Md5ChainAddon,
} from '../../../main/keydomain/evp-bytes-to-key.ts';
import { SHARE_FILE_ITERATIONS } from '../../../main/keydomain/share-file.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const run = promisify(execFile);
const ADDON_FILE = join(import.meta.dirname, '../../../native/md5-chain/build/Release/md5_chain.node');
/** Where scripts/build-native.mjs builds the addon (binding.gyp covers Linux): there, it must have been built. */
const ADDON_EXPECTED = process.platform === 'linux';
const PATHS: readonly KdfPath[] = ['openssl', 'javascript'];

/**
 * OpenSSL's own EVP_BytesToKey(aes-256-cbc, md5, salt, password, count) from a
 * small C program against libcrypto, compiled here as bench/share-file.ts does.
 */
let evpTool = '';
async function opensslEvpBytesToKey(password: Uint8Array, salt: Uint8Array, iterations: number): Promise<string> {
  const { stdout } = await run(evpTool, [hex(password), hex(salt), String(iterations)]);
  return stdout.trim().split(/\s+/)[0]!;
}

/** The threads of this process, from the kernel: a worker that has not exited is one of them. */
const threadCount = (): number => readdirSync('/proc/self/task').length;

describe('EVP_BytesToKey with MD5', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'custos-evp-'));
    evpTool = join(dir, 'evp-bytes-to-key');
    execFileSync('cc', ['-O2', '-o', evpTool, join(import.meta.dirname, '../../../bench/support/evp-bytes-to-key.c'), '-lcrypto']);
  });
  after(() => { rmSync(dir, { recursive: true, force: true }); });
  afterEach(() => { delete process.env[KDF_ADDON_ENV]; });

  it('takes OpenSSL\'s MD5 through the addon where npm ci built it, and says nothing of a slow path', { skip: !ADDON_EXPECTED && 'binding.gyp builds the addon on Linux only' }, () => {
    assert.equal(kdfPath(), 'openssl', `native/md5-chain is not built or does not load: run npm run build:native (${ADDON_FILE})`);
    assert.equal(kdfSlowPathNote(), '');
  });

  it('takes the JavaScript path when the addon is switched off, and its progress label says so', () => {
    process.env[KDF_ADDON_ENV] = 'off';
    assert.equal(kdfPath(), 'javascript');
    assert.match(kdfSlowPathNote(), /JavaScript, about three times slower.*not built/);
  });

  it('refuses the OpenSSL path where the addon is not there with INTERNAL, rather than quietly running slow', async () => {
    process.env[KDF_ADDON_ENV] = 'off';
    assert.throws(() => evpBytesToKey(new Uint8Array(1), new Uint8Array(8), 1, 48, undefined, 'openssl'), { code: 'INTERNAL' });
    await assert.rejects(() => evpBytesToKeyInWorker(new Uint8Array(1), new Uint8Array(8), 1, 48, { path: 'openssl' }), { code: 'INTERNAL' });
  });

  it('takes no addon from a file that is missing or not a library, so the JavaScript path runs instead of the app failing', () => {
    const text = join(dir, 'text.node');
    writeFileSync(text, 'module.exports = { rehash() {} };\n');
    for (const file of [undefined, join(dir, 'missing.node'), text]) assert.equal(loadMd5ChainAddon(file), undefined, String(file));
    if (ADDON_EXPECTED) assert.equal(typeof loadMd5ChainAddon(ADDON_FILE)?.rehash, 'function');
  });

  const chains: Array<[string, () => DigestChain]> = [
    ['@noble/hashes\' MD5 compression over the fixed block', () => digestRehasher(_MD5)],
    ['OpenSSL\'s MD5 through the addon', () => opensslDigestChain(createRequire(import.meta.url)(ADDON_FILE) as Md5ChainAddon)],
  ];
  for (const [name, make] of chains) {
    it(`re-hashes a 16-byte digest as node:crypto's MD5 does, one call or several at once: ${name}`, { skip: name.includes('addon') && !ADDON_EXPECTED }, () => {
      const chain = make();
      const starts = [...Array.from({ length: 50 }, () => new Uint8Array(randomBytes(16))), ...[0x00, 0xff, 0x80, 0x7f].map((b) => new Uint8Array(16).fill(b))];
      for (const start of starts) {
        chain.digest.set(start);
        let expected: Uint8Array = start;
        for (let i = 0; i < 3; i++) {
          chain.advance(1);
          expected = hash('md5', expected, 'buffer');
          assert.equal(hex(chain.digest), hex(expected), `MD5^${i + 1} of ${hex(start)}`);
        }
        chain.advance(5);
        for (let i = 0; i < 5; i++) expected = hash('md5', expected, 'buffer');
        assert.equal(hex(chain.digest), hex(expected), `MD5^8 of ${hex(start)} in one call`);
        chain.advance(0);
        assert.equal(hex(chain.digest), hex(expected), 'a count of 0 leaves the digest as it is');
      }
      chain.wipe();
      assert.ok(chain.digest.every((b) => b === 0), 'the digest is wiped');
    });
  }

  it('the addon refuses a digest that is not 16 bytes and a count that is not a whole number, touching nothing', { skip: !ADDON_EXPECTED }, () => {
    const addon = createRequire(import.meta.url)(ADDON_FILE) as Md5ChainAddon;
    const digest = new Uint8Array(16).fill(7);
    for (const bad of [new Uint8Array(15), new Uint8Array(17), new Uint16Array(8), Buffer.alloc(16).buffer]) {
      assert.throws(() => addon.rehash(bad as Uint8Array, 1), TypeError);
    }
    for (const count of [-1, 1.5, Number.NaN, 2 ** 32]) assert.throws(() => addon.rehash(digest, count), RangeError);
    assert.throws(() => (addon.rehash as (...a: unknown[]) => void)(digest), TypeError);
    assert.ok(digest.every((b) => b === 7), 'the digest is unchanged');
  });

  // Counts at, around and across the chunk the chain advances by (65,536), and lengths shorter than a chain's 16 bytes.
  const cases: Array<{ iterations: number; length: number; passwordBytes: number }> = [
    { iterations: 1, length: 48, passwordBytes: 0 },
    { iterations: 2, length: 48, passwordBytes: 1 },
    { iterations: 3, length: 17, passwordBytes: 64 },
    { iterations: 1000, length: 32, passwordBytes: 20 },
    { iterations: 1 << 16, length: 48, passwordBytes: 8 },
    { iterations: (1 << 16) + 1, length: 48, passwordBytes: 33 },
    { iterations: (1 << 16) + 7, length: 1, passwordBytes: 5 },
    { iterations: 3 * (1 << 16) + 2, length: 48, passwordBytes: 200 },
  ];
  for (const path of PATHS) {
    for (const { iterations, length, passwordBytes } of cases) {
      it(`gives OpenSSL's key and IV at count ${iterations}, ${length} bytes, a ${passwordBytes}-byte password: ${path} path`, { skip: path === 'openssl' && !ADDON_EXPECTED }, async () => {
        const password = new Uint8Array(randomBytes(passwordBytes));
        const salt = new Uint8Array(randomBytes(8));
        const expected = (await opensslEvpBytesToKey(password, salt, iterations)).slice(0, 2 * length);
        assert.equal(hex(evpBytesToKey(password, salt, iterations, length, undefined, path)), expected, 'on this thread');
        assert.equal(hex(await evpBytesToKeyInWorker(password, salt, iterations, length, { path })), expected, 'on a worker');
      });
    }

    it(`gives the same bytes on a worker thread, reporting progress that only grows and ends at the total: ${path} path`, { skip: path === 'openssl' && !ADDON_EXPECTED }, async () => {
      const password = new TextEncoder().encode('custodian password');
      const salt = new Uint8Array(randomBytes(8));
      const iterations = 600_000;
      const seen: Array<[number, number]> = [];
      const key = await evpBytesToKeyInWorker(password, salt, iterations, 48, { path, onProgress: (done, total) => seen.push([done, total]) });
      assert.equal(hex(key), await opensslEvpBytesToKey(password, salt, iterations));
      assert.ok(seen.length >= 6, `${seen.length} progress reports`);
      assert.ok(seen.every(([, total]) => total === kdfWork(iterations)));
      assert.ok(seen.every(([done], i) => i === 0 || done >= seen[i - 1]![0]), 'progress went backwards');
      assert.deepEqual(seen.at(-1), [kdfWork(iterations), kdfWork(iterations)]);
    });

    it(`stops when cancelled mid-derivation with CANCELLED and no worker left running, and refuses to start when already cancelled: ${path} path`, { skip: path === 'openssl' && !ADDON_EXPECTED }, async () => {
      const controller = new AbortController();
      let reports = 0;
      const threadsBefore = threadCount();
      let threadsDuring = 0;
      const started = Date.now();
      const derivation = evpBytesToKeyInWorker(new Uint8Array(8), new Uint8Array(8), SHARE_FILE_ITERATIONS, 48, {
        path,
        signal: controller.signal,
        onProgress: () => { reports += 1; if (reports === 2) { threadsDuring = threadCount(); controller.abort(); } },
      });
      await assert.rejects(derivation, { code: 'CANCELLED' });
      assert.ok(Date.now() - started < 3000, `cancelled after ${Date.now() - started} ms`);
      assert.ok(threadsDuring > threadsBefore, 'the worker ran as a thread of its own');
      assert.equal(threadCount(), threadsBefore, 'the worker\'s thread is gone once the derivation has rejected');
      await assert.rejects(evpBytesToKeyInWorker(new Uint8Array(8), new Uint8Array(8), 10, 48, { path, signal: controller.signal }), { code: 'CANCELLED' });
    });
  }

  it('refuses a count or length it cannot honour with INPUT_INVALID', () => {
    for (const [iterations, length] of [[0, 48], [1.5, 48], [1, 0], [1, 2000]] as const) {
      assert.throws(() => evpBytesToKey(new Uint8Array(1), new Uint8Array(8), iterations, length), { code: 'INPUT_INVALID' });
    }
  });
});
