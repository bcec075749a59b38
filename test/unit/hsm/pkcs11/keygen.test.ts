import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Template } from 'pkcs11js';
import { isCustosError } from '../../../../main/errors/index.ts';
import { CK } from '../../../../main/hsm/pkcs11/api.ts';
import { keyPairTemplates } from '../../../../main/hsm/pkcs11/keygen.ts';
import type { KeySpec } from '../../../../main/hsm/token.ts';

const ID = Buffer.alloc(20, 7);
const valueOf = (template: Template, type: number): unknown => template.find((a) => a.type === type)?.value;

describe('key pair templates', () => {
  it('makes the private key a sensitive, never-extractable, private token object that only signs', () => {
    const { privateTemplate, publicTemplate } = keyPairTemplates({ kind: 'ec', curve: 'P-384' }, 'Root CA', ID);
    for (const [type, value] of [[CK.CKA_TOKEN, true], [CK.CKA_PRIVATE, true], [CK.CKA_SENSITIVE, true], [CK.CKA_EXTRACTABLE, false],
      [CK.CKA_SIGN, true], [CK.CKA_DECRYPT, false], [CK.CKA_UNWRAP, false], [CK.CKA_DERIVE, false]] as const) {
      assert.equal(valueOf(privateTemplate, type), value, `attribute 0x${type.toString(16)}`);
    }
    assert.equal(valueOf(publicTemplate, CK.CKA_VERIFY), true);
    assert.equal(valueOf(privateTemplate, CK.CKA_ALWAYS_AUTHENTICATE), undefined);
    for (const template of [publicTemplate, privateTemplate]) {
      assert.equal(valueOf(template, CK.CKA_LABEL), 'Root CA');
      assert.deepEqual(valueOf(template, CK.CKA_ID), ID);
    }
  });

  it('asks for RSA with e = 65537 and the requested modulus size', () => {
    const { mechanism, publicTemplate } = keyPairTemplates({ kind: 'rsa', bits: 3072 }, 'k', ID);
    assert.equal(mechanism.mechanism, CK.CKM_RSA_PKCS_KEY_PAIR_GEN);
    assert.equal(valueOf(publicTemplate, CK.CKA_MODULUS_BITS), 3072);
    assert.deepEqual(valueOf(publicTemplate, CK.CKA_PUBLIC_EXPONENT), Buffer.of(1, 0, 1));
  });

  it('marks the private key CKA_ALWAYS_AUTHENTICATE when asked', () => {
    const { privateTemplate } = keyPairTemplates({ kind: 'ec', curve: 'P-256' }, 'k', ID, { alwaysAuthenticate: true });
    assert.equal(valueOf(privateTemplate, CK.CKA_ALWAYS_AUTHENTICATE), true);
  });

  it('refuses a spec outside RSA 2048/3072/4096 and P-256/384/521 with KEY_SPEC_UNSUPPORTED', () => {
    for (const spec of [{ kind: 'rsa', bits: 1024 }, { kind: 'ec', curve: 'secp256k1' }, { kind: 'ed25519' }] as unknown as KeySpec[]) {
      assert.throws(() => keyPairTemplates(spec, 'k', ID), (e: unknown) => isCustosError(e) && e.code === 'KEY_SPEC_UNSUPPORTED');
    }
  });
});
