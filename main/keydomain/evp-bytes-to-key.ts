/**
 * OpenSSL's EVP_BytesToKey(MD5, salt, password, count), the key derivation of
 * every DKEK share file (SC-HSM.md §6): D_i = MD5^count(D_(i-1) || password ||
 * salt), where MD5^count hashes once and then re-hashes the 16-byte digest
 * count−1 times; the output is D_1 || D_2 || … cut to length. With count
 * 10,000,000 and 48 bytes that is 30 million MD5 calls in three sequential
 * chains: nothing parallelises it, so the cost per call is the whole cost.
 *
 * The re-hash chain (digest := MD5(digest)) is the only hot loop, and it runs
 * in one of two places, the DigestChain:
 *  - "openssl": OpenSSL's own MD5() through a small Node-API addon
 *    (native/md5-chain, built by node-gyp at `npm ci`), called in chunks of
 *    PROGRESS_STEP re-hashes so that progress and cancel still work between
 *    them. 0.11 µs a call, faster than OpenSSL's EVP_BytesToKey itself, which
 *    pays for its EVP layer on every call (bench/share-file.ts,
 *    docs/benchmarks.md).
 *  - "javascript", where the addon is not built (no compiler or libssl-dev at
 *    install, a platform binding.gyp does not cover, CUSTOS_KDF_ADDON=off):
 *    @noble/hashes' MD5 compression over the one fixed block a 16-byte digest
 *    pads to, 0.8 µs a call, about three times OpenSSL's time per file. Whoever
 *    shows progress says so (kdfSlowPathNote), never silently.
 * Neither is an MD5 of ours. The password, the salt and the first MD5 of each
 * block (node:crypto) stay in JavaScript either way; only the 16-byte digest
 * chain crosses into the addon (md5-chain.cc says why that is acceptable).
 * The unit tests check both paths against OpenSSL's EVP_BytesToKey.
 */
import { _MD5 } from '@noble/hashes/legacy.js';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CustosError } from '../errors/index.ts';

/** How the caller shows a derivation's progress: MD5 calls done of the total. */
export type KdfProgress = (done: number, total: number) => void;

/** Where the re-hash chain runs: OpenSSL's MD5 through the addon, or @noble/hashes' in JavaScript. */
export type KdfPath = 'openssl' | 'javascript';

export interface KdfControl {
  /** Called about every PROGRESS_STEP MD5 calls, and once at the end with done === total. */
  readonly onProgress?: KdfProgress;
  /** Aborting stops the worker; the promise rejects with CANCELLED once the worker is gone. */
  readonly signal?: AbortSignal;
  /** The path to take (the tests and the bench); by default kdfPath(), the fastest one here. */
  readonly path?: KdfPath;
}

const MD5_BYTES = 16;
const MD5_MODULE = import.meta.resolve('@noble/hashes/legacy.js');
/**
 * Re-hashes per progress report and per call into the addon: about 7 ms of
 * OpenSSL's MD5 (so a cancel waits at most that long for the addon to return)
 * or 50 ms in JavaScript; ~460 reports per file either way.
 */
const PROGRESS_STEP = 1 << 16;

/** Set to "off", the derivation takes the JavaScript path even where the addon is built. */
export const KDF_ADDON_ENV = 'CUSTOS_KDF_ADDON';

/** The addon's one function (native/md5-chain/md5-chain.cc): digest := MD5(digest), count times, in place. */
export interface Md5ChainAddon {
  rehash(digest: Uint8Array, count: number): void;
}

/** The chain's digest and the step that replaces it with its MD5, count times. */
export interface DigestChain {
  /** The 16-byte digest the chain carries: set it before the first advance, read it after the last. */
  readonly digest: Uint8Array;
  /** digest := MD5(digest), count times. */
  advance(count: number): void;
  /** Zeroes the digest and whatever state the MD5 keeps. */
  wipe(): void;
}

