// Real SoftHSM2 module: logging in and out of a token through its held session.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PKCS11 } from 'pkcs11js';
import { isCustosError } from '../../../../main/errors/index.ts';
import { Pkcs11Provider, type Pkcs11Token } from '../../../../main/hsm/pkcs11/index.ts';
import { acquireModule } from '../../../../main/hsm/pkcs11/module.ts';
import { Secret } from '../../../../main/secret.ts';
import { createSoftHsm, type SoftHsm } from '../../../support/softhsm.ts';

const SO_PIN = '87654321';
const USER_PIN = '246810';
const WRONG_PIN = '135791';

describe('Pkcs11Token login on SoftHSM2', () => {
  let hsm: SoftHsm;
  let provider: Pkcs11Provider;
  let token: Pkcs11Token;

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('Custos Login', SO_PIN, USER_PIN);
    provider = new Pkcs11Provider({ modulePath: hsm.modulePath });
    token = await provider.open({ label: 'Custos Login' });
  });

  after(async () => {
    await provider?.close();
    await hsm?.cleanup();
  });

  it('refuses a wrong PIN with PIN_INCORRECT that says what the token now reports, and never shows the PIN', async () => {
    await assert.rejects(token.login(Secret.fromString(WRONG_PIN)), (e: unknown) => {
      assert.ok(isCustosError(e));
      assert.equal(e.code, 'PIN_INCORRECT');
      // SoftHSM sets CKF_USER_PIN_COUNT_LOW after a wrong PIN.
      assert.match(e.message, /counted wrong PINs/);
      assert.equal(e.details.pinState, 'countLow');
      const shown = JSON.stringify({ message: e.message, details: e.details });
      assert.ok(!shown.includes(WRONG_PIN) && !shown.includes(USER_PIN));
      return true;
    });
    assert.equal(token.info.pinState.countLow, true);
    assert.equal(token.info.loggedIn, false);
  });

  it('logs in with the correct PIN after a wrong one, and the wrong-PIN count clears', async () => {
    await token.login(Secret.fromString(USER_PIN));
    assert.equal(token.info.loggedIn, true);
    assert.equal(token.info.pinState.countLow, false);
  });

  it('reports ALREADY_LOGGED_IN for a second login', async () => {
    await assert.rejects(token.login(Secret.fromString(USER_PIN)), (e: unknown) => isCustosError(e) && e.code === 'ALREADY_LOGGED_IN');
    assert.equal(token.info.loggedIn, true);
  });

  it('logs out, after which key generation asks for a login', async () => {
    await token.logout();
    assert.equal(token.info.loggedIn, false);
    await assert.rejects(token.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'needs login'),
      (e: unknown) => isCustosError(e) && e.code === 'NOT_LOGGED_IN');
  });

  it('refresh reads the state again', async () => {
    await token.login(Secret.fromString(USER_PIN));
    const info = await token.refresh();
    assert.equal(info.loggedIn, true);
    assert.equal(info.label, 'Custos Login');
  });

  it('answers TOKEN_REMOVED once closed, and a reopened token starts logged out', async () => {
    await token.close();
    await assert.rejects(token.listKeys(), (e: unknown) => isCustosError(e) && e.code === 'TOKEN_REMOVED');
    token = await provider.open({ label: 'Custos Login' });
    assert.equal(token.info.loggedIn, false);
  });

  it('reports TOKEN_REMOVED when the session is gone under it, and opens again afterwards', async () => {
    await token.login(Secret.fromString(USER_PIN));
    const module = acquireModule(hsm.modulePath);
    try {
      // What a pulled token or another application's C_CloseAllSessions leaves behind.
      const pkcs11 = module.api as unknown as PKCS11;
      for (const slot of pkcs11.C_GetSlotList(true)) pkcs11.C_CloseAllSessions(slot);
    } finally {
      module.release();
    }
    await assert.rejects(token.listKeys(), (e: unknown) => {
      assert.ok(isCustosError(e));
      assert.equal(e.code, 'TOKEN_REMOVED');
      assert.match(e.message, /Reopen the token/);
      return true;
    });
    await token.close();
    token = await provider.open({ label: 'Custos Login' });
    await token.login(Secret.fromString(USER_PIN));
    assert.equal(token.info.loggedIn, true);
  });
});
