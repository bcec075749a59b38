// ↔ main/pki/x509/name-rules.ts: names checked as their bytes are in the DER.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralNames, OtherName } from '@peculiar/asn1-x509';
import { generalNamesCount, generalNamesProblems, nameProblems, visibleText } from '../../../../main/pki/x509/name-rules.ts';
import { nameWithRawValue, utf8Name } from './hostile-requests.ts';

const der = (value: unknown): Uint8Array => new Uint8Array(AsnConvert.serialize(value));
const kinds = (problems: readonly { kind: string; field: string }[]): string[] => problems.map((p) => `${p.field}: ${p.kind}`);
const raw = (typeOid: string, tag: number, bytes: readonly number[]): Uint8Array => der(nameWithRawValue(typeOid, Uint8Array.from([tag, bytes.length, ...bytes])));

describe('nameProblems', () => {
  it('finds nothing in a name within its bounds, in any script', () => {
    assert.deepEqual(nameProblems(der(utf8Name('\u0634\u0631\u0643\u0629 M\u00fcller \u65e5\u672c'))), []);
    assert.deepEqual(nameProblems(raw('2.5.4.3', 0x1e, [0x00, 0x41, 0x00, 0xe9])), [], 'BMPString "Aé"');
  });

  it('counts characters, not bytes, against the bounds: 64 umlauts pass as CN, 65 do not', () => {
    assert.deepEqual(nameProblems(der(utf8Name('\u00fc'.repeat(64)))), []);
    assert.deepEqual(kinds(nameProblems(der(utf8Name('\u00fc'.repeat(65))))), ['subject CN: too-long']);
    assert.deepEqual(kinds(nameProblems(der(utf8Name('1'.repeat(65), '2.5.4.5')))), ['subject serialNumber: too-long']);
    assert.deepEqual(kinds(nameProblems(der(utf8Name('u'.repeat(257), '0.9.2342.19200300.100.1.1')))), ['subject UID: too-long']);
  });

  it('refuses BMPString with a lone surrogate, UniversalString past U+10FFFF, and TeletexString', () => {
    assert.deepEqual(kinds(nameProblems(raw('2.5.4.3', 0x1e, [0xd8, 0x00, 0x00, 0x41]))), ['subject CN: encoding']);
    assert.deepEqual(kinds(nameProblems(raw('2.5.4.3', 0x1c, [0x00, 0x11, 0x00, 0x00]))), ['subject CN: encoding']);
    assert.deepEqual(kinds(nameProblems(raw('2.5.4.3', 0x14, [0x41, 0xc8, 0x61]))), ['subject CN: encoding']);
  });

  it('refuses control characters hidden in a BMPString (ESC as 00 1B)', () => {
    assert.deepEqual(kinds(nameProblems(raw('2.5.4.3', 0x1e, [0x00, 0x41, 0x00, 0x1b]))), ['subject CN: characters']);
  });
});

describe('generalNamesProblems', () => {
  it('checks an otherName\u2019s string value (a UPN with a right-to-left override)', () => {
    const upn = new GeneralName({ otherName: new OtherName({ typeId: '1.3.6.1.4.1.311.20.2.3', value: Uint8Array.from([0x0c, 8, ...Buffer.from('a@b.test')]).buffer }) });
    assert.equal(generalNamesCount(der(new GeneralNames([upn]))), 1);
    assert.deepEqual(generalNamesProblems(der(new GeneralNames([upn]))), []);
    const evil = Uint8Array.from([0x0c, 7, ...Buffer.from('a\u202eb', 'utf8'), 0x40, 0x62]);
    const withRlo = new GeneralName({ otherName: new OtherName({ typeId: '1.3.6.1.4.1.311.20.2.3', value: evil.buffer }) });
    assert.deepEqual(kinds(generalNamesProblems(der(new GeneralNames([new GeneralName({ dNSName: 'a.example.test' }), withRlo])))), ['subjectAltName otherName #2: characters']);
  });

  it('refuses a URI of 256 characters and passes one of 255', () => {
    const uri = (n: number): Uint8Array => der(new GeneralNames([new GeneralName({ uniformResourceIdentifier: `https://e.test/${'p'.repeat(n - 15)}` })]));
    assert.deepEqual(generalNamesProblems(uri(255)), []);
    assert.deepEqual(kinds(generalNamesProblems(uri(256))), ['subjectAltName uniformResourceIdentifier #1: too-long']);
  });
});

describe('visibleText (core)', () => {
  it('writes control and bidi characters as \\u{…} and leaves the rest', () => {
    assert.equal(visibleText('a\u0000b\u001b[1mc\u202e\u2028d \u00fc\u200f'), 'a\\u{0}b\\u{1B}[1mc\\u{202E}\\u{2028}d \u00fc\u200f');
  });
});
