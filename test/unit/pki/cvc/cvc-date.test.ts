import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCvcDate, decodeCvcDate } from '../../../../main/pki/cvc/cvc.ts';
import { codeOf } from './support.ts';

describe('CVC dates', () => {
  it('writes one digit per byte, YYMMDD in UTC', () => {
    assert.deepEqual([...encodeCvcDate(new Date(Date.UTC(2012, 10, 9, 23, 59)))], [1, 2, 1, 1, 0, 9]);
    assert.equal(decodeCvcDate(Uint8Array.of(3, 2, 1, 1, 0, 8), 'expirationDate').toISOString(), '2032-11-08T00:00:00.000Z');
  });
  it('refuses packed BCD, impossible days and years outside 2000–2099', () => {
    assert.equal(codeOf(() => decodeCvcDate(Uint8Array.of(0x26, 0x08, 0x05), 'effectiveDate')), 'CVC_DATE_INVALID');
    assert.equal(codeOf(() => decodeCvcDate(Uint8Array.of(2, 6, 0, 2, 3, 0), 'effectiveDate')), 'CVC_DATE_INVALID');
    assert.equal(codeOf(() => encodeCvcDate(new Date(Date.UTC(2100, 0, 1)))), 'INPUT_INVALID');
  });
});
