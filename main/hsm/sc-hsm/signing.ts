/**
 * Signing with a SmartCard-HSM key for the Token interface. The host hashes
 * (the card's hashing algos 31–35 and 71–75 would stream the whole message
 * through APDUs), then: RSA PKCS#1 v1.5 as a full EMSA-PKCS1-v1_5 block with
 * algo 20 (RFC 8017 §9.2; what OpenSC sends), RSA-PSS with algo 40 on the hash
 * (the card encodes with MGF1 = the same hash and salt = hash length), ECDSA with
 * algo 70 on the hash. Every signature is verified against the key's SPKI
 * before it leaves: a faulty card must not put a bad signature into a certificate.
 */
import { createHash, createPublicKey, constants, verify } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { DigestInfo } from '@peculiar/asn1-rsa';
import { ECDSASigValue } from '@peculiar/asn1-ecc';
import { CustosError, isCustosError } from '../../errors/index.ts';
import { OID } from '../../pki/oids.ts';
import type { HashName, KeySpec, SignAlgorithm } from '../token.ts';
import type { ScHsmCard } from './card.ts';
import { ALGO_ECDSA, ALGO_RSA_PSS, ALGO_RSA_RAW } from './commands.ts';

const HASH_OID: Readonly<Record<HashName, string>> = { 'SHA-256': OID.sha256, 'SHA-384': OID.sha384, 'SHA-512': OID.sha512 };
const NODE_HASH: Readonly<Record<HashName, string>> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
const HASH_BYTES: Readonly<Record<HashName, number>> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };
const EC_FIELD_BYTES = { 'P-256': 32, 'P-384': 48, 'P-521': 66 } as const;

function digest(hash: HashName, message: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(NODE_HASH[hash]).update(message).digest());
}

/** DER DigestInfo (RFC 8017 §9.2 step 2), NULL parameters as the RFC's table lists. */
export function digestInfo(hash: HashName, hashValue: Uint8Array): Uint8Array {
  const info = new DigestInfo({
    digestAlgorithm: new AlgorithmIdentifier({ algorithm: HASH_OID[hash], parameters: null }),
    digest: new OctetString(hashValue),
  });
  return new Uint8Array(AsnConvert.serialize(info));
}

/** EM = 00 01 FF…FF 00 || DigestInfo, k bytes (RFC 8017 §9.2 steps 3–5). */
export function emsaPkcs1v15(hash: HashName, hashValue: Uint8Array, modulusBytes: number): Uint8Array {
  const t = digestInfo(hash, hashValue);
  if (modulusBytes < t.length + 11) throw new CustosError('KEY_SPEC_UNSUPPORTED', 'The RSA key is too short for this hash.', { modulusBytes });
  const em = new Uint8Array(modulusBytes).fill(0xff);
  em[0] = 0x00;
  em[1] = 0x01;
  em[modulusBytes - t.length - 1] = 0x00;
  em.set(t, modulusBytes - t.length);
  return em;
}

/** ECDSA-Sig-Value DER (RFC 3279 §2.2.3) from plain r||s; the card is documented to answer DER already, some firmware may not. */
export function ecdsaDerFromPlain(plain: Uint8Array): Uint8Array {
  const half = plain.length / 2;
  const unsigned = (b: Uint8Array): ArrayBuffer => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.subarray(i);
    return ((v[0]! & 0x80) !== 0 ? Uint8Array.of(0, ...v) : Uint8Array.from(v)).buffer as ArrayBuffer;
  };
  return new Uint8Array(AsnConvert.serialize(new ECDSASigValue({ r: unsigned(plain.subarray(0, half)), s: unsigned(plain.subarray(half)) })));
}

/** True when the bytes parse as exactly one DER ECDSA-Sig-Value. */
function isDerEcdsa(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0x30) return false;
  try {
    const v = AsnConvert.parse(bytes, ECDSASigValue);
    return new Uint8Array(AsnConvert.serialize(v)).length === bytes.length;
  } catch {
    return false;
  }
}

/** The SIGN algo id and input for one signature. */
export function signInput(spec: KeySpec, algorithm: SignAlgorithm, message: Uint8Array): { algo: number; input: Uint8Array } {
  const hash = digest(algorithm.hash, message);
  switch (algorithm.scheme) {
    case 'rsa-pkcs1':
      if (spec.kind !== 'rsa') break;
      return { algo: ALGO_RSA_RAW, input: emsaPkcs1v15(algorithm.hash, hash, spec.bits / 8) };
    case 'rsa-pss':
      if (spec.kind !== 'rsa') break;
      if (algorithm.saltLengthBytes !== HASH_BYTES[algorithm.hash]) {
        throw new CustosError('MECHANISM_UNSUPPORTED', `The SmartCard-HSM signs RSA-PSS with a salt as long as the hash (${HASH_BYTES[algorithm.hash]} bytes), not ${algorithm.saltLengthBytes}.`, { saltLengthBytes: algorithm.saltLengthBytes });
      }
      return { algo: ALGO_RSA_PSS, input: hash };
    case 'ecdsa': {
      if (spec.kind !== 'ec') break;
      // FIPS 186-4 §6.4: only the leftmost field-length bytes of the hash count; OpenSC cuts the input the same way.
      const fieldBytes = EC_FIELD_BYTES[spec.curve];
      return { algo: ALGO_ECDSA, input: hash.length > fieldBytes ? hash.subarray(0, fieldBytes) : hash };
    }
  }
  throw new CustosError('MECHANISM_UNSUPPORTED', `A ${spec.kind.toUpperCase()} key cannot sign with ${algorithm.scheme}.`, { scheme: algorithm.scheme, key: spec.kind });
}

/** Checks a signature against the SPKI, as a relying party will. */
export function verifiesWith(spki: Uint8Array, algorithm: SignAlgorithm, message: Uint8Array, signature: Uint8Array): boolean {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  const options = algorithm.scheme === 'rsa-pss'
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.saltLengthBytes }
    : algorithm.scheme === 'rsa-pkcs1' ? { key, padding: constants.RSA_PKCS1_PADDING } : { key, dsaEncoding: 'der' as const };
  return verify(NODE_HASH[algorithm.hash], message, options, signature);
}

/** Signs on the card and returns what X.509 and CMS need: the RSA signature, or DER ECDSA. */
export async function signWithCardKey(card: ScHsmCard, keyId: number, spec: KeySpec, spki: Uint8Array, algorithm: SignAlgorithm, message: Uint8Array): Promise<Uint8Array> {
  const { algo, input } = signInput(spec, algorithm, message);
  let signature = await card.sign(keyId, algo, input);
  if (spec.kind === 'rsa' && signature.length < spec.bits / 8) {
    // I2OSP: a signature with leading zero bytes may come back shorter (RFC 8017 §5.2.1).
    const padded = new Uint8Array(spec.bits / 8);
    padded.set(signature, padded.length - signature.length);
    signature = padded;
  }
  if (spec.kind === 'ec' && !isDerEcdsa(signature)) {
    if (signature.length !== 2 * EC_FIELD_BYTES[spec.curve]) {
      throw new CustosError('SIGN_FAILED', 'The SmartCard-HSM returned an ECDSA signature in an unknown form.', { bytes: signature.length });
    }
    signature = ecdsaDerFromPlain(signature);
  }
  let ok = false;
  try {
    ok = verifiesWith(spki, algorithm, message, signature);
  } catch (e) {
    if (isCustosError(e)) throw e;
  }
  if (!ok) throw new CustosError('SIGN_FAILED', 'The SmartCard-HSM returned a signature that does not verify with the key\'s public key: nothing was signed; check the card.', { keyId });
  return signature;
}
