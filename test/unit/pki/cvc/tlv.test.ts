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
});
