/**
 * Public-key authentication, m of n (SC-HSM.md §8, §4.14; docs/quorum.md):
 * custodians register a key of their own SmartCard-HSM with this HSM, and
 * later m of them sign one fresh challenge to unlock it. Each custodian signs
 * SHA-256(this HSM's device CHR || challenge) and the signature goes to the
 * card as plain r||s (the exchange pico-hsm implements; no CardContact text
 * was found).
 *
 * Which mode a card is in decides whether the quorum protects anything: with
 * PKA configured but without device option 0010 the card takes the PIN *or*
 * the quorum (OpenSC issue #3206), so the PIN alone still unlocks the keys.
 */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ECDSASigValue } from '@peculiar/asn1-ecc';
import { CustosError, isCustosError } from '../../errors/index.ts';
import {
  decodeCvCertificate, decodeCvRequest, DOMAIN_PARAMETERS, spkiFromCvcPublicKey, verifyCvcSignature, type CvCertificate, type CvcCurve, type CvRequest,
} from '../../pki/cvc/cvc.ts';
import { verifyDeviceCertificates, type Attestation } from './device.ts';
import { children, concatBytes, decodeTlv, decodeTlvList, encodeTlv, type Tlv } from '../../pki/cvc/tlv.ts';
import type { PkaStatus, ScHsmCard } from './card.ts';
import { ALGO_ECDSA, EF_DEVICE_CERTIFICATES, fid, PREFIX_EE_CERTIFICATE } from './commands.ts';
import { readCardKey } from './keys.ts';

/** pypicohsm asks 8 bytes; one challenge serves every custodian of the session. */
const CHALLENGE_BYTES = 8;

/** Device option 0010: the user must present the PIN *and* the quorum (SC-HSM.md §4.5; pico-hsm HSM_OPT_COMBINED_AUTH). */
export const OPTION_COMBINED_AUTH = 0x0010;
/** Device option 0001: RESET RETRY COUNTER allowed, what sc-hsm-tool always sets. */
export const OPTION_RESET_RETRY_COUNTER = 0x0001;
/** The options Custos initializes a quorum-protected HSM with. */
export const PROTECTING_OPTIONS = OPTION_RESET_RETRY_COUNTER | OPTION_COMBINED_AUTH;

/**
 * How the card lets a user in:
 * - pin: no public-key authentication configured;
 * - pin-or-quorum: PKA configured, but the PIN alone still unlocks (not protecting);
 * - pin-and-quorum: the PIN and m custodians are both needed (option 0010);
 * - quorum-only: PKA configured and no user PIN set (INITIALIZE without tag 81);
 * - unknown: PKA configured, and the card does not state its options.
 */
export type AuthMode = 'pin' | 'pin-or-quorum' | 'pin-and-quorum' | 'quorum-only' | 'unknown';

export interface QuorumMode {
  readonly mode: AuthMode;
  /** True only when no single person can unlock the card: never for a mode in which the PIN alone would do. */
  readonly protecting: boolean;
  readonly status?: PkaStatus;
}

/** The curves a custodian key may be on: 256-bit, the size CardContact documents for PKA keys (SC-HSM.md §8). */
export const CUSTODIAN_CURVES: readonly CvcCurve[] = ['brainpoolP256r1', 'P-256'];

/** A custodian's half of the exchange: its registered key's CHR, and a signature over a SHA-256 hash as r||s. */
export interface CustodianAuthenticator {
  readonly chr: string;
  /** SHA-256 of the custodian key's SubjectPublicKeyInfo: what the journal names it by. */
  readonly keySha256: string;
  signHash(sha256: Uint8Array): Promise<Uint8Array>;
}

/** What a custodian hands over to be registered: its key's 67 request and its device's 2F02 chain. */
export interface CustodianKeyExport {
  readonly request: Uint8Array;
  readonly deviceCertificates: Uint8Array;
}

