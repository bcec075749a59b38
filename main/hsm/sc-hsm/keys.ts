/**
 * The SmartCard-HSM's keys as PKCS#15 objects (SC-HSM.md §3): CC<id> the key,
 * C4<id> its PrKD (label), CE<id> its public part — the card's CV request (67)
 * or an X.509 certificate (30). Everything here reads and writes through one
 * ScHsmCard, so it runs inside the caller's held connection and login.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { CustosError, isCustosError } from '../../errors/index.ts';
import type { EcCurve, KeyGenObserver, KeySpec } from '../token.ts';
import {
  CVC_OID, DOMAIN_PARAMETERS, decodeCvRequest, encodeHolderReference, spkiFromCvcPublicKey, verifyCvcSignature,
  type CvcPublicKey, type CvRequest,
} from '../../pki/cvc/cvc.ts';
import { oidToContent } from '../../pki/cvc/object-identifier.ts';
import { concatBytes, encodeTlv } from '../../pki/cvc/tlv.ts';
import type { ScHsmCard } from './card.ts';
import { fid, PREFIX_EE_CERTIFICATE, PREFIX_KEY, PREFIX_PRKD } from './commands.ts';
import { decodePrivateKeyDescription, encodePrivateKeyDescription } from './pkcs15.ts';

/** The highest key id; 0 is the device key and never listed. */
const MAX_KEY_ID = 0xff;
/** OpenSC and pypicohsm address key-generation requests to this CA reference (SC-HSM.md §4.9). */
export const KEYGEN_CAR = 'UTCA00001';

export interface CardKey {
  /** Key reference on the card, 1–255. */
  readonly keyId: number;
  readonly label: string;
  readonly spec: KeySpec;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  readonly spkiSha256: string;
  /** What CE<id> holds: the card's CV request or an X.509 certificate. */
  readonly publicObject: 'cv-request' | 'x509';
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const NODE_CURVES: Readonly<Record<string, EcCurve>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** The KeySpec of a DER SubjectPublicKeyInfo; KEY_SPEC_UNSUPPORTED for keys a CA here does not use. */
export function keySpecOfSpki(spki: Uint8Array): KeySpec {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' && (details.modulusLength === 2048 || details.modulusLength === 3072 || details.modulusLength === 4096)) {
    return { kind: 'rsa', bits: details.modulusLength };
  }
  const curve = key.asymmetricKeyType === 'ec' && details.namedCurve !== undefined ? NODE_CURVES[details.namedCurve] : undefined;
  if (curve !== undefined) return { kind: 'ec', curve };
  throw new CustosError('KEY_SPEC_UNSUPPORTED', 'The key is neither RSA 2048/3072/4096 nor EC P-256/384/521.', { type: key.asymmetricKeyType ?? 'unknown' });
}

/**
 * The content of a CV certificate body for GENERATE ASYMMETRIC KEY PAIR
 * (SC-HSM.md §4.9): the card picks the curve from the full domain parameters,
 * or the RSA size from the universal INTEGER 02.
 */
export function keyGenerationBody(spec: KeySpec, chr: string, car: string = KEYGEN_CAR): Uint8Array {
  let publicKey: Uint8Array;
  if (spec.kind === 'rsa') {
    publicKey = encodeTlv(0x7f49, [
      encodeTlv(0x06, oidToContent(CVC_OID['id-TA-RSA-v1-5-SHA-256'])),
      encodeTlv(0x82, Uint8Array.of(0x01, 0x00, 0x01)),
      encodeTlv(0x02, Uint8Array.of(spec.bits >> 8, spec.bits & 0xff)),
    ]);
  } else {
    const d = DOMAIN_PARAMETERS[spec.curve];
    publicKey = encodeTlv(0x7f49, [
      encodeTlv(0x06, oidToContent(CVC_OID['id-TA-ECDSA-SHA-256'])),
      encodeTlv(0x81, d.p), encodeTlv(0x82, d.a), encodeTlv(0x83, d.b),
      encodeTlv(0x84, d.g), encodeTlv(0x85, d.order), encodeTlv(0x87, d.cofactor),
    ]);
  }
  return concatBytes(
    encodeTlv(0x5f29, Uint8Array.of(0x00)),
    encodeTlv(0x42, encodeHolderReference(car, 'CAR')),
    publicKey,
    encodeTlv(0x5f20, encodeHolderReference(chr, 'CHR')),
  );
}

