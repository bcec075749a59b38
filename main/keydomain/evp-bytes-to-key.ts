/**
 * OpenSSL's EVP_BytesToKey(MD5, salt, password, count), the key derivation of
 * every DKEK share file (SC-HSM.md §6): D_i = MD5^count(D_(i-1) || password ||
 * salt), where MD5^count hashes once and then re-hashes the 16-byte digest
 * count−1 times; the output is D_1 || D_2 || … cut to length. With count
 * 10,000,000 and 48 bytes that is 30 million MD5 calls in three sequential
 * chains: nothing parallelises it, so the cost per call is the whole cost.
 *
 * Measured on this machine (bench/share-file.ts, docs/benchmarks.md), per MD5
 * over a 16-byte digest: node's one-shot crypto.hash 1.5 µs, a createHash object
 * 2.1 µs, @noble/hashes md5 1.8 µs (its compression function alone, fed a
 * prepared block, 1.0 µs), OpenSSL's own EVP_BytesToKey 0.33 µs. Only an MD5
 * specialised to the one input the chain re-hashes, a single 64-byte block
 * whose last 48 bytes are the fixed padding of a 16-byte message, reaches
 * OpenSSL's time (0.13 µs): no package offers that, so md5OfDigest below is
 * RFC 1321's compression function unrolled with the constant words folded in.
 * It is checked against node:crypto's MD5 before it is used (checkMd5OfDigest)
 * and against OpenSSL's EVP_BytesToKey in the unit tests.
 */
import { hash as oneShotHash, randomBytes } from 'node:crypto';
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
/** About 35 ms of work at this machine's speed: a smooth bar for ~100 messages per file. */
const PROGRESS_STEP = 1 << 18;

/**
 * MD5 of the 16 bytes held in x (four little-endian words), written back into
 * x. RFC 1321 §3.4 on the single block x0 x1 x2 x3 80 0 … 0 (128 bits) 0: the
 * words after x3 are constants and appear as such. Self-contained (no outer
 * names) because the worker runs its source text.
 */
