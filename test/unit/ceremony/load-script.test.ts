import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isCustosError } from '../../../main/errors/index.ts';
import { loadScript, MAX_SCRIPT_BYTES, parseScript } from '../../../main/ceremony/load-script.ts';
import { SCRIPT_FORMAT } from '../../../main/ceremony/script-schema.ts';

const CEREMONIES = fileURLToPath(new URL('../../../resources/ceremonies/', import.meta.url));

const step = (changes: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'issue-crl', performer: 'administrator', instructions: 'Issue the CRL.',
  action: { act: 'crl.issue', params: { ca: 'root' } }, checks: ['The CRL number is one more.'], quorum: true, witnesses: 1, ...changes,
});
const script = (changes: Record<string, unknown> = {}): Record<string, unknown> => ({
  format: SCRIPT_FORMAT, id: 'crl', title: 'CRL', version: 1,
  roles: [{ role: 'administrator', people: 1 }, { role: 'witness', people: 1 }], steps: [step()], ...changes,
});

/** Each finding as "CODE step/field", the way an operator reads them. */
function findings(value: unknown): string[] {
  const loaded = parseScript(typeof value === 'string' ? value : JSON.stringify(value));
  return loaded.ok ? [] : loaded.findings.map((f) => `${f.code} ${f.step ? `${f.step}/` : ''}${f.field}`);
}

describe('reading a ceremony script', () => {
  it('reads each of the shipped scripts', async () => {
    const files = readdirSync(CEREMONIES).filter((f) => f.endsWith('.json')).sort();
    assert.deepEqual(files, ['crl-reissue.json', 'hsm-cloning.json', 'key-backup.json', 'root-key-generation.json', 'subordinate-signing.json']);
    for (const f of files) {
      const loaded = await loadScript(join(CEREMONIES, f));
      assert.equal(`${loaded.id}.json`, f);
      assert.ok(loaded.steps.length >= 3, f);
    }
  });

  it('takes a script that is right, with the act\'s parameters typed', () => {
    const loaded = parseScript(JSON.stringify(script()));
    assert.equal(loaded.ok, true);
    if (loaded.ok) assert.deepEqual(loaded.script.steps[0]!.action, { act: 'crl.issue', params: { ca: 'root' } });
  });

  it('names a file that is not JSON CEREMONY_SCRIPT_MALFORMED', () => {
    assert.deepEqual(findings('{"format": "custos-ceremony/1",'), ['CEREMONY_SCRIPT_MALFORMED (file)']);
  });

  it('names a misspelt field CEREMONY_FIELD_UNKNOWN with its step, so "quorom" never becomes a step without the quorum', () => {
    const { quorum, ...rest } = step();
    assert.equal(quorum, true);
    assert.deepEqual(findings(script({ steps: [{ ...rest, quorom: true }] })), ['CEREMONY_FIELD_MISSING issue-crl/quorum', 'CEREMONY_FIELD_UNKNOWN issue-crl/quorom']);
  });

  it('names an unknown parameter of an act, and one the act needs but lacks', () => {
    assert.deepEqual(findings(script({ steps: [step({ action: { act: 'crl.issue', params: { ca: 'root', dys: 30 } } })] })), ['CEREMONY_FIELD_UNKNOWN issue-crl/action.params.dys']);
    assert.deepEqual(findings(script({ steps: [step({ action: { act: 'request.sign', params: { ca: 'root', from: 'removable-media' } } })] })), ['CEREMONY_FIELD_MISSING issue-crl/action.params.profile']);
  });

  it('names an act Custos does not know CEREMONY_ACT_UNKNOWN', () => {
    assert.deepEqual(findings(script({ steps: [step({ action: { act: 'root.delete', params: {} } })] })), ['CEREMONY_ACT_UNKNOWN issue-crl/action.act']);
  });

  it('names a wrong value CEREMONY_FIELD_INVALID: a performer that is no role, a validity of zero days, a step id with spaces', () => {
    assert.deepEqual(findings(script({ steps: [step({ performer: 'auditor' })] })), ['CEREMONY_FIELD_INVALID issue-crl/performer']);
    assert.deepEqual(findings(script({ steps: [step({ action: { act: 'crl.issue', params: { ca: 'root', days: 0 } } })] })), ['CEREMONY_FIELD_INVALID issue-crl/action.params.days']);
    assert.deepEqual(findings(script({ steps: [step({ id: 'Issue CRL' })] })), ['CEREMONY_FIELD_INVALID Issue CRL/id']);
    assert.deepEqual(findings(script({ format: 'custos-ceremony/2' })), ['CEREMONY_FIELD_INVALID format']);
  });

  it('names a step without an id by its place, and reports every finding at once', () => {
    const { id, ...noId } = step();
    assert.equal(id, 'issue-crl');
    assert.deepEqual(findings(script({ steps: [step(), { ...noId, checks: [] }] })), ['CEREMONY_FIELD_MISSING step 2/id', 'CEREMONY_FIELD_INVALID step 2/checks']);
  });

  it('throws the findings as one error with the first one\'s code, step and field, and every finding in its details', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custos-script-'));
    try {
      const file = join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify(script({ steps: [step({ witnesses: -1, quorum: 'yes' })] })));
      await assert.rejects(loadScript(file), (e) => {
        assert.ok(isCustosError(e));
        assert.equal(e.code, 'CEREMONY_FIELD_INVALID');
        assert.equal(e.details.step, 'issue-crl');
        assert.equal(e.details.field, 'quorum');
        assert.deepEqual(e.details.findings, ['CEREMONY_FIELD_INVALID issue-crl: quorum', 'CEREMONY_FIELD_INVALID issue-crl: witnesses']);
        assert.match(e.message, /bad\.json: .*step "issue-crl", field "quorum"/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a file that is too large or not UTF-8 without reading it as a script', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custos-script-'));
    try {
      writeFileSync(join(dir, 'big.json'), Buffer.alloc(MAX_SCRIPT_BYTES + 1, 0x20));
      await assert.rejects(loadScript(join(dir, 'big.json')), { code: 'FILE_TOO_LARGE' });
      writeFileSync(join(dir, 'latin1.json'), Buffer.concat([Buffer.from('{"title": "M'), Buffer.from([0xfc]), Buffer.from('nchen"}')]));
      await assert.rejects(loadScript(join(dir, 'latin1.json')), { code: 'CEREMONY_SCRIPT_MALFORMED' });
      await assert.rejects(loadScript(join(dir, 'absent.json')), { code: 'FILE_NOT_FOUND' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