/** The CHR of a new key: the device's serial and the key id as the 5-digit sequence, unique per device and key (PKA needs unique CHRs). */
export function keyHolderReference(deviceSerial: string, keyId: number): string {
  return `${deviceSerial}${keyId.toString().padStart(5, '0')}`;
}

/** The SPKI held in CE<id>: from the CV request's public key, or from the X.509 certificate. */
export function spkiOfPublicObject(bytes: Uint8Array): { spki: Uint8Array; kind: 'cv-request' | 'x509'; request?: CvRequest } {
  if (bytes[0] === 0x67 || (bytes[0] === 0x7f && bytes[1] === 0x21)) {
    const request = decodeCvRequest(bytes);
    return { spki: spkiFromCvcPublicKey(request.inner.body.publicKey), kind: 'cv-request', request };
  }
  if (bytes[0] === 0x30) {
    let cert: Certificate;
    try {
      cert = AsnConvert.parse(bytes, Certificate);
    } catch (e) {
      throw new CustosError('FORMAT_UNKNOWN', 'The certificate stored with the key is not a DER X.509 certificate.', {}, { cause: e });
    }
    return { spki: new Uint8Array(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo)), kind: 'x509' };
  }
  throw new CustosError('FORMAT_UNKNOWN', 'The public-key object stored with the key is neither a CV request nor an X.509 certificate.', { firstByte: bytes[0] ?? -1 });
}

/**
 * Checks a fresh key-generation response: the inner self-signature proves the
 * new key, the outer one (by the device key) that the card made it.
 */
export function checkKeyGenerationRequest(request: CvRequest, devicePublicKey: CvcPublicKey | undefined): void {
  const inner = request.inner;
  if (!verifyCvcSignature(inner.bodyRaw, inner.signature, inner.body.publicKey)) {
    throw new CustosError('CVC_SIGNATURE_INVALID', 'The SmartCard-HSM returned a key request whose self-signature does not verify: do not use this key.', { chr: inner.body.chr });
  }
  if (devicePublicKey !== undefined && request.outerSignature !== undefined && request.outerSignedRaw !== undefined) {
    if (!verifyCvcSignature(request.outerSignedRaw, request.outerSignature, devicePublicKey)) {
      throw new CustosError('CVC_SIGNATURE_INVALID', 'The key request is not attested by this SmartCard-HSM\'s device key: do not use this key.', { chr: inner.body.chr });
    }
  }
}

/** The ids of keys on the card (CC<id>), without the device key 0. */
export async function listKeyIds(card: ScHsmCard): Promise<number[]> {
  const fids = await card.enumerateObjects();
  return fids.filter((f) => f >> 8 === PREFIX_KEY && (f & 0xff) !== 0).map((f) => f & 0xff).sort((a, b) => a - b);
}

/** A key with its label and public key; undefined when CE<id> is missing (no public part to identify it by). */
export async function readCardKey(card: ScHsmCard, keyId: number): Promise<CardKey | undefined> {
  const publicObject = await card.readFileIfPresent(fid(PREFIX_EE_CERTIFICATE, keyId));
  if (publicObject === undefined || publicObject.length === 0) return undefined;
  const { spki, kind } = spkiOfPublicObject(publicObject);
  let label = '';
  const prkd = await card.readFileIfPresent(fid(PREFIX_PRKD, keyId));
  if (prkd !== undefined && prkd.length > 0) {
    try {
      label = decodePrivateKeyDescription(prkd).label;
    } catch (e) {
      if (!isCustosError(e)) throw e;
    }
  }
  return { keyId, label, spec: keySpecOfSpki(spki), spki, spkiSha256: sha256Hex(spki), publicObject: kind };
}

export async function listCardKeys(card: ScHsmCard): Promise<CardKey[]> {
  const out: CardKey[] = [];
  for (const id of await listKeyIds(card)) {
    const key = await readCardKey(card, id);
    if (key !== undefined) out.push(key);
  }
  return out;
}

export async function freeKeyId(card: ScHsmCard): Promise<number> {
  const fids = new Set(await card.enumerateObjects());
  for (let id = 1; id <= MAX_KEY_ID; id++) {
    if (!fids.has(fid(PREFIX_KEY, id)) && !fids.has(fid(PREFIX_PRKD, id)) && !fids.has(fid(PREFIX_EE_CERTIFICATE, id))) return id;
  }
  throw new CustosError('DEVICE_ERROR', 'All 255 key slots of the SmartCard-HSM are used: delete keys you no longer need.', {});
}

