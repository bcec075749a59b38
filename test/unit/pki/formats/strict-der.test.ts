import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findDerViolation, isBerOnly } from '../../../../main/pki/formats/strict-der.ts';
import { opensslRequest } from '../x509/requests.ts';
import { runTool } from '../../../support/openssl.ts';
import { readCertificate } from '../../../../main/pki/x509/tbs-reader.ts';

const kind = (bytes: number[]): string | undefined => findDerViolation(Uint8Array.from(bytes))?.kind;

describe('findDerViolation', () => {
  it('finds nothing in DER that OpenSSL wrote: a request, a certificate and a CRL', async () => {
    const req = await opensslRequest('rsa:2048', '/C=DE/O=Example/CN=der.example.test', ['subjectAltName=DNS:a.example.test', 'basicConstraints=critical,CA:FALSE']);
    assert.equal(findDerViolation(req.der), undefined);
    const made = await runTool('openssl', ['req', '-x509', '-key', 'k.pem', '-subj', '/CN=Root', '-days', '1', '-outform', 'DER', '-out', 'c.der'], { files: { 'k.pem': req.keyPem }, outputs: ['c.der'] });
    const cert = made.outputs['c.der']!;
    assert.equal(findDerViolation(cert), undefined);
    // The same rule holds where certificates are read: the outer length made non-minimal is refused.
    assert.equal(readCertificate(cert).certDer, cert);
    const long = cert[1] === 0x82 ? Uint8Array.from([0x30, 0x83, 0x00, ...cert.subarray(2)]) : undefined;
    assert.ok(long);
    assert.throws(() => readCertificate(long), { code: 'INPUT_INVALID' });
  });

  it('reports each BER form as BER-only, with the offset of its header', () => {
    assert.equal(kind([0x30, 0x80, 0x05, 0x00, 0x00, 0x00]), 'indefinite-length');
    assert.equal(kind([0x30, 0x81, 0x02, 0x05, 0x00]), 'non-minimal-length');
    assert.equal(kind([0x30, 0x82, 0x00, 0x02, 0x05, 0x00]), 'non-minimal-length');
    assert.equal(kind([0x24, 0x06, 0x04, 0x01, 0x61, 0x04, 0x01, 0x62]), 'constructed-string');
    assert.equal(kind([0x30, 0x03, 0x01, 0x01, 0x01]), 'boolean-not-ff');
    assert.equal(kind([0x1f, 0x02, 0x00]), 'non-minimal-tag');
    assert.deepEqual(findDerViolation(Uint8Array.of(0x30, 0x04, 0x30, 0x80, 0x00, 0x00)), { kind: 'indefinite-length', offset: 2 });
    for (const bytes of [[0x30, 0x80, 0x00, 0x00], [0x30, 0x81, 0x00]]) assert.equal(isBerOnly(findDerViolation(Uint8Array.from(bytes))!), true);
  });

  it('tells a cut file, a container one byte short and bytes after the value apart', () => {
    assert.equal(kind([0x30, 0x04, 0x05, 0x00]), 'truncated');
    // The outer SEQUENCE says 5 bytes; the SEQUENCE inside it needs 6.
    assert.deepEqual(findDerViolation(Uint8Array.of(0x30, 0x05, 0x30, 0x04, 0x05, 0x00, 0x05, 0x00)), { kind: 'overruns-container', offset: 2, containerOffset: 0 });
    assert.deepEqual(findDerViolation(Uint8Array.of(0x30, 0x02, 0x05, 0x00, 0x0a)), { kind: 'trailing-bytes', offset: 4, trailingBytes: 1 });
    assert.equal(kind([]), 'truncated');
  });

  it('refuses nesting deeper than any certificate, walking it without recursion', () => {
    const nested: number[] = [];
    for (let i = 0; i < 70; i++) nested.push(0x30, 2 * (69 - i));
    assert.equal(findDerViolation(Uint8Array.from(nested))?.kind, 'malformed');
    assert.equal(findDerViolation(Uint8Array.from(nested.slice(2 * 10))), undefined, '60 levels are walked');
  });
});