/** Reads the card's mode: PKA status (6D00/6A86 = none), the user PIN, and the options of the SELECT answer. */
export async function readQuorumMode(card: ScHsmCard): Promise<QuorumMode> {
  let status: PkaStatus;
  try {
    status = await card.pkaStatus();
  } catch (e) {
    if (isCustosError(e) && e.code === 'PKA_NOT_CONFIGURED') return { mode: 'pin', protecting: false };
    throw e;
  }
  const pin = await card.pinStatus('user');
  if (!pin.initialized) return { mode: 'quorum-only', protecting: true, status };
  const options = card.deviceOptions;
  if (options === undefined) return { mode: 'unknown', protecting: false, status };
  return (options & OPTION_COMBINED_AUTH) !== 0
    ? { mode: 'pin-and-quorum', protecting: true, status }
    : { mode: 'pin-or-quorum', protecting: false, status };
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
  return { request, deviceCertificates: await custodian.readFile(EF_DEVICE_CERTIFICATES) };
}

// ---------------------------------------------------------------------------
// Registration files

/** The OID of CardContact's newer .pka file (OpenSC pkcs15-sc-hsm.c, sc_pkcs15emu_sc_hsm_decode_pka). */
const PKA_FILE_OID = Uint8Array.from([0x2b, 0x06, 0x01, 0x04, 0x01, 0x81, 0xc3, 0x1f, 0x04, 0x03, 0x01]);
const MAX_REGISTRATION_FILE_BYTES = 16 * 1024;

/**
 * The file `sc-hsm-tool --export-for-pub-key-auth` writes:
 * 30 { 67 request, device CVC, DICA CVC } — the request as CE<id> holds it,
 * then EF 2F02 as it is (SC-HSM.md §8).
 */
export function encodeRegistrationFile(exported: CustodianKeyExport): Uint8Array {
  return encodeTlv(0x30, [exported.request, exported.deviceCertificates]);
}

/**
 * Reads a registration file in either form OpenSC reads: the sc-hsm-tool
 * export above, or CardContact's 30 { 06 OID, 61 DICA, 62 device, 63 request }.
 * A device element that is itself a 67 request (a card with no provisioned
 * device certificate) is kept as it is: such a file is "not attested".
 */
export function decodeRegistrationFile(bytes: Uint8Array): CustodianKeyExport {
  if (bytes.length > MAX_REGISTRATION_FILE_BYTES) {
    throw new CustosError('FILE_TOO_LARGE', `A custodian registration file is a few hundred bytes; this one has ${bytes.length}.`, { bytes: bytes.length });
  }
  // Text (a PEM certificate, a CSR) or any other file says what it is by its first byte: not a damaged registration file.
  if (bytes[0] !== 0x30) {
    throw new CustosError('FORMAT_UNKNOWN', 'This is not a custodian registration file: it does not start with a SEQUENCE (30).', { firstByte: bytes[0] ?? -1 });
  }
  let outer: Tlv;
  let list: Tlv[];
  try {
    outer = decodeTlv(bytes);
    if (outer.tag !== 0x30) throw new CustosError('FORMAT_UNKNOWN', 'This is not a custodian registration file: it does not start with a SEQUENCE (30).', { firstByte: bytes[0] ?? -1 });
    list = children(outer);
  } catch (e) {
    if (isCustosError(e) && e.code === 'FORMAT_UNKNOWN') throw e;
    throw new CustosError('CVC_MALFORMED', 'The custodian registration file is damaged or truncated: export it again from the custodian\'s token.', {}, { cause: e });
  }
  if (list[0]?.tag === 0x06) {
    if (Buffer.compare(Buffer.from(list[0].value), Buffer.from(PKA_FILE_OID)) !== 0) {
      throw new CustosError('FORMAT_UNKNOWN', 'The registration file names an unknown format (its OID is not CardContact\'s PKA file).', {});
    }
    const part = (tag: number): Tlv => {
      const found = list.find((t) => t.tag === tag);
      const inner = found === undefined ? undefined : children(found)[0];
      if (inner === undefined) throw new CustosError('CVC_MALFORMED', `The PKA registration file lacks element ${tag.toString(16)}.`, { tag: tag.toString(16) });
      return inner;
    };
    // OpenSC maps 61 to the DICA and 62 to the device (SC-HSM.md §8).
    return { request: part(0x63).raw, deviceCertificates: concatBytes(part(0x62).raw, part(0x61).raw) };
  }
  const [request, ...chain] = list;
  if (request === undefined || request.tag !== 0x67 || chain.length === 0) {
    throw new CustosError('CVC_MALFORMED', 'The custodian registration file must hold the key\'s authenticated request (67) and its device\'s certificates.', {});
  }
  return { request: request.raw, deviceCertificates: concatBytes(...chain.map((t) => t.raw)) };
}

