/**
 * Which PKCS#11 mechanism carries a signature request, what the token is given
 * (the message, or its hash the host computed) and how its answer becomes the
 * signature X.509 and CMS expect.
 */
import { createHash } from 'node:crypto';
import type { Mechanism } from 'pkcs11js';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { DigestInfo } from '@peculiar/asn1-rsa';
import { DER } from '@noble/curves/abstract/der.js';
import { CustosError } from '../../errors/index.ts';
import { OID } from '../../pki/oids.ts';
import type { HashName, KeySpec, SignAlgorithm } from '../token.ts';
import { CK } from './api.ts';

export interface SignPlan {
  readonly mechanism: Mechanism;
  /** What C_Sign receives. */
  input(message: Uint8Array): Buffer;
  /** The signature as X.509 wants it. */
  output(tokenSignature: Buffer): Uint8Array;
}

interface HashMechanisms {
  readonly nodeName: string;
  readonly oid: string;
  readonly digest: number;
  readonly mgf1: number;
  readonly rsaPkcs: number;
  readonly rsaPss: number;
}

const HASHES: Readonly<Record<HashName, HashMechanisms>> = {
  'SHA-256': { nodeName: 'sha256', oid: OID.sha256, digest: CK.CKM_SHA256, mgf1: CK.CKG_MGF1_SHA256, rsaPkcs: CK.CKM_SHA256_RSA_PKCS, rsaPss: CK.CKM_SHA256_RSA_PKCS_PSS },
  'SHA-384': { nodeName: 'sha384', oid: OID.sha384, digest: CK.CKM_SHA384, mgf1: CK.CKG_MGF1_SHA384, rsaPkcs: CK.CKM_SHA384_RSA_PKCS, rsaPss: CK.CKM_SHA384_RSA_PKCS_PSS },
  'SHA-512': { nodeName: 'sha512', oid: OID.sha512, digest: CK.CKM_SHA512, mgf1: CK.CKG_MGF1_SHA512, rsaPkcs: CK.CKM_SHA512_RSA_PKCS, rsaPss: CK.CKM_SHA512_RSA_PKCS_PSS },
};

function hostHash(hash: HashName, message: Uint8Array): Buffer {
  return createHash(HASHES[hash].nodeName).update(message).digest();
}

const asIs = (bytes: Buffer): Uint8Array => new Uint8Array(bytes);

function unsupported(algorithm: SignAlgorithm, why: string): CustosError {
  return new CustosError('MECHANISM_UNSUPPORTED', `${why} Choose another signature algorithm or use a token that offers it.`,
    { scheme: algorithm.scheme, hash: algorithm.hash });
}

/** RFC 8017 §9.2 step 2: the DigestInfo a bare CKM_RSA_PKCS signature must wrap the hash in. */
export function digestInfo(hash: HashName, digest: Uint8Array): Buffer {
  const info = new DigestInfo({
    // RFC 8017 §A.2.4: the SHA-2 identifiers in DigestInfo carry NULL parameters.
    digestAlgorithm: new AlgorithmIdentifier({ algorithm: HASHES[hash].oid, parameters: Uint8Array.of(0x05, 0x00).buffer }),
    digest: new OctetString(digest),
  });
  return Buffer.from(AsnConvert.serialize(info));
}

const magnitude = (bytes: Uint8Array): bigint => (bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`));

/**
 * Tokens return ECDSA as r||s; X.509 wants Ecdsa-Sig-Value (RFC 3279 §2.2.3).
 * Encoded by noble-curves' ECDSA DER writer: a tenth of the schema library's
 * time, and this runs once per certificate.
 */
export function ecdsaSignatureToDer(rs: Uint8Array): Uint8Array {
  if (rs.length === 0 || rs.length % 2 !== 0) {
    throw new CustosError('SIGN_FAILED', 'The token returned an ECDSA signature of odd length. Try again; if it repeats, use another token.',
      { signatureBytes: rs.length });
  }
  const half = rs.length / 2;
  return new Uint8Array(Buffer.from(DER.hexFromSig({ r: magnitude(rs.subarray(0, half)), s: magnitude(rs.subarray(half)) }), 'hex'));
}

/**
 * Picks the mechanism for this algorithm from those the token lists
 * (C_GetMechanismList): the token's combined hash-and-sign mechanism when it has
 * one, else the host hashes and the token signs the hash.
 */
export function planSignature(spec: KeySpec, algorithm: SignAlgorithm, mechanisms: ReadonlySet<number>): SignPlan {
  const hash = HASHES[algorithm.hash];
  if (hash === undefined) throw unsupported(algorithm, `The hash ${String(algorithm.hash)} is not one Custos signs with.`);
  if ((algorithm.scheme === 'ecdsa') !== (spec.kind === 'ec')) {
    throw unsupported(algorithm, `A ${spec.kind === 'ec' ? 'EC' : 'RSA'} key cannot sign with ${algorithm.scheme}.`);
  }
  switch (algorithm.scheme) {
    case 'rsa-pkcs1': {
      if (mechanisms.has(hash.rsaPkcs)) {
        return { mechanism: { mechanism: hash.rsaPkcs }, input: (m) => Buffer.from(m), output: asIs };
      }
      if (mechanisms.has(CK.CKM_RSA_PKCS)) {
        return { mechanism: { mechanism: CK.CKM_RSA_PKCS }, input: (m) => digestInfo(algorithm.hash, hostHash(algorithm.hash, m)), output: asIs };
      }
      throw unsupported(algorithm, 'The token offers no RSA PKCS#1 v1.5 signature mechanism.');
    }
    case 'rsa-pss': {
      // CK_RSA_PKCS_PSS_PARAMS: MGF1 with the message hash, as RFC 4055 §3.1 recommends and algorithms.ts declares.
      const parameter = { type: CK.CK_PARAMS_RSA_PSS, hashAlg: hash.digest, mgf: hash.mgf1, saltLen: algorithm.saltLengthBytes };
      if (mechanisms.has(hash.rsaPss)) {
        return { mechanism: { mechanism: hash.rsaPss, parameter }, input: (m) => Buffer.from(m), output: asIs };
      }
      if (mechanisms.has(CK.CKM_RSA_PKCS_PSS)) {
        return { mechanism: { mechanism: CK.CKM_RSA_PKCS_PSS, parameter }, input: (m) => hostHash(algorithm.hash, m), output: asIs };
      }
      throw unsupported(algorithm, 'The token offers no RSA-PSS signature mechanism.');
    }
    case 'ecdsa': {
      if (!mechanisms.has(CK.CKM_ECDSA)) throw unsupported(algorithm, 'The token offers no ECDSA mechanism (CKM_ECDSA).');
      return { mechanism: { mechanism: CK.CKM_ECDSA }, input: (m) => hostHash(algorithm.hash, m), output: ecdsaSignatureToDer };
    }
    default:
      throw unsupported(algorithm, 'This signature scheme is not supported.');
  }
}
