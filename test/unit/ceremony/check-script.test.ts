import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkScript, type ScriptSurroundings } from '../../../main/ceremony/check-script.ts';
import { loadScript } from '../../../main/ceremony/load-script.ts';
import { Script, SCRIPT_FORMAT, type Step } from '../../../main/ceremony/script-schema.ts';

const CEREMONIES = fileURLToPath(new URL('../../../resources/ceremonies/', import.meta.url));

const step = (changes: Partial<Step> = {}): Step => ({
  id: 'issue-crl', performer: 'administrator', instructions: 'Issue the CRL.',
  action: { act: 'crl.issue', params: { ca: 'root' } }, checks: ['The CRL number is one more.'], quorum: true, witnesses: 1, ...changes,
});
const script = (steps: Step[], roles: Script['roles'] = [{ role: 'administrator', people: 1 }, { role: 'custodian', people: 2 }, { role: 'witness', people: 1 }]): Script =>
  Script.parse({ format: SCRIPT_FORMAT, id: 'test', title: 'Test', version: 1, roles, steps });
const withRoot: ScriptSurroundings = { caNames: new Set(['root']) };

/** Each finding as "CODE step/field". */
const found = (s: Script, around: ScriptSurroundings = withRoot): string[] => checkScript(s, around).map((f) => `${f.code} ${f.step ?? ''}/${f.field}`);

