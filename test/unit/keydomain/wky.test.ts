import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWky, encodeWky } from '../../../main/keydomain/wky.ts';
import { NITROKEY_WKY } from '../../fixtures/cvc/real-devices.ts';
import { codeOf } from '../pki/cvc/support.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('.wky file', () => {
  it('splits the real Nitrokey file into blob, PrKD and CV request and writes it back byte for byte', () => {
    const w = decodeWky(NITROKEY_WKY);
    assert.equal(w.blob.length, 0x16b);
    assert.equal(w.prkd?.[0], 0xa0);
    assert.equal(w.certificate?.[0], 0x67);
    assert.equal(w.certificate?.length, 0x1e6 + 4);
    assert.equal(hex(encodeWky(w)), hex(NITROKEY_WKY));
  });

  it('writes and reads a file holding only the blob', () => {
    const blob = Uint8Array.of(1, 2, 3);
    const bytes = encodeWky({ blob });
    assert.equal(hex(bytes), '3005040301' + '0203');
    assert.deepEqual(decodeWky(bytes), { blob });
  });

  it('refuses what sc-hsm-tool would not read with KEY_BLOB_INVALID', () => {
    for (const bad of ['', '3000', '04020102', '3004040101', '3080040101' + '0000', '30020400', '3009040101' + '3000'.repeat(3), '3003240101']) {
      assert.equal(codeOf(() => decodeWky(Uint8Array.from(Buffer.from(bad, 'hex')))), 'KEY_BLOB_INVALID', bad);
    }
  });

  it('refuses to write a certificate without a PrKD', () => {
    assert.equal(codeOf(() => encodeWky({ blob: Uint8Array.of(1), certificate: Uint8Array.of(0x30, 0) })), 'INPUT_INVALID');
  });
});
