import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isValidHolderReference, decodeHolderReference, serialFromDeviceChr } from '../../../../main/pki/cvc/cvc.ts';
import { codeOf } from './support.ts';

describe('holder references', () => {
  it('accepts 8 to 16 printable characters and nothing else', () => {
    assert.equal(isValidHolderReference('DECA0001'), true);
    assert.equal(isValidHolderReference('DENK040414400000'), true);
    assert.equal(isValidHolderReference('DECA001'), false);
    assert.equal(isValidHolderReference('DENK0404144000001'), false);
    assert.equal(isValidHolderReference('DENK\u00e90404144'), false);
    assert.equal(isValidHolderReference('DENK\n0404144'), false);
  });
  it('decodes a CHR of 17 bytes as CVC_HOLDER_REFERENCE_INVALID', () => {
    assert.equal(codeOf(() => decodeHolderReference(new Uint8Array(17).fill(0x41), 'CHR')), 'CVC_HOLDER_REFERENCE_INVALID');
  });
  it('gives the OpenSC token serial: the device CHR without its 5-character sequence', () => {
    assert.equal(serialFromDeviceChr('DENK010570200000'), 'DENK0105702');
  });
});
