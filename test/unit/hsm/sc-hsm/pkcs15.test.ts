import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { decodePrivateKeyDescription, encodePrivateKeyDescription } from '../../../../main/hsm/sc-hsm/pkcs15.ts';

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
});
