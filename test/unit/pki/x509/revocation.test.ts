import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CRLReasons } from '@peculiar/asn1-x509';
import { CRL_REASON_CODES, CRL_REASONS, CrlReasonSchema, crlReasonName, RevokedEntrySchema } from '../../../../main/pki/x509/revocation.ts';

describe('CRL reasons', () => {
  it('carry the RFC 5280 §5.3.1 values, as @peculiar/asn1-x509 numbers them', () => {
    for (const reason of CRL_REASONS) assert.equal(CRL_REASON_CODES[reason], CRLReasons[reason], reason);
    assert.equal(CRL_REASONS.length, 10);
    assert.equal(crlReasonName(7), undefined);
    assert.equal(crlReasonName(8), 'removeFromCRL');
  });

  it('are checked by name at the boundary', () => {
    assert.equal(CrlReasonSchema.parse('keyCompromise'), 'keyCompromise');
    assert.equal(CrlReasonSchema.safeParse('KeyCompromise').success, false);
    assert.equal(CrlReasonSchema.safeParse(1).success, false);
  });
});

describe('RevokedEntrySchema', () => {
  it('accepts an entry with reason and invalidity date, and refuses unknown fields, bad serials and non-dates', () => {
    const entry = { serialHex: '0A0b', revocationDate: new Date(), reason: 'superseded', invalidityDate: new Date() };
    assert.deepEqual(RevokedEntrySchema.parse(entry), entry);
    assert.equal(RevokedEntrySchema.safeParse({ ...entry, note: 'x' }).success, false);
    assert.equal(RevokedEntrySchema.safeParse({ ...entry, serialHex: 'xyz' }).success, false);
    assert.equal(RevokedEntrySchema.safeParse({ ...entry, serialHex: '01'.repeat(22) }).success, false);
    assert.equal(RevokedEntrySchema.safeParse({ ...entry, revocationDate: '2026-01-01' }).success, false);
  });
});
