/**
 * A software Signer for CRL tests: node:crypto over a key OpenSSL or the test
 * made, standing in for a token where the token is not what is under test.
 */
import { createHash, createPrivateKey, createPublicKey, sign, constants, type KeyObject } from 'node:crypto';
import type { KeySpec, SignAlgorithm, Signer } from '../../main/hsm/token.ts';

function specOf(key: KeyObject): KeySpec {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    const curve = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }[details.namedCurve ?? ''] as 'P-256' | 'P-384' | 'P-521' | undefined;
    if (curve === undefined) throw new Error(`unsupported curve ${details.namedCurve}`);
    return { kind: 'ec', curve };
  }
  return { kind: 'rsa', bits: (details.modulusLength ?? 2048) as 2048 | 3072 | 4096 };
}

/** A Signer over a PEM or DER private key (PKCS#8 or traditional). */
export function softSignerFromPrivateKey(privateKey: string | Buffer): Signer {
  const key = createPrivateKey(privateKey);
  const spki = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
  return {
    spki,
    spkiSha256: createHash('sha256').update(spki).digest('hex'),
    spec: specOf(key),
    token: { label: 'test software key', serial: 'none', model: 'node:crypto', backend: 'virtual', virtual: true },
    async sign(message: Uint8Array, algorithm: SignAlgorithm): Promise<Uint8Array> {
      const hash = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' }[algorithm.hash];
      if (algorithm.scheme === 'rsa-pss') {
        return new Uint8Array(sign(hash, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.saltLengthBytes }));
      }
      return new Uint8Array(sign(hash, message, algorithm.scheme === 'ecdsa' ? { key, dsaEncoding: 'der' } : key));
    },
  };
}
