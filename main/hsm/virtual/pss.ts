/**
 * EMSA-PSS encoding of a hash the host already computed (RFC 8017 §9.1.1),
 * for SIGN algo 40. node:crypto only PSS-signs messages it hashes itself, and
 * the card receives the hash; the RSA operation itself stays in node:crypto
 * (raw private operation on this encoded block). MGF1 uses the same hash and
 * the salt is as long as the hash, as OpenSC requires (SC-HSM.md §4.10).
 */
import { createHash, randomBytes } from 'node:crypto';

function mgf1(seed: Uint8Array, length: number, hash: string): Uint8Array {
  const out = new Uint8Array(length);
  let filled = 0;
  for (let counter = 0; filled < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(seed).update(c).digest();
    out.set(block.subarray(0, Math.min(block.length, length - filled)), filled);
    filled += block.length;
  }
  return out;
}

/** The encoded message EM (emLen = ceil((modBits - 1) / 8)), left-padded to the modulus length for the raw operation. */
export function encodePssForHash(mHash: Uint8Array, hash: string, modulusBits: number): Buffer {
  const hLen = mHash.length;
  const sLen = hLen;
  const emBits = modulusBits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (emLen < hLen + sLen + 2) throw new RangeError('modulus too short for PSS with this hash');
  const salt = randomBytes(sLen);
  const h = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = new Uint8Array(emLen - hLen - 1);
  db[emLen - sLen - hLen - 2] = 0x01;
  db.set(salt, emLen - sLen - hLen - 1);
  const mask = mgf1(h, db.length, hash);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  const em = Buffer.concat([db, h, Buffer.of(0xbc)]);
  const modulusBytes = Math.ceil(modulusBits / 8);
  return Buffer.concat([Buffer.alloc(modulusBytes - emLen), em]);
}
