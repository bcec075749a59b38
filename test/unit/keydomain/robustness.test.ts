/**
 * Property-based robustness of the key-domain decoders: mutated valid encodings
 * either decode or fail with a KEY_BLOB_* / KCV_* / DKEK_* CustosError — never
 * another exception, never a hang. Seeded, so a failure replays.
 */
import { describe, it } from 'node:test';
import { createDecipheriv, generateKeyPairSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Secret } from '../../../main/secret.ts';
import { deriveKeys } from '../../../main/keydomain/dkek.ts';
import { KEY_TYPE, keyFromPlaintext, readKeyBlobHeader, unwrapKey, wrapKey, type KeyBlobType } from '../../../main/keydomain/key-blob.ts';
import { decryptShareFile, encryptShareFile } from '../../../main/keydomain/share-file.ts';
import { decodeWky } from '../../../main/keydomain/wky.ts';
import { failsOnlyTyped, mutate, mutateInside, mutationsArb, ROBUSTNESS_RUNS, ROBUSTNESS_SEED } from '../../fixtures/cvc/mutations.ts';
import { makeDeviceChain, makeWrappedKeyFile } from '../../support/cvc-chain.ts';

const options = { seed: ROBUSTNESS_SEED, numRuns: ROBUSTNESS_RUNS };
const dkek = new Uint8Array(randomBytes(32));
// A card-shaped .wky (secp256k1 blob, PrKD, authenticated request), made fresh; a failure prints the input bytes.
const wky = makeWrappedKeyFile(makeDeviceChain(), { curve: 'secp256k1', dkek }).wky;
// RSA 512 keeps each bigint exponentiation cheap; the parser walks the same fields at any size.
const blobs = [
  decodeWky(wky).blob,
  wrapKey({ dkek, key: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey }),
  wrapKey({ dkek, key: generateKeyPairSync('rsa', { modulusLength: 512 }).privateKey }),
  wrapKey({ dkek, key: { aes: new Uint8Array(randomBytes(32)) } }),
];

function plaintextOf(blob: Uint8Array): { type: KeyBlobType; plain: Uint8Array } {
  const header = readKeyBlobHeader(blob);
  const d = createDecipheriv('aes-256-cbc', deriveKeys(dkek).kEnc, new Uint8Array(16)).setAutoPadding(false);
  return { type: header.keyType, plain: new Uint8Array(Buffer.concat([d.update(blob.subarray(header.encryptedOffset, blob.length - 16)), d.final()])) };
}
const plaintexts = blobs.map(plaintextOf);

describe('key-domain decoders survive mutated input', { timeout: 30_000 }, () => {
  it('key blob decoder (unwrapKey)', () => {
    fc.assert(fc.property(fc.constantFrom(...blobs), mutationsArb,
      (blob, m) => failsOnlyTyped(() => unwrapKey(mutate(blob, m), dkek), ['KEY_BLOB_', 'KCV_'])), options);
  });

  it('key data inside a blob (decrypted plaintext, any key type)', () => {
    const types = Object.values(KEY_TYPE) as KeyBlobType[];
    fc.assert(fc.property(fc.constantFrom(...plaintexts), fc.constantFrom(...types), fc.boolean(), mutationsArb,
      ({ type, plain }, otherType, keepType, m) => failsOnlyTyped(() => keyFromPlaintext(keepType ? type : otherType, mutate(plain, m)), ['KEY_BLOB_'])), options);
  });

  it('share file decoder', () => {
    const password = Secret.fromString('x');
    const file = encryptShareFile(new Uint8Array(randomBytes(32)), password, { iterations: 1 });
    fc.assert(fc.property(mutationsArb,
      (m) => failsOnlyTyped(() => decryptShareFile(mutate(file, m), password, { iterations: 1 }), ['DKEK_'])), options);
  });

  it('.wky decoder', () => {
    fc.assert(fc.property(mutationsArb, (m) => failsOnlyTyped(() => decodeWky(mutate(wky, m)), ['WKY_'])), options);
  });

  it('.wky decoder, damage inside an element with every length kept right', () => {
    fc.assert(fc.property(fc.nat(), mutationsArb, (nth, m) => failsOnlyTyped(() => decodeWky(mutateInside(wky, nth, m)), ['WKY_'])), options);
  });
});
