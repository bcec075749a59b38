/**
 * The SmartCard-HSM command APDUs (SC-HSM.md §4), one pure builder per
 * command. CLA 80 for CardContact's proprietary instructions, 00 for ISO ones,
 * as CardContact's own code sends them.
 */
import type { CommandApdu } from './apdu.ts';
import { MAX_EXTENDED_NE, MAX_SHORT_NE } from './apdu.ts';

/** SmartCard-HSM applet AID (SC-HSM.md §1.3). */
export const SC_HSM_AID = Uint8Array.of(0xe8, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x81, 0xc3, 0x1f, 0x02, 0x01);

export const PIN_REF_USER = 0x81;
export const PIN_REF_SO = 0x88;

/** File id prefixes (SC-HSM.md §3): FID = prefix << 8 | key id. */
export const PREFIX_KEY = 0xcc;
export const PREFIX_PRKD = 0xc4;
export const PREFIX_EE_CERTIFICATE = 0xce;
export const PREFIX_CA_CERTIFICATE = 0xca;
export const PREFIX_CD = 0xc8;
export const PREFIX_DCOD = 0xc9;
export const PREFIX_DATA = 0xcf;
export const PREFIX_PROTECTED_DATA = 0xcd;
export const EF_DEVICE_CERTIFICATES = 0x2f02;
export const EF_TOKEN_INFO = 0x2f03;
export const EF_UNWRAP_BUFFER = 0x2f10;

/** SIGN algorithm ids (SC-HSM.md §4.10). */
export const ALGO_RSA_RAW = 0x20;
export const ALGO_RSA_PKCS1_DIGESTINFO = 0x30;
export const ALGO_RSA_PSS = 0x40;
export const ALGO_ECDSA = 0x70;
export const ALGO_WRAP = 0x92;
export const ALGO_UNWRAP = 0x93;

/** Room for an RSA-4096 signature, as OpenSC asks (Le 0200). */
const SIGNATURE_NE = 512;

export function fid(prefix: number, id: number): number {
  return (prefix << 8) | id;
}

const noData = new Uint8Array(0);

export function selectApplet(): CommandApdu {
  return { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: SC_HSM_AID, ne: MAX_SHORT_NE };
}

/** VERIFY with data logs in; without data it asks the PIN state without spending a try. */
export function verify(ref: number, pin?: Uint8Array): CommandApdu {
  return pin === undefined ? { cla: 0x00, ins: 0x20, p1: 0x00, p2: ref } : { cla: 0x00, ins: 0x20, p1: 0x00, p2: ref, data: pin };
}

export function changeReferenceData(ref: number, oldAndNew: Uint8Array): CommandApdu {
  return { cla: 0x00, ins: 0x24, p1: 0x00, p2: ref, data: oldAndNew };
}

/** RESET RETRY COUNTER: P1 00 = SO-PIN || new PIN, P1 01 = SO-PIN only (counter reset). */
export function resetRetryCounter(soPinAndNewPin: Uint8Array, withNewPin: boolean): CommandApdu {
  return { cla: 0x00, ins: 0x2c, p1: withNewPin ? 0x00 : 0x01, p2: PIN_REF_USER, data: soPinAndNewPin };
}

export function initializeDevice(tlvs: Uint8Array): CommandApdu {
  return { cla: 0x80, ins: 0x50, p1: 0x00, p2: 0x00, data: tlvs };
}

/** IMPORT DKEK SHARE with a share, or the DKEK status query without one. */
export function importDkekShare(share?: Uint8Array): CommandApdu {
  return { cla: 0x80, ins: 0x52, p1: 0x00, p2: 0x00, data: share ?? noData, ne: MAX_SHORT_NE };
}

/** MANAGE PKA: register with the content of a 67 request, or the status query without data. */
export function managePka(requestContent?: Uint8Array): CommandApdu {
  return { cla: 0x80, ins: 0x54, p1: 0x00, p2: 0x00, data: requestContent ?? noData, ne: MAX_SHORT_NE };
}

/** MANAGE PKA 02 <index>: the CHR of a registered custodian key (pico family, SC-HSM.md §4.14). */
export function managePkaEntry(index: number): CommandApdu {
  return { cla: 0x80, ins: 0x54, p1: 0x02, p2: index & 0xff, data: noData, ne: MAX_SHORT_NE };
}

export function enumerateObjects(): CommandApdu {
  return { cla: 0x80, ins: 0x58, p1: 0x00, p2: 0x00, ne: MAX_EXTENDED_NE };
}

export function generateAsymmetricKeyPair(keyId: number, signingKeyId: number, bodyContent: Uint8Array): CommandApdu {
  return { cla: 0x00, ins: 0x46, p1: keyId, p2: signingKeyId, data: bodyContent, ne: MAX_EXTENDED_NE };
}

export function sign(keyId: number, algorithm: number, input: Uint8Array): CommandApdu {
  return { cla: 0x80, ins: 0x68, p1: keyId, p2: algorithm, data: input, ne: SIGNATURE_NE };
}

export function wrapKey(keyId: number): CommandApdu {
  return { cla: 0x80, ins: 0x72, p1: keyId, p2: ALGO_WRAP, ne: MAX_EXTENDED_NE };
}

/** UNWRAP KEY with the blob, or without data when the blob was written to EF 2F10 first. */
export function unwrapKey(keyId: number, blob?: Uint8Array): CommandApdu {
  return { cla: 0x80, ins: 0x74, p1: keyId, p2: ALGO_UNWRAP, data: blob ?? noData };
}

export function getChallenge(bytes: number): CommandApdu {
  return { cla: 0x00, ins: 0x84, p1: 0x00, p2: 0x00, ne: bytes };
}

/** MSE SET with a CHR in tag 83: B6 selects a verification key, A4 a registered PKA key. */
export function manageSecurityEnvironment(template: 0xb6 | 0xa4, chrTlv: Uint8Array): CommandApdu {
  return { cla: 0x00, ins: 0x22, p1: 0x81, p2: template, data: chrTlv };
}

export function psoVerifyCertificate(certificateContent: Uint8Array): CommandApdu {
  return { cla: 0x00, ins: 0x2a, p1: 0x00, p2: 0xbe, data: certificateContent };
}

export function externalAuthenticate(signature: Uint8Array): CommandApdu {
  return { cla: 0x00, ins: 0x82, p1: 0x00, p2: 0x00, data: signature };
}

/** READ BINARY (odd INS): P1P2 = FID, offset in tag 54. */
export function readBinary(fileId: number, offset: number, ne: number): CommandApdu {
  return { cla: 0x00, ins: 0xb1, p1: fileId >> 8, p2: fileId & 0xff, data: Uint8Array.of(0x54, 0x02, offset >> 8, offset & 0xff), ne };
}

/** UPDATE BINARY (odd INS): offset in 54, data in 53 (writing a missing FID creates it). */
export function updateBinary(fileId: number, offset: number, dataTlv: Uint8Array): CommandApdu {
  const data = new Uint8Array(4 + dataTlv.length);
  data.set([0x54, 0x02, offset >> 8, offset & 0xff]);
  data.set(dataTlv, 4);
  return { cla: 0x00, ins: 0xd7, p1: fileId >> 8, p2: fileId & 0xff, data };
}

export function deleteFile(fileId: number): CommandApdu {
  return { cla: 0x00, ins: 0xe4, p1: 0x02, p2: 0x00, data: Uint8Array.of(fileId >> 8, fileId & 0xff) };
}
