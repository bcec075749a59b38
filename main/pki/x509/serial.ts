/**
 * Certificate serial numbers: positive, at most 20 octets (RFC 5280 §4.1.2.2),
 * with at least 64 bits from a CSPRNG (CA/Browser Forum BR §7.1).
 */
import { randomBytes } from 'node:crypto';
import { CustosError } from '../../errors/index.ts';

export const SERIAL_BYTES = 16;
const MAX_TRIES = 4;

/**
 * A fresh serial as lower-case hex of its minimal DER INTEGER contents.
 * The first octet is forced to 01xxxxxx: the top bit clear keeps it positive and
 * the next bit set keeps it minimal (no leading zero octet to drop), leaving 126
 * random bits and always exactly 16 octets.
 */
export function newSerial(isUsed: (hex: string) => boolean): string {
  for (let i = 0; i < MAX_TRIES; i += 1) {
    const bytes = randomBytes(SERIAL_BYTES);
    bytes[0] = (bytes[0]! & 0x3f) | 0x40;
    const hex = bytes.toString('hex');
    if (!isUsed(hex)) return hex;
  }
  throw new CustosError('SERIAL_COLLISION', `${MAX_TRIES} random serial numbers in a row were already used: the random source or the catalog is broken.`, { tries: MAX_TRIES });
}

/** True when hex is a serial this CA could have written: positive, minimally encoded, 1..20 octets, not zero. */
export function isValidSerialHex(hex: string): boolean {
  if (!/^([0-9a-f]{2}){1,20}$/.test(hex)) return false;
  const first = parseInt(hex.slice(0, 2), 16);
  if (first & 0x80) return false;
  if (first === 0 && (hex.length === 2 || (parseInt(hex.slice(2, 4), 16) & 0x80) === 0)) return false;
  return true;
}
