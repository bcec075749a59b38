/**
 * The plan and lint of a CV certificate body before a CA key signs it: each
 * rule refuses the body it is for, and a clean plan names no problem.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { CVC_OID, cvcPublicKeyFromKeyObject, type CvcBody, type CvcPublicKey } from '../../../main/pki/cvc/cvc.ts';
import { planCvcCertificate, plainFromDerEcdsa, tokenAlgorithm } from '../../../main/cvc/plan.ts';
import { requireCleanLint } from '../../../main/cvc/lint.ts';
import { loadCvcProfile } from '../../../main/cvc/profiles.ts';
import { codeOf } from './support.ts';

const ECDSA = CVC_OID['id-TA-ECDSA-SHA-256'];
const ecKey = (oid: string = ECDSA): CvcPublicKey => cvcPublicKeyFromKeyObject(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey, oid, true);
const day = (iso: string): Date => new Date(`${iso}T00:00:00Z`);

function cvca(): { body: CvcBody; key: CvcPublicKey } {
  const key = ecKey();
  const plan = planCvcCertificate({ profile: loadCvcProfile('cvca'), chr: 'UTCVCA00001', holderKey: key, signingKey: key, effectiveDate: day('2026-01-01'), validityDays: 1000 });
  assert.deepEqual(plan.findings, []);
  return { body: plan.body, key };
}

function dvUnder(issuer: { body: CvcBody; key: CvcPublicKey }, overrides: Partial<Parameters<typeof planCvcCertificate>[0]> = {}) {
  return planCvcCertificate({
    profile: loadCvcProfile('dv-domestic'), chr: 'UTDVCUSTOS00001', holderKey: ecKey(), issuer, signingKey: issuer.key,
    effectiveDate: day('2026-02-01'), validityDays: 90, ...overrides,
  });
}

const checks = (plan: ReturnType<typeof planCvcCertificate>): string[] => plan.findings.map((f) => f.check);

describe('CV certificate lint', () => {
  const root = cvca();

  it('passes a DV under its CVCA, its CAR the CVCA\'s CHR, its key without domain parameters', () => {
    const plan = dvUnder(root);
    assert.deepEqual(plan.findings, []);
    assert.equal(plan.body.car, 'UTCVCA00001');
    assert.equal(plan.body.publicKey.kind === 'ec' && plan.body.publicKey.withDomainParameters, false);
    assert.equal(plan.view.chat?.roleName, 'DV (domestic)');
    assert.match(plan.bodySha256, /^[0-9a-f]{64}$/);
  });

  it('refuses dates outside the issuer\'s', () => {
    assert.ok(checks(dvUnder(root, { effectiveDate: day('2025-12-31') })).includes('dates'));
    assert.ok(checks(dvUnder(root, { effectiveDate: day('2028-09-01'), validityDays: 60 })).includes('dates'));
  });

  it('refuses a validity longer than the profile allows', () => {
    assert.ok(checks(dvUnder(root, { validityDays: 366 })).includes('validity'));
  });

  it('refuses a CHAT wider than the issuer\'s, with CVC_CHAT_EXCEEDS_ISSUER', () => {
    const narrowRoot = { ...root, body: planCvcCertificate({ profile: loadCvcProfile('cvca'), chr: 'UTCVCA00001', holderKey: root.key, signingKey: root.key, effectiveDate: day('2026-01-01'), validityDays: 1000, authorizations: ['read-dg1'] }).body };
    const plan = dvUnder(narrowRoot, { authorizations: ['read-dg1', 'pin-management'] });
    assert.deepEqual(checks(plan), ['chat']);
    assert.equal(codeOf(() => requireCleanLint(plan.findings, plan.body.chr)), 'CVC_CHAT_EXCEEDS_ISSUER');
  });

  it('refuses a holder reference not of TR-03110\'s form, and one equal to the issuer\'s', () => {
    assert.ok(checks(dvUnder(root, { chr: 'utdvcustos00001' })).includes('holder-reference'));
    assert.ok(checks(dvUnder(root, { chr: 'UTCVCA00001' })).includes('holder-reference'));
  });

  it('refuses a key whose algorithm OID names another kind of key, and an OID the profile does not allow', () => {
    const rsaNamedEc = { ...ecKey(), oid: CVC_OID['id-TA-RSA-PSS-SHA-256'] } as CvcPublicKey;
    assert.ok(checks(dvUnder(root, { holderKey: rsaNamedEc })).includes('key-oid'));
    assert.ok(checks(dvUnder(root, { holderKey: ecKey(CVC_OID['id-TA-ECDSA-SHA-1']) })).includes('key-oid'));
  });

  it('refuses a role the issuer may not certify (a DV certifying a DV)', () => {
    const dv = dvUnder(root);
    const plan = planCvcCertificate({ profile: loadCvcProfile('dv-foreign'), chr: 'UTDVOTHER00001', holderKey: ecKey(), issuer: { body: dv.body, key: dv.body.publicKey }, signingKey: root.key, effectiveDate: day('2026-02-02'), validityDays: 30 });
    assert.ok(checks(plan).includes('role'));
    assert.equal(codeOf(() => requireCleanLint(plan.findings, plan.body.chr)), 'LINT_FAILED');
  });

  it('an unknown authorization name is INPUT_INVALID', () => {
    assert.equal(codeOf(() => dvUnder(root, { authorizations: ['read-everything'] })), 'INPUT_INVALID');
  });
});

describe('token signatures for CV certificates', () => {
  it('asks the token for PSS with a salt as long as the hash, and refuses SHA-1', () => {
    assert.deepEqual(tokenAlgorithm(CVC_OID['id-TA-RSA-PSS-SHA-256']), { scheme: 'rsa-pss', hash: 'SHA-256', saltLengthBytes: 32 });
    assert.deepEqual(tokenAlgorithm(CVC_OID['id-TA-RSA-v1-5-SHA-512']), { scheme: 'rsa-pkcs1', hash: 'SHA-512' });
    assert.equal(codeOf(() => tokenAlgorithm(CVC_OID['id-TA-ECDSA-SHA-1'])), 'MECHANISM_UNSUPPORTED');
  });

  it('turns a DER ECDSA signature with short r into r||s at the field length', () => {
    // SEQUENCE { INTEGER 01, INTEGER 00 FF }: r = 1, s = 255, each padded to 32 bytes.
    const plain = plainFromDerEcdsa(Uint8Array.of(0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0xff), 32);
    assert.equal(plain.length, 64);
    assert.equal(plain[31], 1);
    assert.equal(plain[63], 0xff);
  });
});
