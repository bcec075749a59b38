import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTlv, encodeTlv, children } from '../../../../main/pki/cvc/tlv.ts';
import { isCustosError } from '../../../../main/errors/index.ts';

function codeOf(fn: () => unknown): string | undefined {
  try { fn(); } catch (e) { return isCustosError(e) ? e.code : 'UNTYPED'; }
  return undefined;
}

describe('tlv', () => {
  it('round-trips a two-byte-tag constructed TLV with a long length', () => {
    const inner = encodeTlv(0x5f20, new Uint8Array(300).fill(0x41));
    const outer = encodeTlv(0x7f21, [inner]);
    const t = decodeTlv(outer);
    assert.equal(t.tag, 0x7f21);
    assert.equal(t.constructed, true);
    const [c] = children(t);
    assert.equal(c?.tag, 0x5f20);
    assert.equal(c?.value.length, 300);
  });
  it('rejects a value that runs past the end with TLV_TRUNCATED', () => {
    assert.equal(codeOf(() => decodeTlv(Uint8Array.of(0x42, 0x05, 1, 2))), 'TLV_TRUNCATED');
  });
  it('rejects bytes after the TLV with TLV_TRAILING_BYTES', () => {
    assert.equal(codeOf(() => decodeTlv(Uint8Array.of(0x42, 0x01, 1, 0))), 'TLV_TRAILING_BYTES');
  });
  it('rejects an indefinite length with TLV_MALFORMED', () => {
    assert.equal(codeOf(() => decodeTlv(Uint8Array.of(0x62, 0x80, 0, 0))), 'TLV_MALFORMED');
  });
  it('rejects a tag of more than three bytes with TLV_MALFORMED', () => {
    assert.equal(codeOf(() => decodeTlv(Uint8Array.of(0x7f, 0x81, 0x81, 0x01, 0x00))), 'TLV_MALFORMED');
  });
  it('rejects a length field of more than three bytes with TLV_MALFORMED', () => {
    assert.equal(codeOf(() => decodeTlv(Uint8Array.of(0x42, 0x84, 0, 0, 0, 1, 0x41))), 'TLV_MALFORMED');
  });
  it('rejects a length field cut short with TLV_TRUNCATED', () => {
    assert.equal(codeOf(() => decodeTlv(Uint8Array.of(0x42, 0x82, 0x01))), 'TLV_TRUNCATED');
  });
  it('rejects tag bytes 00 and FF (padding, not data) with TLV_MALFORMED', () => {
    assert.equal(codeOf(() => decodeTlv(Uint8Array.of(0x00, 0x00))), 'TLV_MALFORMED');
    assert.equal(codeOf(() => decodeTlv(Uint8Array.of(0xff, 0x00))), 'TLV_MALFORMED');
  });
  it('refuses to read children of a primitive TLV', () => {
    assert.equal(codeOf(() => children(decodeTlv(Uint8Array.of(0x42, 0x02, 0x42, 0x00)))), 'TLV_MALFORMED');
  });
  it('encodes lengths in the shortest form: 7F, 81 80, 82 01 00', () => {
    assert.deepEqual([...encodeTlv(0x42, new Uint8Array(0x7f)).subarray(0, 2)], [0x42, 0x7f]);
    assert.deepEqual([...encodeTlv(0x42, new Uint8Array(0x80)).subarray(0, 3)], [0x42, 0x81, 0x80]);
    assert.deepEqual([...encodeTlv(0x5f20, new Uint8Array(0x100)).subarray(0, 5)], [0x5f, 0x20, 0x82, 0x01, 0x00]);
  });
});