export interface GeneratedKey {
  readonly key: CardKey;
  /** The device-signed CV request (67) the card returned. */
  readonly request: CvRequest;
}

/**
 * Generates a key pair on the card, checks its attestation, and labels it
 * (C4<id>). The login is confirmed first, so a lost login stops the step
 * before anything is written.
 */
export async function generateCardKey(card: ScHsmCard, spec: KeySpec, label: string, deviceSerial: string, devicePublicKey?: CvcPublicKey,
  options: { readonly selfReferencing?: boolean } & KeyGenObserver = {}): Promise<GeneratedKey> {
  await card.assertAuthenticated();
  const keyId = await freeKeyId(card);
  const chr = keyHolderReference(deviceSerial, keyId);
  // A custodian key's request names itself as CAR: an HSM that follows CAR to find the curve stops at the request (docs/quorum.md).
  options.onStep?.('generate');
  const response = await card.generateKeyPair(keyId, keyGenerationBody(spec, chr, options.selfReferencing === true ? chr : KEYGEN_CAR));
  options.onStep?.('read-public-key');
  const request = decodeCvRequest(response);
  checkKeyGenerationRequest(request, devicePublicKey);
  const spki = spkiFromCvcPublicKey(request.inner.body.publicKey);
  const made = keySpecOfSpki(spki);
  if (made.kind !== spec.kind || (made.kind === 'rsa' ? made.bits !== (spec as { bits: number }).bits : made.curve !== (spec as { curve: string }).curve)) {
    throw new CustosError('KEY_SPEC_UNSUPPORTED', 'The SmartCard-HSM generated a different key than asked for.', { keyId });
  }
  // The card stores the request in CE<id> itself on most firmware; writing it again keeps every card alike.
  options.onStep?.('write-description');
  await card.writeFile(fid(PREFIX_EE_CERTIFICATE, keyId), response);
  await writeKeyLabel(card, keyId, spec, label);
  return { key: { keyId, label, spec, spki, spkiSha256: sha256Hex(spki), publicObject: 'cv-request' }, request };
}

/** Writes the PKCS#15 PrKD that carries the key's label. */
export async function writeKeyLabel(card: ScHsmCard, keyId: number, spec: KeySpec, label: string): Promise<void> {
  const sizeBits = spec.kind === 'rsa' ? spec.bits : DOMAIN_PARAMETERS[spec.curve].fieldBits;
  await card.writeFile(fid(PREFIX_PRKD, keyId), encodePrivateKeyDescription({ kind: spec.kind, label, id: Uint8Array.of(keyId), keyReference: keyId, sizeBits }));
}

/** Stores an X.509 certificate for the key in CE<id>, after checking it certifies this key. */
export async function storeKeyCertificate(card: ScHsmCard, keyId: number, certificateDer: Uint8Array): Promise<void> {
  await card.assertAuthenticated();
  const key = await readCardKey(card, keyId);
  if (key === undefined) throw new CustosError('KEY_NOT_FOUND', `The SmartCard-HSM holds no key ${keyId}.`, { keyId });
  const { spki, kind } = spkiOfPublicObject(certificateDer);
  if (kind !== 'x509') throw new CustosError('FORMAT_MISMATCH', 'Only an X.509 certificate can be stored for a key.', {});
  if (sha256Hex(spki) !== key.spkiSha256) {
    throw new CustosError('FORMAT_MISMATCH', 'This certificate is for a different public key than the key on the SmartCard-HSM.', { keyId });
  }
  await card.writeFile(fid(PREFIX_EE_CERTIFICATE, keyId), certificateDer);
}

/** Deletes the key and its PrKD and public object. The key goes first: what remains is metadata without a key, never a key without its record. */
export async function deleteCardKey(card: ScHsmCard, keyId: number): Promise<void> {
  await card.assertAuthenticated();
  const fids = new Set(await card.enumerateObjects());
  if (!fids.has(fid(PREFIX_KEY, keyId))) throw new CustosError('KEY_NOT_FOUND', `The SmartCard-HSM holds no key ${keyId}: refresh the key list.`, { keyId });
  await card.deleteFile(fid(PREFIX_KEY, keyId));
  for (const prefix of [PREFIX_PRKD, PREFIX_EE_CERTIFICATE]) {
    if (fids.has(fid(prefix, keyId))) await card.deleteFile(fid(prefix, keyId));
  }
}
