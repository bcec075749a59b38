import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CustosError } from '../../../../main/errors/index.ts';
import { CK } from '../../../../main/hsm/pkcs11/api.ts';
import { ckrName, loginFailure, pkcs11Failure } from '../../../../main/hsm/pkcs11/errors.ts';

/** An error as pkcs11js throws it for a failed call: the CK_RV is its numeric code. */
const ckr = (value: number, message = 'C_Something failed'): Error => new CK.Pkcs11Error(message, value, 'C_Something');

const PIN_OK = { initialized: true, countLow: false, finalTry: false, locked: false };

describe('CKR → Custos error codes', () => {
  const expected: ReadonlyArray<readonly [number, string]> = [
    [CK.CKR_PIN_INCORRECT, 'PIN_INCORRECT'],
    [CK.CKR_PIN_LOCKED, 'PIN_BLOCKED'],
    [CK.CKR_PIN_LEN_RANGE, 'PIN_INVALID'],
    [CK.CKR_PIN_INVALID, 'PIN_INVALID'],
    [CK.CKR_PIN_EXPIRED, 'PIN_EXPIRED'],
    [CK.CKR_USER_NOT_LOGGED_IN, 'NOT_LOGGED_IN'],
    [CK.CKR_USER_ALREADY_LOGGED_IN, 'ALREADY_LOGGED_IN'],
    [CK.CKR_TOKEN_NOT_PRESENT, 'TOKEN_REMOVED'],
    [CK.CKR_DEVICE_REMOVED, 'TOKEN_REMOVED'],
    [CK.CKR_SESSION_HANDLE_INVALID, 'TOKEN_REMOVED'],
    [CK.CKR_SESSION_CLOSED, 'TOKEN_REMOVED'],
    [CK.CKR_MECHANISM_INVALID, 'MECHANISM_UNSUPPORTED'],
    [CK.CKR_TOKEN_WRITE_PROTECTED, 'TOKEN_WRITE_PROTECTED'],
    [CK.CKR_DEVICE_ERROR, 'DEVICE_ERROR'],
    [CK.CKR_DEVICE_MEMORY, 'DEVICE_ERROR'],
    [CK.CKR_HOST_MEMORY, 'DEVICE_ERROR'],
  ];
  for (const [value, code] of expected) {
    it(`maps ${ckrName(value)} to ${code}, naming the CKR in details`, () => {
      const e = pkcs11Failure(ckr(value), 'sign');
      assert.equal(e.code, code);
      assert.equal(e.details.ckr, ckrName(value));
      assert.ok(e.message.length > 20);
    });
  }

  it('maps by the numeric return value, not by the message text', () => {
    assert.equal(pkcs11Failure(ckr(CK.CKR_PIN_LOCKED, 'CKR_PIN_INCORRECT'), 'session').code, 'PIN_BLOCKED');
  });

  it('falls back to SIGN_FAILED while signing and SESSION_FAILED otherwise, with the CKR name', () => {
    const signing = pkcs11Failure(ckr(CK.CKR_KEY_TYPE_INCONSISTENT), 'sign');
    assert.equal(signing.code, 'SIGN_FAILED');
    assert.equal(signing.details.ckr, 'CKR_KEY_TYPE_INCONSISTENT');
    assert.match(signing.message, /CKR_KEY_TYPE_INCONSISTENT/);
    assert.equal(pkcs11Failure(ckr(CK.CKR_GENERAL_ERROR), 'session').code, 'SESSION_FAILED');
  });

  it('names a vendor-defined return value by its number', () => {
    assert.equal(ckrName(0x80000123), 'CKR_0x80000123');
  });

  it('passes a CustosError through unchanged', () => {
    const own = new CustosError('KEY_LABEL_EXISTS', 'taken', {});
    assert.equal(pkcs11Failure(own, 'session'), own);
  });

  it('tells, after a wrong PIN, what state the PIN is in now', () => {
    const finalTry = loginFailure(ckr(CK.CKR_PIN_INCORRECT), { ...PIN_OK, countLow: true, finalTry: true });
    assert.equal(finalTry.code, 'PIN_INCORRECT');
    assert.match(finalTry.message, /One more wrong PIN will block it/);
    assert.equal(finalTry.details.pinState, 'finalTry');
    const nowLocked = loginFailure(ckr(CK.CKR_PIN_INCORRECT), { ...PIN_OK, locked: true });
    assert.equal(nowLocked.code, 'PIN_BLOCKED');
    assert.equal(loginFailure(ckr(CK.CKR_PIN_INCORRECT), PIN_OK).details.pinState, 'ok');
    assert.equal(loginFailure(ckr(CK.CKR_PIN_LEN_RANGE), PIN_OK).code, 'PIN_INVALID');
  });
});
