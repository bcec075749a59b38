/**
 * What a SmartCard-HSM shows of itself, generated for tests with node:crypto keys
 * and the project's own encoders, shaped like a real card's output:
 * - makeDeviceChain: a self-signed SRCA (with domain parameters), a DICA and a
 *   device certificate carrying only the point (the curve is inherited from the
 *   SRCA), and EF 2F02 = device CVC || DICA CVC.
 * - makeKeyGenerationRequest: the authenticated request (67) GENERATE ASYMMETRIC
 *   KEY PAIR returns, signed inside by the new key and outside by the device key.
 * - makeWrappedKeyFile: the `.wky` of `sc-hsm-tool --wrap-key` for that new key:
 *   key blob under a DKEK, PKCS#15 PrKD, key-generation request.
 * Every call makes fresh keys; the test CHRs use "UT", TR-03110's test country.
 */
import { createHash, generateKeyPairSync, randomBytes, randomInt, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import {
  CVC_OID, cvcPublicKeyFromKeyObject, decodeCvCertificate, decodeCvRequest, encodeAuthenticatedRequest, encodeCvCertificate,
  encodeCvcBody, outerSignedBytes, SC_HSM_ROLE_BITS, signCvc,
  type CvCertificate, type CvcBody, type CvcCurve, type CvRequest,
} from '../../main/pki/cvc/cvc.ts';
import { DOMAIN_PARAMETERS } from '../../main/pki/cvc/domain-parameters.ts';
import { concatBytes } from '../../main/pki/cvc/tlv.ts';
import { wrapKey } from '../../main/keydomain/key-blob.ts';
import { encodeWky } from '../../main/keydomain/wky.ts';

const ECDSA_SHA256 = CVC_OID['id-TA-ECDSA-SHA-256'];
const role = (bits: number): CvcBody['chat'] => ({ roleOid: CVC_OID['id-SC-HSM-role'], bits: Uint8Array.of(bits) });

export interface DeviceChain {
  readonly srca: CvCertificate;
  readonly dica: CvCertificate;
  readonly device: CvCertificate;
  /** EF 2F02 (C_DevAut): device CVC || DICA CVC, as the card returns it. */
  readonly ef2f02: Uint8Array;
  readonly srcaKey: KeyObject;
  readonly dicaKey: KeyObject;
  readonly deviceKey: KeyObject;
  readonly curve: CvcCurve;
}

export interface DeviceChainOptions {
  /** Curve of all three keys; real cards use brainpoolP256r1. */
  readonly curve?: CvcCurve;
  readonly srcaChr?: string;
  readonly dicaChr?: string;
  /** Device serial (11 characters) + 5-digit sequence, as real device CHRs are. */
  readonly deviceChr?: string;
}

function certify(body: CvcBody, issuerKey: KeyObject): CvCertificate {
  const bodyRaw = encodeCvcBody(body);
  return decodeCvCertificate(encodeCvCertificate(bodyRaw, signCvc(bodyRaw, issuerKey, ECDSA_SHA256)));
}

function ecPrivateKey(curve: CvcCurve): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: DOMAIN_PARAMETERS[curve].nodeCurve }).privateKey;
}

/** A device attestation chain under a freshly made SRCA (not CardContact's). */
export function makeDeviceChain(options: DeviceChainOptions = {}): DeviceChain {
  const curve = options.curve ?? 'brainpoolP256r1';
  const srcaChr = options.srcaChr ?? 'UTSRCACC100001';
  const dicaChr = options.dicaChr ?? 'UTDICA0400001';
  const deviceChr = options.deviceChr ?? `UTNK${String(randomInt(0, 10_000_000)).padStart(7, '0')}00000`;
  const [srcaKey, dicaKey, deviceKey] = [ecPrivateKey(curve), ecPrivateKey(curve), ecPrivateKey(curve)] as const;
  const dates = { effectiveDate: new Date(Date.UTC(2026, 0, 1)), expirationDate: new Date(Date.UTC(2046, 0, 1)) };
  const srca = certify({
    cpi: 0, car: srcaChr, chr: srcaChr, chat: role(SC_HSM_ROLE_BITS.srca),
    publicKey: cvcPublicKeyFromKeyObject(srcaKey, ECDSA_SHA256, true), ...dates,
  }, srcaKey);
  const dica = certify({
    cpi: 0, car: srcaChr, chr: dicaChr, chat: role(SC_HSM_ROLE_BITS.dica),
    publicKey: cvcPublicKeyFromKeyObject(dicaKey, ECDSA_SHA256, false), ...dates,
  }, srcaKey);
  const device = certify({
    cpi: 0, car: dicaChr, chr: deviceChr, chat: role(SC_HSM_ROLE_BITS.device),
    publicKey: cvcPublicKeyFromKeyObject(deviceKey, ECDSA_SHA256, false), ...dates,
  }, dicaKey);
  return { srca, dica, device, ef2f02: concatBytes(device.raw, dica.raw), srcaKey, dicaKey, deviceKey, curve };
}

