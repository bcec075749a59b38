import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CaState, normalizeSerial } from '../../../main/ca/state.ts';
import type { JournalEntry } from '../../../main/journal/index.ts';

let seq = 0;
const entry = (kind: string, data: Record<string, unknown>, intent?: number): JournalEntry => ({
  seq: ++seq, time: new Date(0).toISOString(), kind, operator: 'test', data: data as JournalEntry['data'], prev: '', hash: '', ...(intent ? { intent } : {}),
});

describe('CaState', () => {
  it('never reuses a CRL number reserved by an intent that failed', () => {
    const intent = entry('crl.issue.intent', { caId: 'ca', crlNumber: '7' });
    const state = CaState.fromEntries([intent, entry('crl.issue.failed', { code: 'SIGN_FAILED', message: 'x' }, intent.seq)]);
    assert.equal(state.lastCrlNumber.get('ca'), 7n);
    assert.equal(state.crls.get('ca'), undefined);
  });

  it('counts a serial as used from its intent on, signed or not', () => {
    const state = CaState.fromEntries([entry('certificate.issue.intent', { caId: 'ca', serialHex: '00AB12' })]);
    assert.equal(state.isSerialUsed('ca', 'ab12'), true);
    assert.equal(state.isSerialUsed('other', 'ab12'), false);
  });

  it('compares serials without a DER padding octet and case', () => {
    assert.equal(normalizeSerial('00FF01'), 'ff01');
    assert.equal(normalizeSerial('01'), '01');
    assert.equal(normalizeSerial('0001'), '01');
  });
});
