/**
 * The virtual card's persistent memory: one file, rewritten atomically
 * (temp file + rename, main/fs/atomic-file.ts) after every change, so a crash leaves either the old
 * or the new card, never half of one. The content is AES-256-GCM encrypted
 * under a key derived (HKDF-SHA-256) from a random 32-byte secret kept beside
 * it in `<state>.secret` (mode 0600): no private key, PIN hash or DKEK is
 * ever on disk in the clear. The plaintext header names the file VIRTUAL and
 * its format version, so nobody mistakes it for a real token's backup.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { replaceFileSync, writeNewFileSync } from '../../fs/atomic-file.ts';
import { CustosError } from '../../errors/index.ts';

export const STATE_FORMAT_VERSION = 1;
const HEADER = new TextEncoder().encode(`CUSTOS VIRTUAL SMARTCARD-HSM STATE v${STATE_FORMAT_VERSION}\n`);
const SECRET_BYTES = 32;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_INFO = 'custos virtual sc-hsm state';

export function secretFileFor(stateFile: string): string {
  return `${stateFile}.secret`;
}

function deriveKey(secret: Uint8Array, salt: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, salt, HKDF_INFO, 32));
}

/** Creates the secret for a new state file; refuses to replace an existing card. */
export function createStateSecret(stateFile: string): Uint8Array {
  if (existsSync(stateFile)) {
    throw new CustosError('FILE_EXISTS', `A virtual card already exists at ${stateFile}: open it, or choose another file.`, { path: stateFile });
  }
  const secret = randomBytes(SECRET_BYTES);
  writeNewFileSync(secretFileFor(stateFile), secret, 0o600);
  return new Uint8Array(secret);
}

export function readStateSecret(stateFile: string): Uint8Array {
  const path = secretFileFor(stateFile);
  if (!existsSync(path)) {
    throw new CustosError('FILE_NOT_FOUND', `The virtual card's key file ${path} is missing: the card cannot be opened without it.`, { path });
  }
  const secret = readFileSync(path);
  if (secret.length !== SECRET_BYTES) {
    throw new CustosError('FORMAT_MISMATCH', `The virtual card's key file ${path} is not ${SECRET_BYTES} bytes long.`, { path });
  }
  return new Uint8Array(secret);
}

export function writeStateFile(stateFile: string, secret: Uint8Array, plaintext: Uint8Array): void {
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secret, salt), iv);
  cipher.setAAD(HEADER);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  replaceFileSync(stateFile, Buffer.concat([HEADER, salt, iv, tag, ciphertext]), 0o600);
}

export function readStateFile(stateFile: string, secret: Uint8Array): Uint8Array {
  if (!existsSync(stateFile)) {
    throw new CustosError('FILE_NOT_FOUND', `No virtual card at ${stateFile}: create one first.`, { path: stateFile });
  }
  const bytes = readFileSync(stateFile);
  if (bytes.length < HEADER.length + SALT_BYTES + IV_BYTES + TAG_BYTES || !bytes.subarray(0, HEADER.length).equals(HEADER)) {
    throw new CustosError('FORMAT_MISMATCH', `${stateFile} is not a virtual SmartCard-HSM state file of version ${STATE_FORMAT_VERSION}.`, { path: stateFile });
  }
  let at = HEADER.length;
  const salt = bytes.subarray(at, (at += SALT_BYTES));
  const iv = bytes.subarray(at, (at += IV_BYTES));
  const tag = bytes.subarray(at, (at += TAG_BYTES));
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(secret, salt), iv);
  decipher.setAAD(HEADER);
  decipher.setAuthTag(tag);
  try {
    return new Uint8Array(Buffer.concat([decipher.update(bytes.subarray(at)), decipher.final()]));
  } catch {
    throw new CustosError('FORMAT_MISMATCH', `The virtual card at ${stateFile} does not decrypt with its key file: it was altered or the key file belongs to another card.`, { path: stateFile });
  }
}
