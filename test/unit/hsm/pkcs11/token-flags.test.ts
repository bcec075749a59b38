import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CK } from '../../../../main/hsm/pkcs11/api.ts';
import { describePinState, isTokenInitialized, pinStateFromFlags, tokenFlagNames } from '../../../../main/hsm/pkcs11/token-flags.ts';

describe('token flags', () => {
  it('reads an initialised, untouched user PIN', () => {
    assert.deepEqual(pinStateFromFlags(CK.CKF_USER_PIN_INITIALIZED | CK.CKF_TOKEN_INITIALIZED | CK.CKF_LOGIN_REQUIRED),
      { initialized: true, countLow: false, finalTry: false, locked: false });
  });

  it('maps each CKF_USER_PIN_* flag to its own PinState field', () => {
    assert.equal(pinStateFromFlags(CK.CKF_USER_PIN_COUNT_LOW).countLow, true);
    assert.equal(pinStateFromFlags(CK.CKF_USER_PIN_FINAL_TRY).finalTry, true);
    assert.equal(pinStateFromFlags(CK.CKF_USER_PIN_LOCKED).locked, true);
    assert.equal(pinStateFromFlags(CK.CKF_USER_PIN_INITIALIZED).initialized, true);
    assert.deepEqual(pinStateFromFlags(0), { initialized: false, countLow: false, finalTry: false, locked: false });
    // SO PIN flags say nothing about the user PIN.
    assert.deepEqual(pinStateFromFlags(CK.CKF_SO_PIN_COUNT_LOW | CK.CKF_SO_PIN_FINAL_TRY | CK.CKF_SO_PIN_LOCKED),
      { initialized: false, countLow: false, finalTry: false, locked: false });
  });

  it('names the flags by their PKCS#11 names, including the high bits', () => {
    const names = tokenFlagNames(CK.CKF_RNG | CK.CKF_USER_PIN_TO_BE_CHANGED | CK.CKF_ERROR_STATE | CK.CKF_USER_PIN_FINAL_TRY);
    assert.deepEqual(names, ['CKF_RNG', 'CKF_USER_PIN_FINAL_TRY', 'CKF_USER_PIN_TO_BE_CHANGED', 'CKF_ERROR_STATE']);
    assert.deepEqual(tokenFlagNames(0), []);
  });

  it('tells an initialised token from an empty slot', () => {
    assert.equal(isTokenInitialized(CK.CKF_TOKEN_INITIALIZED | CK.CKF_RNG), true);
    assert.equal(isTokenInitialized(CK.CKF_RNG | CK.CKF_LOGIN_REQUIRED), false);
  });

  it('describes the most urgent PIN state first', () => {
    assert.match(describePinState(pinStateFromFlags(CK.CKF_USER_PIN_COUNT_LOW | CK.CKF_USER_PIN_FINAL_TRY)), /One more wrong PIN will block it/);
    assert.match(describePinState(pinStateFromFlags(CK.CKF_USER_PIN_LOCKED | CK.CKF_USER_PIN_FINAL_TRY)), /blocked/);
    assert.match(describePinState(pinStateFromFlags(CK.CKF_USER_PIN_COUNT_LOW)), /counted wrong PINs/);
  });
});
