/**
 * What kind of public key an SPKI holds, read through node:crypto (the same
 * parser that later verifies signatures with it).
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ECParameters } from '@peculiar/asn1-ecc';
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