export function md5OfDigest(x: Int32Array): void {
  let a = 0x67452301 | 0;
  let b = 0xefcdab89 | 0;
  let c = 0x98badcfe | 0;
  let d = 0x10325476 | 0;
  let t = 0;
  const x0 = x[0]!;
  const x1 = x[1]!;
  const x2 = x[2]!;
  const x3 = x[3]!;
    t = (a + ((b & c) | (~b & d)) + (0xd76aa478 | 0) + x0) | 0; a = (b + ((t << 7) | (t >>> 25))) | 0;
    t = (d + ((a & b) | (~a & c)) + (0xe8c7b756 | 0) + x1) | 0; d = (a + ((t << 12) | (t >>> 20))) | 0;
    t = (c + ((d & a) | (~d & b)) + (0x242070db | 0) + x2) | 0; c = (d + ((t << 17) | (t >>> 15))) | 0;
    t = (b + ((c & d) | (~c & a)) + (0xc1bdceee | 0) + x3) | 0; b = (c + ((t << 22) | (t >>> 10))) | 0;
    t = (a + ((b & c) | (~b & d)) + (0xf57c0faf | 0) + 0x80) | 0; a = (b + ((t << 7) | (t >>> 25))) | 0;
    t = (d + ((a & b) | (~a & c)) + (0x4787c62a | 0)) | 0; d = (a + ((t << 12) | (t >>> 20))) | 0;
    t = (c + ((d & a) | (~d & b)) + (0xa8304613 | 0)) | 0; c = (d + ((t << 17) | (t >>> 15))) | 0;
    t = (b + ((c & d) | (~c & a)) + (0xfd469501 | 0)) | 0; b = (c + ((t << 22) | (t >>> 10))) | 0;
    t = (a + ((b & c) | (~b & d)) + (0x698098d8 | 0)) | 0; a = (b + ((t << 7) | (t >>> 25))) | 0;
    t = (d + ((a & b) | (~a & c)) + (0x8b44f7af | 0)) | 0; d = (a + ((t << 12) | (t >>> 20))) | 0;
    t = (c + ((d & a) | (~d & b)) + (0xffff5bb1 | 0)) | 0; c = (d + ((t << 17) | (t >>> 15))) | 0;
    t = (b + ((c & d) | (~c & a)) + (0x895cd7be | 0)) | 0; b = (c + ((t << 22) | (t >>> 10))) | 0;
    t = (a + ((b & c) | (~b & d)) + (0x6b901122 | 0)) | 0; a = (b + ((t << 7) | (t >>> 25))) | 0;
    t = (d + ((a & b) | (~a & c)) + (0xfd987193 | 0)) | 0; d = (a + ((t << 12) | (t >>> 20))) | 0;
    t = (c + ((d & a) | (~d & b)) + (0xa679438e | 0) + 0x80) | 0; c = (d + ((t << 17) | (t >>> 15))) | 0;
    t = (b + ((c & d) | (~c & a)) + (0x49b40821 | 0)) | 0; b = (c + ((t << 22) | (t >>> 10))) | 0;

    t = (a + ((b & d) | (c & ~d)) + (0xf61e2562 | 0) + x1) | 0; a = (b + ((t << 5) | (t >>> 27))) | 0;
    t = (d + ((a & c) | (b & ~c)) + (0xc040b340 | 0)) | 0; d = (a + ((t << 9) | (t >>> 23))) | 0;
    t = (c + ((d & b) | (a & ~b)) + (0x265e5a51 | 0)) | 0; c = (d + ((t << 14) | (t >>> 18))) | 0;
    t = (b + ((c & a) | (d & ~a)) + (0xe9b6c7aa | 0) + x0) | 0; b = (c + ((t << 20) | (t >>> 12))) | 0;
    t = (a + ((b & d) | (c & ~d)) + (0xd62f105d | 0)) | 0; a = (b + ((t << 5) | (t >>> 27))) | 0;
    t = (d + ((a & c) | (b & ~c)) + (0x02441453 | 0)) | 0; d = (a + ((t << 9) | (t >>> 23))) | 0;
    t = (c + ((d & b) | (a & ~b)) + (0xd8a1e681 | 0)) | 0; c = (d + ((t << 14) | (t >>> 18))) | 0;
    t = (b + ((c & a) | (d & ~a)) + (0xe7d3fbc8 | 0) + 0x80) | 0; b = (c + ((t << 20) | (t >>> 12))) | 0;
    t = (a + ((b & d) | (c & ~d)) + (0x21e1cde6 | 0)) | 0; a = (b + ((t << 5) | (t >>> 27))) | 0;
    t = (d + ((a & c) | (b & ~c)) + (0xc33707d6 | 0) + 0x80) | 0; d = (a + ((t << 9) | (t >>> 23))) | 0;
    t = (c + ((d & b) | (a & ~b)) + (0xf4d50d87 | 0) + x3) | 0; c = (d + ((t << 14) | (t >>> 18))) | 0;
    t = (b + ((c & a) | (d & ~a)) + (0x455a14ed | 0)) | 0; b = (c + ((t << 20) | (t >>> 12))) | 0;
    t = (a + ((b & d) | (c & ~d)) + (0xa9e3e905 | 0)) | 0; a = (b + ((t << 5) | (t >>> 27))) | 0;
    t = (d + ((a & c) | (b & ~c)) + (0xfcefa3f8 | 0) + x2) | 0; d = (a + ((t << 9) | (t >>> 23))) | 0;
    t = (c + ((d & b) | (a & ~b)) + (0x676f02d9 | 0)) | 0; c = (d + ((t << 14) | (t >>> 18))) | 0;
    t = (b + ((c & a) | (d & ~a)) + (0x8d2a4c8a | 0)) | 0; b = (c + ((t << 20) | (t >>> 12))) | 0;

    t = (a + (b ^ c ^ d) + (0xfffa3942 | 0)) | 0; a = (b + ((t << 4) | (t >>> 28))) | 0;
    t = (d + (a ^ b ^ c) + (0x8771f681 | 0)) | 0; d = (a + ((t << 11) | (t >>> 21))) | 0;
    t = (c + (d ^ a ^ b) + (0x6d9d6122 | 0)) | 0; c = (d + ((t << 16) | (t >>> 16))) | 0;
    t = (b + (c ^ d ^ a) + (0xfde5380c | 0) + 0x80) | 0; b = (c + ((t << 23) | (t >>> 9))) | 0;
    t = (a + (b ^ c ^ d) + (0xa4beea44 | 0) + x1) | 0; a = (b + ((t << 4) | (t >>> 28))) | 0;
    t = (d + (a ^ b ^ c) + (0x4bdecfa9 | 0) + 0x80) | 0; d = (a + ((t << 11) | (t >>> 21))) | 0;
    t = (c + (d ^ a ^ b) + (0xf6bb4b60 | 0)) | 0; c = (d + ((t << 16) | (t >>> 16))) | 0;
    t = (b + (c ^ d ^ a) + (0xbebfbc70 | 0)) | 0; b = (c + ((t << 23) | (t >>> 9))) | 0;
    t = (a + (b ^ c ^ d) + (0x289b7ec6 | 0)) | 0; a = (b + ((t << 4) | (t >>> 28))) | 0;
    t = (d + (a ^ b ^ c) + (0xeaa127fa | 0) + x0) | 0; d = (a + ((t << 11) | (t >>> 21))) | 0;
    t = (c + (d ^ a ^ b) + (0xd4ef3085 | 0) + x3) | 0; c = (d + ((t << 16) | (t >>> 16))) | 0;
    t = (b + (c ^ d ^ a) + (0x04881d05 | 0)) | 0; b = (c + ((t << 23) | (t >>> 9))) | 0;
    t = (a + (b ^ c ^ d) + (0xd9d4d039 | 0)) | 0; a = (b + ((t << 4) | (t >>> 28))) | 0;
    t = (d + (a ^ b ^ c) + (0xe6db99e5 | 0)) | 0; d = (a + ((t << 11) | (t >>> 21))) | 0;
    t = (c + (d ^ a ^ b) + (0x1fa27cf8 | 0)) | 0; c = (d + ((t << 16) | (t >>> 16))) | 0;
    t = (b + (c ^ d ^ a) + (0xc4ac5665 | 0) + x2) | 0; b = (c + ((t << 23) | (t >>> 9))) | 0;

    t = (a + (c ^ (b | ~d)) + (0xf4292244 | 0) + x0) | 0; a = (b + ((t << 6) | (t >>> 26))) | 0;
    t = (d + (b ^ (a | ~c)) + (0x432aff97 | 0)) | 0; d = (a + ((t << 10) | (t >>> 22))) | 0;
    t = (c + (a ^ (d | ~b)) + (0xab9423a7 | 0) + 0x80) | 0; c = (d + ((t << 15) | (t >>> 17))) | 0;
    t = (b + (d ^ (c | ~a)) + (0xfc93a039 | 0)) | 0; b = (c + ((t << 21) | (t >>> 11))) | 0;
    t = (a + (c ^ (b | ~d)) + (0x655b59c3 | 0)) | 0; a = (b + ((t << 6) | (t >>> 26))) | 0;
    t = (d + (b ^ (a | ~c)) + (0x8f0ccc92 | 0) + x3) | 0; d = (a + ((t << 10) | (t >>> 22))) | 0;
    t = (c + (a ^ (d | ~b)) + (0xffeff47d | 0)) | 0; c = (d + ((t << 15) | (t >>> 17))) | 0;
    t = (b + (d ^ (c | ~a)) + (0x85845dd1 | 0) + x1) | 0; b = (c + ((t << 21) | (t >>> 11))) | 0;
    t = (a + (c ^ (b | ~d)) + (0x6fa87e4f | 0)) | 0; a = (b + ((t << 6) | (t >>> 26))) | 0;
    t = (d + (b ^ (a | ~c)) + (0xfe2ce6e0 | 0)) | 0; d = (a + ((t << 10) | (t >>> 22))) | 0;
    t = (c + (a ^ (d | ~b)) + (0xa3014314 | 0)) | 0; c = (d + ((t << 15) | (t >>> 17))) | 0;
    t = (b + (d ^ (c | ~a)) + (0x4e0811a1 | 0)) | 0; b = (c + ((t << 21) | (t >>> 11))) | 0;
    t = (a + (c ^ (b | ~d)) + (0xf7537e82 | 0) + 0x80) | 0; a = (b + ((t << 6) | (t >>> 26))) | 0;
    t = (d + (b ^ (a | ~c)) + (0xbd3af235 | 0)) | 0; d = (a + ((t << 10) | (t >>> 22))) | 0;
    t = (c + (a ^ (d | ~b)) + (0x2ad7d2bb | 0) + x2) | 0; c = (d + ((t << 15) | (t >>> 17))) | 0;
    t = (b + (d ^ (c | ~a)) + (0xeb86d391 | 0)) | 0; b = (c + ((t << 21) | (t >>> 11))) | 0;

  x[0] = (a + 0x67452301) | 0;
  x[1] = (b + (0xefcdab89 | 0)) | 0;
  x[2] = (c + (0x98badcfe | 0)) | 0;
  x[3] = (d + 0x10325476) | 0;
}

