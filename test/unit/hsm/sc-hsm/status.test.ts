import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorForSw, expectOk, triesLeftOf } from '../../../../main/hsm/sc-hsm/status.ts';

describe('errorForSw', () => {
  it('reports a wrong PIN with the tries the card says are left', () => {
    const e = errorForSw(0x63c2, { operation: 'verify-pin' });
    assert.equal(e.code, 'PIN_INCORRECT');
    assert.equal(e.details['triesLeft'], 2);
    assert.match(e.message, /2 tries left/);
    assert.equal(triesLeftOf(0x63c2), 2);
    assert.equal(triesLeftOf(0x9000), undefined);
  });

  it('reports a blocked PIN for 6983 and for 63C0, and a blocked SO-PIN for SO operations', () => {
    assert.equal(errorForSw(0x6983, { operation: 'verify-pin' }).code, 'PIN_BLOCKED');
    assert.equal(errorForSw(0x63c0, { operation: 'verify-pin' }).code, 'PIN_BLOCKED');
    assert.equal(errorForSw(0x6983, { operation: 'unblock-pin' }).code, 'SO_PIN_BLOCKED');
    assert.match(errorForSw(0x6983, { operation: 'verify-pin' }).message, /SO-PIN/);
  });

  it('tells a lost login from a missing login by what the driver knew', () => {
    assert.equal(errorForSw(0x6982, { operation: 'sign' }).code, 'NOT_LOGGED_IN');
    assert.equal(errorForSw(0x6982, { operation: 'sign', authenticated: true }).code, 'AUTH_STATE_LOST');
  });

  it('names 6A82 a missing key for key commands and a missing file for file commands', () => {
    assert.equal(errorForSw(0x6a82, { operation: 'sign', target: '03' }).code, 'KEY_NOT_FOUND');
    const file = errorForSw(0x6a82, { operation: 'read-file', target: 'CE03' });
    assert.equal(file.code, 'FILE_NOT_FOUND');
    assert.match(file.message, /CE03/);
  });

  it('maps the remaining status words to codes a custodian can act on', () => {
    assert.equal(errorForSw(0x6a88, { operation: 'pin-status' }).code, 'TOKEN_NOT_INITIALIZED');
    assert.equal(errorForSw(0x6a88, { operation: 'wrap-key' }).code, 'DKEK_INCOMPLETE');
    assert.equal(errorForSw(0x6985, { operation: 'pka-authenticate' }).code, 'PKA_SIGNATURE_INVALID');
    assert.equal(errorForSw(0x6986, { operation: 'dkek-import' }).code, 'INPUT_INVALID');
    assert.equal(errorForSw(0x6a80, { operation: 'unwrap-key' }).code, 'KCV_MISMATCH');
    assert.equal(errorForSw(0x6700, { operation: 'sign' }).code, 'APDU_MALFORMED');
    assert.equal(errorForSw(0x6d00, { operation: 'pka-status' }).code, 'PKA_NOT_CONFIGURED');
    assert.equal(errorForSw(0x6a81, { operation: 'sign' }).code, 'MECHANISM_UNSUPPORTED');
    const unknown = errorForSw(0x6f00, { operation: 'sign' });
    assert.equal(unknown.code, 'CARD_ERROR');
    assert.equal(unknown.details['sw'], '6F00');
  });

  it('returns the data of a 9000 answer and throws otherwise', () => {
    assert.deepEqual(expectOk({ data: Uint8Array.of(1), sw: 0x9000 }, { operation: 'read-file' }), Uint8Array.of(1));
    assert.throws(() => expectOk({ data: new Uint8Array(0), sw: 0x6982 }, { operation: 'read-file' }), /log in/);
  });
});
