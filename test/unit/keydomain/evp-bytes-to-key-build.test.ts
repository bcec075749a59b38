/**
 * The install step keeps only an addon that works: scripts/build-native.mjs
 * tries each build in a child process, because a library cut short (a disk
 * that filled during npm ci) kills the process that loads it with SIGBUS
 * rather than throwing, and the app has no such guard when it loads it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: a plain .mjs script, no types
import { ADDON_FILE, verifyAddon } from '../../../scripts/build-native.mjs';

type Verdict = { ok: true } | { ok: false; reason: string };
const verify = verifyAddon as (file: string) => Verdict;
const BUILT = process.platform === 'linux';

describe('checking the built md5-chain addon before it is kept', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'custos-md5-build-')); });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('keeps the addon npm ci built here: it loads and re-hashes as node:crypto does', { skip: !BUILT && 'binding.gyp builds the addon on Linux only' }, () => {
    assert.deepEqual(verify(ADDON_FILE as string), { ok: true });
  });

  it('refuses a build cut short, which kills the process that loads it, and says so', { skip: !BUILT && 'binding.gyp builds the addon on Linux only' }, () => {
    const cut = join(dir, 'cut.node');
    writeFileSync(cut, readFileSync(ADDON_FILE as string).subarray(0, 4096));
    const verdict = verify(cut);
    assert.equal(verdict.ok, false);
    assert.match(!verdict.ok ? verdict.reason : '', /the built addon (killed by SIG|does not load)/);
  });

  it('refuses a file that is no library at all, and one that is missing', () => {
    const text = join(dir, 'text.node');
    writeFileSync(text, 'not an ELF file\n');
    for (const file of [text, join(dir, 'missing.node')]) {
      const verdict = verify(file);
      assert.equal(verdict.ok, false, file);
      assert.match(!verdict.ok ? verdict.reason : '', /does not load/);
    }
  });
});
