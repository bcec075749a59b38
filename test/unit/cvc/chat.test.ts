/** The CHAT in words, as OpenPACE's cvc-print names the bits, and its width against an issuer's. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chatWiderThan, describeChat, encodeChat } from '../../../main/cvc/chat.ts';

describe('CHAT', () => {
  it('writes an authentication terminal\'s five bytes as TR-03110 lays them out', () => {
    const chat = encodeChat('at', 'dv-domestic', ['read-dg1', 'age-verification', 'write-dg17']);
    assert.equal(Buffer.from(chat.bits).toString('hex'), 'a000000101');
    assert.equal(chat.roleOid, '0.4.0.127.0.7.3.1.2.2');
  });

  it('reads the role and the authorizations back in words', () => {
    const seen = describeChat(encodeChat('is', 'terminal', ['read-iris', 'read-fingerprint']));
    assert.equal(seen.roleName, 'Terminal');
    assert.equal(seen.terminalTypeName, 'Inspection system');
    assert.deepEqual(seen.authorizations, ['read-fingerprint', 'read-iris']);
    assert.deepEqual(seen.otherBits, []);
  });

  it('shows RFU bits that name nothing, rather than hiding them', () => {
    const chat = encodeChat('st', 'terminal', ['generate-signature']);
    chat.bits[0]! |= 0x04;
    assert.deepEqual(describeChat(chat).otherBits, [2]);
  });

  it('finds a holder wider than its issuer: an authorization the issuer lacks, or another terminal type', () => {
    const issuer = encodeChat('at', 'dv-domestic', ['read-dg1', 'read-dg2']);
    assert.equal(chatWiderThan(encodeChat('at', 'terminal', ['read-dg1']), issuer), undefined);
    assert.match(chatWiderThan(encodeChat('at', 'terminal', ['read-dg1', 'pin-management']), issuer) ?? '', /pin-management/);
    assert.match(chatWiderThan(encodeChat('st', 'terminal', []), issuer) ?? '', /terminal type/);
  });
});
