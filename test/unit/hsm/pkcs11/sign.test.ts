import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { isCustosError } from '../../../../main/errors/index.ts';
import { CK } from '../../../../main/hsm/pkcs11/api.ts';
import { digestInfo, ecdsaSignatureToDer, planSignature } from '../../../../main/hsm/pkcs11/sign.ts';
import type { KeySpec } from '../../../../main/hsm/token.ts';

const RSA: KeySpec = { kind: 'rsa', bits: 2048 };
const EC: KeySpec = { kind: 'ec', curve: 'P-256' };
const MESSAGE = new TextEncoder().encode('to be signed');

describe('ECDSA r||s to Ecdsa-Sig-Value', () => {
  for (const namedCurve of ['prime256v1', 'secp384r1', 'secp521r1']) {
    it(`turns a ${namedCurve} r||s signature into DER that OpenSSL verifies`, () => {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve });
      // Enough signatures that some r or s has its top bit set or a leading zero byte.
      for (let i = 0; i < 16; i += 1) {
        const rs = sign('sha256', MESSAGE, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        const der = ecdsaSignatureToDer(rs);
        assert.ok(verify('sha256', MESSAGE, { key: publicKey, dsaEncoding: 'der' }, der));
      }
    });
  }

  it('refuses an odd-length token answer', () => {
    assert.throws(() => ecdsaSignatureToDer(new Uint8Array(63)), (e: unknown) => isCustosError(e) && e.code === 'SIGN_FAILED');
  });
});

describe('DigestInfo for CKM_RSA_PKCS', () => {
  it('starts with the SHA-256 prefix RFC 8017 §9.2 note 1 gives', () => {
    const digest = createHash('sha256').update(MESSAGE).digest();
    const info = digestInfo('SHA-256', digest);
    assert.equal(info.subarray(0, 19).toString('hex'), '3031300d060960864801650304020105000420');
    assert.deepEqual(info.subarray(19), digest);
  });
  it('starts with the SHA-512 prefix RFC 8017 §9.2 note 1 gives', () => {
    const info = digestInfo('SHA-512', createHash('sha512').update(MESSAGE).digest());
    assert.equal(info.subarray(0, 19).toString('hex'), '3051300d060960864801650304020305000440');
  });
});

describe('choosing the signature mechanism', () => {
  it('prefers the token\'s hash-and-sign mechanism and sends the message itself', () => {
    const plan = planSignature(RSA, { scheme: 'rsa-pkcs1', hash: 'SHA-384' }, new Set([CK.CKM_SHA384_RSA_PKCS, CK.CKM_RSA_PKCS]));
    assert.equal(plan.mechanism.mechanism, CK.CKM_SHA384_RSA_PKCS);
    assert.deepEqual(plan.input(MESSAGE), Buffer.from(MESSAGE));
  });

  it('falls back to CKM_RSA_PKCS with a host-hashed DigestInfo', () => {
    const plan = planSignature(RSA, { scheme: 'rsa-pkcs1', hash: 'SHA-256' }, new Set([CK.CKM_RSA_PKCS]));
    assert.equal(plan.mechanism.mechanism, CK.CKM_RSA_PKCS);
    assert.deepEqual(plan.input(MESSAGE), digestInfo('SHA-256', createHash('sha256').update(MESSAGE).digest()));
  });

  it('gives PSS the hash, MGF1 with the same hash and the salt length asked for', () => {
    const plan = planSignature(RSA, { scheme: 'rsa-pss', hash: 'SHA-512', saltLengthBytes: 64 }, new Set([CK.CKM_SHA512_RSA_PKCS_PSS]));
    assert.equal(plan.mechanism.mechanism, CK.CKM_SHA512_RSA_PKCS_PSS);
    assert.deepEqual(plan.mechanism.parameter, { type: CK.CK_PARAMS_RSA_PSS, hashAlg: CK.CKM_SHA512, mgf: CK.CKG_MGF1_SHA512, saltLen: 64 });
  });

  it('hashes on the host for ECDSA', () => {
    const plan = planSignature(EC, { scheme: 'ecdsa', hash: 'SHA-384' }, new Set([CK.CKM_ECDSA]));
    assert.equal(plan.mechanism.mechanism, CK.CKM_ECDSA);
    assert.deepEqual(plan.input(MESSAGE), createHash('sha384').update(MESSAGE).digest());
  });

  it('refuses with MECHANISM_UNSUPPORTED what the token lacks or the key cannot do', () => {
    const unsupported = (e: unknown): boolean => isCustosError(e) && e.code === 'MECHANISM_UNSUPPORTED';
    assert.throws(() => planSignature(RSA, { scheme: 'rsa-pkcs1', hash: 'SHA-256' }, new Set([CK.CKM_ECDSA])), unsupported);
    assert.throws(() => planSignature(RSA, { scheme: 'rsa-pss', hash: 'SHA-256', saltLengthBytes: 32 }, new Set([CK.CKM_RSA_PKCS])), unsupported);
    assert.throws(() => planSignature(EC, { scheme: 'ecdsa', hash: 'SHA-256' }, new Set([CK.CKM_RSA_PKCS])), unsupported);
    assert.throws(() => planSignature(EC, { scheme: 'rsa-pkcs1', hash: 'SHA-256' }, new Set([CK.CKM_SHA256_RSA_PKCS])), unsupported);
    assert.throws(() => planSignature(RSA, { scheme: 'ecdsa', hash: 'SHA-256' }, new Set([CK.CKM_ECDSA])), unsupported);
  });
});
