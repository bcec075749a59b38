/** CVC profiles are data checked by a strict schema: every shipped one loads, a bad one is named by its field. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadCvcProfile, loadCvcProfiles, parseCvcProfile } from '../../../main/cvc/profiles.ts';
import { codeOf } from './support.ts';

describe('CVC profiles', () => {
  it('ships CVCA (self-signed and link), DV (domestic and foreign) and IS, AT, ST terminals', () => {
    assert.deepEqual(loadCvcProfiles().map((p) => p.id).sort(), ['cvca', 'cvca-link', 'dv-domestic', 'dv-foreign', 'terminal-at', 'terminal-is', 'terminal-st']);
    assert.equal(loadCvcProfile('cvca-link').link, true);
  });

  it('refuses an unknown field, an unknown authorization, and a link profile that is not a CVCA\'s', () => {
    const good = loadCvcProfile('terminal-at');
    const field = (e: unknown): unknown => (e as { details: { field: string } }).details.field;
    assert.throws(() => parseCvcProfile({ ...good, colour: 'red' }), (e) => field(e) === 'colour');
    assert.throws(() => parseCvcProfile({ ...good, authorizations: ['read-iris'] }), (e) => field(e) === 'authorizations');
    assert.throws(() => parseCvcProfile({ ...good, link: true }), (e) => field(e) === 'link');
    assert.equal(codeOf(() => parseCvcProfile({ ...good, validity: { defaultDays: 100, maxDays: 90 } })), 'PROFILE_INVALID');
    assert.equal(codeOf(() => loadCvcProfile('../cvca')), 'PROFILE_NOT_FOUND');
  });
});
