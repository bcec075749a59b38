/**
 * GENERATE ASYMMETRIC KEY PAIR (00 46), SIGN (80 68), DECIPHER (80 62),
 * SC-HSM.md §4.9–4.11. Keys are made and used with node:crypto; ECDSA on a
 * hash the host computed (algo 70) goes through @noble/curves, because
 * node:crypto only signs messages it hashes itself.
 */
import { constants, createECDH, createHash, createPrivateKey, generateKeyPair, privateDecrypt, privateEncrypt, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { AsnConvert } from '@peculiar/asn1-schema';
import { DigestInfo } from '@peculiar/asn1-rsa';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { brainpoolP256r1, brainpoolP384r1, brainpoolP512r1 } from '@noble/curves/misc.js';
import type { CommandApdu } from './apdu.ts';
import { CardStatus, SW, fail } from './apdu.ts';
import type { CardContext, Reply } from './context.ts';
import { requireUser } from './context.ts';
import { DEVICE_SIGNATURE_OID } from './attestation.ts';
import { encodePssForHash } from './pss.ts';
import type { StoredKey } from './state.ts';
import { fidHex } from './state.ts';
import {
  DOMAIN_PARAMETERS, cvcAlgorithm, cvcPublicKeyFromKeyObject, encodeAuthenticatedRequest, encodeCvCertificate, encodeCvcBody,
  identifyCurve, outerSignedBytes, signCvc, type CvcCurve,
} from '../../pki/cvc/cvc.ts';
import { oidFromContent } from '../../pki/cvc/object-identifier.ts';
import { decodeTlvList, type Tlv } from '../../pki/cvc/tlv.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

export const CERTIFICATE_PREFIX = 0xce;
const RSA_MIN_BITS = 1024;
const RSA_MAX_BITS = 4096;
const NOBLE = { 'P-256': p256, 'P-384': p384, 'P-521': p521, brainpoolP256r1, brainpoolP384r1, brainpoolP512r1, secp256k1 } as const;
const HASH_BY_LENGTH: Record<number, string> = { 20: 'sha1', 28: 'sha224', 32: 'sha256', 48: 'sha384', 64: 'sha512' };
/** On-card hashing algorithms: low nibble 1..5 = SHA-1, 224, 256, 384, 512. */
const HASH_BY_NIBBLE: Record<number, string> = { 1: 'sha1', 2: 'sha224', 3: 'sha256', 4: 'sha384', 5: 'sha512' };

export function privateKeyOf(stored: StoredKey): KeyObject {
  return createPrivateKey({ key: Buffer.from(stored.pkcs8), format: 'der', type: 'pkcs8' });
}

export function deviceKeyOf(ctx: CardContext): KeyObject {
  return createPrivateKey({ key: Buffer.from(ctx.state.deviceKey), format: 'der', type: 'pkcs8' });
}

export function curveOfKey(key: KeyObject): CvcCurve {
  const name = key.asymmetricKeyDetails?.namedCurve;
  const found = Object.values(DOMAIN_PARAMETERS).find((d) => d.nodeCurve === name || d.curve === name);
  if (found === undefined) fail(SW.FUNCTION_NOT_SUPPORTED);
  return found.curve;
}

export function storedKeyFrom(key: KeyObject, allowedAlgorithms: Uint8Array): StoredKey {
  const pkcs8 = new Uint8Array(key.export({ type: 'pkcs8', format: 'der' }));
  if (key.asymmetricKeyType === 'rsa') {
    return { kind: 'rsa', pkcs8, sizeBits: key.asymmetricKeyDetails?.modulusLength ?? 0, allowedAlgorithms };
  }
  return { kind: 'ec', pkcs8, sizeBits: DOMAIN_PARAMETERS[curveOfKey(key)].fieldBits, allowedAlgorithms };
}

interface KeyRequest {
  readonly car?: string;
  readonly chr: string;
  readonly oid: string;
  readonly spec: { kind: 'rsa'; bits: number; exponent: number } | { kind: 'ec'; curve: CvcCurve };
  readonly allowedAlgorithms: Uint8Array;
}

function ascii(bytes: Uint8Array): string {
  return new TextDecoder('latin1').decode(bytes);
}

function parseKeyRequest(data: Uint8Array, defaultChr: string): KeyRequest {
  let list: Tlv[];
  let keyParts: Tlv[];
  try {
    list = decodeTlvList(data);
    const keyTlv = list.find((t) => t.tag === 0x7f49);
    if (keyTlv === undefined) fail(SW.INCORRECT_DATA);
    keyParts = decodeTlvList(keyTlv.value);
  } catch (e) {
    if (e instanceof CardStatus) throw e;
    fail(SW.INCORRECT_DATA);
  }
  const get = (tags: Tlv[], tag: number): Uint8Array | undefined => tags.find((t) => t.tag === tag)?.value;
  const oidBytes = get(keyParts, 0x06);
  if (oidBytes === undefined) fail(SW.INCORRECT_DATA);
  const oid = oidFromContent(oidBytes);
  const algorithm = cvcAlgorithm(oid);
  if (algorithm === undefined) fail(SW.FUNCTION_NOT_SUPPORTED);
  const carBytes = get(list, 0x42);
  const chrBytes = get(list, 0x5f20);
  const allowedAlgorithms = Uint8Array.from(get(list, 0x91) ?? []);
  const common = { ...(carBytes && { car: ascii(carBytes) }), chr: chrBytes ? ascii(chrBytes) : defaultChr, oid, allowedAlgorithms };
  if (algorithm.kind === 'rsa') {
    const size = get(keyParts, 0x02);
    const e = get(keyParts, 0x82);
    const bits = size === undefined ? 2048 : size.reduce((n, b) => n * 256 + b, 0);
    const exponent = e === undefined ? 65537 : e.reduce((n, b) => n * 256 + b, 0);
    if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS || bits % 8 !== 0 || exponent !== 65537) fail(SW.INCORRECT_DATA);
    return { ...common, spec: { kind: 'rsa', bits, exponent } };
  }
  const p = get(keyParts, 0x81);
  const a = get(keyParts, 0x82);
  if (p === undefined || a === undefined) fail(SW.INCORRECT_DATA);
  const curve = identifyCurve(p, a);
  if (curve === undefined) fail(SW.INCORRECT_DATA);
  return { ...common, spec: { kind: 'ec', curve } };
}

