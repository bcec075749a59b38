/**
 * Device attestation of the virtual card, shaped like CardContact's
 * (SC-HSM.md §9): a scheme root (SRCA) certifies a device issuer (DICA), which
 * certifies each card's device key; EF 2F02 holds device CVC || DICA CVC.
 *
 * The virtual root and issuer keys are fixed and public on purpose: every
 * virtual card must chain to the same root, so that one virtual card can
 * register another's keys for public-key authentication, exactly as real
 * cards all chain to CardContact's SRCA. The root's CHR starts with "UT"
 * (TR-03110's test country) and nothing outside rehearsal may trust it; real
 * devices are checked against CARDCONTACT_SRCA only.
 */
import { createPrivateKey, generateKeyPairSync, randomInt, type KeyObject } from 'node:crypto';
import {
  CARDCONTACT_SRCA, CVC_OID, cvcPublicKeyFromKeyObject, decodeCvCertificate, encodeAuthenticatedRequest, encodeCvCertificate, encodeCvcBody,
  outerSignedBytes, signCvc,
  type CvCertificate, type CvcBody,
} from '../../pki/cvc/cvc.ts';
import { concatBytes } from '../../pki/cvc/tlv.ts';

export const VIRTUAL_SRCA_CHR = 'UTSRCACC100001';
export const VIRTUAL_DICA_CHR = 'UTCUSTOS00001';
/** The attestation curve of the SmartCard-HSM family. */
export const DEVICE_CURVE = 'brainpoolP256r1';
const SIGNATURE_OID = CVC_OID['id-TA-ECDSA-SHA-256'];
/** SmartCard-HSM role OID (CHAT 7F4C) with the SRCA bits, as in CardContact's root (scsh `rootCerts`). */
const ROLE = { roleOid: CVC_OID['id-SC-HSM-role'], bits: Uint8Array.of(0xc0) } as const;
const DICA_ROLE = { roleOid: CVC_OID['id-SC-HSM-role'], bits: Uint8Array.of(0x80) } as const;
const DEVICE_ROLE = { roleOid: CVC_OID['id-SC-HSM-role'], bits: Uint8Array.of(0x00) } as const;

const VIRTUAL_SRCA_KEY = 'MIGIAgEAMBQGByqGSM49AgEGCSskAwMCCAEBBwRtMGsCAQEEIC+PTZkHKK2MjrILqK2UlfdoGcq3XWdaVIumCdM0SSMroUQDQgAETFv66vZMPB0jwc29r08yp4+DcbnFdlBOF28KfI+q/ostkcVspUopI19HnhdOiL0i2x7A41Tr6cYuSIOZyuqLDA==';
const VIRTUAL_DICA_KEY = 'MIGIAgEAMBQGByqGSM49AgEGCSskAwMCCAEBBwRtMGsCAQEEIIt4TAp9DnpFK6C0E+vWNYerJq8ZRsVFCC8iS4APlYxUoUQDQgAEH7dsLCjMP01vFkK+B8uJn5KXl23y+j6Ld6gH6e4zs6M775tHF2R7G5Dr+7BjlFOL3LLFJx23dgqztgFzvrnKpA==';

const EFFECTIVE = new Date(Date.UTC(2026, 0, 1));
const EXPIRES = new Date(Date.UTC(2046, 0, 1));

function pkcs8(base64: string): KeyObject {
  return createPrivateKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'pkcs8' });
}

function certify(body: CvcBody, issuerKey: KeyObject): Uint8Array {
  const bodyRaw = encodeCvcBody(body);
  return encodeCvCertificate(bodyRaw, signCvc(bodyRaw, issuerKey, SIGNATURE_OID));
}

let srcaCache: Uint8Array | undefined;
let dicaCache: Uint8Array | undefined;

/** The virtual SRCA certificate: self-signed, with full domain parameters, as a root carries them. */
export function virtualSrcaCertificate(): Uint8Array {
  const key = pkcs8(VIRTUAL_SRCA_KEY);
  srcaCache ??= certify({
    cpi: 0, car: VIRTUAL_SRCA_CHR, chr: VIRTUAL_SRCA_CHR, chat: ROLE,
    publicKey: cvcPublicKeyFromKeyObject(key, SIGNATURE_OID, true),
    effectiveDate: EFFECTIVE, expirationDate: EXPIRES,
  }, key);
  return srcaCache;
}

