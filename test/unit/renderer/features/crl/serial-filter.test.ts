// ↔ renderer/features/crl/serial-filter.ts: a serial typed or pasted finds the entries a custodian means.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { entriesMatching, serialFilterOf } from '../../../../../renderer/features/crl/serial-filter.ts';

const entries = [{ serialHex: '203039' }, { serialHex: '20303a' }, { serialHex: '7f00aa12' }, { serialHex: '0a1b2c' }];
const serials = (typed: string): string[] => entriesMatching(entries, typed).map((e) => e.serialHex);

describe('the filter of a CRL preview by serial', () => {
  it('finds the entries whose serial contains what was typed, in either case', () => {
    assert.deepEqual(serials('20303'), ['203039', '20303a']);
    assert.deepEqual(serials('0AA1'), ['7f00aa12']);
  });

  it('takes a serial as OpenSSL prints it (colons), with spaces or 0x', () => {
    assert.deepEqual(serials('20:30:39'), ['203039']);
    assert.deepEqual(serials(' 7f 00 aa 12 '), ['7f00aa12']);
    assert.deepEqual(serials('0x0a1b2c'), ['0a1b2c']);
  });

  it('shows every entry for an empty filter, and none for one that is no serial', () => {
    assert.equal(entriesMatching(entries, '   ').length, entries.length);
    assert.equal(serialFilterOf('serial?'), undefined);
    assert.deepEqual(serials('serial?'), []);
    assert.deepEqual(serials('g1'), []);
  });
});
