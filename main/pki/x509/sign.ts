/**
 * Signing a linted TBS with a token's Signer, and checking the result with
 * node:crypto before anyone sees it: a token that returns a wrong signature
 * must not leave a certificate behind.
 */
import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { joinDer, TAG_SEQUENCE } from './der-join.ts';
import { CustosError } from '../../errors/index.ts';
import type { SignAlgorithm, Signer } from '../../hsm/token.ts';
import { algorithmIdentifierFor, encodedAlgorithm } from './algorithms.ts';
import { bitStringBytes, childrenOf, fromAsn, isContextTag, rawBytes, readSequence } from './der.ts';
import { publicKeyFromSpki } from './keys.ts';
import { lintedBytes, type Linted } from './lint.ts';
import { nodeVerifyParams } from './signature.ts';
import { remember } from '../../bounded-cache.ts';

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

function verifyFailed(message: string): never {
  throw new CustosError('SIGNATURE_VERIFY_FAILED', message, {});
}

// A CA signs many certificates with one key: its KeyObject is made once, not for every signature.
const KEY_CACHE_ENTRIES = 16;
const verifyKeys = new Map<string, KeyObject>();

function verifyKeyFor(spkiDer: Uint8Array): KeyObject {
  const id = Buffer.from(spkiDer.buffer, spkiDer.byteOffset, spkiDer.byteLength).toString('base64');
  let key = verifyKeys.get(id);
  if (key === undefined) {
    key = remember(verifyKeys, id, publicKeyFromSpki(spkiDer), KEY_CACHE_ENTRIES);
  }
  return key;
}

/** Checks a signature on libuv's thread pool: a batch plans its next request meanwhile. */
async function checkSignature(signed: Uint8Array, algorithm: AlgorithmIdentifier, signature: Uint8Array, issuerSpkiDer: Uint8Array): Promise<void> {
  const params = nodeVerifyParams(algorithm);
  if (!params) verifyFailed(`The signature algorithm ${algorithm.algorithm} cannot be verified.`);
  const notVerified = (): CustosError => new CustosError('SIGNATURE_VERIFY_FAILED', 'The certificate\u2019s signature does not verify with the issuer\u2019s public key.', {});
  return new Promise((resolve, reject) => {
    try {
      verifySignature(params.hash, signed, { key: verifyKeyFor(issuerSpkiDer), ...params.options }, signature, (error, valid) => {
        if (error || !valid) reject(notVerified());
        else resolve();
      });
    } catch {
      reject(notVerified());
    }
  });
}

function encodeCertificate(linted: Linted, tbsDer: Uint8Array, signature: Uint8Array): Uint8Array {
  // RFC 5280 §4.1: the linted TBS bytes as they are, the algorithm the TBS names, the signature as a BIT STRING.
  return joinDer(TAG_SEQUENCE, [tbsDer, encodedAlgorithm(linted.tbs.signature), new Uint8Array(new asn1js.BitString({ valueHex: signature }).toBER())]);
}

/** Certificate = the linted TBS + its signature AlgorithmIdentifier + the signature (RFC 5280 §4.1), for a signature made elsewhere. */
export function finishCertificate(linted: Linted, signature: Uint8Array): Uint8Array {
  return encodeCertificate(linted, lintedBytes(linted), signature);
}

/** Verifies an issued certificate's signature with the issuer's public key; SIGNATURE_VERIFY_FAILED otherwise. */
export async function verifyIssued(certDer: Uint8Array, issuerSpkiDer: Uint8Array): Promise<void> {
  const read = readSequence(certDer);
  if ('failure' in read || read.items.length !== 3) verifyFailed('The certificate is not one DER X.509 certificate.');
  const [tbs, outerAlgorithm, signatureValue] = read.items;
  const tbsItems = childrenOf(tbs);
  const innerAlgorithm = rawBytes(tbsItems[isContextTag(tbsItems[0], 0) ? 2 : 1]);
  // RFC 5280 §4.1.1.2: the outer signatureAlgorithm must equal the TBS signature field.
  if (!sameBytes(rawBytes(outerAlgorithm), innerAlgorithm)) verifyFailed('The certificate\u2019s two signature algorithm fields differ.');
  const signature = bitStringBytes(signatureValue);
  if (!signature) verifyFailed('The certificate\u2019s signature value is not a whole-octet BIT STRING.');
  let algorithm: AlgorithmIdentifier;
  try {
    algorithm = fromAsn(outerAlgorithm!, AlgorithmIdentifier);
  } catch {
    verifyFailed('The certificate\u2019s signature algorithm does not decode.');
  }
  await checkSignature(rawBytes(tbs), algorithm, signature, issuerSpkiDer);
}

/**
 * Signs a linted TBS on the token and returns the certificate DER, its
 * signature verified against the signer's public key first. The algorithm must
 * be the one the TBS names.
 */
export async function signTbs(linted: Linted, signer: Signer, algorithm: SignAlgorithm): Promise<Uint8Array> {
  const tbsDer = lintedBytes(linted);
  const named = linted.tbs.signature;
  if (!sameBytes(encodedAlgorithm(algorithmIdentifierFor(algorithm)), encodedAlgorithm(named))) {
    throw new CustosError('INPUT_INVALID', 'The signature algorithm asked for is not the one the certificate names; build the TBS with the same algorithm.', { field: 'algorithm' });
  }
  const signature = await signer.sign(tbsDer, algorithm);
  await checkSignature(tbsDer, named, signature, signer.spki);
  return encodeCertificate(linted, tbsDer, signature);
}
