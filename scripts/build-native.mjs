#!/usr/bin/env node
/**
 * Builds the native addon of the share-file key derivation
 * (native/md5-chain: OpenSSL's MD5 for EVP_BytesToKey's re-hash chain) with
 * node-gyp, then checks the build in a separate process before keeping it.
 * `npm ci` and `npm install` run it as the package's install step.
 *
 * A failed build fails nothing: the addon only makes share files open faster,
 * and without it the derivation runs in JavaScript and says so, in its
 * progress label and in `npm run bench`. So a machine with no compiler or no
 * libssl-dev, or a platform binding.gyp does not cover, still installs; this
 * prints why the addon is missing. CUSTOS_REQUIRE_NATIVE=1 makes a failed
 * build an error instead (for a machine that must have the fast path).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ADDON_DIR = join(ROOT, 'native', 'md5-chain');
export const ADDON_FILE = join(ADDON_DIR, 'build', 'Release', 'md5_chain.node');

/**
 * Whether the addon at `file` loads and re-hashes as node:crypto's MD5 does,
 * tried in a child process: a library that is cut short or built wrong can
 * kill the process that loads it (SIGBUS, SIGSEGV) rather than throw, and the
 * app loads it without such a guard. So no build is kept that fails here.
 */
export function verifyAddon(file) {
  const check = `
    const { createHash } = require('node:crypto');
    const addon = require(${JSON.stringify(file)});
    const digest = new Uint8Array(16).fill(0x5a);
    let expected = Buffer.from(digest);
    for (let i = 0; i < 1000; i++) expected = createHash('md5').update(expected).digest();
    addon.rehash(digest, 1000);
    process.exit(Buffer.from(digest).equals(expected) ? 0 : 3);`;
  const run = spawnSync(process.execPath, ['-e', check], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (run.status === 0) return { ok: true };
  const how = run.signal ? `killed by ${run.signal}` : run.status === 3 ? 'gives wrong digests' : `does not load: ${(run.stderr ?? '').trim().split('\n').find((l) => /Error/.test(l)) ?? `exit ${run.status}`}`;
  return { ok: false, reason: `the built addon ${how}` };
}

function giveUp(reason, required) {
  rmSync(ADDON_FILE, { force: true });
  const message = `native/md5-chain not built (${reason}): share files will open with the JavaScript MD5, about three times slower.`;
  if (required) {
    console.error(`error: ${message}`);
    process.exit(1);
  }
  console.warn(`warning: ${message}`);
  process.exit(0);
}

function build() {
  const required = process.env.CUSTOS_REQUIRE_NATIVE === '1';
  if (process.platform !== 'linux') giveUp(`no system libcrypto to link on ${process.platform}`, required);

  // npm hands its own node-gyp to install scripts; run by hand, the one in node_modules or on PATH.
  const bundled = process.env.npm_config_node_gyp;
  const local = join(ROOT, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const [command, args] = bundled && existsSync(bundled)
    ? [process.execPath, [bundled]]
    : existsSync(local) ? [process.execPath, [local]] : ['node-gyp', []];
  // Headers: npm passes its nodedir setting to node-gyp; otherwise the ones installed beside
  // this node (include/node), so that no download is needed on a machine that has them.
  const prefix = join(dirname(process.execPath), '..');
  const nodedir = !process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];

  const run = spawnSync(command, [...args, 'rebuild', ...nodedir], { cwd: ADDON_DIR, stdio: 'inherit' });
  if (run.error) giveUp(`node-gyp could not run: ${run.error.message}`, required);
  if (run.status !== 0) giveUp(`node-gyp exited with ${run.status}; see its output above`, required);
  const verified = verifyAddon(ADDON_FILE);
  if (!verified.ok) giveUp(verified.reason, required);
  console.log('native/md5-chain built and checked: share files open with OpenSSL\'s MD5.');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) build();
