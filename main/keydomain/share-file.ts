/**
 * The DKEK share file of `sc-hsm-tool --create-dkek-share` and CardContact's
 * DKEK.js (SC-HSM.md §6): always 64 bytes, "Salted__" || salt (8) ||
 * AES-256-CBC(share (32) || PKCS#7 padding (16 × 10)). Key and IV come from
 * OpenSSL's EVP_BytesToKey with MD5 and 10,000,000 iterations.
 */
import { createCipheriv, createDecipheriv, hash as oneShotHash, randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { CustosError } from '../errors/index.ts';
import type { Secret } from '../secret.ts';
import { DKEK_BYTES } from './dkek.ts';

/** Hard-coded in sc-hsm-tool (`opt_iter`), DKEK.js and sc-hsm-recrypt: every real share file uses it. */
export const SHARE_FILE_ITERATIONS = 10_000_000;
export const SHARE_FILE_BYTES = 64;
const MAGIC = Uint8Array.from('Salted__', (c) => c.charCodeAt(0));
const SALT_BYTES = 8;

export interface ShareFileOptions {
  /** EVP_BytesToKey count; only tests use anything but SHARE_FILE_ITERATIONS. */
  readonly iterations?: number;
  /** Fixed salt, for known-answer tests; normally 8 random bytes. */
  readonly salt?: Uint8Array;
}

/**
 * OpenSSL EVP_BytesToKey(MD5, salt, password, count): D_i = MD5^count(D_(i-1) ||
 * password || salt), where MD5^count hashes once and then re-hashes the 16-byte
 * digest count−1 times; the output is D_1 || D_2 || … cut to length. The loop is
 * the whole cost (3 × 10 M MD5 calls for 48 bytes) and sequential, so nothing
 * parallelises it; node's one-shot digest is the fastest MD5 call it has.
 * Self-contained on purpose: evpBytesToKeyInWorker runs this very source in a worker.
 */
function evpBytesToKeyLoop(md5: (data: Uint8Array) => Uint8Array, password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let filled = 0;
  let previous: Uint8Array = new Uint8Array(0);
  while (filled < length) {
    const first = new Uint8Array(previous.length + password.length + salt.length);
    first.set(previous, 0);
    first.set(password, previous.length);
    first.set(salt, previous.length + password.length);
    let d = md5(first);
    first.fill(0);
    for (let i = 1; i < iterations; i++) d = md5(d);
    out.set(d.subarray(0, Math.min(d.length, length - filled)), filled);
    filled += d.length;
    previous = d;
  }
  return out;
}

const md5 = (data: Uint8Array): Uint8Array => oneShotHash('md5', data, 'buffer');

function checkIterations(iterations: number): void {
  if (!Number.isInteger(iterations) || iterations < 1) throw new CustosError('INPUT_INVALID', 'The iteration count must be a positive integer.', {});
}

export function evpBytesToKey(password: Uint8Array, salt: Uint8Array, iterations: number, length = 48): Uint8Array {
  checkIterations(iterations);
  return evpBytesToKeyLoop(md5, password, salt, iterations, length);
}

/**
 * The same derivation on a worker thread, so the 10 M-iteration count (seconds to
 * tens of seconds) never blocks the process that drives the UI and the tokens.
 * The worker is evaluated from source, so it needs no separate file in a bundle.
 */
export function evpBytesToKeyInWorker(password: Uint8Array, salt: Uint8Array, iterations: number, length = 48): Promise<Uint8Array> {
  checkIterations(iterations);
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { hash } = require('node:crypto');
    const loop = (${evpBytesToKeyLoop.toString()});
    const out = loop((d) => hash('md5', d, 'buffer'), workerData.password, workerData.salt, workerData.iterations, workerData.length);
    workerData.password.fill(0);
    parentPort.postMessage(out);`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: { password: Uint8Array.from(password), salt: Uint8Array.from(salt), iterations, length } });
    worker.once('message', (out: Uint8Array) => { resolve(new Uint8Array(out)); void worker.terminate(); });
    worker.once('error', (e) => reject(new CustosError('INTERNAL', 'The share file key derivation failed.', {}, { cause: e })));
    worker.once('exit', (code) => { if (code !== 0) reject(new CustosError('INTERNAL', `The share file key derivation stopped (exit ${code}).`, {})); });
  });
}

function checkShare(share: Uint8Array): void {
  if (share.length !== DKEK_BYTES) throw new CustosError('DKEK_SHARE_MALFORMED', 'A DKEK share is 32 bytes.', { length: share.length });
}

function pickSalt(options: ShareFileOptions): Uint8Array {
  const salt = options.salt ?? new Uint8Array(randomBytes(SALT_BYTES));
  if (salt.length !== SALT_BYTES) throw new CustosError('INPUT_INVALID', 'The salt is 8 bytes.', {});
  return salt;
}

/** The salt of a share file, after checking its size and magic. */
function saltOf(file: Uint8Array): Uint8Array {
  if (file.length !== SHARE_FILE_BYTES || !MAGIC.every((b, i) => file[i] === b)) {
    throw new CustosError('DKEK_SHARE_MALFORMED', 'This is not a DKEK share file: it must be 64 bytes starting with "Salted__".', { length: file.length });
  }
  return file.subarray(MAGIC.length, MAGIC.length + SALT_BYTES);
}

function seal(share: Uint8Array, salt: Uint8Array, keyIv: Uint8Array): Uint8Array {
  try {
    const cipher = createCipheriv('aes-256-cbc', keyIv.subarray(0, 32), keyIv.subarray(32, 48));
    const encrypted = Buffer.concat([cipher.update(share), cipher.final()]);
    const file = new Uint8Array(SHARE_FILE_BYTES);
    file.set(MAGIC, 0);
    file.set(salt, MAGIC.length);
    file.set(encrypted, MAGIC.length + SALT_BYTES);
    return file;
  } finally {
    keyIv.fill(0);
  }
}

/** A wrong password shows as a padding that is not 16 × 10, which DKEK.js checks exactly. */
function open(file: Uint8Array, keyIv: Uint8Array): Uint8Array {
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-cbc', keyIv.subarray(0, 32), keyIv.subarray(32, 48)).setAutoPadding(false);
    plain = Buffer.concat([decipher.update(file.subarray(MAGIC.length + SALT_BYTES)), decipher.final()]);
  } finally {
    keyIv.fill(0);
  }
  const padding = plain.subarray(DKEK_BYTES);
  if (padding.length !== 16 || padding.some((b) => b !== 0x10)) {
    plain.fill(0);
    throw new CustosError('DKEK_SHARE_PASSWORD_WRONG', 'The password does not open this DKEK share file.', {});
  }
  const share = new Uint8Array(plain.subarray(0, DKEK_BYTES));
  plain.fill(0);
  return share;
}

function derive(password: Secret, salt: Uint8Array, options: ShareFileOptions): Uint8Array {
  const secret = password.revealBytes();
  try {
    return evpBytesToKey(secret, salt, options.iterations ?? SHARE_FILE_ITERATIONS);
  } finally {
    secret.fill(0);
  }
}

async function deriveInWorker(password: Secret, salt: Uint8Array, options: ShareFileOptions): Promise<Uint8Array> {
  const secret = password.revealBytes();
  try {
    return await evpBytesToKeyInWorker(secret, salt, options.iterations ?? SHARE_FILE_ITERATIONS);
  } finally {
    secret.fill(0);
  }
}

/** Encrypts a 32-byte DKEK share under a password into the 64-byte share file (blocks while deriving). */
export function encryptShareFile(share: Uint8Array, password: Secret, options: ShareFileOptions = {}): Uint8Array {
  checkShare(share);
  const salt = pickSalt(options);
  return seal(share, salt, derive(password, salt, options));
}

/**
 * Decrypts a share file (blocks while deriving). Anything but 64 bytes starting
 * "Salted__" is DKEK_SHARE_MALFORMED; a wrong password is DKEK_SHARE_PASSWORD_WRONG.
 */
export function decryptShareFile(file: Uint8Array, password: Secret, options: ShareFileOptions = {}): Uint8Array {
  const salt = saltOf(file);
  return open(file, derive(password, salt, options));
}

/** encryptShareFile with the key derivation on a worker thread. */
export async function encryptShareFileAsync(share: Uint8Array, password: Secret, options: ShareFileOptions = {}): Promise<Uint8Array> {
  checkShare(share);
  const salt = pickSalt(options);
  return seal(share, salt, await deriveInWorker(password, salt, options));
}

/** decryptShareFile with the key derivation on a worker thread. */
export async function decryptShareFileAsync(file: Uint8Array, password: Secret, options: ShareFileOptions = {}): Promise<Uint8Array> {
  const salt = saltOf(file);
  return open(file, await deriveInWorker(password, salt, options));
}
