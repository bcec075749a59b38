/**
 * OpenSSL's EVP_BytesToKey(MD5, salt, password, count), the key derivation of
 * every DKEK share file (SC-HSM.md §6): D_i = MD5^count(D_(i-1) || password ||
 * salt), where MD5^count hashes once and then re-hashes the 16-byte digest
 * count−1 times; the output is D_1 || D_2 || … cut to length. With count
 * 10,000,000 and 48 bytes that is 30 million MD5 calls in three sequential
 * chains: nothing parallelises it, so the cost per call is the whole cost.
 *
 * Every re-hash is MD5 of one and the same kind of input: a 16-byte digest,
 * which is a single 64-byte block whose last 48 bytes (padding and length) never
 * change. So the chain keeps that block and runs @noble/hashes' own MD5
 * compression on it, rather than a general-purpose hash that pads, counts and
 * allocates on every call. Measured per call (bench/share-file.ts,
 * docs/benchmarks.md): this 0.8 µs, node's one-shot crypto.hash 1.5 µs, a
 * createHash object 2.1 µs, @noble/hashes md5() 1.8 µs; OpenSSL's own
 * EVP_BytesToKey 0.33 µs, which a well-kept MD5 in JavaScript does not reach.
 * The unit tests check the whole derivation against OpenSSL's EVP_BytesToKey.
 */
import { _MD5, md5 } from '@noble/hashes/legacy.js';
import { Worker } from 'node:worker_threads';
import { CustosError } from '../errors/index.ts';

/** How the caller shows a derivation's progress: MD5 calls done of the total. */
export type KdfProgress = (done: number, total: number) => void;

export interface KdfControl {
  /** Called about every PROGRESS_STEP MD5 calls, and once at the end with done === total. */
  readonly onProgress?: KdfProgress;
  /** Aborting stops the worker at once; the promise rejects with CANCELLED. */
  readonly signal?: AbortSignal;
}

const MD5_BYTES = 16;
const MD5_MODULE = import.meta.resolve('@noble/hashes/legacy.js');
/** About 50 ms of work at 0.8 µs a call: a smooth bar for ~460 messages per file. */
const PROGRESS_STEP = 1 << 16;

/** The chain's digest and the one step that replaces it with its MD5. */
export interface DigestRehasher {
  /** The 16-byte digest the chain carries: set it before the first rehash, read it after the last. */
  readonly digest: Uint8Array;
  /** digest := MD5(digest). */
  rehash(): void;
  /** Zeroes the block, the state and noble's shared message-schedule words. */
  wipe(): void;
}

/**
 * MD5 of a 16-byte digest as @noble/hashes' MD5 compression over the fixed
 * block RFC 1321 §3.1–3.2 pads it to: digest (bytes 0..15), 0x80, zeros, and
 * the bit length 128 as a little-endian 64-bit number at byte 56. Each call
 * starts from the MD5 IV (read from a fresh hasher, not restated here),
 * compresses that one block and writes the state words A, B, C, D back into
 * bytes 0..15 little-endian, which is MD5's output encoding.
 *
 * The MD5 class comes in as a parameter, and nothing outside this function is
 * named in it, because the worker runs this function from its source text
 * with the class it imported itself.
 */
export function digestRehasher(Md5: typeof _MD5): DigestRehasher {
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
    rehash(): void {
      const { iv, blockView: view } = this;
      this.set(iv[0], iv[1], iv[2], iv[3]);
      this.process(view, 0);
      const state = this.get();
      view.setUint32(0, state[0], true);
      view.setUint32(4, state[1], true);
      view.setUint32(8, state[2], true);
      view.setUint32(12, state[3], true);
    }
    wipe(): void {
      this.block.fill(0);
      this.roundClean();
      this.destroy();
    }
  }
  const md5 = new BlockMd5();
  return { digest: md5.block.subarray(0, 16), rehash: () => md5.rehash(), wipe: () => md5.wipe() };
}

/**
 * The derivation loop, self-contained for the same reason as digestRehasher:
 * the first MD5 of each chain (over previous || password || salt, any length)
 * is a whole MD5 (`md5`), every re-hash the fixed-block compression.
 */
function deriveChains(
  md5: (data: Uint8Array) => Uint8Array, rehasher: DigestRehasher,
  password: Uint8Array, salt: Uint8Array, iterations: number, length: number,
  progress: (done: number) => void, step: number,
): Uint8Array {
  const out = new Uint8Array(length);
  const { digest } = rehasher;
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
        for (let k = 0; k < count; k++) rehasher.rehash();
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
    rehasher.wipe();
  }
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
export function evpBytesToKey(password: Uint8Array, salt: Uint8Array, iterations: number, length = 48, onProgress?: KdfProgress): Uint8Array {
  checkArguments(iterations, length);
  const total = kdfWork(iterations, length);
  const progress = (done: number): void => onProgress?.(done, total);
  const out = deriveChains(md5, digestRehasher(_MD5), password, salt, iterations, length, progress, PROGRESS_STEP);
  onProgress?.(total, total);
  return out;
}

interface WorkerReply { readonly done?: number; readonly key?: Uint8Array }

/**
 * The same derivation on a worker thread, so the seconds it takes never block
 * the process that drives the UI and the tokens. The worker runs this module's
 * own functions from their source text, so a bundle needs no separate file.
 * The password is copied into the worker and wiped there after use.
 */
export function evpBytesToKeyInWorker(password: Uint8Array, salt: Uint8Array, iterations: number, length = 48, control: KdfControl = {}): Promise<Uint8Array> {
  checkArguments(iterations, length);
  const { onProgress, signal } = control;
  if (signal?.aborted) return Promise.reject(cancelled());
  const total = kdfWork(iterations, length);
  // The worker imports noble's MD5 itself, from the file this module resolved, wherever the app is installed.
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { password, salt, iterations, length, step, md5Module } = workerData;
    // A transpiler that keeps class names (tsx, esbuild's keepNames) wraps them in
    // its own __name helper, which the source text of one function does not carry.
    const __name = (target) => target;
    import(md5Module).then(({ _MD5, md5 }) => {
      const digestRehasher = (${digestRehasher.toString()});
      const deriveChains = (${deriveChains.toString()});
      const key = deriveChains(md5, digestRehasher(_MD5), password, salt, iterations, length,
        (done) => parentPort.postMessage({ done }), step);
      password.fill(0);
      parentPort.postMessage({ key });
    });`;
  return new Promise((resolve, reject) => {
    const passwordCopy = Uint8Array.from(password);
    const worker = new Worker(source, {
      eval: true,
      workerData: { password: passwordCopy, salt: Uint8Array.from(salt), iterations, length, step: PROGRESS_STEP, md5Module: MD5_MODULE },
    });
    // workerData is cloned into the worker when it is made: this thread's copy can go now.
    passwordCopy.fill(0);
    let settled = false;
    const finish = (action: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', abort);
      action();
      void worker.terminate();
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
