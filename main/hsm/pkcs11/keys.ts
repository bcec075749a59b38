/**
 * The key pairs on a token: each private key with its public counterpart (same
 * CKA_ID), described by the SubjectPublicKeyInfo built from the public key.
 */
import type { KeyRef, KeySpec } from '../token.ts';
import { CK, type Handle, type Pkcs11Api } from './api.ts';
import { findObjects, readAttribute, readBoolean, readText, readUlong } from './attributes.ts';
import { curveFromEcParams, ecPointFromAttribute, ecSpki, rsaBits, rsaSpki, spkiSha256 } from './spki.ts';

export interface KeyEntry {
  readonly ref: KeyRef;
  readonly privateKey: Handle;
  readonly publicKey: Handle;
}

interface PublicKey {
  readonly spec: KeySpec;
  readonly spki: Uint8Array;
}

function readPublicKey(api: Pkcs11Api, session: Handle, publicKey: Handle, keyType: number | undefined): PublicKey | undefined {
  if (keyType === CK.CKK_RSA) {
    const modulus = readAttribute(api, session, publicKey, CK.CKA_MODULUS);
    const exponent = readAttribute(api, session, publicKey, CK.CKA_PUBLIC_EXPONENT);
    if (modulus === undefined || exponent === undefined) return undefined;
    const bits = rsaBits(modulus);
    // Only the sizes Custos issues with; a 1024-bit or odd-sized key is not offered as a CA key.
    if (bits !== 2048 && bits !== 3072 && bits !== 4096) return undefined;
    return { spec: { kind: 'rsa', bits }, spki: rsaSpki(modulus, exponent) };
  }
  if (keyType === CK.CKK_EC) {
    const ecParams = readAttribute(api, session, publicKey, CK.CKA_EC_PARAMS);
    const ecPoint = readAttribute(api, session, publicKey, CK.CKA_EC_POINT);
    const curve = ecParams === undefined ? undefined : curveFromEcParams(ecParams);
    if (curve === undefined || ecPoint === undefined) return undefined;
    return { spec: { kind: 'ec', curve }, spki: ecSpki(curve, ecPointFromAttribute(ecPoint, curve)) };
  }
  return undefined;
}

function publicCounterpart(api: Pkcs11Api, session: Handle, ckaId: Buffer | undefined, label: string | undefined): Handle | undefined {
  const match = ckaId !== undefined && ckaId.length > 0
    ? { type: CK.CKA_ID, value: ckaId }
    : label !== undefined ? { type: CK.CKA_LABEL, value: label } : undefined;
  if (match === undefined) return undefined;
  return findObjects(api, session, [{ type: CK.CKA_CLASS, value: CK.CKO_PUBLIC_KEY }, match])[0];
}

/** The key pair behind a private key, or undefined when it has no usable public key. */
export function describeKeyPair(api: Pkcs11Api, session: Handle, privateKey: Handle): KeyEntry | undefined {
  const ckaId = readAttribute(api, session, privateKey, CK.CKA_ID);
  const label = readText(api, session, privateKey, CK.CKA_LABEL);
  const keyType = readUlong(api, session, privateKey, CK.CKA_KEY_TYPE);
  const publicKey = publicCounterpart(api, session, ckaId, label);
  if (publicKey === undefined) return undefined;
  const key = readPublicKey(api, session, publicKey, keyType);
  if (key === undefined) return undefined;
  return {
    privateKey,
    publicKey,
    ref: {
      id: ckaId === undefined ? '' : ckaId.toString('hex'),
      label: label ?? '',
      spec: key.spec,
      spki: key.spki,
      spkiSha256: spkiSha256(key.spki),
      alwaysAuthenticate: readBoolean(api, session, privateKey, CK.CKA_ALWAYS_AUTHENTICATE) ?? false,
    },
  };
}

/** Every private key the session can see (all of them once logged in) that has a usable public key. */
export function listKeyEntries(api: Pkcs11Api, session: Handle): KeyEntry[] {
  return findObjects(api, session, [{ type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY }])
    .map((privateKey) => describeKeyPair(api, session, privateKey))
    .filter((entry): entry is KeyEntry => entry !== undefined);
}

/** True when any object the session can see already carries this CKA_LABEL. */
export function isLabelTaken(api: Pkcs11Api, session: Handle, label: string): boolean {
  return findObjects(api, session, [{ type: CK.CKA_LABEL, value: label }]).length > 0;
}
