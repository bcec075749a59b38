import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandApdu } from '../../../../main/hsm/virtual/apdu.ts';
import { encodeCommandApdu } from '../../../../main/hsm/sc-hsm/apdu.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('command APDU parsing', () => {
  it('reads case 1 as no data and no Le', () => {
    assert.deepEqual(parseCommandApdu(hex('00200081')), { cla: 0, ins: 0x20, p1: 0, p2: 0x81, data: new Uint8Array(0), ne: 0, extended: false });
  });

  it('reads short case 2 with Le 00 as 256 bytes', () => {
    assert.equal(parseCommandApdu(hex('0084000000'))?.ne, 256);
    assert.equal(parseCommandApdu(hex('0084000008'))?.ne, 8);
  });

  it('reads short cases 3 and 4', () => {
    const c3 = parseCommandApdu(hex('00A4000002 2F02'));
    assert.deepEqual([...c3!.data], [0x2f, 0x02]);
    assert.equal(c3!.ne, 0);
    const c4 = parseCommandApdu(hex('00A4000002 2F02 00'));
    assert.equal(c4!.ne, 256);
    assert.equal(c4!.extended, false);
  });

  it('reads extended case 2 with Le 0000 as 65536 bytes', () => {
    const c = parseCommandApdu(hex('80580000 000000'));
    assert.equal(c!.ne, 65536);
    assert.equal(c!.extended, true);
  });

  it('reads extended cases 3 and 4 with data longer than 255 bytes', () => {
    const data = new Uint8Array(300).fill(0xab);
    const c3 = parseCommandApdu(encodeCommandApdu({ cla: 0x80, ins: 0x68, p1: 1, p2: 0x73, data }));
    assert.equal(c3!.data.length, 300);
    assert.equal(c3!.ne, 0);
    const c4 = parseCommandApdu(encodeCommandApdu({ cla: 0x80, ins: 0x68, p1: 1, p2: 0x73, data, ne: 512 }));
    assert.equal(c4!.data.length, 300);
    assert.equal(c4!.ne, 512);
    assert.equal(c4!.extended, true);
  });

  it('refuses APDUs whose Lc does not match the data', () => {
    assert.equal(parseCommandApdu(hex('00A4000005 2F02')), undefined);
    assert.equal(parseCommandApdu(hex('00A4')), undefined);
    assert.equal(parseCommandApdu(hex('80680000 000005 0102')), undefined);
    assert.equal(parseCommandApdu(hex('80680000 0000')), undefined);
  });
});
