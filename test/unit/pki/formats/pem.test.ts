import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fromPem, readPemBlocks, toPem } from '../../../../main/pki/formats/pem.ts';

describe('toPem', () => {
  it('writes 64-character lines that OpenSSL decodes to the same bytes', () => {
    const der = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 73 + 11) & 0xff));
    const pem = toPem(der, 'CERTIFICATE');
    const lines = pem.trimEnd().split('\n');
    assert.equal(lines[0], '-----BEGIN CERTIFICATE-----');
    assert.equal(lines.at(-1), '-----END CERTIFICATE-----');
    assert.ok(lines.slice(1, -2).every((l) => l.length === 64));
    const decoded = execFileSync('openssl', ['base64', '-d'], { input: lines.slice(1, -1).join('\n') + '\n' });
    assert.deepEqual(decoded, der);
  });

  it('refuses a label RFC 7468 does not allow', () => {
    assert.throws(() => toPem(Uint8Array.of(1), 'BAD-----LABEL'), { code: 'INPUT_INVALID' });
    assert.throws(() => toPem(Uint8Array.of(1), ''), { code: 'INPUT_INVALID' });
  });
});

describe('fromPem', () => {
  const der = Uint8Array.from({ length: 100 }, (_, i) => (i * 151 + 7) & 0xff);
  const pem = toPem(der, 'X509 CRL');

  it('reads back what toPem wrote, with CRLF lines and explanatory text around it', () => {
    assert.deepEqual(fromPem(pem, 'X509 CRL'), der);
    assert.deepEqual(fromPem(`Issuer: test\r\n${pem.replace(/\n/g, '\r\n')}trailing words\n`, 'X509 CRL'), der);
  });

  it('accepts any of several expected labels', () => {
    assert.deepEqual(fromPem(toPem(der, 'CMS'), ['PKCS7', 'CMS']), der);
  });

  it('refuses another label with FORMAT_MISMATCH', () => {
    assert.throws(() => fromPem(pem, 'CERTIFICATE'), { code: 'FORMAT_MISMATCH', message: /holds "X509 CRL", not "CERTIFICATE"/ });
  });

  it('refuses text with no PEM block, two blocks, or a missing END line', () => {
    assert.throws(() => fromPem('just words', 'X509 CRL'), { code: 'FORMAT_UNKNOWN' });
    assert.throws(() => fromPem(pem + pem, 'X509 CRL'), { code: 'FORMAT_MISMATCH', message: /2 blocks/ });
    assert.throws(() => fromPem(pem.replace('-----END X509 CRL-----', ''), 'X509 CRL'), { code: 'FILE_TRUNCATED' });
    assert.throws(() => fromPem(pem.replace('-----END X509 CRL-----', '-----END CERTIFICATE-----'), 'X509 CRL'), { code: 'FILE_TRUNCATED' });
  });

  it('refuses bad base64: foreign characters, wrong padding, non-canonical trailing bits, headers', () => {
    const body = pem.split('\n').slice(1, -2).join('\n');
    const wrap = (b: string) => `-----BEGIN X509 CRL-----\n${b}\n-----END X509 CRL-----\n`;
    assert.throws(() => fromPem(wrap(`*${body.slice(1)}`), 'X509 CRL'), { code: 'FORMAT_UNKNOWN' });
    assert.throws(() => fromPem(wrap(`${body}=`), 'X509 CRL'), { code: 'FORMAT_UNKNOWN' });
    assert.throws(() => fromPem(wrap('QQ=='.replace('QQ', 'QR')), 'X509 CRL'), { code: 'FORMAT_UNKNOWN', message: /non-canonical/ });
    assert.throws(() => fromPem(wrap(`Proc-Type: 4,ENCRYPTED\n\n${body}`), 'X509 CRL'), { code: 'FORMAT_UNKNOWN' });
    assert.throws(() => fromPem(wrap(''), 'X509 CRL'), { code: 'FORMAT_UNKNOWN' });
  });

  it('lists every block of a chain file in order', () => {
    const a = Uint8Array.of(1, 2, 3);
    const b = Uint8Array.of(4, 5, 6);
    assert.deepEqual(readPemBlocks(toPem(a, 'CERTIFICATE') + toPem(b, 'CERTIFICATE')).map((x) => Array.from(x.der)), [[1, 2, 3], [4, 5, 6]]);
  });
});