/** What Custos found checking a registration file on the host, before anything reaches the HSM. */
export interface CustodianCandidate {
  readonly chr: string;
  readonly keySha256: string;
  readonly curve: CvcCurve;
  /** Whose root attests the custodian's device: CardContact's, the rehearsal root, or none ("not attested"). */
  readonly attestation: Attestation;
  /** Why it is not attested, for the operator: the device element is a bare request, or its root is unknown. */
  readonly notAttestedBecause?: 'device-request' | 'unknown-root';
  readonly deviceChr: string;
  readonly deviceKeySha256: string;
  /** The request's CAR is its own CHR: every compatible HSM finds the curve in the request itself. */
  readonly selfReferencing: boolean;
  readonly request: CvRequest;
}

function unsuitable(message: string, details: Record<string, string | number | boolean>): CustosError {
  return new CustosError('CUSTODIAN_KEY_UNSUITABLE', message, details);
}

/**
 * Checks a custodian key on the host: its self-signature, its kind (a 256-bit
 * EC key with its domain parameters and an 8–16 character CHR), that its
 * device made it (outer signature by the device key), and whose root attests
 * that device. A registered key cannot be replaced without the quorum, so
 * everything the HSM would refuse, or later fail on, is refused here.
 */
export function examineCustodianKey(exported: CustodianKeyExport): CustodianCandidate {
  const request = decodeCvRequest(exported.request);
  const inner = request.inner;
  const key = inner.body.publicKey;
  if (!verifyCvcSignature(inner.bodyRaw, inner.signature, key)) {
    throw new CustosError('CVC_SIGNATURE_INVALID', `The custodian key request ${inner.body.chr} does not verify with its own key: the file is damaged or forged.`, { chr: inner.body.chr });
  }
  if (key.kind !== 'ec' || key.curve === undefined || !CUSTODIAN_CURVES.includes(key.curve)) {
    throw unsuitable(`The custodian key ${inner.body.chr} is ${key.kind === 'ec' ? `on ${key.curve ?? 'an unnamed curve'}` : 'an RSA key'}: the HSM accepts custodian keys on ${CUSTODIAN_CURVES.join(' or ')} only.`,
      { chr: inner.body.chr });
  }
  if (!key.withDomainParameters) {
    throw unsuitable(`The custodian key request ${inner.body.chr} does not carry its curve's domain parameters, which the HSM needs to check signatures.`, { chr: inner.body.chr });
  }
  if (request.outerCar === undefined || request.outerSignature === undefined || request.outerSignedRaw === undefined) {
    throw new CustosError('CUSTODIAN_NOT_ATTESTED', 'The custodian key request is not signed by its device (no 67 wrapper): nothing shows the key was made on a token.', { chr: inner.body.chr });
  }
  const chain = decodeTlvList(exported.deviceCertificates);
  const deviceElement = chain[0];
  if (deviceElement === undefined) throw new CustosError('CVC_MALFORMED', 'The registration file holds no device certificate.', {});
  let attestation: Attestation;
  let deviceKey;
  let deviceChr: string;
  let notAttestedBecause: CustodianCandidate['notAttestedBecause'];
  let deviceKeySha256: string;
  if (deviceElement.tag === 0x67) {
    // sc-hsm-tool exports a card without a provisioned device certificate this way: its device key is only self-asserted.
    const deviceRequest = decodeCvRequest(deviceElement.raw);
    deviceKey = deviceRequest.inner.body.publicKey;
    deviceChr = deviceRequest.inner.body.chr;
    attestation = 'none';
    notAttestedBecause = 'device-request';
    deviceKeySha256 = createHash('sha256').update(spkiFromCvcPublicKey(deviceKey)).digest('hex');
  } else {
    const identity = verifyDeviceCertificates(exported.deviceCertificates);
    deviceKey = identity.devicePublicKey;
    deviceChr = identity.deviceChr;
    attestation = identity.attestation;
    deviceKeySha256 = identity.deviceKeySha256;
    if (attestation === 'none') notAttestedBecause = 'unknown-root';
  }
  if (request.outerCar !== deviceChr) {
    throw new CustosError('CVC_SIGNATURE_INVALID', `The custodian key request is signed by ${request.outerCar}, not by the device ${deviceChr} whose certificates come with it.`, { car: request.outerCar, deviceChr });
  }
  if (!verifyCvcSignature(request.outerSignedRaw, request.outerSignature, deviceKey)) {
    throw new CustosError('CVC_SIGNATURE_INVALID', `The device ${deviceChr} did not sign this custodian key request: the file is damaged or forged.`, { deviceChr });
  }
  return {
    chr: inner.body.chr, keySha256: createHash('sha256').update(spkiFromCvcPublicKey(key)).digest('hex'), curve: key.curve,
    attestation, ...(notAttestedBecause !== undefined ? { notAttestedBecause } : {}), deviceChr, deviceKeySha256,
    selfReferencing: inner.body.car === inner.body.chr, request,
  };
}

