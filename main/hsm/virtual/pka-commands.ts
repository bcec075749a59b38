/**
 * Public-key authentication, SC-HSM.md §8 and §4.13–4.14: MSE SET (00 22),
 * PSO VERIFY CERTIFICATE (00 2A 00 BE), MANAGE PKA (80 54), GET CHALLENGE
 * (00 84), EXTERNAL AUTHENTICATE (00 82).
 *
 * Registration checks what a custodian's key request claims where it can:
 * when the custodian device's chain verified to a trusted root (the virtual
 * SRCA) through PSO VERIFY CERTIFICATE, the request's outer signature must
 * verify with that device key; a device it cannot verify is stored
 * unchecked, as pico-hsm does, and the host checks it. Registration
 * is open while keys are still missing — nobody can authenticate by keys
 * before they are registered, and OpenSC 0.23's sc-hsm-tool registers
 * without a login — and needs the user once all are registered.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CommandApdu } from './apdu.ts';
import { SW, fail } from './apdu.ts';
import { trustedRoots } from './attestation.ts';
import type { CardContext, Reply } from './context.ts';
import { NO_DATA, hasPkaQuorum, isUserAuthenticated, requireP1P2 } from './context.ts';
import type { PkaState } from './state.ts';
import {
  decodeCvCertificate, decodeCvRequest, spkiFromCvcPublicKey, verifyCvcSignature, withInheritedCurve, type CvcPublicKey,
} from '../../pki/cvc/cvc.ts';
import { decodeTlvList, encodeTlv } from '../../pki/cvc/tlv.ts';

const MAX_CHALLENGE_BYTES = 1024;

function chrFromMse(data: Uint8Array): string {
  const tlv = decodeTlvList(data).find((t) => t.tag === 0x83);
  if (tlv === undefined) fail(SW.INCORRECT_DATA);
  return new TextDecoder('latin1').decode(tlv.value);
}

/** Keys the card can verify certificates with: its trust anchors, then what PSO taught it in this session. */
function verificationKey(ctx: CardContext, chr: string): CvcPublicKey | undefined {
  const learnt = ctx.session.verifiedKeys.get(chr);
  if (learnt !== undefined) return learnt;
  return trustedRoots().find((root) => root.body.chr === chr)?.body.publicKey;
}

function requirePka(ctx: CardContext): PkaState {
  // sc-hsm-tool reads 6D00 as "not initialised for public key authentication" (SC-HSM.md §4.14).
  if (!ctx.state.initialized || ctx.state.pka === undefined) fail(SW.INS_NOT_SUPPORTED);
  return ctx.state.pka;
}

export function manageSecurityEnvironment(ctx: CardContext, apdu: CommandApdu): Reply {
  if (apdu.p1 !== 0x81 || (apdu.p2 !== 0xb6 && apdu.p2 !== 0xa4)) fail(SW.INCORRECT_P1P2);
  const chr = chrFromMse(apdu.data);
  if (apdu.p2 === 0xb6) {
    if (verificationKey(ctx, chr) === undefined) fail(SW.REFERENCE_NOT_FOUND);
    ctx.session.verificationChr = chr;
    return NO_DATA;
  }
  const pka = requirePka(ctx);
  if (!pka.registrations.some((r) => r.chr === chr)) fail(SW.REFERENCE_NOT_FOUND);
  if (ctx.session.pkaAuthenticated.has(chr)) fail(SW.CONDITIONS_NOT_SATISFIED);
  ctx.session.pkaChr = chr;
  return NO_DATA;
}

/** Verifies a CV certificate (its content without 7F21) with the key MSE B6 chose, and learns its key under its CHR. */
export function verifyCertificate(ctx: CardContext, apdu: CommandApdu): Reply {
  requireP1P2(apdu, 0x00, 0xbe);
  const issuerChr = ctx.session.verificationChr;
  const issuerKey = issuerChr === undefined ? undefined : verificationKey(ctx, issuerChr);
  if (issuerChr === undefined || issuerKey === undefined) fail(SW.CONDITIONS_NOT_SATISFIED);
  const certificate = decodeCvCertificate(encodeTlv(0x7f21, apdu.data));
  if (certificate.body.car !== issuerChr) fail(SW.INCORRECT_DATA);
  if (!verifyCvcSignature(certificate.bodyRaw, certificate.signature, issuerKey)) fail(SW.INCORRECT_DATA);
  const issuerCurve = issuerKey.kind === 'ec' ? issuerKey.curve : undefined;
  ctx.session.verifiedKeys.set(certificate.body.chr, withInheritedCurve(certificate.body.publicKey, issuerCurve));
  return NO_DATA;
}

