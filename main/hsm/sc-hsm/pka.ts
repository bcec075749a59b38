/**
 * Public-key authentication, m of n (SC-HSM.md §8, §4.14): custodians register
 * a key of their own SmartCard-HSM with this HSM, and later m of them sign a
 * fresh challenge to unlock it instead of a PIN. Each custodian signs
 * SHA-256(this HSM's device CHR || challenge) and the signature goes to the card
 * as plain r||s (the exchange pico-hsm implements; no CardContact text was found).
 */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ECDSASigValue } from '@peculiar/asn1-ecc';
import { CustosError } from '../../errors/index.ts';
import { decodeCvRequest, DOMAIN_PARAMETERS } from '../../pki/cvc/cvc.ts';
import { deviceCertificates } from './device.ts';
import { decodeTlv } from '../../pki/cvc/tlv.ts';
import type { PkaStatus, ScHsmCard } from './card.ts';
import { ALGO_ECDSA, fid, PREFIX_EE_CERTIFICATE } from './commands.ts';
import { readCardKey } from './keys.ts';

/** pypicohsm asks 8 bytes; one challenge serves every custodian of the session. */
const CHALLENGE_BYTES = 8;

/** A custodian's half of the exchange: its registered key's CHR, and a signature over a SHA-256 hash as r||s. */
export interface CustodianAuthenticator {
  readonly chr: string;
  signHash(sha256: Uint8Array): Promise<Uint8Array>;
}

/** What a custodian hands over to be registered: its key's 67 request and its device's 2F02 chain. */
export interface CustodianKeyExport {
  readonly request: Uint8Array;
  readonly deviceCertificates: Uint8Array;
}

/** Plain r||s, each half the field length, from DER ECDSA-Sig-Value (a card answering r||s already is passed through). */
export function ecdsaPlainFromDer(der: Uint8Array, fieldBytes: number): Uint8Array {
  if (der.length === 2 * fieldBytes && der[0] !== 0x30) return Uint8Array.from(der);
  let v: ECDSASigValue;
  try {
    v = AsnConvert.parse(der, ECDSASigValue);
  } catch (e) {
    throw new CustosError('SIGN_FAILED', 'The custodian card returned an ECDSA signature in an unknown form.', { bytes: der.length }, { cause: e });
  }
  const out = new Uint8Array(2 * fieldBytes);
  for (const [i, part] of [new Uint8Array(v.r), new Uint8Array(v.s)].entries()) {
    let start = 0;
    while (start < part.length - 1 && part[start] === 0) start++;
    const bytes = part.subarray(start);
    if (bytes.length > fieldBytes) throw new CustosError('SIGN_FAILED', 'The ECDSA signature does not fit the curve.', {});
    out.set(bytes, (i + 1) * fieldBytes - bytes.length);
  }
  return out;
}

/** The hash a custodian signs for this HSM. */
export function pkaChallengeHash(hsmDeviceChr: string, challenge: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(Buffer.from(hsmDeviceChr, 'latin1')).update(challenge).digest());
}

/** What a custodian's card exports for registration: the key's 67 request and the card's device chain. */
export async function exportCustodianKey(custodian: ScHsmCard, keyId: number): Promise<CustodianKeyExport> {
  const request = await custodian.readFile(fid(PREFIX_EE_CERTIFICATE, keyId));
  if (request[0] !== 0x67) {
    throw new CustosError('FORMAT_MISMATCH', 'Only a key whose public object is still the card\'s attested request (67) can be registered for custodian authentication.', { keyId });
  }
  return { request, deviceCertificates: await custodian.readFile(0x2f02) };
}

/**
 * Registers a custodian key: first makes the HSM verify the custodian card's
 * DICA and device certificates (PSO VERIFY CERTIFICATE), so it can check the
 * outer attestation of the request, then MANAGE PKA with the request.
 */
export async function registerCustodianKey(hsm: ScHsmCard, exported: CustodianKeyExport): Promise<PkaStatus> {
  await hsm.assertAuthenticated();
  const request = decodeCvRequest(exported.request);
  if (request.outerCar === undefined) throw new CustosError('CVC_MALFORMED', 'The custodian key request is not attested by its device (no outer signature).', {});
  // Read as the card's own identity is: a foreign card's 67 request stands for its device certificate, and its issuer is then unknown here.
  const [device, dica] = deviceCertificates(exported.deviceCertificates);
  if (device === undefined || dica === undefined) throw new CustosError('CVC_MALFORMED', 'The custodian card\'s device chain needs the device and the DICA certificate.', {});
  for (const cert of [dica, device]) {
    if (await hsm.selectVerificationKey(cert.body.chr)) continue;
    if (cert.body.car === undefined || !(await hsm.selectVerificationKey(cert.body.car))) {
      throw new CustosError('CVC_ISSUER_UNKNOWN', `This HSM does not trust the issuer ${cert.body.car ?? '(none)'} of the custodian card's certificate ${cert.body.chr}.`, { chr: cert.body.chr });
    }
    await hsm.verifyCertificate(decodeTlv(cert.raw).value);
  }
  if (!(await hsm.selectVerificationKey(request.outerCar))) {
    throw new CustosError('CVC_ISSUER_UNKNOWN', `The custodian key request is attested by ${request.outerCar}, which this HSM has not verified.`, { car: request.outerCar });
  }
  return await hsm.registerPkaKey(decodeTlv(exported.request).value);
}

/**
 * Authenticates with m custodians on one challenge. The HSM is unlocked when
 * the card counts the quorum; fewer custodians leave it locked (QUORUM_NOT_MET).
 */
export async function authenticateCustodians(hsm: ScHsmCard, hsmDeviceChr: string, custodians: readonly CustodianAuthenticator[]): Promise<PkaStatus> {
  const chrs = new Set(custodians.map((c) => c.chr));
  if (chrs.size !== custodians.length) throw new CustosError('INPUT_INVALID', 'The same custodian key is listed twice: each custodian authenticates once.', {});
  const challenge = await hsm.getChallenge(CHALLENGE_BYTES);
  const hash = pkaChallengeHash(hsmDeviceChr, challenge);
  let status = await hsm.pkaStatus();
  for (const custodian of custodians) {
    await hsm.selectPkaKey(custodian.chr);
    status = await hsm.externalAuthenticate(await custodian.signHash(hash));
  }
  if (status.authenticatedKeys < status.requiredKeys) {
    throw new CustosError('QUORUM_NOT_MET', `${status.authenticatedKeys} of the ${status.requiredKeys} required custodians have authenticated: more custodians must sign to unlock this HSM.`,
      { authenticated: status.authenticatedKeys, required: status.requiredKeys });
  }
  return status;
}

/** A custodian authenticator backed by a key on the custodian's own (logged-in) SmartCard-HSM. */
export async function cardCustodian(custodian: ScHsmCard, keyId: number): Promise<CustodianAuthenticator> {
  const key = await readCardKey(custodian, keyId);
  const publicObject = await custodian.readFile(fid(PREFIX_EE_CERTIFICATE, keyId));
  if (key === undefined || key.spec.kind !== 'ec') throw new CustosError('KEY_SPEC_UNSUPPORTED', 'A custodian key must be an EC key on the custodian\'s SmartCard-HSM.', { keyId });
  const fieldBytes = DOMAIN_PARAMETERS[key.spec.curve].fieldBytes;
  const chr = decodeCvRequest(publicObject).inner.body.chr;
  return {
    chr,
    signHash: async (sha256) => ecdsaPlainFromDer(await custodian.sign(keyId, ALGO_ECDSA, sha256.subarray(0, fieldBytes)), fieldBytes),
  };
}