/**
 * The derivation loop, self-contained for the same reason as md5OfDigest: the
 * first MD5 of each chain (over previous || password || salt, any length) is
 * node's, every re-hash md5OfDigest's when `specialised`, node's otherwise.
 */
function deriveChains(
  md5: (data: Uint8Array) => Uint8Array, rehash: ((x: Int32Array) => void) | undefined,
  password: Uint8Array, salt: Uint8Array, iterations: number, length: number,
  progress: (done: number) => void, step: number,
): Uint8Array {
  const out = new Uint8Array(length);
  const words = new Int32Array(4);
  const digest = new Uint8Array(words.buffer);
  let filled = 0;
  let done = 0;
  let previous: Uint8Array = new Uint8Array(0);
  while (filled < length) {
    const first = new Uint8Array(previous.length + password.length + salt.length);
    first.set(previous, 0);
    first.set(password, previous.length);
    first.set(salt, previous.length + password.length);
    digest.set(md5(first));
    first.fill(0);
    done += 1;
    for (let i = 1; i < iterations;) {
      const count = Math.min(iterations - i, step);
      if (rehash === undefined) {
        for (let k = 0; k < count; k++) digest.set(md5(digest));
      } else {
        for (let k = 0; k < count; k++) rehash(words);
      }
      i += count;
      done += count;
      progress(done);
    }
    out.set(digest.subarray(0, Math.min(16, length - filled)), filled);
    filled += 16;
    previous.fill(0);
    previous = Uint8Array.from(digest);
  }
  previous.fill(0);
  digest.fill(0);
  return out;
}