/**
 * The JavaScript path: MD5 of a 16-byte digest as @noble/hashes' MD5
 * compression over the fixed block RFC 1321 §3.1–3.2 pads it to: digest
 * (bytes 0..15), 0x80, zeros, and the bit length 128 as a little-endian 64-bit
 * number at byte 56. Each call starts from the MD5 IV (read from a fresh
 * hasher, not restated here), compresses that one block and writes the state
 * words A, B, C, D back into bytes 0..15 little-endian, which is MD5's output
 * encoding. It keeps the block rather than calling a general-purpose md5()
 * that pads, counts and allocates on every call (0.8 µs against 1.8 µs).
 *
 * The MD5 class comes in as a parameter, and nothing outside this function is
 * named in it, because the worker runs this function from its source text
 * with the class it imported itself.
 */
export function digestRehasher(Md5: typeof _MD5): DigestChain {
  // A subclass is how the compression (protected process/get/set) is reached through noble's public class.
  class BlockMd5 extends Md5 {
    readonly block = new Uint8Array(64);
    readonly blockView = new DataView(this.block.buffer);
    readonly iv = this.get();
    constructor() {
      super();
      this.block[16] = 0x80;
      this.blockView.setUint32(56, 128, true);
    }
    advance(count: number): void {
      const { iv, blockView: view } = this;
      for (let k = 0; k < count; k++) {
        this.set(iv[0], iv[1], iv[2], iv[3]);
        this.process(view, 0);
        const state = this.get();
        view.setUint32(0, state[0], true);
        view.setUint32(4, state[1], true);
        view.setUint32(8, state[2], true);
        view.setUint32(12, state[3], true);
      }
    }
    wipe(): void {
      this.block.fill(0);
      this.roundClean();
      this.destroy();
    }
  }
  const md5 = new BlockMd5();
  return { digest: md5.block.subarray(0, 16), advance: (count) => md5.advance(count), wipe: () => md5.wipe() };
}

/**
 * The OpenSSL path: the addon re-hashes this chain's own 16-byte buffer in
 * place. Self-contained like digestRehasher, for the worker.
 */
export function opensslDigestChain(addon: Md5ChainAddon): DigestChain {
  const digest = new Uint8Array(16);
  return { digest, advance: (count) => addon.rehash(digest, count), wipe: () => digest.fill(0) };
}

/**
 * The derivation loop, self-contained for the same reason as digestRehasher:
 * the first MD5 of each chain (over previous || password || salt, any length)
 * is a whole MD5 (`md5`), every re-hash an advance of the chain, PROGRESS_STEP
 * at a time.
 */
function deriveChains(
  md5: (data: Uint8Array) => Uint8Array, chain: DigestChain,
  password: Uint8Array, salt: Uint8Array, iterations: number, length: number,
  progress: (done: number) => void, step: number,
): Uint8Array {
  const out = new Uint8Array(length);
  const { digest } = chain;
  let filled = 0;
  let done = 0;
  let previous: Uint8Array = new Uint8Array(0);
  try {
    while (filled < length) {
      const first = new Uint8Array(previous.length + password.length + salt.length);
      first.set(previous, 0);
      first.set(password, previous.length);
      first.set(salt, previous.length + password.length);
      const head = md5(first);
      digest.set(head);
      head.fill(0);
      first.fill(0);
      done += 1;
      for (let i = 1; i < iterations;) {
        const count = Math.min(iterations - i, step);
        chain.advance(count);
        i += count;
        done += count;
        progress(done);
      }
      out.set(digest.subarray(0, Math.min(16, length - filled)), filled);
      filled += 16;
      previous.fill(0);
      previous = Uint8Array.from(digest);
    }
    return out;
  } finally {
    previous.fill(0);
    chain.wipe();
  }
}

/** A whole MD5 by node:crypto, for the first hash of each chain (the worker states its own, the same). */
function nodeMd5(data: Uint8Array): Uint8Array {
  return createHash('md5').update(data).digest();
}

