import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { detectFormat, type FormatKind, type Encoding } from '../../../../main/pki/formats/detect.ts';
import { toPem } from '../../../../main/pki/formats/pem.ts';
import { makeFixtures, type Fixtures } from './openssl-fixtures.ts';

let fx: Fixtures;
before(() => { fx = makeFixtures(); });
after(() => fx.remove());

const EXPECTED: readonly [string, FormatKind, Encoding][] = [
  ['root.pem', 'certificate', 'pem'],
  ['root.der', 'certificate', 'der'],
  ['leaf.pem', 'certificate', 'pem'],
  ['leaf.der', 'certificate', 'der'],
  ['leaf.csr', 'csr', 'pem'],
  ['leaf.csr.der', 'csr', 'der'],
  ['root.crl.pem', 'crl', 'pem'],
  ['root.crl', 'crl', 'der'],
  ['chain.p7b.pem', 'pkcs7', 'pem'],
  ['chain.p7b', 'pkcs7', 'der'],
  ['device.cvcert', 'cvc', 'der'],
  ['plain.cvreq', 'cvc-request', 'der'],
  ['authenticated.cvreq', 'cvc-request', 'der'],
  ['root.key', 'private-key-refused', 'pem'],
  ['leaf.key', 'private-key-refused', 'pem'],
  ['root.ec.key', 'private-key-refused', 'pem'],
  ['leaf.p8.der', 'private-key-refused', 'der'],
  ['root.ec.der', 'private-key-refused', 'der'],
  ['leaf.rsa.der', 'private-key-refused', 'der'],
  ['leaf.p8enc.der', 'private-key-refused', 'der'],
];

describe('detectFormat', () => {
  it('tells every kind OpenSSL makes apart, in DER and PEM', () => {
    for (const [name, kind, encoding] of EXPECTED) assert.deepEqual(detectFormat(fx.files[name]!), { kind, encoding }, name);
  });

  it('recognises a v1 certificate (no extensions, no version field)', () => {
    assert.equal(detectFormat(fx.files['leaf-v1.pem']!).kind, 'certificate');
  });

  it('refuses a file that holds a certificate and its private key together', () => {
    const both = Buffer.concat([fx.files['leaf.pem']!, fx.files['leaf.key']!]);
    assert.deepEqual(detectFormat(both), { kind: 'private-key-refused', encoding: 'pem' });
  });

  it('refuses a private key hidden under a certificate label', () => {
    assert.equal(detectFormat(Buffer.from(toPem(fx.files['leaf.p8.der']!, 'CERTIFICATE'))).kind, 'private-key-refused');
  });

  it('calls a PEM label that lies about its content unknown', () => {
    assert.deepEqual(detectFormat(Buffer.from(toPem(fx.files['root.crl']!, 'CERTIFICATE'))), { kind: 'unknown', encoding: 'pem' });
  });

  it('calls empty, random, truncated and trailing-garbage data unknown', () => {
    const der = fx.files['root.der']!;
    assert.equal(detectFormat(new Uint8Array()).kind, 'unknown');
    assert.equal(detectFormat(Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff)).kind, 'unknown');
    assert.equal(detectFormat(der.subarray(0, der.length - 1)).kind, 'unknown');
    assert.equal(detectFormat(Buffer.concat([der, Uint8Array.of(0)])).kind, 'unknown');
    assert.equal(detectFormat(Buffer.from('hello, world')).kind, 'unknown');
    assert.equal(detectFormat(fx.files['device.cvcert']!.subarray(0, 20)).kind, 'unknown');
  });
});