export interface KeyGenerationRequest {
  /** The 67 TLV. */
  readonly raw: Uint8Array;
  readonly request: CvRequest;
  /** The private key the request is for. */
  readonly key: KeyObject;
}

/**
 * The request a card returns for a key it generated: inner 7F21 self-signed by the
 * new key, carrying its full domain parameters and the card's default CAR
 * "UTCA00001", CHR = device serial + key sequence; outer CAR = device CHR, outer
 * signature by the device key over inner 7F21 || 42.
 */
export function makeKeyGenerationRequest(chain: DeviceChain, options: { curve?: CvcCurve; sequence?: number } = {}): KeyGenerationRequest {
  const key = ecPrivateKey(options.curve ?? 'P-256');
  const chr = `${chain.device.body.chr.slice(0, -5)}${String(options.sequence ?? 1).padStart(5, '0')}`;
  const bodyRaw = encodeCvcBody({ cpi: 0, car: 'UTCA00001', chr, publicKey: cvcPublicKeyFromKeyObject(key, ECDSA_SHA256, true) });
  const inner = encodeCvCertificate(bodyRaw, signCvc(bodyRaw, key, ECDSA_SHA256));
  const outerCar = chain.device.body.chr;
  const raw = encodeAuthenticatedRequest(inner, outerCar, signCvc(outerSignedBytes(inner, outerCar), chain.deviceKey, ECDSA_SHA256));
  return { raw, request: decodeCvRequest(raw), key };
}

/**
 * A PKCS#15 private EC key description as the card stores in C4xx (PKCS#15
 * PrivateECKeyAttributes, context tag [0]): label, ID = SHA-1 of the public point,
 * usage sign, key reference, path and field size.
 */
export function makeEcPrkd(label: string, publicPoint: Uint8Array, keyReference: number, fieldBits: number): Uint8Array {
  const prkd = new asn1js.Constructed({
    idBlock: { tagClass: 3, tagNumber: 0 },
    value: [
      new asn1js.Sequence({ value: [new asn1js.Utf8String({ value: label }), new asn1js.BitString({ valueHex: Uint8Array.of(0x00), unusedBits: 0 })] }),
      new asn1js.Sequence({ value: [
        new asn1js.OctetString({ valueHex: createHash('sha1').update(publicPoint).digest() }),
        new asn1js.BitString({ valueHex: Uint8Array.of(0x20, 0x00), unusedBits: 7 }),
        new asn1js.Integer({ value: keyReference }),
      ] }),
      new asn1js.Constructed({
        idBlock: { tagClass: 3, tagNumber: 1 },
        value: [new asn1js.Sequence({ value: [
          new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: Uint8Array.of(0xcc, keyReference) })] }),
          new asn1js.Integer({ value: fieldBits }),
        ] })],
      }),
    ],
  });
  return new Uint8Array(prkd.toBER());
}

export interface WrappedKeyFile {
  /** The .wky bytes. */
  readonly wky: Uint8Array;
  readonly blob: Uint8Array;
  readonly prkd: Uint8Array;
  readonly request: KeyGenerationRequest;
  readonly dkek: Uint8Array;
}

/** A .wky for a freshly generated key of the curve, wrapped under a random DKEK (or the one given). */
export function makeWrappedKeyFile(chain: DeviceChain, options: { curve?: CvcCurve; dkek?: Uint8Array } = {}): WrappedKeyFile {
  const curve = options.curve ?? 'secp256k1';
  const dkek = options.dkek ?? new Uint8Array(randomBytes(32));
  const request = makeKeyGenerationRequest(chain, { curve });
  const pk = request.request.inner.body.publicKey;
  const point = pk.kind === 'ec' ? pk.publicPoint : new Uint8Array();
  const blob = wrapKey({ dkek, key: request.key });
  const prkd = makeEcPrkd('custos-test', point, 1, DOMAIN_PARAMETERS[curve].fieldBytes * 8);
  return { wky: encodeWky({ blob, prkd, certificate: request.raw }), blob, prkd, request, dkek };
}