/**
 * Where the built addon is: native/md5-chain/build/Release beside package.json.
 * This module runs from main/keydomain/ (sources, tests, the CLI) or bundled
 * into out/electron/main/ (the app), so the folders above it are searched. In
 * the packaged app the file sits in app.asar.unpacked (electron-builder.yml);
 * that real path is used, so the worker loads it without Electron's asar layer.
 */
function addonFile(): string | undefined {
  const relative = join('native', 'md5-chain', 'build', 'Release', 'md5_chain.node');
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) {
    const file = join(dir, relative);
    const unpacked = file.replace(`.asar${sep}`, `.asar.unpacked${sep}`);
    if (unpacked !== file && existsSync(unpacked)) return unpacked;
    if (existsSync(file)) return file;
  }
  return undefined;
}

/**
 * The addon from its file, or undefined where it cannot be had: no file, or
 * one whose loading throws (libcrypto.so.3 missing, another architecture, not
 * a library). The JavaScript path then runs, and says so. A library cut short
 * can kill the process instead of throwing, which is why the install step
 * keeps only a build it has loaded and checked in a child process
 * (scripts/build-native.mjs).
 */
export function loadMd5ChainAddon(file: string | undefined): Md5ChainAddon | undefined {
  if (file === undefined) return undefined;
  try {
    const addon = createRequire(import.meta.url)(file) as Partial<Md5ChainAddon> | undefined;
    return typeof addon?.rehash === 'function' ? addon as Md5ChainAddon : undefined;
  } catch {
    return undefined;
  }
}

let probe: { readonly file?: string; readonly addon?: Md5ChainAddon } | undefined;

/**
 * Loads the addon once on this thread, which is also the check that the
 * worker can: a library that loads here loads in the worker of the same process.
 */
function loadedAddon(): { readonly file?: string; readonly addon?: Md5ChainAddon } {
  if (probe === undefined) {
    const file = addonFile();
    const addon = loadMd5ChainAddon(file);
    probe = addon !== undefined ? { file, addon } : {};
  }
  return process.env[KDF_ADDON_ENV] === 'off' ? {} : probe;
}

/** The path a derivation takes here unless told otherwise: OpenSSL's MD5 where the addon loads. */
export function kdfPath(): KdfPath {
  return loadedAddon().addon !== undefined ? 'openssl' : 'javascript';
}

/**
 * What a progress label adds for the path a derivation takes: nothing on the
 * OpenSSL path; on the JavaScript path, that it runs slower and why, so a
 * custodian waiting a minute for three share files knows it is not the card.
 */
export function kdfSlowPathNote(path: KdfPath = kdfPath()): string {
  return path === 'openssl' ? '' : ' — in JavaScript, about three times slower: OpenSSL\'s MD5 addon (native/md5-chain) is not built on this installation';
}

function addonFor(path: KdfPath): { readonly file?: string; readonly addon?: Md5ChainAddon } {
  if (path === 'javascript') return {};
  const loaded = loadedAddon();
  if (loaded.addon === undefined) {
    throw new CustosError('INTERNAL', 'OpenSSL\'s MD5 addon (native/md5-chain) is not built or not loadable here: run npm run build:native, or take the JavaScript path.', {});
  }
  return loaded;
}

function checkArguments(iterations: number, length: number): void {
  if (!Number.isInteger(iterations) || iterations < 1) throw new CustosError('INPUT_INVALID', 'The iteration count must be a positive integer.', {});
  if (!Number.isInteger(length) || length < 1 || length > 64 * MD5_BYTES) throw new CustosError('INPUT_INVALID', 'EVP_BytesToKey gives 1 to 1024 bytes here.', {});
}

/** MD5 calls a derivation of `length` bytes makes: one chain of `iterations` per 16 bytes. */
export function kdfWork(iterations: number, length = 48): number {
  return Math.ceil(length / MD5_BYTES) * iterations;
}

