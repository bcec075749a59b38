/**
 * What kind of public key an SPKI holds, read through node:crypto (the same
 * parser that later verifies signatures with it).
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ECParameters } from '@peculiar/asn1-ecc';
import { RSAPublicKey } from '@peculiar/asn1-rsa';
import type { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import type { EcCurve, Hex } from '../../hsm/token.ts';
import { OID } from '../oids.ts';

/** A public key as found in a request or certificate; RSA may have any size here, the profile decides what it accepts. */
export type PublicKeySpec =
  | { readonly kind: 'rsa'; readonly bits: number }
  | { readonly kind: 'ec'; readonly curve: EcCurve }
  | { readonly kind: 'other'; readonly type: string; readonly curve?: string };

const CURVES: Readonly<Record<string, EcCurve>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

export function publicKeyFromSpki(spkiDer: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(spkiDer.buffer, spkiDer.byteOffset, spkiDer.byteLength), format: 'der', type: 'spki' });
}

const P256_POINT_BYTES = 65;

/** The namedCurve of an id-ecPublicKey's parameters, or undefined for anything else (implicit or explicit curves). */
function namedCurveOf(parameters: ArrayBuffer | null | undefined): string | undefined {
  if (!parameters) return undefined;
  try {
    return AsnConvert.parse(parameters, ECParameters).namedCurve;
  } catch {
    return undefined;
  }
}

/**
 * The key of an already decoded SubjectPublicKeyInfo (spkiDer is its
 * encoding). OpenSSL 3 sets up its decoder afresh for every
 * SubjectPublicKeyInfo it reads, which costs a request's import more than its
 * signature check; so an RSA key is handed over as the RSAPublicKey its BIT
 * STRING holds (RFC 3279 §2.3.1), and an uncompressed P-256 point as its
 * coordinates (both read in a few microseconds, the point checked on the
 * curve). Other keys, where that shortcut is slower or absent, go through
 * the SubjectPublicKeyInfo reader.
 */
export function publicKeyOf(spki: SubjectPublicKeyInfo, spkiDer: Uint8Array): KeyObject {
  const { algorithm, parameters } = spki.algorithm;
  const point = new Uint8Array(spki.subjectPublicKey);
  // rsaEncryption's parameters (NULL) are not looked at, as OpenSSL's own reader does not look at them.
  if (algorithm === OID.rsaEncryption) {
    return createPublicKey({ key: Buffer.from(point), format: 'der', type: 'pkcs1' });
  }
  if (algorithm === OID.ecPublicKey && point.byteLength === P256_POINT_BYTES && point[0] === 0x04 && namedCurveOf(parameters) === OID.secp256r1) {
    const coordinate = (from: number): string => Buffer.from(point.subarray(from, from + 32)).toString('base64url');
    return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: coordinate(1), y: coordinate(33) }, format: 'jwk' });
  }
  return publicKeyFromSpki(spkiDer);
}

export function publicKeySpec(key: KeyObject): PublicKeySpec {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return { kind: 'rsa', bits: details.modulusLength ?? 0 };
  if (key.asymmetricKeyType === 'ec') {
    const curve = CURVES[details.namedCurve ?? ''];
    if (curve) return { kind: 'ec', curve };
    return { kind: 'other', type: 'ec', curve: details.namedCurve ?? 'unknown' };
  }
  return { kind: 'other', type: key.asymmetricKeyType ?? 'unknown' };
}

export function describeKeySpec(spec: PublicKeySpec): string {
  if (spec.kind === 'rsa') return `RSA ${spec.bits}`;
  if (spec.kind === 'ec') return `EC ${spec.curve}`;
  return spec.curve ? `${spec.type} ${spec.curve}` : spec.type;
}

export function sha256Hex(bytes: Uint8Array | ArrayBuffer): Hex {
  return createHash('sha256').update(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).digest('hex');
}

export function sha1(bytes: Uint8Array | ArrayBuffer): Uint8Array {
  return createHash('sha1').update(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).digest();
}

