import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createHash, generateKeyPairSync, privateEncrypt, sign } from 'node:crypto';
import { ecdsaDerFromPlain, emsaPkcs1v15, signInput, verifiesWith } from '../../../../main/hsm/sc-hsm/signing.ts';
import { isCustosError } from '../../../../main/errors/index.ts';

const message = new TextEncoder().encode('tbsCertificate bytes');

describe('emsaPkcs1v15', () => {
  it('builds the block that a raw RSA operation turns into a signature node:crypto accepts', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    for (const hash of ['SHA-256', 'SHA-384', 'SHA-512'] as const) {
      const h = createHash(hash.replace('-', '').toLowerCase()).update(message).digest();
      const em = emsaPkcs1v15(hash, h, 256);
      assert.equal(em.length, 256);
      const signature = privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, em);
      const spki = publicKey.export({ type: 'spki', format: 'der' });
      assert.equal(verifiesWith(spki, { scheme: 'rsa-pkcs1', hash }, message, signature), true, hash);
    }
  });
});

describe('ecdsaDerFromPlain', () => {
  it('turns a plain r||s signature into the DER form X.509 verifiers accept', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const plain = sign('sha384', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const der = ecdsaDerFromPlain(plain);
    assert.equal(der[0], 0x30);
    assert.equal(verifiesWith(publicKey.export({ type: 'spki', format: 'der' }), { scheme: 'ecdsa', hash: 'SHA-384' }, message, der), true);
  });
});

describe('signInput', () => {
  it('sends ECDSA the hash cut to the field length and PSS the bare hash', () => {
    const ec = signInput({ kind: 'ec', curve: 'P-256' }, { scheme: 'ecdsa', hash: 'SHA-512' }, message);
    assert.equal(ec.algo, 0x70);
    assert.equal(ec.input.length, 32);
    const pss = signInput({ kind: 'rsa', bits: 3072 }, { scheme: 'rsa-pss', hash: 'SHA-384', saltLengthBytes: 48 }, message);
    assert.equal(pss.algo, 0x40);
    assert.equal(pss.input.length, 48);
    const pkcs1 = signInput({ kind: 'rsa', bits: 4096 }, { scheme: 'rsa-pkcs1', hash: 'SHA-256' }, message);
    assert.equal(pkcs1.algo, 0x20);
    assert.equal(pkcs1.input.length, 512);
  });

  it('refuses a PSS salt the card cannot produce and a scheme that does not fit the key', () => {
    assert.throws(() => signInput({ kind: 'rsa', bits: 2048 }, { scheme: 'rsa-pss', hash: 'SHA-256', saltLengthBytes: 20 }, message),
      (e) => isCustosError(e) && e.code === 'MECHANISM_UNSUPPORTED');
    assert.throws(() => signInput({ kind: 'ec', curve: 'P-256' }, { scheme: 'rsa-pkcs1', hash: 'SHA-256' }, message),
      (e) => isCustosError(e) && e.code === 'MECHANISM_UNSUPPORTED');
  });
});
