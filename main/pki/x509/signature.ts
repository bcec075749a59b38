/**
 * Reading a signature AlgorithmIdentifier back: which hash and padding
 * node:crypto must use to verify it, and which key type it needs.
 */
import { constants } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { OID } from '../oids.ts';

export interface NodeVerifyParams {
  /** Digest name for crypto.verify (null for algorithms that carry their own, such as Ed25519). */
  readonly hash: string | null;
  readonly options: { padding?: number; saltLength?: number; dsaEncoding?: 'der' };
  /** The key type the algorithm signs with. */
  readonly keyType: 'rsa' | 'ec' | 'ed25519' | 'ed448';
}

const HASH_BY_OID: Readonly<Record<string, string>> = {
  [OID.sha256]: 'sha256', [OID.sha384]: 'sha384', [OID.sha512]: 'sha512', '1.3.14.3.2.26': 'sha1',
};

const SIMPLE: Readonly<Record<string, NodeVerifyParams>> = {
  '1.2.840.113549.1.1.5': { hash: 'sha1', options: { padding: constants.RSA_PKCS1_PADDING }, keyType: 'rsa' },
  [OID.sha256WithRSAEncryption]: { hash: 'sha256', options: { padding: constants.RSA_PKCS1_PADDING }, keyType: 'rsa' },
  [OID.sha384WithRSAEncryption]: { hash: 'sha384', options: { padding: constants.RSA_PKCS1_PADDING }, keyType: 'rsa' },
  [OID.sha512WithRSAEncryption]: { hash: 'sha512', options: { padding: constants.RSA_PKCS1_PADDING }, keyType: 'rsa' },
  '1.2.840.10045.4.1': { hash: 'sha1', options: { dsaEncoding: 'der' }, keyType: 'ec' },
  [OID.ecdsaWithSHA256]: { hash: 'sha256', options: { dsaEncoding: 'der' }, keyType: 'ec' },
  [OID.ecdsaWithSHA384]: { hash: 'sha384', options: { dsaEncoding: 'der' }, keyType: 'ec' },
  [OID.ecdsaWithSHA512]: { hash: 'sha512', options: { dsaEncoding: 'der' }, keyType: 'ec' },
  '1.3.101.112': { hash: null, options: {}, keyType: 'ed25519' },
  '1.3.101.113': { hash: null, options: {}, keyType: 'ed448' },
};

const NAMES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption', [OID.sha256WithRSAEncryption]: 'sha256WithRSAEncryption',
  [OID.sha384WithRSAEncryption]: 'sha384WithRSAEncryption', [OID.sha512WithRSAEncryption]: 'sha512WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1', [OID.ecdsaWithSHA256]: 'ecdsa-with-SHA256', [OID.ecdsaWithSHA384]: 'ecdsa-with-SHA384',
  [OID.ecdsaWithSHA512]: 'ecdsa-with-SHA512', [OID.rsassaPss]: 'RSASSA-PSS', '1.3.101.112': 'Ed25519', '1.3.101.113': 'Ed448',
};

function pssParams(algorithm: AlgorithmIdentifier): RsaSaPssParams | undefined {
  // RFC 4055 §3.1: absent parameters would mean SHA-1 defaults, which Custos does not accept.
  if (!algorithm.parameters) return undefined;
  try {
    return AsnConvert.parse(algorithm.parameters, RsaSaPssParams);
  } catch {
    return undefined;
  }
}

/** How node:crypto verifies a signature made with this algorithm, or undefined when Custos does not accept it. */
export function nodeVerifyParams(algorithm: AlgorithmIdentifier): NodeVerifyParams | undefined {
  const simple = SIMPLE[algorithm.algorithm];
  if (simple) return simple;
  if (algorithm.algorithm !== OID.rsassaPss) return undefined;
  const params = pssParams(algorithm);
  if (!params) return undefined;
  const hash = HASH_BY_OID[params.hashAlgorithm.algorithm];
  if (!hash || hash === 'sha1' || params.maskGenAlgorithm.algorithm !== OID.mgf1) return undefined;
  const mgfHash = params.maskGenAlgorithm.parameters ? AsnConvert.parse(params.maskGenAlgorithm.parameters, AlgorithmIdentifier) : undefined;
  // node:crypto uses the same hash for MGF1; a request naming another cannot be verified faithfully.
  if (!mgfHash || mgfHash.algorithm !== params.hashAlgorithm.algorithm) return undefined;
  return { hash, options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: params.saltLength }, keyType: 'rsa' };
}

export function describeSignatureAlgorithm(algorithm: AlgorithmIdentifier): string {
  if (algorithm.algorithm === OID.rsassaPss) {
    const params = pssParams(algorithm);
    const hash = params ? HASH_BY_OID[params.hashAlgorithm.algorithm] : undefined;
    return params && hash ? `RSASSA-PSS (${hash.toUpperCase()}, salt ${params.saltLength})` : 'RSASSA-PSS';
  }
  return NAMES[algorithm.algorithm] ?? algorithm.algorithm;
}