async function generate(spec: KeyRequest['spec']): Promise<KeyObject> {
  if (spec.kind === 'rsa') {
    return (await generateKeyPairAsync('rsa', { modulusLength: spec.bits, publicExponent: spec.exponent })).privateKey;
  }
  return (await generateKeyPairAsync('ec', { namedCurve: DOMAIN_PARAMETERS[spec.curve].nodeCurve })).privateKey;
}

/**
 * Generates a key pair in key slot P1 and answers the authenticated request
 * (67): the new key's self-signed request, countersigned by the device key
 * with the device CHR as outer CAR. The request is also kept as EF CE<id>.
 */
export async function generateAsymmetricKeyPair(ctx: CardContext, apdu: CommandApdu): Promise<Reply> {
  requireUser(ctx);
  const id = apdu.p1;
  if (id === 0) fail(SW.INCORRECT_P1P2);
  // P2 names the key that signs the outer signature; only the device key (0) does here.
  if (apdu.p2 !== 0) fail(SW.INCORRECT_P1P2);
  const request = parseKeyRequest(apdu.data, ctx.state.deviceChr);
  const privateKey = await generate(request.spec);
  const bodyRaw = encodeCvcBody({
    cpi: 0, ...(request.car !== undefined && { car: request.car }), chr: request.chr,
    publicKey: cvcPublicKeyFromKeyObject(privateKey, request.oid, true),
  });
  const innerRaw = encodeCvCertificate(bodyRaw, signCvc(bodyRaw, privateKey, request.oid));
  const deviceChr = ctx.state.deviceChr;
  const outer = signCvc(outerSignedBytes(innerRaw, deviceChr), deviceKeyOf(ctx), DEVICE_SIGNATURE_OID);
  const response = encodeAuthenticatedRequest(innerRaw, deviceChr, outer);
  ctx.state.keys[id] = storedKeyFrom(privateKey, request.allowedAlgorithms);
  ctx.state.files[fidHex((CERTIFICATE_PREFIX << 8) | id)] = response;
  ctx.persist();
  return response;
}

function userKey(ctx: CardContext, id: number, algorithm: number): { stored: StoredKey; key: KeyObject } {
  requireUser(ctx);
  // Key 0 is the device key: it only signs the card's own attestations.
  if (id === 0) fail(SW.SECURITY_NOT_SATISFIED);
  const stored = ctx.state.keys[id];
  if (stored === undefined) fail(SW.FILE_NOT_FOUND);
  if (stored.allowedAlgorithms.length > 0 && !stored.allowedAlgorithms.includes(algorithm)) fail(SW.FUNCTION_NOT_SUPPORTED);
  return { stored, key: privateKeyOf(stored) };
}