function virtualDicaCertificate(): Uint8Array {
  dicaCache ??= certify({
    cpi: 0, car: VIRTUAL_SRCA_CHR, chr: VIRTUAL_DICA_CHR, chat: DICA_ROLE,
    publicKey: cvcPublicKeyFromKeyObject(pkcs8(VIRTUAL_DICA_KEY), SIGNATURE_OID, false),
    effectiveDate: EFFECTIVE, expirationDate: EXPIRES,
  }, pkcs8(VIRTUAL_SRCA_KEY));
  return dicaCache;
}

/** Roots a virtual card accepts in PSO VERIFY CERTIFICATE: its own scheme's and CardContact's, so real custodian cards can register. */
export function trustedRoots(): CvCertificate[] {
  return [decodeCvCertificate(virtualSrcaCertificate()), decodeCvCertificate(CARDCONTACT_SRCA)];
}

export interface DeviceIdentity {
  readonly deviceKey: KeyObject;
  /** CHR of the device certificate: serial (11 chars) + "00000"; OpenSC drops the last 5 as the token serial. */
  readonly deviceChr: string;
  /** EF 2F02: device CVC || DICA CVC. */
  readonly deviceCertificates: Uint8Array;
}

/** A fresh device key and its certificate chain, made once when the virtual card is created. */
export function createDeviceIdentity(): DeviceIdentity {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: DEVICE_CURVE });
  const serial = `UTCUS${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;
  const deviceChr = `${serial}00000`;
  const deviceCert = certify({
    cpi: 0, car: VIRTUAL_DICA_CHR, chr: deviceChr, chat: DEVICE_ROLE,
    publicKey: cvcPublicKeyFromKeyObject(privateKey, SIGNATURE_OID, false),
    effectiveDate: EFFECTIVE, expirationDate: EXPIRES,
  }, pkcs8(VIRTUAL_DICA_KEY));
  return { deviceKey: privateKey, deviceChr, deviceCertificates: concatBytes(deviceCert, virtualDicaCertificate()) };
}

export const DEVICE_SIGNATURE_OID = SIGNATURE_OID;

/**
 * A card that is SmartCard-HSM-compatible but not attested by any known root,
 * as open-source implementations provision themselves when no manufacturer
 * device certificate was loaded. Modelled on pico-hsm (polhenarejos/pico-hsm,
 * `cmd_initialize.c` and `cvc.c`, tags v5.0–v6.6): EF 2F02 holds an
 * authenticated request (67) for the device key, signed inside and outside by
 * that key, followed by a self-issued 7F21 for the same key with a CHAT and
 * dates; both write the domain parameters as mbedtls does (minimal values).
 * Every such card names itself ESPICOHSMTR00001, so every one shows the serial
 * ESPICOHSMTR.
 */
export interface ForeignDeviceOptions {
  /** The device key's curve: P-256 (pico-hsm's default, written with an empty a) or secp256k1 (pico-hsm with an OTP key: a = 00, b = 07). */
  readonly curve?: 'P-256' | 'secp256k1';
  /** The device CHR, the same on every card of the implementation. */
  readonly chr?: string;
}

export const FOREIGN_DEVICE_CHR = 'ESPICOHSMTR00001';
/** The CHAT role OID pico-hsm writes into its self-issued certificate (BSI id-AT, 0.4.0.127.0.7.3.1.2.2). */
const FOREIGN_ROLE = { roleOid: '0.4.0.127.0.7.3.1.2.2', bits: Uint8Array.of(0x00) } as const;

export function createForeignDeviceIdentity(options: ForeignDeviceOptions = {}): DeviceIdentity {
  const curve = options.curve ?? 'P-256';
  const chr = options.chr ?? FOREIGN_DEVICE_CHR;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: curve === 'P-256' ? 'prime256v1' : 'secp256k1' });
  const publicKey = cvcPublicKeyFromKeyObject(privateKey, SIGNATURE_OID, true);
  const innerBody = encodeCvcBody({ cpi: 0, car: chr, publicKey, chr }, 'mbedtls');
  const inner = encodeCvCertificate(innerBody, signCvc(innerBody, privateKey, SIGNATURE_OID));
  const request = encodeAuthenticatedRequest(inner, chr, signCvc(outerSignedBytes(inner, chr), privateKey, SIGNATURE_OID));
  const fullBody = encodeCvcBody({
    cpi: 0, car: chr, publicKey, chr, chat: FOREIGN_ROLE,
    effectiveDate: new Date(Date.UTC(2023, 2, 21)), expirationDate: new Date(Date.UTC(2070, 11, 31)),
  }, 'mbedtls');
  const selfIssued = encodeCvCertificate(fullBody, signCvc(fullBody, privateKey, SIGNATURE_OID));
  return { deviceKey: privateKey, deviceChr: chr, deviceCertificates: concatBytes(request, selfIssued) };
}
