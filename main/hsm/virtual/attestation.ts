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
  CARDCONTACT_SRCA, CVC_OID, cvcPublicKeyFromKeyObject, decodeCvCertificate, encodeCvCertificate, encodeCvcBody, signCvc,
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