function leftPad(bytes: Uint8Array, length: number): Buffer {
  if (bytes.length > length) fail(SW.WRONG_LENGTH);
  const out = Buffer.alloc(length);
  out.set(bytes, length - bytes.length);
  return out;
}

const HASH_BY_OID: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1', '2.16.840.1.101.3.4.2.4': 'sha224', '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512',
};

/**
 * Algo 40 takes a bare hash, its algorithm told by its length; OpenSC 0.23
 * sends a DigestInfo instead (seen on the wire), which names the hash.
 */
function pssInput(data: Uint8Array): { hash: string; digest: Uint8Array } {
  const bare = HASH_BY_LENGTH[data.length];
  if (data[0] !== 0x30 && bare !== undefined) return { hash: bare, digest: data };
  try {
    const info = AsnConvert.parse(data, DigestInfo);
    const hash = HASH_BY_OID[info.digestAlgorithm.algorithm];
    const digest = new Uint8Array(info.digest.buffer);
    if (hash !== undefined && HASH_BY_LENGTH[digest.length] === hash) return { hash, digest };
  } catch {
    // not a DigestInfo: fall through
  }
  if (bare !== undefined) return { hash: bare, digest: data };
  fail(SW.WRONG_LENGTH);
}

function ecdsaOnHash(key: KeyObject, hash: Uint8Array): Uint8Array {
  const curve = curveOfKey(key);
  const d = Buffer.from(key.export({ format: 'jwk' }).d ?? '', 'base64url');
  const scalar = leftPad(d, Math.ceil(DOMAIN_PARAMETERS[curve].order.length));
  return NOBLE[curve].sign(hash, scalar, { prehash: false, lowS: false, format: 'der' });
}

export function signData(ctx: CardContext, apdu: CommandApdu): Reply {
  const algo = apdu.p2;
  const { stored, key } = userKey(ctx, apdu.p1, algo);
  const data = apdu.data;
  const byteLength = Math.ceil(stored.sizeBits / 8);
  try {
    if (stored.kind === 'rsa') {
      if (algo === 0x20) return new Uint8Array(privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, leftPad(data, byteLength)));
      if (algo === 0x30) return new Uint8Array(privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, data));
      if (algo >= 0x31 && algo <= 0x35) return new Uint8Array(sign(HASH_BY_NIBBLE[algo & 0x0f]!, data, { key, padding: constants.RSA_PKCS1_PADDING }));
      if (algo === 0x40) {
        const { hash, digest } = pssInput(data);
        return new Uint8Array(privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, encodePssForHash(digest, hash, stored.sizeBits)));
      }
      if (algo >= 0x41 && algo <= 0x45) {
        const hash = HASH_BY_NIBBLE[algo & 0x0f]!;
        const saltLength = createHash(hash).digest().length;
        return new Uint8Array(sign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }));
      }
      fail(SW.FUNCTION_NOT_SUPPORTED);
    }
    if (algo === 0x70) return ecdsaOnHash(key, data);
    if (algo >= 0x71 && algo <= 0x75) return new Uint8Array(sign(HASH_BY_NIBBLE[algo & 0x0f]!, data, { key, dsaEncoding: 'der' }));
    fail(SW.FUNCTION_NOT_SUPPORTED);
  } catch (e) {
    if (e instanceof CardStatus) throw e;
    // node:crypto refuses input that is not a valid block for the key (too large, bad DigestInfo length).
    fail(SW.INCORRECT_DATA);
  }
}

export function decipher(ctx: CardContext, apdu: CommandApdu): Reply {
  const algo = apdu.p2;
  const { stored, key } = userKey(ctx, apdu.p1, algo);
  try {
    if (stored.kind === 'rsa' && algo === 0x21) {
      return new Uint8Array(privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, leftPad(apdu.data, Math.ceil(stored.sizeBits / 8))));
    }
    if (stored.kind === 'ec' && algo === 0x80) {
      const curve = curveOfKey(key);
      const ecdh = createECDH(DOMAIN_PARAMETERS[curve].nodeCurve);
      ecdh.setPrivateKey(Buffer.from(key.export({ format: 'jwk' }).d ?? '', 'base64url'));
      // 04 || X, as pico-hsm answers; OpenSC drops the first byte and keeps X (SC-HSM.md §4.11).
      return Uint8Array.of(0x04, ...ecdh.computeSecret(Buffer.from(apdu.data)));
    }
  } catch (e) {
    if (e instanceof CardStatus) throw e;
    fail(SW.INCORRECT_DATA);
  }
  fail(SW.FUNCTION_NOT_SUPPORTED);
}

