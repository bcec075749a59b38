/**
 * A software Signer over node:crypto keys: a stand-in for a token, for pure
 * PKI unit tests only. The real backends (pkcs11, sc-hsm, virtual) are tested
 * against real tokens; this exists so x509 code can be tested without one.
 */
import { constants, createHash, createPublicKey, generateKeyPairSync, sign as signBytes, type KeyObject } from 'node:crypto';
import { CustosError } from '../../main/errors/index.ts';
import type { KeySpec, SignAlgorithm, Signer } from '../../main/hsm/token.ts';

const NODE_CURVE: Readonly<Record<string, string>> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };
const NODE_HASH: Readonly<Record<string, string>> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

export interface SoftSigner extends Signer {
  readonly privateKey: KeyObject;
  /** PKCS#8 PEM, for handing the key to openssl in a test. */
  privateKeyPem(): string;
}

export function softSignerFromKey(privateKey: KeyObject, spec: KeySpec, label = 'software signer'): SoftSigner {
  const spki = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }));
  return {
    spki,
    spkiSha256: createHash('sha256').update(spki).digest('hex'),
    spec,
    token: { label, serial: 'SOFTWARE', model: 'software signer (unit tests only)', backend: 'virtual', virtual: true },
    privateKey,
    privateKeyPem: () => privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    async sign(message: Uint8Array, algorithm: SignAlgorithm): Promise<Uint8Array> {
      const hash = NODE_HASH[algorithm.hash]!;
      if (algorithm.scheme === 'ecdsa' && spec.kind === 'ec') return new Uint8Array(signBytes(hash, message, { key: privateKey, dsaEncoding: 'der' }));
      if (algorithm.scheme === 'rsa-pkcs1' && spec.kind === 'rsa') return new Uint8Array(signBytes(hash, message, { key: privateKey, padding: constants.RSA_PKCS1_PADDING }));
      if (algorithm.scheme === 'rsa-pss' && spec.kind === 'rsa') {
        return new Uint8Array(signBytes(hash, message, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.saltLengthBytes }));
      }
      throw new CustosError('MECHANISM_UNSUPPORTED', `A ${spec.kind} key cannot sign with ${algorithm.scheme}.`, {});
    },
  };
}

/** Generates a fresh key pair in memory and returns its Signer. */
export function softSigner(spec: KeySpec, label?: string): SoftSigner {
  const { privateKey } = spec.kind === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: spec.bits, publicExponent: 0x10001 })
    : generateKeyPairSync('ec', { namedCurve: NODE_CURVE[spec.curve]! });
  return softSignerFromKey(privateKey, spec, label);
}
