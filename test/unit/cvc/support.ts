/**
 * CV requests for the importer's tests, made with node:crypto keys and the
 * project's own encoders: plain (7F21) ones, and authenticated (67) ones
 * signed outside by a device key whose chain leads to the rehearsal root
 * (createDeviceIdentity) or certifies itself (createForeignDeviceIdentity),
 * as SmartCard-HSMs make them.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  CVC_OID, cvcPublicKeyFromKeyObject, encodeAuthenticatedRequest, encodeCvCertificate, encodeCvcBody, outerSignedBytes, signCvc,
} from '../../../main/pki/cvc/cvc.ts';
import { createDeviceIdentity, type DeviceIdentity } from '../../../main/hsm/virtual/attestation.ts';
import { isCustosError } from '../../../main/errors/index.ts';

export const ECDSA_SHA256 = CVC_OID['id-TA-ECDSA-SHA-256'];

export interface MadeRequest {
  readonly raw: Uint8Array;
  readonly inner: Uint8Array;
  readonly key: KeyObject;
  readonly chr: string;
}

export function plainRequest(chr = 'UTTERM000001', options: { car?: string; oid?: string; namedCurve?: string } = {}): MadeRequest {
  const oid = options.oid ?? ECDSA_SHA256;
  const { privateKey, publicKey } = oid.startsWith('0.4.0.127.0.7.2.2.2.1')
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: options.namedCurve ?? 'prime256v1' });
  const bodyRaw = encodeCvcBody({ cpi: 0, ...(options.car ? { car: options.car } : {}), publicKey: cvcPublicKeyFromKeyObject(publicKey, oid, true), chr });
  const raw = encodeCvCertificate(bodyRaw, signCvc(bodyRaw, privateKey, oid));
  return { raw, inner: raw, key: privateKey, chr };
}

export function attestedRequest(identity: DeviceIdentity = createDeviceIdentity(), chr?: string): MadeRequest & { readonly chain: Uint8Array; readonly identity: DeviceIdentity } {
  const plain = plainRequest(chr ?? `${identity.deviceChr.slice(0, -5)}00001`);
  const raw = encodeAuthenticatedRequest(plain.raw, identity.deviceChr, signCvc(outerSignedBytes(plain.raw, identity.deviceChr), identity.deviceKey, ECDSA_SHA256));
  return { ...plain, raw, chain: identity.deviceCertificates, identity };
}

export function codeOf(f: () => unknown): string | undefined {
  try { f(); } catch (e) { return isCustosError(e) ? e.code : `untyped: ${String(e)}`; }
  return undefined;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** The bytes with the first occurrence of one hex string replaced by another. */
export function replaceHex(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const text = hex(bytes);
  const at = text.indexOf(from);
  if (at < 0 || at % 2 !== 0) throw new Error(`${from} not found`);
  return Uint8Array.from(Buffer.from(text.slice(0, at) + to + text.slice(at + from.length), 'hex'));
}
