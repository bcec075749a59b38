/**
 * What kind of public key an SPKI holds, read through node:crypto (the same
 * parser that later verifies signatures with it).
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { EcCurve, Hex } from '../../hsm/token.ts';

/** A public key as found in a request or certificate; RSA may have any size here, the profile decides what it accepts. */
export type PublicKeySpec =
  | { readonly kind: 'rsa'; readonly bits: number }
  | { readonly kind: 'ec'; readonly curve: EcCurve }
  | { readonly kind: 'other'; readonly type: string; readonly curve?: string };

const CURVES: Readonly<Record<string, EcCurve>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

export function publicKeyFromSpki(spkiDer: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(spkiDer.buffer, spkiDer.byteOffset, spkiDer.byteLength), format: 'der', type: 'spki' });
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
