import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PROFILE_DIR, customizeProfile, loadProfile, loadProfiles, parseProfile } from '../../../../main/pki/x509/profiles.ts';

function refuses(run: () => unknown, code: string, field?: string): void {
  assert.throws(run, (e: unknown) => {
    const err = e as { code: string; details: { field?: string } };
    assert.equal(err.code, code);
    if (field !== undefined) assert.equal(err.details.field, field);
    return true;
  });
}

const shipped = (id: string): Record<string, unknown> => JSON.parse(readFileSync(join(DEFAULT_PROFILE_DIR, `${id}.json`), 'utf8'));

describe('profiles', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'custos-profiles-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ships the eight profiles, each valid', () => {
    assert.deepEqual(loadProfiles().map((p) => p.id), ['bundle-signer', 'code-signing', 'crl-signer', 'cross-certificate', 'ocsp-signer', 'root-ca', 'subordinate-ca', 'tls-client', 'tls-server']);
  });

  it('limits roots to 25 years and subordinates to 8 by default', () => {
    assert.equal(loadProfile('root-ca').validity.maxDays, 9131);
    assert.equal(loadProfile('subordinate-ca').validity.maxDays, 2922);
    assert.equal(loadProfile('tls-server').validity.maxDays, 398);
  });

  it('lets the OCSP signer carry OCSPSigning and ocsp-nocheck, and the TLS server take only subjectAltName', () => {
    const ocsp = loadProfile('ocsp-signer');
    assert.deepEqual(ocsp.extKeyUsage?.purposes, ['OCSPSigning']);
    assert.equal(ocsp.ocspNoCheck, true);
    assert.deepEqual(loadProfile('tls-server').allowedRequestExtensions, ['subjectAltName']);
  });

  it('reads a profile file again once it changed, and hands out a profile no caller can change', () => {
    writeFileSync(join(dir, 'tls-server.json'), JSON.stringify(shipped('tls-server')));
    const first = loadProfile('tls-server', dir);
    assert.equal(first.validity.defaultDays, (shipped('tls-server').validity as { defaultDays: number }).defaultDays);
    assert.throws(() => { (first.validity as { defaultDays: number }).defaultDays = 1; }, TypeError);
    writeFileSync(join(dir, 'tls-server.json'), JSON.stringify({ ...shipped('tls-server'), validity: { defaultDays: 7, maxDays: 30 } }));
    assert.equal(loadProfile('tls-server', dir).validity.maxDays, 30);
  });

  it('PROFILE_NOT_FOUND for a missing profile or a name that is a path', () => {
    refuses(() => loadProfile('no-such-profile'), 'PROFILE_NOT_FOUND');
    refuses(() => loadProfile('../profiles/root-ca'), 'PROFILE_NOT_FOUND');
  });

  it('PROFILE_INVALID naming an unknown field, even nested', () => {
    const data = shipped('tls-server');
    writeFileSync(join(dir, 'tls-server.json'), JSON.stringify({ ...data, keyUsage: { ...(data.keyUsage as object), critcal: true } }));
    refuses(() => loadProfile('tls-server', dir), 'PROFILE_INVALID', 'keyUsage.critcal');
    refuses(() => parseProfile({ ...data, colour: 'blue' }), 'PROFILE_INVALID', 'colour');
  });

  it('PROFILE_INVALID naming a missing or mistyped field', () => {
    const { validity: _omitted, ...withoutValidity } = shipped('tls-server');
    refuses(() => parseProfile(withoutValidity), 'PROFILE_INVALID', 'validity');
    refuses(() => parseProfile({ ...shipped('tls-server'), validity: { defaultDays: 30, maxDays: 'long' } }), 'PROFILE_INVALID', 'validity.maxDays');
  });

  it('PROFILE_INVALID for a file that is not JSON or whose id is not its name', () => {
    writeFileSync(join(dir, 'broken.json'), '{ "id": ');
    refuses(() => loadProfile('broken', dir), 'PROFILE_INVALID');
    writeFileSync(join(dir, 'renamed.json'), JSON.stringify(shipped('tls-client')));
    refuses(() => loadProfile('renamed', dir), 'PROFILE_INVALID', 'id');
  });

  it('refuses profiles that contradict RFC 5280', () => {
    refuses(() => parseProfile({ ...shipped('tls-client'), keyUsage: { usages: ['digitalSignature', 'keyCertSign'], critical: true } }), 'PROFILE_INVALID', 'keyUsage.usages');
    refuses(() => parseProfile({ ...shipped('subordinate-ca'), basicConstraints: { ca: true, critical: false } }), 'PROFILE_INVALID', 'basicConstraints.critical');
    refuses(() => parseProfile({ ...shipped('tls-client'), nameConstraints: { critical: true, permitted: { dns: ['example.test'] } } }), 'PROFILE_INVALID', 'nameConstraints');
    refuses(() => parseProfile({ ...shipped('root-ca'), validity: { defaultDays: 7305, maxDays: 9999 } }), 'PROFILE_INVALID', 'validity.maxDays');
  });

  it('refuses a profile that would take a profile-controlled extension from a request', () => {
    refuses(() => parseProfile({ ...shipped('tls-server'), allowedRequestExtensions: ['subjectAltName', '2.5.29.19'] }), 'PROFILE_INVALID', 'allowedRequestExtensions.1');
  });

  it('customizes a subordinate with a pathLen and name constraints, checked again', () => {
    const sub = customizeProfile(loadProfile('subordinate-ca'), {
      basicConstraints: { ca: true, pathLen: 1, critical: true },
      nameConstraints: { critical: true, permitted: { dns: ['example.test'], ip: ['10.0.0.0/8'] }, excluded: { email: ['.invalid'] } },
    });
    assert.equal(sub.basicConstraints.pathLen, 1);
    refuses(() => customizeProfile(sub, { nameConstraints: { critical: true, permitted: { ip: ['10.0.0.0'] } } }), 'PROFILE_INVALID', 'nameConstraints.permitted.ip.0');
  });
});
