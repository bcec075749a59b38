import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certificateChainToPkcs7, certificateChainToPkcs7Pem, pkcs7ToCertificates } from '../../../../main/pki/formats/pkcs7.ts';
import { detectFormat } from '../../../../main/pki/formats/detect.ts';
import { fromPem } from '../../../../main/pki/formats/pem.ts';
import { makeFixtures, type Fixtures } from './openssl-fixtures.ts';

let fx: Fixtures;
before(() => { fx = makeFixtures(); });
after(() => fx.remove());

function subjects(text: string): string[] {
  return [...text.matchAll(/^subject=(.*)$/gm)].map((m) => m[1]!.replace(/\s/g, ''));
}

describe('certificateChainToPkcs7', () => {
  it('writes a DER .p7b that openssl pkcs7 -print_certs lists in order', () => {
    writeFileSync(join(fx.dir, 'ours.p7b'), certificateChainToPkcs7([fx.files['leaf.der']!, fx.files['root.der']!]));
    const text = execFileSync('openssl', ['pkcs7', '-inform', 'DER', '-in', 'ours.p7b', '-print_certs', '-noout'], { cwd: fx.dir, encoding: 'utf8' });
    assert.deepEqual(subjects(text), ['CN=FormatsLeaf', 'CN=FormatsRoot']);
  });

  it('writes a PEM variant (label PKCS7) that openssl reads and that carries the same DER', () => {
    const pem = certificateChainToPkcs7Pem([fx.files['leaf.der']!, fx.files['root.der']!]);
    assert.match(pem, /^-----BEGIN PKCS7-----\n/);
    writeFileSync(join(fx.dir, 'ours.p7b.pem'), pem);
    const text = execFileSync('openssl', ['pkcs7', '-in', 'ours.p7b.pem', '-print_certs', '-noout'], { cwd: fx.dir, encoding: 'utf8' });
    assert.deepEqual(subjects(text), ['CN=FormatsLeaf', 'CN=FormatsRoot']);
    assert.deepEqual(fromPem(pem, 'PKCS7'), certificateChainToPkcs7([fx.files['leaf.der']!, fx.files['root.der']!]));
  });

  it('is read by GnuTLS certtool --p7-info with both certificates and no signers', () => {
    const text = execFileSync('certtool', ['--p7-info', '--inder', '--infile', 'ours.p7b'], { cwd: fx.dir, encoding: 'utf8' });
    assert.match(text, /Number of certificates: 2/);
    assert.doesNotMatch(text, /Signer's issuer/);
  });

  it('is detected as PKCS#7 in both encodings', () => {
    const der = certificateChainToPkcs7([fx.files['root.der']!]);
    assert.deepEqual(detectFormat(der), { kind: 'pkcs7', encoding: 'der' });
    assert.deepEqual(detectFormat(Buffer.from(certificateChainToPkcs7Pem([fx.files['root.der']!]))), { kind: 'pkcs7', encoding: 'pem' });
  });

  it('refuses an empty chain and a chain element that is not a certificate', () => {
    assert.throws(() => certificateChainToPkcs7([]), { code: 'INPUT_INVALID' });
    assert.throws(() => certificateChainToPkcs7([fx.files['root.der']!, fx.files['root.crl']!]), { code: 'INPUT_INVALID', message: /element 2/ });
  });
});

describe('pkcs7ToCertificates', () => {
  it('gives back the certificates OpenSSL bundled, byte for byte and in order', () => {
    const certs = pkcs7ToCertificates(fx.files['chain.p7b']!);
    assert.equal(certs.length, 2);
    assert.deepEqual(Buffer.from(certs[0]!), Buffer.from(fx.files['leaf.der']!));
    assert.deepEqual(Buffer.from(certs[1]!), Buffer.from(fx.files['root.der']!));
  });

  it('refuses data that is not a PKCS#7 SignedData', () => {
    assert.throws(() => pkcs7ToCertificates(fx.files['root.der']!), { code: 'FORMAT_UNKNOWN' });
    assert.throws(() => pkcs7ToCertificates(Uint8Array.of(1, 2, 3)), { code: 'FORMAT_UNKNOWN' });
  });
});
