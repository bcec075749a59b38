/**
 * Key blobs as other SmartCard-HSM implementations write them, built here
 * field by field the way such a card would (domain parameters from OpenSSL,
 * not from the code under test), encrypted and MACed under the DKEK, and read
 * by unwrapKey. Cards on mbedtls (pico-hsm) write the `a` of a = −3 curves as
 * an empty field and other small coefficients and private values at their
 * minimal length; CardContact's DKEK.js pads with 80 00… to 8 bytes and adds
 * 8 zero bytes when that is not a whole AES block, pico-hsm with 80 00… to 16
 * and not at all when the data already fills whole blocks.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createCipheriv, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { cmac } from '@noble/ciphers/aes.js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ECParameters, ECPrivateKey } from '@peculiar/asn1-ecc';
import { deriveKeys, kcv } from '../../../main/keydomain/dkek.ts';
import { KEY_TYPE, unwrapKey } from '../../../main/keydomain/key-blob.ts';

const dkek = new Uint8Array(randomBytes(32));
/** id-TA-ECDSA-SHA-256 content, 0.4.0.127.0.7.2.2.2.2.3, as every card writes it in the clear header. */
const ECDSA_SHA256_OID = Uint8Array.of(0x04, 0x00, 0x7f, 0x00, 0x07, 0x02, 0x02, 0x02, 0x02, 0x03);

const field = (v: Uint8Array): number[] => [v.length >> 8, v.length & 0xff, ...v];
const minimal = (v: Uint8Array): Uint8Array => { let i = 0; while (i < v.length && v[i] === 0) i++; return v.subarray(i); };

type Padding = 'pico-hsm' | 'DKEK.js';
function pad(plain: Uint8Array, how: Padding): Uint8Array {
  // pico-hsm pads only data that is not already whole AES blocks (SC-HSM.md §7).
  if (how === 'pico-hsm' && plain.length % 16 === 0) return plain;
  const withMark = [...plain, 0x80];
  if (how === 'pico-hsm') {
    while (withMark.length % 16 !== 0) withMark.push(0);
  } else {
    while (withMark.length % 8 !== 0) withMark.push(0);
    if (withMark.length % 16 !== 0) withMark.push(...new Array<number>(8).fill(0));
  }
  return Uint8Array.from(withMark);
}

/** A whole blob: clear header, AES-256-CBC(K_enc, zero IV) of the padded key data, CMAC(K_mac) over both. */
function seal(keyType: number, keyData: Uint8Array, how: Padding): Uint8Array {
  const { kEnc, kMac } = deriveKeys(dkek);
  const header = Uint8Array.of(...kcv(dkek), keyType, ...field(ECDSA_SHA256_OID), 0, 0, 0, 0, 0, 0);
  const cipher = createCipheriv('aes-256-cbc', kEnc, new Uint8Array(16)).setAutoPadding(false);
  const encrypted = Buffer.concat([cipher.update(pad(keyData, how)), cipher.final()]);
  const macInput = Uint8Array.of(...header, ...encrypted);
  return Uint8Array.of(...macInput, ...cmac(macInput, kMac));
}

interface Explicit { p: Uint8Array; a: Uint8Array; b: Uint8Array; g: Uint8Array; n: Uint8Array }
function explicitParameters(opensslCurve: string): Explicit {
  const c = AsnConvert.parse(execFileSync('openssl', ['ecparam', '-name', opensslCurve, '-param_enc', 'explicit', '-outform', 'DER']), ECParameters).specifiedCurve!;
  return {
    p: minimal(new Uint8Array(c.fieldID.parameters).subarray(2)),
    a: new Uint8Array(c.curve.a), b: new Uint8Array(c.curve.b),
    g: new Uint8Array(c.base.buffer), n: minimal(new Uint8Array(c.order)),
  };
}

/** EC key data: 8 random bytes, field bits, then a, b, p, n, G, d, Q each with a 2-byte length. */
function ecKeyData(key: KeyObject, fieldBits: number, parts: { a: Uint8Array; b: Uint8Array; p: Uint8Array; n: Uint8Array; g: Uint8Array }, d: Uint8Array): Uint8Array {
  const q = new Uint8Array(sec1(key).publicKey!);
  return Uint8Array.of(...randomBytes(8), fieldBits >> 8, fieldBits & 0xff,
    ...field(parts.a), ...field(parts.b), ...field(parts.p), ...field(parts.n), ...field(parts.g), ...field(d), ...field(q));
}

