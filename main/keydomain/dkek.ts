/**
 * The Device Key Encryption Key of a SmartCard-HSM key domain (SC-HSM.md §6,
 * CardContact DKEK.js): 32 bytes, the XOR of all imported shares; its key check
 * value (KCV) names the domain; K_enc and K_mac protect key blobs.
 */
import { createHash } from 'node:crypto';
import { CustosError } from '../errors/index.ts';

export const DKEK_BYTES = 32;
export const KCV_BYTES = 8;

/** XOR of the 32-byte shares, as the card combines them one IMPORT DKEK SHARE at a time. */
export function combineShares(shares: readonly Uint8Array[]): Uint8Array {
  if (shares.length === 0) throw new CustosError('DKEK_INCOMPLETE', 'No DKEK share was given.', {});
  const dkek = new Uint8Array(DKEK_BYTES);
  shares.forEach((share, index) => {
    if (share.length !== DKEK_BYTES) {
      throw new CustosError('DKEK_SHARE_MALFORMED', `DKEK share ${index + 1} has ${share.length} bytes; a share is 32 bytes.`, { index: index + 1 });
    }
    for (let i = 0; i < DKEK_BYTES; i++) dkek[i]! ^= share[i]!;
  });
  return dkek;
}

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

function checkDkek(dkek: Uint8Array): void {
  if (dkek.length !== DKEK_BYTES) throw new CustosError('INPUT_INVALID', 'A DKEK is 32 bytes.', { length: dkek.length });
}

/** Key check value: the first 8 bytes of SHA-256(DKEK). */
export function kcv(dkek: Uint8Array): Uint8Array {
  checkDkek(dkek);
  return sha256(dkek).subarray(0, KCV_BYTES);
}

/** K_enc = SHA-256(DKEK || 00000001), K_mac = SHA-256(DKEK || 00000002), both AES-256 keys. */
export function deriveKeys(dkek: Uint8Array): { kEnc: Uint8Array; kMac: Uint8Array } {
  checkDkek(dkek);
  return { kEnc: sha256(dkek, Uint8Array.of(0, 0, 0, 1)), kMac: sha256(dkek, Uint8Array.of(0, 0, 0, 2)) };
}
