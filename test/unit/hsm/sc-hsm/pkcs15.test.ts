import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { decodePrivateKeyDescription, encodePrivateKeyDescription } from '../../../../main/hsm/sc-hsm/pkcs15.ts';
import { isCustosError } from '../../../../main/errors/index.ts';

describe('PKCS#15 private key description', () => {
  it('round-trips an EC key label, id and field size', () => {
    const der = encodePrivateKeyDescription({ kind: 'ec', label: 'Root CA 2026 – Zürich', id: Uint8Array.of(7), keyReference: 7, sizeBits: 384 });
    assert.equal(der[0], 0xa0, 'privateECKey is [0] IMPLICIT');
    const d = decodePrivateKeyDescription(der);
    assert.deepEqual({ ...d, id: [...d.id] }, { kind: 'ec', label: 'Root CA 2026 – Zürich', id: [7], keyReference: 7, sizeBits: 384 });
  });

  it('writes an RSA entry OpenSSL parses as well-formed DER with the modulus length', () => {
    const der = encodePrivateKeyDescription({ kind: 'rsa', label: 'Issuing CA', id: Uint8Array.of(2), keyReference: 2, sizeBits: 4096 });
    assert.equal(der[0], 0x30);
    const parsed = execFileSync('openssl', ['asn1parse', '-inform', 'DER'], { input: Buffer.from(der) }).toString();
    assert.match(parsed, /UTF8STRING\s+:Issuing CA/);
    assert.match(parsed, /INTEGER\s+:1000/);
    assert.equal(decodePrivateKeyDescription(der).sizeBits, 4096);
  });

  it('reports an unreadable entry as FORMAT_UNKNOWN instead of a wrong label', () => {
    for (const bad of [Uint8Array.of(0x04, 0x01, 0x00), Uint8Array.of(0x30, 0x05, 0x01), Uint8Array.of(0x30, 0x00)]) {
      assert.throws(() => decodePrivateKeyDescription(bad), (e) => isCustosError(e) && e.code === 'FORMAT_UNKNOWN');
    }
  });
});
