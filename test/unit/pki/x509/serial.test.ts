import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isValidSerialHex, newSerial } from '../../../../main/pki/x509/serial.ts';

describe('newSerial', () => {
  it('gives positive, minimally encoded 16-octet serials, each different', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i += 1) {
      const serial = newSerial((hex) => seen.has(hex));
      assert.match(serial, /^[4-7][0-9a-f]{31}$/);
      assert.ok(isValidSerialHex(serial));
      seen.add(serial);
    }
    assert.equal(seen.size, 2000);
  });

  it('carries at least 64 random bits: every bit below the first two varies', () => {
    let ones = 0n;
    let zeros = 0n;
    const mask = (1n << 126n) - 1n;
    for (let i = 0; i < 300; i += 1) {
      const value = BigInt(`0x${newSerial(() => false)}`);
      ones |= value & mask;
      zeros |= ~value & mask;
    }
    assert.equal(ones, mask);
    assert.equal(zeros, mask);
  });

  it('draws again when a serial is already used', () => {
    const used: string[] = [];
    const serial = newSerial((hex) => { used.push(hex); return used.length < 3; });
    assert.equal(used.length, 3);
    assert.equal(serial, used[2]);
  });

  it('SERIAL_COLLISION when every draw is taken', () => {
    assert.throws(() => newSerial(() => true), (e: unknown) => (e as { code: string }).code === 'SERIAL_COLLISION');
  });

  it('isValidSerialHex accepts what RFC 5280 allows and refuses the rest', () => {
    assert.ok(isValidSerialHex('01'));
    assert.ok(isValidSerialHex('0080'));
    assert.ok(isValidSerialHex('7f'.repeat(20)));
    for (const bad of ['', '00', '0012', '80', 'ABCD', '1', '7f'.repeat(21)]) assert.equal(isValidSerialHex(bad), false, bad);
  });
});
