import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { decodeWky, encodeWky } from '../../../main/keydomain/wky.ts';
import { makeDeviceChain, makeWrappedKeyFile } from '../../support/cvc-chain.ts';
import { codeOf } from '../pki/cvc/support.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('.wky file', () => {
  it('splits a card-shaped file into blob, PrKD and CV request and writes it back byte for byte', () => {
    const made = makeWrappedKeyFile(makeDeviceChain(), { curve: 'secp256k1' });
    const w = decodeWky(made.wky);
    assert.equal(hex(w.blob), hex(made.blob));
    assert.equal(hex(w.prkd!), hex(made.prkd));
    assert.equal(hex(w.certificate!), hex(made.request.raw));
    // A secp256k1 blob is 363 bytes and its authenticated request 490, as a real card writes them.
    assert.equal(w.blob.length, 0x16b);
    assert.equal(w.certificate?.length, 0x1e6 + 4);
    assert.equal(hex(encodeWky(w)), hex(made.wky));
    // OpenSSL reads the file as one DER SEQUENCE of OCTET STRING, PrKD [0] and request [APPLICATION 7].
    const parsed = execFileSync('openssl', ['asn1parse', '-inform', 'DER'], { input: made.wky }).toString();
    assert.deepEqual([...parsed.matchAll(/d=([01]) .*?(?:prim|cons): (.*?)(?: {2,}|:|$)/gm)].map((m) => `${m[1]} ${m[2]}`),
      ['0 SEQUENCE', '1 OCTET STRING', '1 cont [ 0 ]', '1 appl [ 7 ]']);
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