/** SEC1 from OpenSSL: node's JWK export knows no brainpool curve. */
function sec1(key: KeyObject): ECPrivateKey {
  return AsnConvert.parse(key.export({ format: 'der', type: 'sec1' }), ECPrivateKey);
}

/** d at the curve's full field length, as SEC1 writes it. */
function privateValue(key: KeyObject): Uint8Array {
  return new Uint8Array(sec1(key).privateKey.buffer);
}

describe('key blobs from other SmartCard-HSM implementations', () => {
  for (const [opensslCurve, curve, fieldBits] of [['prime256v1', 'P-256', 256], ['secp384r1', 'P-384', 384], ['secp521r1', 'P-521', 528]] as const) {
    it(`reads ${curve} with a = −3 written as an empty field and b, d at minimal length (mbedtls)`, () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: opensslCurve });
      const e = explicitParameters(opensslCurve);
      const blob = seal(KEY_TYPE.ec, ecKeyData(privateKey, fieldBits, { ...e, a: new Uint8Array(0), b: minimal(e.b) }, minimal(privateValue(privateKey))), 'pico-hsm');
      const key = unwrapKey(blob, dkek);
      assert.equal(key.curve, curve);
      assert.ok(key.keyObject!.equals(privateKey));
    });
  }

  it('reads secp256k1 with a = 0 as an empty field or one 00 byte and b = 7 as one byte', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const e = explicitParameters('secp256k1');
    for (const a of [new Uint8Array(0), Uint8Array.of(0)]) {
      const blob = seal(KEY_TYPE.ec, ecKeyData(privateKey, 256, { ...e, a, b: Uint8Array.of(7) }, privateValue(privateKey)), 'pico-hsm');
      const key = unwrapKey(blob, dkek);
      assert.equal(key.curve, 'secp256k1');
      assert.ok(key.keyObject!.equals(privateKey));
    }
  });

  it('reads brainpoolP256r1, whose a is not −3, with a at minimal length and not as an empty field', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' });
    const e = explicitParameters('brainpoolP256r1');
    const blob = seal(KEY_TYPE.ec, ecKeyData(privateKey, 256, { ...e, a: minimal(e.a) }, privateValue(privateKey)), 'pico-hsm');
    assert.equal(unwrapKey(blob, dkek).curve, 'brainpoolP256r1');
    // Empty means −3, which brainpoolP256r1's a is not: the parameters name no curve.
    const empty = seal(KEY_TYPE.ec, ecKeyData(privateKey, 256, { ...e, a: new Uint8Array(0) }, privateValue(privateKey)), 'pico-hsm');
    assert.throws(() => unwrapKey(empty, dkek), { code: 'KEY_BLOB_INVALID' });
  });

  it('reads a private value with a leading zero byte, written at full length or at minimal length', () => {
    let privateKey: KeyObject;
    do privateKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey; while (privateValue(privateKey)[0] !== 0);
    const e = explicitParameters('prime256v1');
    for (const d of [privateValue(privateKey), minimal(privateValue(privateKey))]) {
      assert.ok(unwrapKey(seal(KEY_TYPE.ec, ecKeyData(privateKey, 256, e, d), 'DKEK.js'), dkek).keyObject!.equals(privateKey), `d of ${d.length} bytes`);
    }
  });

  for (const how of ['DKEK.js', 'pico-hsm'] as const) {
    it(`reads key data padded as ${how} pads it, for every length of key data modulo 16`, () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const e = explicitParameters('prime256v1');
      const seen = new Set<number>();
      // d is read as a number, so leading zero bytes move the data's length through every remainder.
      for (let extra = 0; extra < 16; extra++) {
        const keyData = ecKeyData(privateKey, 256, e, Uint8Array.of(...new Array<number>(extra).fill(0), ...privateValue(privateKey)));
        seen.add(keyData.length % 16);
        assert.ok(unwrapKey(seal(KEY_TYPE.ec, keyData, how), dkek).keyObject!.equals(privateKey), `key data of ${keyData.length} bytes`);
      }
      assert.equal(seen.size, 16);
    });
  }
});
