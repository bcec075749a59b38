import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { RSAPrivateKey } from '@peculiar/asn1-rsa';
import { ECParameters } from '@peculiar/asn1-ecc';
import { deriveKeys, kcv } from '../../../main/keydomain/dkek.ts';
import { AES_DEFAULT_ALGORITHMS, KEY_TYPE, keyFromPlaintext, readKeyBlobHeader, unwrapKey, wrapKey } from '../../../main/keydomain/key-blob.ts';
import { decodeWky } from '../../../main/keydomain/wky.ts';
import { decodeCvRequest, CVC_OID } from '../../../main/pki/cvc/cvc.ts';
import { makeDeviceChain, makeWrappedKeyFile } from '../../support/cvc-chain.ts';
import { codeOf } from '../pki/cvc/support.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const dkek = new Uint8Array(randomBytes(32));

function signsLike(unwrapped: KeyObject, publicKey: KeyObject): boolean {
  const data = Buffer.from('restored key signs');
  return verify('sha256', data, publicKey, sign('sha256', data, unwrapped));
}

describe('key blob', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'custos-blob-')); });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('unwraps the blob of a card-shaped .wky to the secp256k1 key its own key-generation request names', () => {
    const made = makeWrappedKeyFile(makeDeviceChain(), { curve: 'secp256k1', dkek });
    const wky = decodeWky(made.wky);
    const key = unwrapKey(wky.blob, dkek);
    assert.equal(key.keyType, KEY_TYPE.ec);
    assert.equal(key.curve, 'secp256k1');
    assert.equal(key.keySizeBits, 256);
    assert.equal(key.algorithmOid, CVC_OID['id-TA-ECDSA-SHA-256']);
    assert.equal(hex(key.kcv), hex(kcv(dkek)));
    const request = decodeCvRequest(wky.certificate!);
    const point = request.inner.body.publicKey.kind === 'ec' ? request.inner.body.publicKey.publicPoint : new Uint8Array();
    const jwk = createPublicKey(key.keyObject!).export({ format: 'jwk' });
    assert.equal(`04${Buffer.from(jwk.x!, 'base64url').toString('hex')}${Buffer.from(jwk.y!, 'base64url').toString('hex')}`, hex(point));
    assert.ok(signsLike(key.keyObject!, createPublicKey(made.request.key)));
  });

  for (const bits of [2048, 4096]) {
    it(`wraps and unwraps RSA ${bits} as type 05, and the restored key signs for the original`, () => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
      const blob = wrapKey({ dkek, key: privateKey });
      const header = readKeyBlobHeader(blob);
      assert.equal(header.keyType, KEY_TYPE.rsa);
      assert.equal(header.algorithmOid, CVC_OID['id-TA-RSA-v1-5-SHA-256']);
      const key = unwrapKey(blob, dkek);
      assert.equal(key.keySizeBits, bits);
      assert.ok(key.keyObject!.equals(privateKey));
      assert.ok(signsLike(key.keyObject!, publicKey));
    });
  }

  for (const curve of ['prime256v1', 'secp384r1', 'secp521r1', 'brainpoolP256r1'] as const) {
    it(`wraps and unwraps EC ${curve} with full-length components`, () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const key = unwrapKey(wrapKey({ dkek, key: privateKey }), dkek);
      assert.equal(key.keyType, KEY_TYPE.ec);
      assert.ok(key.keyObject!.equals(privateKey));
      assert.ok(signsLike(key.keyObject!, publicKey));
      assert.equal(key.keySizeBits, curve === 'secp521r1' ? 528 : curve === 'secp384r1' ? 384 : 256);
    });
  }

  it('wraps AES-256 with the default allowed algorithms, readable by OpenSSL CMAC and AES-CBC', () => {
    const aes = new Uint8Array(randomBytes(32));
    const blob = wrapKey({ dkek, key: { aes } });
    const key = unwrapKey(blob, dkek);
    assert.equal(hex(key.aes!), hex(aes));
    assert.equal(key.keySizeBits, 256);
    assert.equal(hex(key.allowedAlgorithms), hex(AES_DEFAULT_ALGORITHMS));
    const { kEnc, kMac } = deriveKeys(dkek);
    const header = readKeyBlobHeader(blob);
    writeFileSync(join(dir, 'mac-input.bin'), blob.subarray(0, blob.length - 16));
    const mac = execFileSync('openssl', ['mac', '-cipher', 'AES-256-CBC', '-macopt', `hexkey:${hex(kMac)}`, '-in', join(dir, 'mac-input.bin'), 'CMAC']).toString().trim();
    assert.equal(mac.toLowerCase(), hex(blob.subarray(blob.length - 16)));
    writeFileSync(join(dir, 'enc.bin'), blob.subarray(header.encryptedOffset, blob.length - 16));
    const plain = execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', '-nopad', '-K', hex(kEnc), '-iv', '00'.repeat(16), '-in', join(dir, 'enc.bin')]);
    // 8 random bytes, key size 0020, the key, then ISO 9797-1 padding 80 00…
    assert.equal(hex(plain.subarray(8, 10 + 32)), `0020${hex(aes)}`);
    assert.equal(plain[42], 0x80);
  });

  it('keeps the allowed algorithms given for a key', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const key = unwrapKey(wrapKey({ dkek, key: privateKey, allowedAlgorithms: Uint8Array.of(0x70, 0x73) }), dkek);
    assert.equal(hex(key.allowedAlgorithms), '7073');
  });

  it('reads type 06 (RSA CRT) key data as DKEK.js writes it', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const k = AsnConvert.parse(privateKey.export({ format: 'der', type: 'pkcs1' }), RSAPrivateKey);
    const lv = (b: ArrayBuffer): number[] => { let v = new Uint8Array(b); while (v.length > 1 && v[0] === 0) v = v.subarray(1); return [v.length >> 8, v.length & 0xff, ...v]; };
    const plain = Uint8Array.of(...randomBytes(8), 0x08, 0x00, ...lv(k.exponent1), ...lv(k.exponent2), ...lv(k.prime1), ...lv(k.coefficient), ...lv(k.prime2), ...lv(k.modulus), ...lv(k.publicExponent), 0x80, 0, 0);
    const key = keyFromPlaintext(KEY_TYPE.rsaCrt, plain);
    assert.ok(key.keyObject!.equals(privateKey));
  });

  it('reads EC key data whose a and b are minimal (secp256k1: 00, 07) or whose a is empty (P-256), as an mbedtls-based card writes them', () => {
    const field = (v: Uint8Array): number[] => [v.length >> 8, v.length & 0xff, ...v];
    const strip = (v: Uint8Array): Uint8Array => { let i = 0; while (i < v.length - 1 && v[i] === 0) i++; return v.subarray(i); };
    for (const [curve, a] of [['secp256k1', Uint8Array.of(0)], ['prime256v1', new Uint8Array(0)]] as const) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const jwk = privateKey.export({ format: 'jwk' });
      const [d, x, y] = [jwk.d!, jwk.x!, jwk.y!].map((v) => new Uint8Array(Buffer.from(v, 'base64url'))) as [Uint8Array, Uint8Array, Uint8Array];
      // Parameters from OpenSSL, not from the code under test.
      const explicit = AsnConvert.parse(execFileSync('openssl', ['ecparam', '-name', curve, '-param_enc', 'explicit', '-outform', 'DER']), ECParameters).specifiedCurve!;
      const p = strip(new Uint8Array(explicit.fieldID.parameters).subarray(2));
      const b = new Uint8Array(explicit.curve.b);
      const g = new Uint8Array(explicit.base.buffer);
      const n = strip(new Uint8Array(explicit.order));
      const plain = Uint8Array.of(...randomBytes(8), 0x01, 0x00, ...field(a), ...field(strip(b)), ...field(p), ...field(n), ...field(g), ...field(d), ...field(Uint8Array.of(4, ...x, ...y)), 0x80);
      const key = keyFromPlaintext(KEY_TYPE.ec, plain);
      assert.equal(key.curve, curve === 'secp256k1' ? 'secp256k1' : 'P-256');
      assert.ok(key.keyObject!.equals(privateKey));
    }
  });

  it('refuses a blob of another key domain with KCV_MISMATCH', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const blob = wrapKey({ dkek, key: privateKey });
    assert.equal(codeOf(() => unwrapKey(blob, new Uint8Array(randomBytes(32)))), 'KCV_MISMATCH');
    // A whole .wky blob made in another key domain.
    assert.equal(codeOf(() => unwrapKey(decodeWky(makeWrappedKeyFile(makeDeviceChain()).wky).blob, dkek)), 'KCV_MISMATCH');
  });

  it('refuses a blob with any byte after the KCV changed, or cut short, with KEY_BLOB_INVALID', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const blob = wrapKey({ dkek, key: privateKey });
    for (const at of [8, 9, 12, 30, blob.length - 40, blob.length - 1]) {
      const bad = Uint8Array.from(blob); bad[at]! ^= 0x01;
      assert.equal(codeOf(() => unwrapKey(bad, dkek)), 'KEY_BLOB_INVALID', `byte ${at}`);
    }
    assert.equal(codeOf(() => unwrapKey(blob.subarray(0, blob.length - 16), dkek)), 'KEY_BLOB_INVALID');
    assert.equal(codeOf(() => unwrapKey(blob.subarray(0, 4), dkek)), 'KEY_BLOB_INVALID');
  });

  it('refuses to wrap a public key or an unsupported curve', () => {
    assert.equal(codeOf(() => wrapKey({ dkek, key: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey })), 'INPUT_INVALID');
    assert.equal(codeOf(() => wrapKey({ dkek, key: generateKeyPairSync('ec', { namedCurve: 'secp224r1' }).privateKey })), 'KEY_SPEC_UNSUPPORTED');
    assert.equal(codeOf(() => wrapKey({ dkek, key: generateKeyPairSync('ed25519').privateKey })), 'KEY_SPEC_UNSUPPORTED');
    assert.equal(codeOf(() => wrapKey({ dkek, key: { aes: new Uint8Array(20) } })), 'KEY_SPEC_UNSUPPORTED');
  });
});
