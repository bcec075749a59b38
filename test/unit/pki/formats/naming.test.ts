import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertExtensionMatches, exportFileName, formatForFileName, safeBaseName, MAX_BASE_NAME_CHARS } from '../../../../main/pki/formats/naming.ts';
import { makeFixtures, type Fixtures } from './openssl-fixtures.ts';

let fx: Fixtures;
before(() => { fx = makeFixtures(); });
after(() => fx.remove());

describe('exportFileName', () => {
  it('gives one extension per kind and encoding', () => {
    assert.equal(exportFileName('certificate', 'der', 'Root CA'), 'Root_CA.cer');
    assert.equal(exportFileName('certificate', 'pem', 'Root CA'), 'Root_CA.pem');
    assert.equal(exportFileName('pkcs7', 'der', 'chain'), 'chain.p7b');
    assert.equal(exportFileName('pkcs7', 'pem', 'chain'), 'chain.p7b.pem');
    assert.equal(exportFileName('crl', 'der', 'root'), 'root.crl');
    assert.equal(exportFileName('crl', 'pem', 'root'), 'root.crl.pem');
    assert.equal(exportFileName('csr', 'pem', 'leaf'), 'leaf.csr');
    assert.equal(exportFileName('csr', 'der', 'leaf'), 'leaf.csr.der');
    assert.equal(exportFileName('cvc', 'der', 'DETERM00001'), 'DETERM00001.cvcert');
    assert.equal(exportFileName('cvc-request', 'der', 'DETERM00001'), 'DETERM00001.cvreq');
  });

  it('refuses a CV certificate as PEM, which has no such form', () => {
    assert.throws(() => exportFileName('cvc', 'pem', 'x'), { code: 'FORMAT_UNKNOWN' });
  });

  it('reads back what each name promises, longest extension first', () => {
    assert.deepEqual(formatForFileName('a.crl.pem'), { kind: 'crl', encoding: 'pem' });
    assert.deepEqual(formatForFileName('a.PEM'), { kind: 'certificate', encoding: 'pem' });
    assert.equal(formatForFileName('.pem'), undefined);
    assert.equal(formatForFileName('notes.txt'), undefined);
  });
});

describe('safeBaseName', () => {
  it('takes the CN of a subject DN', () => {
    assert.equal(safeBaseName('C=DE, O=Example, CN=Example Root CA 2026'), 'Example_Root_CA_2026');
    assert.equal(safeBaseName('CN=Smith\\, John,O=X'), 'Smith,_John');
  });

  it('strips path separators, traversal, control characters and Windows-forbidden characters', () => {
    assert.equal(safeBaseName('CN=../../etc/passwd'), 'etc_passwd');
    assert.equal(safeBaseName('..\\..\\Windows\\win.ini'), 'Windows_win.ini');
    assert.equal(safeBaseName('a\u0000b\u001bc\u202ed\nx'), 'abcd_x');
    assert.equal(safeBaseName('what?<is>:this|*"'), 'what__is__this');
    assert.doesNotMatch(safeBaseName('CN=/'), /[/\\]/);
  });

  it('never returns an empty, dot or reserved name, and bounds the length', () => {
    assert.equal(safeBaseName(''), 'unnamed');
    assert.equal(safeBaseName('CN=..'), 'unnamed');
    assert.equal(safeBaseName('CN=CON'), '_CON');
    assert.equal(Array.from(safeBaseName('é'.repeat(500))).length, MAX_BASE_NAME_CHARS);
  });
});

describe('assertExtensionMatches', () => {
  it('accepts each OpenSSL artifact under the name Custos would give it', () => {
    const named: [string, string][] = [['root.der', 'r.cer'], ['root.pem', 'r.pem'], ['root.crl', 'r.crl'], ['root.crl.pem', 'r.crl.pem'],
      ['chain.p7b', 'c.p7b'], ['chain.p7b.pem', 'c.p7b.pem'], ['leaf.csr', 'l.csr'], ['leaf.csr.der', 'l.csr.der'], ['device.cvcert', 'd.cvcert'], ['authenticated.cvreq', 'd.cvreq']];
    for (const [file, name] of named) assert.doesNotThrow(() => assertExtensionMatches(name, fx.files[file]!), `${file} as ${name}`);
  });

  it('rejects a PEM certificate written as .cer', () => {
    assert.throws(() => assertExtensionMatches('root.cer', fx.files['root.pem']!), {
      code: 'FORMAT_MISMATCH', message: '"root.cer" is named as a DER certificate but holds a PEM certificate.',
    });
  });

  it('rejects a CRL named as a certificate, a DER .p7b named .p7b.pem, and a private key under any name', () => {
    assert.throws(() => assertExtensionMatches('x.pem', fx.files['root.crl.pem']!), { code: 'FORMAT_MISMATCH' });
    assert.throws(() => assertExtensionMatches('x.p7b.pem', fx.files['chain.p7b']!), { code: 'FORMAT_MISMATCH' });
    assert.throws(() => assertExtensionMatches('x.pem', fx.files['root.key']!), { code: 'FORMAT_MISMATCH', message: /private key/ });
  });

  it('refuses an extension Custos does not write', () => {
    assert.throws(() => assertExtensionMatches('root.txt', fx.files['root.pem']!), { code: 'FORMAT_UNKNOWN' });
  });
});
