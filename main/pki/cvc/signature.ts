/**
 * CVC signatures (5F37): ECDSA as plain r||s with each half at the curve's field
 * length (TR-03111 §5.2.1, as the card returns it), RSA as PKCS#1 v1.5 or PSS per
 * the TA OID, with the salt as long as the hash (TR-03110 part 3 §A.6.4.1).
 */
import { constants, sign, verify, type KeyObject } from 'node:crypto';
import { CustosError } from '../../errors/index.ts';
import type { CvcPublicKey } from './types.ts';
import { cvcAlgorithm, type CvcAlgorithm, type CvcHash } from './oids.ts';
import { DOMAIN_PARAMETERS } from './domain-parameters.ts';
import { keyObjectFromCvcPublicKey } from './public-key.ts';

const HASH_BYTES: Record<CvcHash, number> = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

function algorithmFor(oid: string): CvcAlgorithm {
  const algorithm = cvcAlgorithm(oid);
  if (algorithm === undefined) throw new CustosError('MECHANISM_UNSUPPORTED', `${oid} is not a TR-03110 signature algorithm.`, { oid });
  return algorithm;
}

/** Signs data (the whole 7F4E TLV, or inner 7F21 || 42 for an outer signature) as the OID says. */
export function signCvc(data: Uint8Array, privateKey: KeyObject, oid: string): Uint8Array {
  const algorithm = algorithmFor(oid);
  const keyKind = privateKey.asymmetricKeyType;
  if ((algorithm.kind === 'ec') !== (keyKind === 'ec') || (algorithm.kind === 'rsa' && keyKind !== 'rsa')) {
    throw new CustosError('MECHANISM_UNSUPPORTED', `A ${keyKind ?? 'unknown'} key cannot sign with ${oid}.`, { oid });
  }
  if (algorithm.scheme === 'ecdsa') {
    // ieee-p1363 is r||s, each left-padded to the order's byte length (= field length on these curves).
    return new Uint8Array(sign(algorithm.hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
  }
  if (algorithm.scheme === 'rsa-pss') {
    return new Uint8Array(sign(algorithm.hash, data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[algorithm.hash] }));
  }
  return new Uint8Array(sign(algorithm.hash, data, { key: privateKey, padding: constants.RSA_PKCS1_PADDING }));
}

/**
 * r||s at the field length. OpenPACE (cvc-create) writes both halves only as
 * long as the longer of r and s, so on P-521, where both often start with a
 * zero byte, about one signature in four is 130 bytes, not 132; cvc-print
 * reads it by halves, and so does this. Anything else odd is no signature.
 */
function fullLengthPlain(signature: Uint8Array, fieldBytes: number): Uint8Array | undefined {
  if (signature.length === 2 * fieldBytes) return signature;
  const half = signature.length / 2;
  if (!Number.isInteger(half) || half < 1 || half > fieldBytes) return undefined;
  const plain = new Uint8Array(2 * fieldBytes);
  plain.set(signature.subarray(0, half), fieldBytes - half);
  plain.set(signature.subarray(half), 2 * fieldBytes - half);
  return plain;
}

/**
 * True when signature is a valid signature of data under the key, with the scheme
 * and hash of the key's OID. An EC key must know its curve (see withInheritedCurve).
 */
export function verifyCvcSignature(data: Uint8Array, signature: Uint8Array, publicKey: CvcPublicKey): boolean {
  const algorithm = algorithmFor(publicKey.oid);
  if (algorithm.kind !== publicKey.kind) return false;
  const key = keyObjectFromCvcPublicKey(publicKey);
  if (algorithm.scheme === 'ecdsa') {
    const fieldBytes = DOMAIN_PARAMETERS[publicKey.kind === 'ec' && publicKey.curve ? publicKey.curve : 'P-256'].fieldBytes;
    const plain = fullLengthPlain(signature, fieldBytes);
    if (plain === undefined) return false;
    return verify(algorithm.hash, data, { key, dsaEncoding: 'ieee-p1363' }, plain);
  }
  if (algorithm.scheme === 'rsa-pss') {
    // Custos signs with a hash-length salt, but OpenPACE's cvc-create signs
    // with OpenSSL's default, the longest salt that fits; PSS carries its salt
    // length in the encoding, so any is accepted here as cvc-print does.
    return verify(algorithm.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature);
  }
  return verify(algorithm.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
}
