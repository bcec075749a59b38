/**
 * CV certificates brought from elsewhere: a chain is checked link by link
 * against itself and what Custos holds; a CHAT wider than its issuer's, a
 * broken signature, an unknown issuer and trailing bytes are each refused
 * with their own code; mutated chains never pass as verified.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { CVC_OID, cvcPublicKeyFromKeyObject, encodeCvCertificate, signCvc, decodeCvCertificate, type CvcBody, type CvCertificate } from '../../../main/pki/cvc/cvc.ts';
import { planCvcCertificate } from '../../../main/cvc/plan.ts';
import { loadCvcProfile } from '../../../main/cvc/profiles.ts';
import { checkCvcCertificates } from '../../../main/cvc/import.ts';
import { codeOf, hex } from './support.ts';
import { mutate, mutationsArb, failsOnlyTyped, ROBUSTNESS_SEED } from '../../fixtures/cvc/mutations.ts';

const ECDSA = CVC_OID['id-TA-ECDSA-SHA-256'];
const day = (iso: string): Date => new Date(`${iso}T00:00:00Z`);

function pair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

/** A CVCA and a DV under it, signed with node:crypto keys: the DV's CHAT as given (the lint is not asked). */
function chain(dvAuthorizations: string[]): { cvca: CvCertificate; dv: CvCertificate } {
  const root = pair();
  const rootKey = cvcPublicKeyFromKeyObject(root.publicKey, ECDSA, true);
  const cvcaPlan = planCvcCertificate({ profile: loadCvcProfile('cvca'), chr: 'UTCVCA00001', holderKey: rootKey, signingKey: rootKey, effectiveDate: day('2026-01-01'), validityDays: 1000, authorizations: ['read-dg1', 'read-dg2'] });
  const cvca = decodeCvCertificate(encodeCvCertificate(cvcaPlan.bodyRaw, signCvc(cvcaPlan.bodyRaw, root.privateKey, ECDSA)));
  const dvKey = cvcPublicKeyFromKeyObject(pair().publicKey, ECDSA, true);
  const dvPlan = planCvcCertificate({
    profile: loadCvcProfile('dv-domestic'), chr: 'UTDVCUSTOS00001', holderKey: dvKey, issuer: { body: cvca.body as CvcBody, key: rootKey }, signingKey: rootKey,
    effectiveDate: day('2026-02-01'), validityDays: 90, authorizations: dvAuthorizations,
  });
  const dv = decodeCvCertificate(encodeCvCertificate(dvPlan.bodyRaw, signCvc(dvPlan.bodyRaw, root.privateKey, ECDSA)));
  return { cvca, dv };
}

const both = (c: { cvca: CvCertificate; dv: CvCertificate }): Uint8Array => Uint8Array.from([...c.cvca.raw, ...c.dv.raw]);

describe('CV certificate import', () => {
  it('takes a chain in either order and returns it issuer first, the DV\'s curve resolved from the CVCA', () => {
    const c = chain(['read-dg1']);
    const ordered = checkCvcCertificates(Uint8Array.from([...c.dv.raw, ...c.cvca.raw]), []);
    assert.deepEqual(ordered.map((x) => x.body.chr), ['UTCVCA00001', 'UTDVCUSTOS00001']);
  });

  it('refuses a DV whose CHAT is wider than its CVCA\'s with CVC_CHAT_EXCEEDS_ISSUER', () => {
    assert.equal(codeOf(() => checkCvcCertificates(both(chain(['read-dg1', 'pin-management'])), [])), 'CVC_CHAT_EXCEEDS_ISSUER');
  });

  it('refuses a broken signature (CVC_SIGNATURE_INVALID), a missing issuer (CVC_ISSUER_UNKNOWN) and stray bytes after the last certificate (TLV_MALFORMED, TLV_TRUNCATED)', () => {
    const c = chain(['read-dg1']);
    const broken = Uint8Array.from(c.dv.raw);
    broken[broken.length - 2]! ^= 0x10;
    assert.equal(codeOf(() => checkCvcCertificates(Uint8Array.from([...c.cvca.raw, ...broken]), [])), 'CVC_SIGNATURE_INVALID');
    assert.equal(codeOf(() => checkCvcCertificates(c.dv.raw, [])), 'CVC_ISSUER_UNKNOWN');
    assert.equal(codeOf(() => checkCvcCertificates(Uint8Array.from([...c.cvca.raw, 0x00]), [])), 'TLV_MALFORMED');
    assert.equal(codeOf(() => checkCvcCertificates(Uint8Array.from([...c.cvca.raw, 0x42]), [])), 'TLV_TRUNCATED');
  });

  it('takes a DV whose CVCA Custos already holds', () => {
    const c = chain(['read-dg1']);
    assert.deepEqual(checkCvcCertificates(c.dv.raw, [c.cvca]).map((x) => x.body.chr), ['UTDVCUSTOS00001']);
  });

  it('mutated chains are refused with a typed code, or are the very certificates that were signed (property)', { timeout: 60_000 }, () => {
    const c = chain(['read-dg1']);
    const good = both(c);
    fc.assert(fc.property(mutationsArb, (mutations) => {
      const input = mutate(good, mutations);
      try {
        const accepted = checkCvcCertificates(input, []);
        // Whatever is accepted verifies: each is one of the two signed certificates, byte for byte.
        return accepted.every((a) => hex(a.raw) === hex(c.cvca.raw) || hex(a.raw) === hex(c.dv.raw));
      } catch (e) {
        return failsOnlyTyped(() => { throw e; }, ['TLV_', 'CVC_', 'FILE_']);
      }
    }), { seed: ROBUSTNESS_SEED, numRuns: 1500 });
  });
});
