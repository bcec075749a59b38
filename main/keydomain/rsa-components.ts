/**
 * RSA private keys from the components a key blob carries. Type 05 holds only
 * d, n, e; node:crypto needs the primes, so they are recovered from d·e − 1 as
 * NIST SP 800-56B rev. 2 appendix C.2 describes. Number theory on bigint, not a
 * cipher: the key itself is then handled by node:crypto.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { RSAPrivateKey } from '@peculiar/asn1-rsa';
import { bigintFromBytes, bytesFromBigint } from '../pki/cvc/bytes.ts';
import { gcd, modInverse, modPow } from './bigint-math.ts';

export interface RsaComponents {
  readonly n: bigint; readonly e: bigint; readonly d: bigint;
  readonly p: bigint; readonly q: bigint;
  readonly dp: bigint; readonly dq: bigint; readonly qInv: bigint;
}

/** The SmartCard-HSM handles RSA up to 4096 bits; 16384 bounds the work a hostile blob can cause. */
const MAX_MODULUS = 1n << 16384n;

function complete(n: bigint, e: bigint, d: bigint, p: bigint, q: bigint): RsaComponents | undefined {
  if (p * q !== n || p < 2n || q < 2n) return undefined;
  const qInv = modInverse(q, p);
  if (qInv === undefined) return undefined;
  return { n, e, d, p, q, dp: d % (p - 1n), dq: d % (q - 1n), qInv };
}

/** SP 800-56B C.2: factor n knowing d and e; undefined when d and e do not belong to n. */
export function componentsFromPrivateExponent(n: bigint, e: bigint, d: bigint): RsaComponents | undefined {
  if (n < 15n || n >= MAX_MODULUS || e < 3n || d < 3n || d >= n) return undefined;
  // One exponentiation tells a pair that does not belong to n apart before the factoring loop spends up to 25.
  if (modPow(modPow(2n, e, n), d, n) !== 2n % n) return undefined;
  const k = d * e - 1n;
  if (k % 2n !== 0n) return undefined;
  let r = k;
  let t = 0;
  while (r % 2n === 0n) { r /= 2n; t++; }
  // Deterministic small bases: for a valid key each succeeds with probability ≥ 1/2.
  for (const g of [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n, 43n, 47n, 53n, 59n, 61n, 67n, 71n, 73n, 79n, 83n, 89n, 97n]) {
    let y = modPow(g, r, n);
    if (y === 1n || y === n - 1n) continue;
    for (let j = 1; j <= t; j++) {
      const x = (y * y) % n;
      if (x === 1n) {
        const p = gcd(y - 1n, n);
        return complete(n, e, d, p, n / p);
      }
      if (x === n - 1n) break;
      y = x;
    }
  }
  return undefined;
}

/** From the CRT form (type 06): d = e^-1 mod lcm(p−1, q−1). */
export function componentsFromCrt(n: bigint, e: bigint, p: bigint, q: bigint): RsaComponents | undefined {
  if (n >= MAX_MODULUS || p < 3n || q < 3n || p * q !== n) return undefined;
  const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
  const d = modInverse(e, lambda);
  return d === undefined ? undefined : complete(n, e, d, p, q);
}

function integer(value: bigint): ArrayBuffer {
  const v = bytesFromBigint(value);
  return ((v[0]! & 0x80) !== 0 ? Uint8Array.of(0, ...v) : v).buffer as ArrayBuffer;
}

/** A node:crypto private key through PKCS#1 RSAPrivateKey DER (RFC 8017 A.1.2), written by @peculiar/asn1-rsa. */
export function rsaKeyObject(c: RsaComponents): KeyObject {
  const der = AsnConvert.serialize(new RSAPrivateKey({
    version: 0, modulus: integer(c.n), publicExponent: integer(c.e), privateExponent: integer(c.d),
    prime1: integer(c.p), prime2: integer(c.q), exponent1: integer(c.dp), exponent2: integer(c.dq), coefficient: integer(c.qInv),
  }));
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs1' });
}

/** n, e, d (minimal bytes) of a node:crypto RSA private key. */
export function rsaPrivateParts(key: KeyObject): { n: Uint8Array; e: Uint8Array; d: Uint8Array } {
  const parsed = AsnConvert.parse(key.export({ format: 'der', type: 'pkcs1' }), RSAPrivateKey);
  const strip = (b: ArrayBuffer): Uint8Array => bytesFromBigint(bigintFromBytes(new Uint8Array(b)));
  return { n: strip(parsed.modulus), e: strip(parsed.publicExponent), d: strip(parsed.privateExponent) };
}