const md5 = (data: Uint8Array): Uint8Array => oneShotHash('md5', data, 'buffer');

/**
 * md5OfDigest against node:crypto's MD5 on random digests: a host of other
 * byte order (Int32Array is the platform's) or a slip in the unrolled rounds
 * makes this false, and the derivation falls back to node's MD5.
 */
export function checkMd5OfDigest(rounds = 4): boolean {
  const words = new Int32Array(4);
  const bytes = new Uint8Array(words.buffer);
  for (let i = 0; i < rounds; i++) {
    bytes.set(randomBytes(MD5_BYTES));
    const expected = md5(bytes);
    md5OfDigest(words);
    if (!expected.every((byte, j) => byte === bytes[j])) return false;
  }
  return true;
}

let specialised: boolean | undefined;
function isSpecialisedUsable(): boolean {
  specialised ??= checkMd5OfDigest();
  return specialised;
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
  const out = deriveChains(md5, isSpecialisedUsable() ? md5OfDigest : undefined, password, salt, iterations, length, progress, PROGRESS_STEP);
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
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { hash } = require('node:crypto');
    const md5OfDigest = (${md5OfDigest.toString()});
    const deriveChains = (${deriveChains.toString()});
    const { password, salt, iterations, length, step, specialised } = workerData;
    const key = deriveChains((d) => hash('md5', d, 'buffer'), specialised ? md5OfDigest : undefined,
      password, salt, iterations, length, (done) => parentPort.postMessage({ done }), step);
    password.fill(0);
    parentPort.postMessage({ key });`;
  return new Promise((resolve, reject) => {
    const passwordCopy = Uint8Array.from(password);
    const worker = new Worker(source, {
      eval: true,
      workerData: { password: passwordCopy, salt: Uint8Array.from(salt), iterations, length, step: PROGRESS_STEP, specialised: isSpecialisedUsable() },
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
