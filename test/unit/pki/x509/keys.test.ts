import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ECDH, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { RSAPublicKey } from '@peculiar/asn1-rsa';
import { publicKeyOf, publicKeySpec, rsaKeyProblems } from '../../../../main/pki/x509/keys.ts';
import { rsaModulus, rsaSpki } from './hostile-requests.ts';

const spkiOf = (key: KeyObject): Uint8Array => new Uint8Array(key.export({ type: 'spki', format: 'der' }));
const decoded = (der: Uint8Array): SubjectPublicKeyInfo => AsnConvert.parse(der, SubjectPublicKeyInfo);

describe('publicKeyOf', () => {
  const keys = {
    'RSA 2048': generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey,
    'RSA 3072, exponent 3': generateKeyPairSync('rsa', { modulusLength: 3072, publicExponent: 3 }).publicKey,
    'EC P-256': generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
    'EC P-384': generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey,
    'EC P-521': generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey,
  };

  for (const [name, key] of Object.entries(keys)) {
    it(`reads an ${name} key as OpenSSL's SubjectPublicKeyInfo reader does`, () => {
      const der = spkiOf(key);
      const read = publicKeyOf(decoded(der), der);
      assert.deepEqual(Buffer.from(spkiOf(read)), Buffer.from(der));
      assert.deepEqual(publicKeySpec(read), publicKeySpec(key));
      assert.deepEqual(read.asymmetricKeyDetails, key.asymmetricKeyDetails);
    });
  }

  it('reads a compressed P-256 point to the same key as the uncompressed one', () => {
    const der = spkiOf(keys['EC P-256']);
    const spki = decoded(der);
    spki.subjectPublicKey = new Uint8Array(ECDH.convertKey(Buffer.from(spki.subjectPublicKey), 'prime256v1', undefined, undefined, 'compressed') as Buffer).buffer;
    const compressedDer = new Uint8Array(AsnConvert.serialize(spki));
    assert.equal(spki.subjectPublicKey.byteLength, 33);
    // OpenSSL keeps the point's form, so the keys are compared by their coordinates.
    assert.deepEqual(publicKeyOf(spki, compressedDer).export({ format: 'jwk' }), keys['EC P-256'].export({ format: 'jwk' }));
  });

  it('refuses a P-256 point that is not on the curve', () => {
    const der = spkiOf(keys['EC P-256']);
    const spki = decoded(der);
    const point = new Uint8Array(spki.subjectPublicKey);
    point[64]! ^= 0x01;
    spki.subjectPublicKey = point.buffer;
    assert.throws(() => publicKeyOf(spki, new Uint8Array(AsnConvert.serialize(spki))));
  });

  it('refuses an RSA key whose modulus is cut short', () => {
    const der = spkiOf(keys['RSA 2048']);
    const spki = decoded(der);
    spki.subjectPublicKey = spki.subjectPublicKey.slice(0, 100);
    assert.throws(() => publicKeyOf(spki, new Uint8Array(AsnConvert.serialize(spki))));
  });
});

describe('rsaKeyProblems', () => {
  const key = (n: bigint, e: bigint): RSAPublicKey => AsnConvert.parse(AsnConvert.parse(rsaSpki(n, e), SubjectPublicKeyInfo).subjectPublicKey, RSAPublicKey);
  const n = rsaModulus();

  it('finds nothing in a sound key: e = 65537, and e = 2^256 - 1', () => {
    assert.deepEqual(rsaKeyProblems(key(n, 65537n)), []);
    assert.deepEqual(rsaKeyProblems(key(n, (1n << 256n) - 1n)), []);
  });

  it('names publicExponent for e = 1, e = 3, an even e and e = 2^256 + 1, and modulus for an even one or a factor below 752', () => {
    const fields = (k: RSAPublicKey): string[] => rsaKeyProblems(k).map((p) => p.message.replace(/;.*|,.*/, ''));
    assert.deepEqual(fields(key(n, 1n)), ['publicExponent is 1']);
    assert.deepEqual(fields(key(n, 3n)), ['publicExponent is 3']);
    assert.deepEqual(fields(key(n, 65536n)), ['publicExponent is 65536', 'publicExponent is 65536']);
    assert.deepEqual(fields(key(n, (1n << 256n) + 1n)), ['publicExponent is a 257-bit number']);
    assert.deepEqual(fields(key(n * 2n, 65537n)), ['modulus is an even number']);
    assert.deepEqual(fields(key(n * 751n, 65537n)), ['modulus has the factor 751']);
    assert.deepEqual(fields(key(n * 757n, 65537n)), [], '757 is above the bound');
  });
});
