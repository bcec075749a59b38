// SPKIs built from PKCS#11 public-key attributes must equal, byte for byte,
// what OpenSSL (through node:crypto) exports for the same key.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { isCustosError } from '../../../../main/errors/index.ts';
import {
  ckaIdFor, curveFromEcParams, ecParamsFor, ecPointFromAttribute, ecSpki, rsaBits, rsaSpki, spkiSha256,
} from '../../../../main/hsm/pkcs11/spki.ts';
import type { EcCurve } from '../../../../main/hsm/token.ts';

const NODE_CURVE: Record<EcCurve, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };

function ecKey(curve: EcCurve): { spki: Buffer; point: Buffer } {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: NODE_CURVE[curve] });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.of(0x04), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return { spki: publicKey.export({ format: 'der', type: 'spki' }), point };
}

describe('SubjectPublicKeyInfo from PKCS#11 attributes', () => {
  it('builds the RSA SPKI OpenSSL exports from CKA_MODULUS and CKA_PUBLIC_EXPONENT', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const modulus = Buffer.from(jwk.n!, 'base64url');
    assert.equal(modulus[0]! & 0x80, 0x80); // the top bit is set: the INTEGER needs its leading zero
    const spki = rsaSpki(modulus, Buffer.from(jwk.e!, 'base64url'));
    assert.deepEqual(Buffer.from(spki), publicKey.export({ format: 'der', type: 'spki' }));
    assert.equal(rsaBits(modulus), 2048);
    // Some modules pad CKA_MODULUS with a leading zero byte; the SPKI must not change.
    assert.deepEqual(rsaSpki(Buffer.concat([Buffer.of(0), modulus]), Buffer.from(jwk.e!, 'base64url')), spki);
  });

  for (const curve of ['P-256', 'P-384', 'P-521'] as const) {
    it(`builds the ${curve} SPKI OpenSSL exports, from a wrapped or a raw CKA_EC_POINT`, () => {
      const { spki, point } = ecKey(curve);
      const wrapped = Buffer.from(AsnConvert.serialize(new OctetString(point)));
      assert.deepEqual(Buffer.from(ecSpki(curve, ecPointFromAttribute(wrapped, curve))), spki);
      assert.deepEqual(Buffer.from(ecSpki(curve, ecPointFromAttribute(point, curve))), spki);
      assert.equal(curveFromEcParams(ecParamsFor(curve)), curve);
    });
  }

  it('writes CKA_EC_PARAMS as the named-curve OID (RFC 5480 §2.1.1)', () => {
    assert.equal(Buffer.from(ecParamsFor('P-256')).toString('hex'), '06082a8648ce3d030107');
    assert.equal(Buffer.from(ecParamsFor('P-384')).toString('hex'), '06052b81040022');
  });

  it('refuses a compressed point as KEY_SPEC_UNSUPPORTED', () => {
    const { point } = ecKey('P-256');
    const compressed = Buffer.concat([Buffer.of(0x02 | (point[64]! & 1)), point.subarray(1, 33)]);
    assert.throws(() => ecPointFromAttribute(compressed, 'P-256'), (e: unknown) => isCustosError(e) && e.code === 'KEY_SPEC_UNSUPPORTED');
  });

  it('does not know an unnamed or unsupported curve', () => {
    assert.equal(curveFromEcParams(Buffer.from('06052b81040021', 'hex')), undefined); // secp224r1
    assert.equal(curveFromEcParams(Buffer.of(0x30, 0x00)), undefined);
  });

  it('identifies a key by the lower-case hex SHA-256 of its SPKI; CKA_ID is its first 20 bytes', () => {
    const { spki } = ecKey('P-256');
    const digest = createHash('sha256').update(spki).digest();
    assert.equal(spkiSha256(spki), digest.toString('hex'));
    assert.deepEqual(ckaIdFor(spki), digest.subarray(0, 20));
  });
});