/** EVP_BytesToKey on this thread; blocks for seconds at the share files' count. */
export function evpBytesToKey(
  password: Uint8Array, salt: Uint8Array, iterations: number, length = 48, onProgress?: KdfProgress, path: KdfPath = kdfPath(),
): Uint8Array {
  checkArguments(iterations, length);
  const { addon } = addonFor(path);
  const total = kdfWork(iterations, length);
  const progress = (done: number): void => onProgress?.(done, total);
  const chain = addon !== undefined ? opensslDigestChain(addon) : digestRehasher(_MD5);
  const out = deriveChains(nodeMd5, chain, password, salt, iterations, length, progress, PROGRESS_STEP);
  onProgress?.(total, total);
  return out;
}

interface WorkerReply { readonly done?: number; readonly key?: Uint8Array }

/**
 * The same derivation on a worker thread, so the seconds it takes never block
 * the process that drives the UI and the tokens. The worker runs this module's
 * own functions from their source text, so a bundle needs no separate file;
 * it loads the addon from the file found here, or noble's MD5 from the module
 * this file resolved, wherever the app is installed. The password is copied
 * into the worker and wiped there after use. The promise settles only once
 * the worker has exited: a cancelled derivation leaves no thread running.
 */
export function evpBytesToKeyInWorker(password: Uint8Array, salt: Uint8Array, iterations: number, length = 48, control: KdfControl = {}): Promise<Uint8Array> {
  checkArguments(iterations, length);
  const { onProgress, signal } = control;
  if (signal?.aborted) return Promise.reject(cancelled());
  let file: string | undefined;
  try {
    ({ file } = addonFor(control.path ?? kdfPath()));
  } catch (e) {
    return Promise.reject(e);
  }
  const total = kdfWork(iterations, length);
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { createHash } = require('node:crypto');
    const { password, salt, iterations, length, step, md5Module, addonFile } = workerData;
    // A transpiler that keeps class names (tsx, esbuild's keepNames) wraps them in
    // its own __name helper, which the source text of one function does not carry.
    const __name = (target) => target;
    const nodeMd5 = (data) => createHash('md5').update(data).digest();
    const deriveChains = (${deriveChains.toString()});
    const chain = addonFile !== null
      ? Promise.resolve((${opensslDigestChain.toString()})(require(addonFile)))
      : import(md5Module).then(({ _MD5 }) => (${digestRehasher.toString()})(_MD5));
    chain.then((chain) => {
      const key = deriveChains(nodeMd5, chain, password, salt, iterations, length,
        (done) => parentPort.postMessage({ done }), step);
      password.fill(0);
      parentPort.postMessage({ key });
    });`;
  return new Promise((resolve, reject) => {
    const passwordCopy = Uint8Array.from(password);
    const worker = new Worker(source, {
      eval: true,
      workerData: {
        password: passwordCopy, salt: Uint8Array.from(salt), iterations, length, step: PROGRESS_STEP, md5Module: MD5_MODULE, addonFile: file ?? null,
      },
    });
    // workerData is cloned into the worker when it is made: this thread's copy can go now.
    passwordCopy.fill(0);
    let settled = false;
    const finish = (action: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', abort);
      // A worker inside the addon stops when the current chunk returns (milliseconds); settle after that.
      void worker.terminate().finally(action);
    };
    const abort = (): void => finish(() => reject(cancelled()));
    signal?.addEventListener('abort', abort, { once: true });
    worker.on('message', (reply: WorkerReply) => {
      if (reply.key !== undefined) {
        const key = new Uint8Array(reply.key);
        finish(() => { onProgress?.(total, total); resolve(key); });
      } else if (reply.done !== undefined && !settled) {
        onProgress?.(reply.done, total);
      }
    });
    worker.once('error', (e) => finish(() => reject(new CustosError('INTERNAL', 'The share file key derivation failed.', {}, { cause: e }))));
    worker.once('exit', (code) => finish(() => reject(new CustosError('INTERNAL', `The share file key derivation stopped (exit ${code}).`, {}))));
  });
}

function cancelled(): CustosError {
  return new CustosError('CANCELLED', 'The share file was not opened: the key derivation was cancelled.', {});
}
