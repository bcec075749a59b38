// Real SoftHSM2 module: what key generation refuses, and keys that ask for the
// PIN before every signature (CKA_ALWAYS_AUTHENTICATE).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { isCustosError } from '../../../../main/errors/index.ts';
import { Pkcs11Provider, type Pkcs11Token } from '../../../../main/hsm/pkcs11/index.ts';
import { Secret } from '../../../../main/secret.ts';
import type { KeyRef, KeySpec } from '../../../../main/hsm/token.ts';
import { createSoftHsm, type SoftHsm } from '../../../support/softhsm.ts';

const SO_PIN = '87654321';
const USER_PIN = '246810';
const MESSAGE = new TextEncoder().encode('CRL of Custos Root CA G1');

function verifies(key: KeyRef, signature: Uint8Array): boolean {
  return verify('sha256', MESSAGE, { key: createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' }), dsaEncoding: 'der' }, signature);
}

describe('Pkcs11Token key generation on SoftHSM2', () => {
  let hsm: SoftHsm;
  let provider: Pkcs11Provider;
  let token: Pkcs11Token;
  let guarded: KeyRef;

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('Custos Keygen', SO_PIN, USER_PIN);
    provider = new Pkcs11Provider({ modulePath: hsm.modulePath });
    token = await provider.open({ label: 'Custos Keygen' });
    await token.login(Secret.fromString(USER_PIN));
    guarded = await token.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'Guarded CA key', { alwaysAuthenticate: true });
  });

  after(async () => {
    await provider?.close();
    await hsm?.cleanup();
  });

  it('refuses a label already on the token with KEY_LABEL_EXISTS, generating nothing', async () => {
    const first = await token.generateKeyPair({ kind: 'ec', curve: 'P-384' }, 'Issuing CA 2026');
    await assert.rejects(token.generateKeyPair({ kind: 'ec', curve: 'P-384' }, 'Issuing CA 2026'), (e: unknown) => {
      assert.ok(isCustosError(e));
      assert.equal(e.code, 'KEY_LABEL_EXISTS');
      assert.match(e.message, /Issuing CA 2026/);
      return true;
    });
    const labelled = (await token.listKeys()).filter((k) => k.label === 'Issuing CA 2026');
    assert.deepEqual(labelled.map((k) => k.spkiSha256), [first.spkiSha256]);
  });

  it('refuses a key spec Custos does not issue with KEY_SPEC_UNSUPPORTED', async () => {
    for (const spec of [{ kind: 'rsa', bits: 1024 }, { kind: 'ec', curve: 'P-224' }] as unknown as KeySpec[]) {
      await assert.rejects(token.generateKeyPair(spec, `odd ${JSON.stringify(spec)}`),
        (e: unknown) => isCustosError(e) && e.code === 'KEY_SPEC_UNSUPPORTED');
    }
  });

  it('reports a key marked CKA_ALWAYS_AUTHENTICATE as needing the PIN before each signature', async () => {
    assert.equal(guarded.alwaysAuthenticate, true);
    const found = await token.findKey(guarded.spkiSha256);
    assert.equal(found?.alwaysAuthenticate, true);
  });

  it('refuses to sign with such a key without a context PIN (PIN_REQUIRED)', async () => {
    await assert.rejects(token.signer(guarded).sign(MESSAGE, { scheme: 'ecdsa', hash: 'SHA-256' }),
      (e: unknown) => isCustosError(e) && e.code === 'PIN_REQUIRED');
  });

  it('signs with such a key when given the context PIN, asking for it once per signature', async () => {
    let asked = 0;
    const signer = token.signer(guarded, { contextPin: async () => { asked += 1; return Secret.fromString(USER_PIN); } });
    const first = await signer.sign(MESSAGE, { scheme: 'ecdsa', hash: 'SHA-256' });
    const second = await signer.sign(MESSAGE, { scheme: 'ecdsa', hash: 'SHA-256' });
    assert.equal(asked, 2);
    assert.ok(verifies(guarded, first));
    assert.ok(verifies(guarded, second));
  });

  it('reports a wrong context PIN as PIN_INCORRECT, and the right one still signs after', async () => {
    const wrong = token.signer(guarded, { contextPin: async () => Secret.fromString('000000') });
    await assert.rejects(wrong.sign(MESSAGE, { scheme: 'ecdsa', hash: 'SHA-256' }),
      (e: unknown) => isCustosError(e) && e.code === 'PIN_INCORRECT');
    const right = token.signer(guarded, { contextPin: async () => Secret.fromString(USER_PIN) });
    assert.ok(verifies(guarded, await right.sign(MESSAGE, { scheme: 'ecdsa', hash: 'SHA-256' })));
  });

  it('keeps generated keys on the token: a reopened token finds them', async () => {
    await token.close();
    token = await provider.open({ label: 'Custos Keygen' });
    await token.login(Secret.fromString(USER_PIN));
    const found = await token.findKey(guarded.spkiSha256);
    assert.deepEqual(found?.spki, guarded.spki);
    assert.equal(found?.id, guarded.id);
  });
});
