/**
 * The DKEK share file of `sc-hsm-tool --create-dkek-share` and CardContact's
 * DKEK.js (SC-HSM.md §6): always 64 bytes, "Salted__" || salt (8) ||
 * AES-256-CBC(share (32) || PKCS#7 padding (16 × 10)). Key and IV come from
 * OpenSSL's EVP_BytesToKey with MD5 and 10,000,000 iterations.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CustosError } from '../errors/index.ts';
import type { Secret } from '../secret.ts';
import { DKEK_BYTES } from './dkek.ts';
import { evpBytesToKey, evpBytesToKeyInWorker, type KdfControl } from './evp-bytes-to-key.ts';

export { evpBytesToKey, evpBytesToKeyInWorker } from './evp-bytes-to-key.ts';

/** Hard-coded in sc-hsm-tool (`opt_iter`), DKEK.js and sc-hsm-recrypt: every real share file uses it. */
export const SHARE_FILE_ITERATIONS = 10_000_000;
export const SHARE_FILE_BYTES = 64;
const MAGIC = Uint8Array.from('Salted__', (c) => c.charCodeAt(0));
const SALT_BYTES = 8;

export interface ShareFileOptions extends KdfControl {
  /** EVP_BytesToKey count; only tests use anything but SHARE_FILE_ITERATIONS. */
  readonly iterations?: number;
  /** Fixed salt, for known-answer tests; normally 8 random bytes. */
  readonly salt?: Uint8Array;
}

function checkShare(share: Uint8Array): void {
  if (share.length !== DKEK_BYTES) throw new CustosError('DKEK_SHARE_MALFORMED', 'A DKEK share is 32 bytes.', { length: share.length });
}

function pickSalt(options: ShareFileOptions): Uint8Array {
  const salt = options.salt ?? new Uint8Array(randomBytes(SALT_BYTES));
  if (salt.length !== SALT_BYTES) throw new CustosError('INPUT_INVALID', 'The salt is 8 bytes.', {});
  return salt;
}

/**
 * The salt of a share file, after checking its size and magic: a file cut
 * short (a copy that stopped, a medium pulled early) is DKEK_SHARE_TRUNCATED,
 * anything else that is not 64 bytes starting "Salted__" DKEK_SHARE_MALFORMED.
 */
function saltOf(file: Uint8Array): Uint8Array {
  const hasMagic = MAGIC.every((b, i) => file.length <= i || file[i] === b);
  if (file.length < SHARE_FILE_BYTES && hasMagic) {
    throw new CustosError('DKEK_SHARE_TRUNCATED', `This DKEK share file is cut short: it has ${file.length} of its 64 bytes. Copy it again from the custodian's medium.`, { length: file.length });
  }
  if (file.length !== SHARE_FILE_BYTES || !hasMagic) {
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

/**
 * A wrong password shows as a padding that is not 16 × 10, which DKEK.js checks
 * exactly. The format has no MAC: a change to the salt or the last two blocks
 * looks the same as a wrong password, and a change to the first block alone
 * goes unseen here, which is why the domain's KCV is compared after import.
 */
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
    throw new CustosError('DKEK_SHARE_PASSWORD_WRONG', 'The password does not open this DKEK share file (or the file was altered): type the password again, or copy the share file again.', {});
  }
  const share = new Uint8Array(plain.subarray(0, DKEK_BYTES));
  plain.fill(0);
  return share;
}

function derive(password: Secret, salt: Uint8Array, options: ShareFileOptions): Uint8Array {
  const secret = password.revealBytes();
  try {
    return evpBytesToKey(secret, salt, options.iterations ?? SHARE_FILE_ITERATIONS, 48, options.onProgress, options.path);
  } finally {
    secret.fill(0);
  }
}

async function deriveInWorker(password: Secret, salt: Uint8Array, options: ShareFileOptions): Promise<Uint8Array> {
  const secret = password.revealBytes();
  try {
    return await evpBytesToKeyInWorker(secret, salt, options.iterations ?? SHARE_FILE_ITERATIONS, 48, options);
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