function pkaStatus(ctx: CardContext, pka: PkaState): Uint8Array {
  return Uint8Array.of(pka.totalKeys, pka.totalKeys - pka.registrations.length, pka.requiredKeys, ctx.session.pkaAuthenticated.size);
}

/** pico-hsm's MANAGE PKA 02 <index>: the CHR of the registered key there, 9001 when it authenticated in this session (SC-HSM.md §4.14). */
function registeredKeyAt(ctx: CardContext, pka: PkaState, index: number): Reply {
  const registration = pka.registrations[index];
  if (registration === undefined) fail(SW.REFERENCE_NOT_FOUND);
  return { data: new Uint8Array(Buffer.from(registration.chr, 'latin1')), sw: ctx.session.pkaAuthenticated.has(registration.chr) ? 0x9001 : 0x9000 };
}

export function managePublicKeyAuthentication(ctx: CardContext, apdu: CommandApdu): Reply {
  if (apdu.p1 === 0x02) return registeredKeyAt(ctx, requirePka(ctx), apdu.p2);
  requireP1P2(apdu, 0x00, 0x00);
  const pka = requirePka(ctx);
  if (apdu.data.length === 0) return pkaStatus(ctx, pka);
  if (pka.registrations.length >= pka.totalKeys) {
    if (!isUserAuthenticated(ctx)) fail(SW.SECURITY_NOT_SATISFIED);
    fail(SW.COMMAND_NOT_ALLOWED);
  }
  const request = decodeCvRequest(encodeTlv(0x67, apdu.data));
  const { inner, outerCar, outerSignature, outerSignedRaw } = request;
  if (outerCar === undefined || outerSignature === undefined || outerSignedRaw === undefined) fail(SW.INCORRECT_DATA);
  // A device chain verified in this session (PSO VERIFY CERTIFICATE) must have signed the request. A device the card
  // cannot verify is stored unchecked, as pico-hsm stores it (SC-HSM.md §8): its attestation is then the host's to check.
  const deviceKey = ctx.session.verifiedKeys.get(outerCar);
  if (deviceKey !== undefined && !verifyCvcSignature(outerSignedRaw, outerSignature, deviceKey)) fail(SW.INCORRECT_DATA);
  const publicKey = inner.body.publicKey;
  if (!verifyCvcSignature(inner.bodyRaw, inner.signature, publicKey)) fail(SW.INCORRECT_DATA);
  const chr = inner.body.chr;
  // CHRs name keys in MSE A4: two keys with one CHR could not be told apart (SC-HSM.md §8).
  if (pka.registrations.some((r) => r.chr === chr)) fail(SW.CONDITIONS_NOT_SATISFIED);
  pka.registrations.push({ chr, spki: spkiFromCvcPublicKey(publicKey), request: request.raw });
  ctx.persist();
  return pkaStatus(ctx, pka);
}

export function getChallenge(ctx: CardContext, apdu: CommandApdu): Reply {
  requireP1P2(apdu, 0x00, 0x00);
  if (apdu.ne === 0 || apdu.ne > MAX_CHALLENGE_BYTES) fail(SW.WRONG_LENGTH);
  const challenge = new Uint8Array(randomBytes(apdu.ne));
  ctx.session.challenge = challenge;
  return challenge;
}

/**
 * The custodian signs SHA-256(device CHR || challenge) with the registered key
 * (r||s for ECDSA), as pico-hsm checks it. Earlier successes in the session
 * stand across new challenges, so custodians may each ask their own.
 */
export function externalAuthenticate(ctx: CardContext, apdu: CommandApdu): Reply {
  requireP1P2(apdu, 0x00, 0x00);
  const pka = requirePka(ctx);
  const chr = ctx.session.pkaChr;
  const challenge = ctx.session.challenge;
  if (chr === undefined) fail(SW.REFERENCE_NOT_FOUND);
  if (challenge === undefined) fail(SW.CONDITIONS_NOT_SATISFIED);
  const registration = pka.registrations.find((r) => r.chr === chr);
  if (registration === undefined) fail(SW.REFERENCE_NOT_FOUND);
  const publicKey = decodeCvRequest(registration.request).inner.body.publicKey;
  const signed = new Uint8Array(Buffer.concat([Buffer.from(ctx.state.deviceChr, 'latin1'), challenge]));
  delete ctx.session.pkaChr;
  if (!verifyCvcSignature(signed, apdu.data, publicKey)) fail(SW.CONDITIONS_NOT_SATISFIED);
  ctx.session.pkaAuthenticated.add(chr);
  if (hasPkaQuorum(ctx)) delete ctx.session.challenge;
  return NO_DATA;
}

/** SHA-256(device CHR || challenge): what a custodian signs to authenticate (for hosts and tests). */
export function pkaSignedDigest(deviceChr: string, challenge: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(Buffer.from(deviceChr, 'latin1')).update(challenge).digest());
}
