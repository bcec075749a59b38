/**
 * Requests that lie (issue #14, Deliver 5): each is made for real and refused
 * at import with its own code; the requests OpenSSL makes still pass.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, verify } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { Extension, GeneralName } from '@peculiar/asn1-x509';
import { OID } from '../../../../main/pki/oids.ts';
import { MAX_SUBJECT_ALT_NAMES, parseCsrFile, rereadImportedCsr } from '../../../../main/pki/x509/csr.ts';
import { parseSubject } from '../../../../main/ca/subject.ts';
import {
  ecRequest, indefiniteLength, nameWithRawValue, nonMinimalLength, opensslRequestWithSans, outerLengthOneShort,
  rsaEvenExponentRequest, rsaEvenModulusRequest, rsaExponentOneRequest, rsaSmallExponentRequest, sanExtension, utf8Name,
} from './hostile-requests.ts';
import { opensslRequest, toPem } from './requests.ts';

function refused(bytes: Uint8Array, code: string, details: Record<string, unknown> = {}): string {
  let message = '';
  assert.throws(() => parseCsrFile(bytes), (e: unknown) => {
    const err = e as { code?: string; message: string; details?: Record<string, unknown> };
    assert.equal(err.code, code, err.message);
    for (const [k, v] of Object.entries(details)) assert.equal(err.details?.[k], v, `details.${k}`);
    message = err.message;
    return true;
  });
  return message;
}

const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];

describe('parseCsrFile refuses RSA keys no careful CA certifies', () => {
  it('CSR_KEY_WEAK for e = 1, whose "signature" is the padded digest and verifies without any private key', async () => {
    const der = await rsaExponentOneRequest(utf8Name('e1.example.test'));
    // The forgery is real: the self-signature verifies with the request's own key.
    const csr = AsnConvert.parse(der, CertificationRequest);
    const info = new Uint8Array(AsnConvert.serialize(csr.certificationRequestInfo));
    const spki = AsnConvert.serialize(csr.certificationRequestInfo.subjectPKInfo);
    assert.equal(verify('sha256', info, { key: Buffer.from(spki), format: 'der', type: 'spki' }, new Uint8Array(csr.signature)), true);
    const message = refused(der, 'CSR_KEY_WEAK', { field: 'publicExponent' });
    assert.match(message, /publicExponent is 1;/);
  });

  it('CSR_KEY_WEAK for an even exponent, naming publicExponent', async () => {
    assert.match(refused(await rsaEvenExponentRequest(utf8Name('even-e.example.test')), 'CSR_KEY_WEAK', { field: 'publicExponent' }), /publicExponent is 65538, an even number/);
  });

  it('CSR_KEY_WEAK for e = 3, though the request is signed with its private key', async () => {
    assert.match(refused(await rsaSmallExponentRequest(utf8Name('e3.example.test')), 'CSR_KEY_WEAK', { field: 'publicExponent' }), /publicExponent is 3; it must be at least 65537/);
  });

  it('CSR_KEY_WEAK for an even modulus, naming modulus', async () => {
    assert.match(refused(await rsaEvenModulusRequest(utf8Name('even-n.example.test')), 'CSR_KEY_WEAK', { field: 'modulus' }), /modulus is an even number/);
  });

  it('still reads an OpenSSL RSA 2048 request (e = 65537)', async () => {
    const ok = await opensslRequest('rsa:2048', '/CN=rsa.example.test');
    assert.deepEqual(parseCsrFile(ok.der)[0]!.keySpec, { kind: 'rsa', bits: 2048 });
  });
});

describe('parseCsrFile refuses names that hide or fake text', () => {
  it('CSR_NAME_TOO_LONG for a 100,000-character CN, naming ub-common-name', async () => {
    const message = refused(await ecRequest(utf8Name('a'.repeat(100_000))), 'CSR_NAME_TOO_LONG', { field: 'subject CN' });
    assert.match(message, /100000 characters; at most 64 .*ub-common-name/);
  });

  it('CSR_NAME_TOO_LONG at 65 characters of CN, 65 of O, 129 of L, 3 of C, 256 of emailAddress; the bounds themselves pass', async () => {
    refused(await ecRequest(utf8Name('c'.repeat(65))), 'CSR_NAME_TOO_LONG', { field: 'subject CN' });
    refused(await ecRequest(utf8Name('o'.repeat(65), '2.5.4.10')), 'CSR_NAME_TOO_LONG', { field: 'subject O' });
    refused(await ecRequest(utf8Name('l'.repeat(129), '2.5.4.7')), 'CSR_NAME_TOO_LONG', { field: 'subject L' });
    refused(await ecRequest(nameWithRawValue('2.5.4.6', Uint8Array.of(0x13, 3, ...ascii('DEU')))), 'CSR_NAME_TOO_LONG', { field: 'subject C' });
    refused(await ecRequest(nameWithRawValue('1.2.840.113549.1.9.1', Uint8Array.of(0x16, 0x82, 0x01, 0x00, ...ascii(`${'m'.repeat(243)}@example.test`)))), 'CSR_NAME_TOO_LONG', { field: 'subject emailAddress' });
    const atBounds = await opensslRequest('P-256', `/C=DE/L=${'l'.repeat(128)}/O=${'o'.repeat(64)}/CN=${'c'.repeat(64)}`);
    assert.equal(parseCsrFile(atBounds.der)[0]!.subject.rdns.length, 4);
  });

  for (const [what, value, shown] of [
    ['NUL', 'host\u0000.example.test', 'U+0000'],
    ['a newline that fakes a lint line', 'x.example.test\nlint info: checked', 'U+000A'],
    ['an ANSI escape', 'x\u001b[2J\u001b[31m.example.test', 'U+001B'],
    ['a right-to-left override', 'moc.\u202eelgoog', 'U+202E'],
    ['a right-to-left isolate', 'a\u2067b', 'U+2067'],
    ['a C1 control', 'a\u009bb', 'U+009B'],
  ] as const) {
    it(`CSR_NAME_CHARACTERS for a CN with ${what}`, async () => {
      assert.match(refused(await ecRequest(utf8Name(value)), 'CSR_NAME_CHARACTERS', { field: 'subject CN' }), new RegExp(shown.replace('+', '\\+')));
    });
  }

  it('CSR_NAME_ENCODING for invalid UTF-8 in a UTF8String, instead of re-encoding it', async () => {
    // 5 bytes: "A", then C3 28 (a lead byte without its continuation), A0 A1 (continuations without a lead).
    const der = await ecRequest(nameWithRawValue('2.5.4.3', Uint8Array.of(0x0c, 5, 0x41, 0xc3, 0x28, 0xa0, 0xa1)));
    assert.match(refused(der, 'CSR_NAME_ENCODING', { field: 'subject CN' }), /not valid UTF-8/);
  });

  it('CSR_NAME_ENCODING for an overlong UTF-8 form of "/" and for a PrintableString with "@"', async () => {
    refused(await ecRequest(nameWithRawValue('2.5.4.3', Uint8Array.of(0x0c, 2, 0xc0, 0xaf))), 'CSR_NAME_ENCODING');
    refused(await ecRequest(nameWithRawValue('2.5.4.3', Uint8Array.of(0x13, 3, ...ascii('a@b')))), 'CSR_NAME_ENCODING');
  });

  it('CSR_NAME_CHARACTERS for a SAN dNSName with a newline, and a directoryName with a right-to-left override', async () => {
    refused(await ecRequest(utf8Name('san.example.test'), [sanExtension([new GeneralName({ dNSName: 'ok.example.test' }), new GeneralName({ dNSName: 'a.example.test\r\nlint info: ok' })])]),
      'CSR_NAME_CHARACTERS', { field: 'subjectAltName dNSName #2' });
    refused(await ecRequest(utf8Name('san.example.test'), [sanExtension([new GeneralName({ directoryName: utf8Name('evil\u202etxt.exe') })])]),
      'CSR_NAME_CHARACTERS', { field: 'subjectAltName directoryName #1 (directoryName) CN' });
  });

  it('CSR_NAME_ENCODING for a SAN rfc822Name with bytes above 0x7F', async () => {
    // [1] IMPLICIT IA5String holding "ü" as UTF-8 (C3 BC).
    const generalNames = Uint8Array.of(0x30, 8, 0x81, 6, ...ascii('a'), 0xc3, 0xbc, ...ascii('@b.'));
    const ext = new Extension({ extnID: OID.subjectAltName, critical: false, extnValue: new OctetString(generalNames) });
    refused(await ecRequest(utf8Name('mail.example.test'), [ext]), 'CSR_NAME_ENCODING', { field: 'subjectAltName rfc822Name #1' });
  });

  it('still reads UTF-8 names from OpenSSL: accents, and Arabic with its implicit right-to-left mark', async () => {
    const ok = await opensslRequest('P-256', '/O=M\u00fcller & S\u00f6hne GmbH/CN=\u0634\u0631\u0643\u0629\u200f.example', [], { utf8: true });
    const [csr] = parseCsrFile(ok.der);
    assert.deepEqual(csr!.subject.rdns.map((r) => r[0]!.value), ['M\u00fcller & S\u00f6hne GmbH', '\u0634\u0631\u0643\u0629\u200f.example']);
  });

  it('a stored request refused by these rules says so when read again, instead of "changed since import"', async () => {
    const der = await ecRequest(utf8Name('x\u001b[31m'));
    assert.throws(() => rereadImportedCsr(der, createHash('sha256').update(der).digest('hex')), { code: 'CSR_NAME_CHARACTERS' });
  });
});

describe('parseCsrFile accepts DER only', () => {
  let good: Uint8Array;
  before(async () => { good = await ecRequest(parseSubject('C=DE, O=Example, CN=der.example.test')); });

  it('reads the request these variants are made from', () => assert.equal(parseCsrFile(good).length, 1));

  it('CSR_NOT_DER for an indefinite outer length, saying what was found', () => {
    assert.match(refused(indefiniteLength(good), 'CSR_NOT_DER', { found: 'an indefinite length (BER, not DER) at byte 0' }), /indefinite length/);
  });

  it('CSR_NOT_DER for a length not in its shortest form', () => {
    assert.match(refused(nonMinimalLength(good), 'CSR_NOT_DER'), /not in its shortest form/);
  });

  it('CSR_NOT_DER for a CN written as a constructed UTF8String', async () => {
    const pieces = Uint8Array.of(0x2c, 10, 0x0c, 3, ...ascii('abc'), 0x0c, 3, ...ascii('def'));
    assert.match(refused(await ecRequest(nameWithRawValue('2.5.4.3', pieces)), 'CSR_NOT_DER'), /constructed pieces/);
  });

  it('CSR_NOT_DER for a requested extension whose value is BER', async () => {
    // GeneralNames with an indefinite length around one dNSName.
    const ber = Uint8Array.of(0x30, 0x80, 0x82, 3, ...ascii('a.b'), 0x00, 0x00);
    const ext = new Extension({ extnID: OID.subjectAltName, critical: false, extnValue: new OctetString(ber) });
    refused(await ecRequest(utf8Name('ber.example.test'), [ext]), 'CSR_NOT_DER', { extension: OID.subjectAltName });
  });

  it('CSR_MALFORMED for an outer length one byte short', () => {
    assert.match(refused(outerLengthOneShort(good), 'CSR_MALFORMED'), /runs past the end of the value at byte 0/);
  });

  it('CSR_MALFORMED for a file cut short, saying how much is missing', () => {
    assert.match(refused(good.subarray(0, good.length - 7), 'CSR_MALFORMED'), new RegExp(`needs ${good.length} bytes where the file has ${good.length - 7}`));
  });

  it('CSR_TRAILING_BYTES for a PEM with text after its END line; text before the BEGIN line is still read', () => {
    const pem = toPem('CERTIFICATE REQUEST', good);
    refused(text(`${pem}this line was not signed\n`), 'CSR_TRAILING_BYTES', { trailingBytes: 25 });
    assert.equal(parseCsrFile(text(`Certificate Request:\n    Subject: CN=der.example.test\n${pem}\n\n`)).length, 1);
  });

  it('CSR_NOT_DER for BER inside a PEM block', () => { refused(text(toPem('CERTIFICATE REQUEST', indefiniteLength(good))), 'CSR_NOT_DER'); });
});

describe('parseCsrFile and many names', () => {
  it(`CSR_TOO_MANY_NAMES for a valid OpenSSL request with 10,000 SANs, stating the limit of ${MAX_SUBJECT_ALT_NAMES}`, async () => {
    const der = await opensslRequestWithSans(10_000);
    assert.match(refused(der, 'CSR_TOO_MANY_NAMES', { names: 10_000, maxNames: MAX_SUBJECT_ALT_NAMES }), /asks for 10000 names .* at most 1000/);
  });

  it(`reads every name of a valid OpenSSL request with ${MAX_SUBJECT_ALT_NAMES} SANs`, async () => {
    const [csr] = parseCsrFile(await opensslRequestWithSans(MAX_SUBJECT_ALT_NAMES));
    assert.equal(csr!.subjectAltNames.dns.length, MAX_SUBJECT_ALT_NAMES);
    assert.equal(csr!.subjectAltNames.dns[999], 'n1000.example.test');
  });
});