describe('checking a script against the data directory', () => {
  it('finds nothing in the shipped scripts once the root they rely on is in the journal, and the root ceremony needs none', async () => {
    for (const f of readdirSync(CEREMONIES).filter((n) => n.endsWith('.json'))) {
      const s = await loadScript(join(CEREMONIES, f));
      const around = f === 'root-key-generation.json' ? { caNames: new Set<string>() } : { caNames: new Set(['example-root']) };
      assert.deepEqual(found(s, around), [], f);
    }
  });

  it('finds two steps with one id CEREMONY_STEP_DUPLICATE', () => {
    assert.deepEqual(found(script([step(), step()])), ['CEREMONY_STEP_DUPLICATE issue-crl/id']);
  });

  it('finds a performer whose role the script does not bring CEREMONY_ROLE_UNDEFINED, and a role listed twice', () => {
    assert.deepEqual(found(script([step({ performer: 'custodian', quorum: false, witnesses: 0 })], [{ role: 'administrator', people: 1 }])), ['CEREMONY_ROLE_UNDEFINED issue-crl/performer']);
    assert.deepEqual(found(script([step({ witnesses: 0 })], [{ role: 'administrator', people: 1 }, { role: 'administrator', people: 1 }])), ['CEREMONY_FIELD_INVALID /roles.1.role']);
  });

  it('finds a step needing more witnesses than the script brings CEREMONY_WITNESSES_SHORT', () => {
    assert.deepEqual(found(script([step({ witnesses: 2 })])), ['CEREMONY_WITNESSES_SHORT issue-crl/witnesses']);
  });

  it('finds the quorum asked for a step that signs nothing CEREMONY_QUORUM_NOT_SIGNING, and takes it for every act that signs', () => {
    for (const action of [{ act: 'key.backup', params: { ca: 'root' } }, { act: 'dkek.import', params: { shares: 3 } }, { act: 'check', params: { check: 'journal.verify' } }] as Step['action'][]) {
      assert.deepEqual(found(script([step({ action, quorum: true })])), ['CEREMONY_QUORUM_NOT_SIGNING issue-crl/quorum'], action.act);
    }
    for (const action of [{ act: 'crl.issue', params: { ca: 'root' } }, { act: 'request.sign', params: { ca: 'root', profile: 'tls-server', from: 'removable-media' } }, { act: 'bundle.create', params: { ca: 'root' } }] as Step['action'][]) {
      assert.deepEqual(found(script([step({ action, quorum: true })])), [], action.act);
    }
  });

  it('finds a profile that does not resolve CEREMONY_PROFILE_UNKNOWN, one of the wrong kind CEREMONY_PROFILE_KIND', () => {
    const sign = (profile: string): Step => step({ id: 'sign', action: { act: 'request.sign', params: { ca: 'root', profile, from: 'removable-media' } } });
    assert.deepEqual(found(script([sign('subordinate-ca-typo')])), ['CEREMONY_PROFILE_UNKNOWN sign/action.params.profile']);
    assert.deepEqual(found(script([sign('root-ca')])), ['CEREMONY_PROFILE_KIND sign/action.params.profile']);
    const root = step({ id: 'root', action: { act: 'root.create', params: { ca: 'new-root', profile: 'subordinate-ca', subject: 'CN=New Root', key: 'ec:P-384' } } });
    assert.deepEqual(found(script([root])), ['CEREMONY_PROFILE_KIND root/action.params.profile']);
  });

  it('finds a new root\'s key its profile does not certify CEREMONY_KEY_NOT_ALLOWED, before any key is made', () => {
    const root = (key: string): Step => step({ id: 'root', action: { act: 'root.create', params: { ca: 'new-root', profile: 'root-ca', subject: 'CN=New Root', key } } });
    assert.deepEqual(found(script([root('ec:P-256')])), ['CEREMONY_KEY_NOT_ALLOWED root/action.params.key']);
    assert.deepEqual(found(script([root('rsa:2048')])), ['CEREMONY_KEY_NOT_ALLOWED root/action.params.key']);
    assert.deepEqual(found(script([root('ec:P-384')])), []);
  });

  it('finds a validity longer than the profile allows CEREMONY_VALIDITY_TOO_LONG, and takes the longest it allows', () => {
    const sign = (days: number): Step => step({ id: 'sign', action: { act: 'request.sign', params: { ca: 'root', profile: 'bundle-signer', from: 'removable-media', days } } });
    assert.deepEqual(found(script([sign(1096)])), ['CEREMONY_VALIDITY_TOO_LONG sign/action.params.days']);
    assert.deepEqual(found(script([sign(1095)])), []);
  });

  it('finds a certificate or CRL that would outlive the CA signing it CEREMONY_VALIDITY_EXCEEDS_ISSUER, with a root the journal holds or an earlier step makes', () => {
    const now = new Date('2026-12-07T12:00:00Z');
    const ending = { caNames: new Set(['root']), caNotAfter: new Map([['root', new Date('2027-12-07T12:00:00Z')]]), now };
    const sign = (days: number): Step => step({ id: 'sign', action: { act: 'request.sign', params: { ca: 'root', profile: 'subordinate-ca', from: 'removable-media', days } } });
    assert.deepEqual(found(script([sign(366)]), ending), ['CEREMONY_VALIDITY_EXCEEDS_ISSUER sign/action.params.days']);
    assert.deepEqual(found(script([sign(365)]), ending), []);
    // The default validity counts too: subordinate-ca's five years outlive a root with one year left.
    const byDefault = step({ id: 'sign', action: { act: 'request.sign', params: { ca: 'root', profile: 'subordinate-ca', from: 'removable-media' } } });
    assert.deepEqual(found(script([byDefault]), ending), ['CEREMONY_VALIDITY_EXCEEDS_ISSUER sign/action.params.days']);
    const ended = { ...ending, caNotAfter: new Map([['root', new Date('2026-12-01T00:00:00Z')]]) };
    assert.deepEqual(found(script([step()]), ended), ['CEREMONY_VALIDITY_EXCEEDS_ISSUER issue-crl/action.params.ca']);
    const root = step({ id: 'root', quorum: false, action: { act: 'root.create', params: { ca: 'new', profile: 'root-ca', subject: 'CN=New', key: 'ec:P-384', days: 1000 } } });
    const signByNew = step({ id: 'sign', action: { act: 'request.sign', params: { ca: 'new', profile: 'subordinate-ca', from: 'removable-media', days: 1001 } } });
    assert.deepEqual(found(script([root, signByNew]), { caNames: new Set(), now }), ['CEREMONY_VALIDITY_EXCEEDS_ISSUER sign/action.params.days']);
  });

  it('finds a profile file that is broken CEREMONY_PROFILE_UNKNOWN, reading profiles from the data directory\'s folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'custos-profiles-'));
    try {
      writeFileSync(join(dir, 'tls-server.json'), '{"id": "tls-server",');
      const sign = step({ id: 'sign', action: { act: 'request.sign', params: { ca: 'root', profile: 'tls-server', from: 'removable-media' } } });
      assert.deepEqual(found(script([sign]), { ...withRoot, profileDir: dir }), ['CEREMONY_PROFILE_UNKNOWN sign/action.params.profile']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds a CA neither in the journal nor made earlier CEREMONY_CA_UNKNOWN, and one made when it exists or twice CEREMONY_CA_EXISTS', () => {
    const root = (id: string, ca: string): Step => step({ id, action: { act: 'root.create', params: { ca, profile: 'root-ca', subject: 'CN=R', key: 'ec:P-384' } } });
    assert.deepEqual(found(script([step()]), { caNames: new Set() }), ['CEREMONY_CA_UNKNOWN issue-crl/action.params.ca']);
    // A CA made by an earlier step may be used by a later one, not by one before it.
    assert.deepEqual(found(script([step({ id: 'early' }), root('make', 'root'), step()]), { caNames: new Set() }), ['CEREMONY_CA_UNKNOWN early/action.params.ca']);
    assert.deepEqual(found(script([root('make', 'root')])), ['CEREMONY_CA_EXISTS make/action.params.ca']);
    assert.deepEqual(found(script([root('make', 'new'), root('again', 'new')])), ['CEREMONY_CA_EXISTS again/action.params.ca']);
  });
});