/** The RSAPublicKey an rsaEncryption SubjectPublicKeyInfo holds (RFC 3279 §2.3.1), or undefined for another key. */
export function rsaPublicKeyOf(spki: SubjectPublicKeyInfo): RSAPublicKey | undefined {
  if (spki.algorithm.algorithm !== OID.rsaEncryption) return undefined;
  return AsnConvert.parse(spki.subjectPublicKey, RSAPublicKey);
}

// CA/Browser Forum Baseline Requirements §6.1.6: the exponent odd and at least 3, SHOULD be in
// [2^16 + 1, 2^256 - 1]; the modulus SHOULD be odd, no prime power, with no factor below 752.
// Custos holds the SHOULDs as MUSTs: e = 1 makes any "signature" its own message (the padded digest
// verifies with no private key at all), an even modulus or a small factor gives the key away, and a
// huge exponent costs every relying party a slow verification.
export const MIN_RSA_PUBLIC_EXPONENT = 65537n;
const MAX_RSA_PUBLIC_EXPONENT = (1n << 256n) - 1n;
const SMALL_FACTOR_BOUND = 752;

const SMALL_PRIMES: readonly bigint[] = (() => {
  const composite = new Uint8Array(SMALL_FACTOR_BOUND);
  const primes: bigint[] = [];
  for (let i = 2; i < SMALL_FACTOR_BOUND; i++) {
    if (composite[i]) continue;
    primes.push(BigInt(i));
    for (let j = i * i; j < SMALL_FACTOR_BOUND; j += i) composite[j] = 1;
  }
  return primes;
})();
// One division of the modulus by the product of those primes, then small ones: a 2048-bit modulus divided 130 times costs more.
const SMALL_PRIMES_PRODUCT = SMALL_PRIMES.reduce((product, p) => product * p, 1n);

const unsignedBigInt = (bytes: ArrayBuffer): bigint => {
  const hex = Buffer.from(bytes).toString('hex');
  return hex.length === 0 ? 0n : BigInt(`0x${hex}`);
};

export interface RsaKeyProblem {
  readonly field: 'publicExponent' | 'modulus';
  /** Starts with the field's name: "publicExponent is 1; …". */
  readonly message: string;
}

/** What is wrong with an RSA public key's numbers, each naming its field and value; empty for a sound key. */
export function rsaKeyProblems(key: RSAPublicKey): RsaKeyProblem[] {
  const problems: RsaKeyProblem[] = [];
  const e = unsignedBigInt(key.publicExponent);
  const n = unsignedBigInt(key.modulus);
  const shown = e < 1n << 64n ? e.toString() : `a ${e.toString(2).length}-bit number`;
  if (e % 2n === 0n) problems.push({ field: 'publicExponent', message: `publicExponent is ${shown}, an even number; it must be odd (CA/Browser Forum BR §6.1.6).` });
  if (e < MIN_RSA_PUBLIC_EXPONENT) problems.push({ field: 'publicExponent', message: `publicExponent is ${shown}; it must be at least ${MIN_RSA_PUBLIC_EXPONENT} (CA/Browser Forum BR §6.1.6).` });
  else if (e > MAX_RSA_PUBLIC_EXPONENT) problems.push({ field: 'publicExponent', message: `publicExponent is ${shown}; it must be below 2^256 (CA/Browser Forum BR §6.1.6).` });
  if (n % 2n === 0n) problems.push({ field: 'modulus', message: 'modulus is an even number; an RSA modulus is the product of two odd primes (CA/Browser Forum BR §6.1.6).' });
  else {
    const rest = n % SMALL_PRIMES_PRODUCT;
    const factor = SMALL_PRIMES.find((p) => rest % p === 0n);
    if (factor !== undefined) problems.push({ field: 'modulus', message: `modulus has the factor ${factor}; it may have no factor below ${SMALL_FACTOR_BOUND} (CA/Browser Forum BR §6.1.6).` });
  }
  return problems;
}
