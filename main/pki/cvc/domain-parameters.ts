/**
 * EC domain parameters as a CVC public key (7F49, tags 81–87) and the key blob carry
 * them: every value as big-endian bytes at full field length (the order at its own
 * length, the cofactor minimal). The numbers come from @noble/curves (FIPS 186-4,
 * RFC 5639, SEC 2), so no constant is typed by hand here.
 */
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { brainpoolP256r1, brainpoolP384r1, brainpoolP512r1 } from '@noble/curves/misc.js';
import type { CvcCurve } from './types.ts';
import { CURVE_OID } from './oids.ts';
import { bigintFromBytes, bytesFromBigint, sameBytes } from './bytes.ts';

export interface DomainParameters {
  readonly curve: CvcCurve;
  /** RFC 5480 named-curve OID for SPKI. */
  readonly namedCurveOid: string;
  /** node:crypto curve name (crypto.getCurves()). */
  readonly nodeCurve: string;
  readonly fieldBytes: number;
  readonly fieldBits: number;
  readonly p: Uint8Array;
  readonly a: Uint8Array;
  readonly b: Uint8Array;
  /** Base point 04||X||Y. */
  readonly g: Uint8Array;
  readonly order: Uint8Array;
  readonly cofactor: Uint8Array;
}

interface NobleCurve { Point: { CURVE(): { p: bigint; n: bigint; h: bigint; a: bigint; b: bigint; Gx: bigint; Gy: bigint } } }

function fromNoble(curve: CvcCurve, nodeCurve: string, noble: NobleCurve): DomainParameters {
  const c = noble.Point.CURVE();
  const fieldBits = c.p.toString(2).length;
  const fieldBytes = Math.ceil(fieldBits / 8);
  const orderBytes = Math.ceil(c.n.toString(2).length / 8);
  const g = new Uint8Array(1 + 2 * fieldBytes);
  g[0] = 0x04;
  g.set(bytesFromBigint(c.Gx, fieldBytes), 1);
  g.set(bytesFromBigint(c.Gy, fieldBytes), 1 + fieldBytes);
  return {
    curve, namedCurveOid: CURVE_OID[curve], nodeCurve, fieldBytes, fieldBits,
    p: bytesFromBigint(c.p, fieldBytes), a: bytesFromBigint(c.a, fieldBytes), b: bytesFromBigint(c.b, fieldBytes),
    g, order: bytesFromBigint(c.n, orderBytes), cofactor: bytesFromBigint(c.h),
  };
}

export const DOMAIN_PARAMETERS: Readonly<Record<CvcCurve, DomainParameters>> = {
  'P-256': fromNoble('P-256', 'prime256v1', p256),
  'P-384': fromNoble('P-384', 'secp384r1', p384),
  'P-521': fromNoble('P-521', 'secp521r1', p521),
  brainpoolP256r1: fromNoble('brainpoolP256r1', 'brainpoolP256r1', brainpoolP256r1),
  brainpoolP384r1: fromNoble('brainpoolP384r1', 'brainpoolP384r1', brainpoolP384r1),
  brainpoolP512r1: fromNoble('brainpoolP512r1', 'brainpoolP512r1', brainpoolP512r1),
  secp256k1: fromNoble('secp256k1', 'secp256k1', secp256k1),
};

/**
 * The curve whose prime and coefficient a these are, compared as numbers: a
 * card may write them at full field length (as OpenSC expects and Custos
 * writes), or minimal as mbedtls_mpi_write_binary does (pico-hsm writes
 * secp256k1's a = 0 as one 00 byte, b = 7 as 07). An empty a is mbedtls's
 * unset A, which stands for a = −3 on the curves it optimises (P-256, P-384,
 * P-521), and reads as 0 otherwise.
 */
export function identifyCurve(p: Uint8Array, a: Uint8Array): CvcCurve | undefined {
  const prime = bigintFromBytes(p);
  const coefficient = bigintFromBytes(a);
  for (const d of Object.values(DOMAIN_PARAMETERS)) {
    if (bigintFromBytes(d.p) !== prime) continue;
    const curveA = bigintFromBytes(d.a);
    if (curveA === coefficient || (a.length === 0 && curveA === prime - 3n)) return d.curve;
  }
  return undefined;
}

/** True when an uncompressed point 04||X||Y equals the curve's, X and Y compared as numbers (a card may drop leading zeros of each half). */
export function sameBasePoint(g: Uint8Array, curve: CvcCurve): boolean {
  const d = DOMAIN_PARAMETERS[curve];
  if (sameBytes(g, d.g)) return true;
  if (g.length < 3 || g[0] !== 0x04 || g.length % 2 === 0) return false;
  const half = (g.length - 1) / 2;
  const x = bigintFromBytes(g.subarray(1, 1 + half));
  const y = bigintFromBytes(g.subarray(1 + half));
  return x === bigintFromBytes(d.g.subarray(1, 1 + d.fieldBytes)) && y === bigintFromBytes(d.g.subarray(1 + d.fieldBytes));
}

export function curveByNamedOid(oid: string): CvcCurve | undefined {
  return Object.values(DOMAIN_PARAMETERS).find((d) => d.namedCurveOid === oid)?.curve;
}
