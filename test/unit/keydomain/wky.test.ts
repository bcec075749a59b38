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

  it('refuses a file cut short at any length with WKY_TRUNCATED', () => {
    const { wky } = makeWrappedKeyFile(makeDeviceChain(), { curve: 'P-256' });
    for (let length = 0; length < wky.length; length++) {
      assert.equal(codeOf(() => decodeWky(wky.subarray(0, length))), 'WKY_TRUNCATED', `${length} of ${wky.length} bytes`);
    }
  });

  it('refuses a file with bytes after its SEQUENCE with WKY_TRAILING_BYTES', () => {
    const { wky } = makeWrappedKeyFile(makeDeviceChain(), { curve: 'P-256' });
    for (const tail of [[0x00], [0x0a], [0x30, 0x00], [...wky.subarray(0, 16)]]) {
      assert.equal(codeOf(() => decodeWky(Uint8Array.of(...wky, ...tail))), 'WKY_TRAILING_BYTES', hex(Uint8Array.from(tail)));
    }
  });

  it('refuses elements that are not a blob, a key description and a certificate with WKY_MALFORMED', () => {
    const bad: Record<string, string> = {
      'not a SEQUENCE': '04020102',
      'no blob': '3000',
      'an empty blob': '30020400',
      'a constructed blob': '3003240101',
      'an indefinite length': '3080040101' + '0000',
      'four elements': '3009040101' + '3000'.repeat(3),
      'a key description with the tag of an INTEGER': '3006040101' + '020101',
      'a certificate with the tag of an OCTET STRING': '3008040101' + 'a000' + '0401ff',
      'a key description that is not BER inside': '3007040101' + 'a002' + '0405',
    };
    for (const [what, bytes] of Object.entries(bad)) {
      assert.equal(codeOf(() => decodeWky(Uint8Array.from(Buffer.from(bytes, 'hex')))), 'WKY_MALFORMED', what);
    }
  });

  it('refuses to write a certificate without a PrKD', () => {
    assert.equal(codeOf(() => encodeWky({ blob: Uint8Array.of(1), certificate: Uint8Array.of(0x30, 0) })), 'INPUT_INVALID');
  });
});
