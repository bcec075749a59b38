/**
 * Certificate holder and authority references (CHR 5F20, CAR 42). TR-03110 part 3
 * §A.6.1 builds them from a 2-letter country code, a mnemonic of up to 9 characters
 * and a 5-character sequence number; the SmartCard-HSM therefore accepts 8–16
 * printable characters, and OpenSC derives the token serial by dropping the last 5
 * (SC-HSM.md §1.4), so anything shorter than 8 breaks the PKCS#15 bind.
 */
import { CustosError } from '../../errors/index.ts';

export const HOLDER_REFERENCE_MIN_CHARS = 8;
export const HOLDER_REFERENCE_MAX_CHARS = 16;

/** True for 8–16 printable ASCII characters (0x20–0x7E). */
export function isValidHolderReference(reference: string): boolean {
  return reference.length >= HOLDER_REFERENCE_MIN_CHARS && reference.length <= HOLDER_REFERENCE_MAX_CHARS
    && /^[\x20-\x7e]+$/.test(reference);
}

/** Decodes CHR/CAR bytes; anything but 8–16 printable ASCII characters is CVC_HOLDER_REFERENCE_INVALID. */
export function decodeHolderReference(bytes: Uint8Array, field: 'CHR' | 'CAR'): string {
  const text = bytes.length <= HOLDER_REFERENCE_MAX_CHARS ? String.fromCharCode(...bytes) : '';
  if (!isValidHolderReference(text)) {
    throw new CustosError('CVC_HOLDER_REFERENCE_INVALID', `The CV certificate's ${field} must be 8 to 16 printable characters.`, { field, length: bytes.length });
  }
  return text;
}

export function encodeHolderReference(reference: string, field: 'CHR' | 'CAR'): Uint8Array {
  if (!isValidHolderReference(reference)) {
    throw new CustosError('INPUT_INVALID', `The ${field} must be 8 to 16 printable characters (country, mnemonic, 5-digit sequence).`, { field });
  }
  return Uint8Array.from(reference, (c) => c.charCodeAt(0));
}

/** The PKCS#15 serial OpenSC shows for a device CHR: the CHR without its 5-character sequence number. */
export function serialFromDeviceChr(chr: string): string {
  return chr.slice(0, -5);
}