/**
 * Registers a custodian key already examined on the host. Where the HSM
 * knows the issuers it verifies the custodian's device chain itself (PSO
 * VERIFY CERTIFICATE); where it answers 6A88 (an HSM without the
 * manufacturer's root) the host's check stands, and MANAGE PKA follows.
 */
export async function registerCustodianKey(hsm: ScHsmCard, exported: CustodianKeyExport): Promise<PkaStatus> {
  await hsm.assertAuthenticated().catch((e: unknown) => {
    // Registration of missing keys needs no login on the card (OpenSC 0.23 sends none); a lost login is still reported.
    if (!isCustosError(e) || e.code !== 'NOT_LOGGED_IN') throw e;
  });
  const chain = decodeTlvList(exported.deviceCertificates).filter((t) => t.tag === 0x7f21).map((t) => decodeCvCertificate(t.raw));
  for (const cert of [...chain].reverse()) await teachCertificate(hsm, cert);
  return await hsm.registerPkaKey(decodeTlv(exported.request).value);
}

async function teachCertificate(hsm: ScHsmCard, cert: CvCertificate): Promise<void> {
  if (await hsm.selectVerificationKey(cert.body.chr)) return;
  if (cert.body.car === undefined || cert.body.car === cert.body.chr || !(await hsm.selectVerificationKey(cert.body.car))) return;
  await hsm.verifyCertificate(decodeTlv(cert.raw).value);
}

// ---------------------------------------------------------------------------
// Authentication

/** One challenge for a whole quorum session (pico-hsm zeroes earlier successes at every GET CHALLENGE). */
export async function newQuorumChallenge(hsm: ScHsmCard): Promise<Uint8Array> {
  return await hsm.getChallenge(CHALLENGE_BYTES);
}

/** One custodian signs the session's challenge: MSE SET A4 with the key's CHR, then EXTERNAL AUTHENTICATE. */
export async function authenticateCustodian(hsm: ScHsmCard, hsmDeviceChr: string, challenge: Uint8Array, custodian: CustodianAuthenticator): Promise<PkaStatus> {
  await hsm.selectPkaKey(custodian.chr);
  return await hsm.externalAuthenticate(await custodian.signHash(pkaChallengeHash(hsmDeviceChr, challenge)));
}

/**
 * Authenticates with m custodians on one challenge. The HSM is unlocked when
 * the card counts the quorum; fewer custodians leave it locked (QUORUM_NOT_MET).
 */
export async function authenticateCustodians(hsm: ScHsmCard, hsmDeviceChr: string, custodians: readonly CustodianAuthenticator[]): Promise<PkaStatus> {
  const chrs = new Set(custodians.map((c) => c.chr));
  if (chrs.size !== custodians.length) throw new CustosError('CUSTODIAN_ALREADY_AUTHENTICATED', 'The same custodian key is listed twice: each custodian authenticates once.', {});
  const challenge = await newQuorumChallenge(hsm);
  let status = await hsm.pkaStatus();
  for (const custodian of custodians) status = await authenticateCustodian(hsm, hsmDeviceChr, challenge, custodian);
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
    keySha256: key.spkiSha256,
    signHash: async (sha256) => ecdsaPlainFromDer(await custodian.sign(keyId, ALGO_ECDSA, sha256.subarray(0, fieldBytes)), fieldBytes),
  };
}
