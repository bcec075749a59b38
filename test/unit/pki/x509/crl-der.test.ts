import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AsnArray, AsnConvert, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { CRLReason, Extension, InvalidityDate, RevokedCertificate, Time } from '@peculiar/asn1-x509';
import fc from 'fast-check';
import { normalizeSerialHex, prepareRevokedCertificates, readDerHeader, writeDerHeader, derLengthSize } from '../../../../main/pki/x509/crl-der.ts';
import { CRL_REASON_CODES, type CrlReason, type RevokedEntry } from '../../../../main/pki/x509/revocation.ts';
import { OID } from '../../../../main/pki/oids.ts';
import { ROBUSTNESS_RUNS, ROBUSTNESS_SEED } from '../../../fixtures/cvc/mutations.ts';

/** revokedCertificates as @peculiar/asn1-x509 declares it: SEQUENCE OF RevokedCertificate. */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: RevokedCertificate })
class RevokedCertificates extends AsnArray<RevokedCertificate> {}

/** The same list built entry by entry with the ASN.1 library, in ascending serial order. */
function libraryDer(entries: readonly RevokedEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => {
    const x = BigInt(`0x${a.serialHex}`);
    const y = BigInt(`0x${b.serialHex}`);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const list = new RevokedCertificates(sorted.map((e) => {
    let hex = normalizeSerialHex(e.serialHex);
    if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
    const extensions: Extension[] = [];
    if (e.reason !== undefined && e.reason !== 'unspecified') {
      extensions.push(new Extension({ extnID: OID.crlReason, extnValue: new OctetString(AsnConvert.serialize(new CRLReason(CRL_REASON_CODES[e.reason]))) }));
    }
    if (e.invalidityDate !== undefined) {
      extensions.push(new Extension({ extnID: OID.invalidityDate, extnValue: new OctetString(AsnConvert.serialize(new InvalidityDate(e.invalidityDate))) }));
    }
    return new RevokedCertificate({
      userCertificate: new Uint8Array(Buffer.from(hex, 'hex')).buffer,
      revocationDate: new Time(e.revocationDate),
      ...(extensions.length > 0 ? { crlEntryExtensions: extensions } : {}),
    });
  }));
  return Buffer.from(AsnConvert.serialize(list));
}

function ourDer(entries: readonly RevokedEntry[]): Buffer {
  const list = prepareRevokedCertificates(entries);
  const out = Buffer.alloc(list.byteLength);
  assert.equal(list.writeTo(out, 0), out.length);
  return out;
}

const REASONS: readonly (CrlReason | undefined)[] = [undefined, 'unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded',
  'cessationOfOperation', 'certificateHold', 'privilegeWithdrawn', 'aACompromise'];

function randomHex(octets: number, rng: () => number): string {
  let hex = '';
  for (let i = 0; i < octets; i++) hex += Math.floor(rng() * 256).toString(16).padStart(2, '0');
  return hex;
}

describe('revokedCertificates DER writer', () => {
  it('writes 1000 entries byte for byte as @peculiar/asn1-x509 does', () => {
    // A fixed LCG, so a failure reproduces; dates run from 1950 to 2100 across the UTCTime/GeneralizedTime switch.
    let seed = 12345;
    const rng = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
    const from = Date.UTC(1950, 0, 1) / 1000;
    const to = Date.UTC(2100, 0, 1) / 1000;
    const entries: RevokedEntry[] = Array.from({ length: 1000 }, (_, i) => ({
      serialHex: randomHex(1 + (i % 20), rng),
      revocationDate: new Date(Math.floor(from + rng() * (to - from)) * 1000),
      reason: REASONS[i % REASONS.length],
      ...(i % 3 === 0 ? { invalidityDate: new Date(Math.floor(from + rng() * (to - from)) * 1000) } : {}),
    }));
    const seen = new Set<string>();
    const unique = entries.filter((e) => { const s = normalizeSerialHex(e.serialHex); if (seen.has(s)) return false; seen.add(s); return true; });
    assert.ok(unique.length > 990);
    assert.deepEqual(ourDer(unique), libraryDer(unique));
  });

  it('matches the library for any serials, dates and reasons (property)', () => {
    const entry = fc.record({
      serial: fc.uint8Array({ minLength: 1, maxLength: 20 }),
      time: fc.integer({ min: Date.UTC(1950, 0, 1) / 1000, max: Date.UTC(9999, 11, 31) / 1000 }),
      reason: fc.constantFrom(...REASONS),
      invalidity: fc.option(fc.integer({ min: 0, max: Date.UTC(9999, 11, 31) / 1000 }), { nil: undefined }),
    });
    // Short lists, so 10,000 runs take seconds: each is also written by the ASN.1 library, entry by entry.
    // Ordering needs only a few entries; the 1000-entry test above covers length.
    fc.assert(fc.property(fc.uniqueArray(entry, { selector: (e) => normalizeSerialHex(Buffer.from(e.serial).toString('hex')), maxLength: 6 }), (list) => {
      const entries: RevokedEntry[] = list.map((e) => ({
        serialHex: Buffer.from(e.serial).toString('hex'),
        revocationDate: new Date(e.time * 1000),
        reason: e.reason,
        ...(e.invalidity !== undefined ? { invalidityDate: new Date(e.invalidity * 1000) } : {}),
      }));
      if (entries.length === 0) return prepareRevokedCertificates(entries).byteLength === 0;
      return ourDer(entries).equals(libraryDer(entries));
    }), { seed: ROBUSTNESS_SEED, numRuns: ROBUSTNESS_RUNS });
  });

  it('encodes serials of 1 to 20 octets, padding a set high bit with 00 and dropping leading zeros', () => {
    const date = new Date(Date.UTC(2030, 0, 1));
    for (let octets = 1; octets <= 20; octets++) {
      const high = `80${'ff'.repeat(octets - 1)}`;
      const der = ourDer([{ serialHex: high, revocationDate: date }]);
      // 30 len | 30 len | 02 len [00] serial
      const integer = der.subarray(4, 4 + 2 + octets + 1);
      assert.equal(integer[0], 0x02);
      assert.equal(integer[1], octets + 1);
      assert.equal(integer[2], 0x00);
      assert.equal(integer.subarray(3).toString('hex'), high);
      const low = ourDer([{ serialHex: `0000${'7f'.repeat(octets)}`, revocationDate: date }]);
      assert.equal(low.subarray(4, 6).toString('hex'), `02${octets.toString(16).padStart(2, '0')}`);
    }
    assert.equal(ourDer([{ serialHex: '0', revocationDate: date }]).subarray(4, 7).toString('hex'), '020100');
    assert.equal(ourDer([{ serialHex: 'abc', revocationDate: date }]).subarray(4, 8).toString('hex'), '02020abc');
  });

  it('refuses serials over 20 octets and non-hex serials', () => {
    const revocationDate = new Date();
    assert.throws(() => prepareRevokedCertificates([{ serialHex: '01'.repeat(21), revocationDate }]), { code: 'INPUT_INVALID' });
    assert.throws(() => prepareRevokedCertificates([{ serialHex: '12g4', revocationDate }]), { code: 'INPUT_INVALID' });
    assert.doesNotThrow(() => prepareRevokedCertificates([{ serialHex: `00${'ff'.repeat(20)}`, revocationDate }]));
  });

  it('refuses an invalid date and a reason RFC 5280 does not name', () => {
    assert.throws(() => prepareRevokedCertificates([{ serialHex: '01', revocationDate: new Date(Number.NaN) }]), { code: 'INPUT_INVALID' });
    assert.throws(() => prepareRevokedCertificates([{ serialHex: '01', revocationDate: new Date(), reason: 'stolen' as CrlReason }]), { code: 'INPUT_INVALID' });
  });

  it('writes nothing for an empty list, so the field is absent (RFC 5280 §5.1.2.6)', () => {
    assert.equal(prepareRevokedCertificates([]).byteLength, 0);
  });

  it('writes revocation dates before 1950 as GeneralizedTime (RFC 5280 §5.1.2.6)', () => {
    const der = ourDer([{ serialHex: '01', revocationDate: new Date(Date.UTC(1949, 5, 1)) }]);
    assert.ok(der.toString('hex').includes(`180f${Buffer.from('19490601000000Z').toString('hex')}`));
  });
});

describe('DER headers', () => {
  it('writes and reads back lengths in their shortest form', () => {
    for (const length of [0, 1, 127, 128, 255, 256, 65535, 65536, 16_777_216, 50_000_000]) {
      const out = new Uint8Array(1 + derLengthSize(length));
      assert.equal(writeDerHeader(out, 0, 0x30, length), out.length);
      const header = readDerHeader(out, 0, Number.MAX_SAFE_INTEGER);
      assert.equal(header.end - header.contentStart, length);
    }
  });

  it('refuses indefinite, non-minimal and overrunning lengths', () => {
    assert.throws(() => readDerHeader(Uint8Array.of(0x30, 0x80, 0, 0)), { code: 'CRL_INVALID' });
    assert.throws(() => readDerHeader(Uint8Array.of(0x30, 0x81, 0x05, 1, 2, 3, 4, 5)), { code: 'CRL_INVALID' });
    assert.throws(() => readDerHeader(Uint8Array.of(0x30, 0x82, 0x00, 0x90, ...new Uint8Array(0x90))), { code: 'CRL_INVALID' });
    assert.throws(() => readDerHeader(Uint8Array.of(0x30, 0x03, 1, 2)), { code: 'CRL_INVALID' });
  });
});
