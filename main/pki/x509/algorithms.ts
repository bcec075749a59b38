/**
 * Which signature algorithm a key signs with, as an X.509 AlgorithmIdentifier
 * and as the request a Token understands. The one place that pairs the two, so
 * a certificate never says one algorithm while the token used another.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { OID } from '../oids.ts';
import { CustosError } from '../../errors/index.ts';
import type { HashName, KeySpec, SignAlgorithm } from '../../hsm/token.ts';
import { remember } from '../../bounded-cache.ts';

export type SignatureChoice = 'pkcs1' | 'pss';

const HASH_OID: Record<HashName, string> = { 'SHA-256': OID.sha256, 'SHA-384': OID.sha384, 'SHA-512': OID.sha512 };
const HASH_BYTES: Record<HashName, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/** The hash that matches a key's strength (NIST SP 800-57 pt 1 table 3): P-384 with SHA-384, P-521 and RSA-4096 with SHA-512. */
export function defaultHash(spec: KeySpec): HashName {
  if (spec.kind === 'ec') return spec.curve === 'P-256' ? 'SHA-256' : spec.curve === 'P-384' ? 'SHA-384' : 'SHA-512';
  return spec.bits >= 4096 ? 'SHA-512' : spec.bits >= 3072 ? 'SHA-384' : 'SHA-256';
}

export function signAlgorithmFor(spec: KeySpec, hash: HashName = defaultHash(spec), choice: SignatureChoice = 'pkcs1'): SignAlgorithm {
  if (spec.kind === 'ec') return { scheme: 'ecdsa', hash };
  if (choice === 'pss') return { scheme: 'rsa-pss', hash, saltLengthBytes: HASH_BYTES[hash] };
  return { scheme: 'rsa-pkcs1', hash };
}

function hashAlgorithm(hash: HashName): AlgorithmIdentifier {
  // RFC 4055 §2.1: SHA-2 AlgorithmIdentifiers are written with NULL parameters in PSS params.
  return new AlgorithmIdentifier({ algorithm: HASH_OID[hash], parameters: Uint8Array.of(0x05, 0x00).buffer });
}

/** The AlgorithmIdentifier for the certificate's and CRL's signature fields. */
export function algorithmIdentifierFor(algorithm: SignAlgorithm): AlgorithmIdentifier {
  switch (algorithm.scheme) {
    case 'ecdsa': {
      // RFC 5758 §3.2: ECDSA identifiers have absent parameters.
      const oid = { 'SHA-256': OID.ecdsaWithSHA256, 'SHA-384': OID.ecdsaWithSHA384, 'SHA-512': OID.ecdsaWithSHA512 }[algorithm.hash];
      return new AlgorithmIdentifier({ algorithm: oid });
    }
    case 'rsa-pkcs1': {
      // RFC 4055 §5: PKCS#1 v1.5 identifiers carry NULL parameters.
      const oid = { 'SHA-256': OID.sha256WithRSAEncryption, 'SHA-384': OID.sha384WithRSAEncryption, 'SHA-512': OID.sha512WithRSAEncryption }[algorithm.hash];
      return new AlgorithmIdentifier({ algorithm: oid, parameters: Uint8Array.of(0x05, 0x00).buffer });
    }
    case 'rsa-pss': {
      const params = new RsaSaPssParams({
        hashAlgorithm: hashAlgorithm(algorithm.hash),
        maskGenAlgorithm: new AlgorithmIdentifier({ algorithm: OID.mgf1, parameters: AsnConvert.serialize(hashAlgorithm(algorithm.hash)) }),
        saltLength: algorithm.saltLengthBytes,
      });
      return new AlgorithmIdentifier({ algorithm: OID.rsassaPss, parameters: AsnConvert.serialize(params) });
    }
    default:
      throw new CustosError('MECHANISM_UNSUPPORTED', 'This signature algorithm is not supported.', {});
  }
}

// Each AlgorithmIdentifier's DER, encoded once: every certificate a CA signs names the same one twice.
const ALGORITHM_CACHE_ENTRIES = 16;
const algorithmDer = new Map<string, Uint8Array>();

/** The DER of an AlgorithmIdentifier (a TBS's signature field, a Certificate's signatureAlgorithm). */
export function encodedAlgorithm(algorithm: AlgorithmIdentifier): Uint8Array {
  const key = `${algorithm.algorithm}:${algorithm.parameters ? Buffer.from(algorithm.parameters).toString('hex') : ''}`;
  let der = algorithmDer.get(key);
  if (der === undefined) {
    der = remember(algorithmDer, key, new Uint8Array(AsnConvert.serialize(algorithm)), ALGORITHM_CACHE_ENTRIES);
  }
  return der;
}
