/**
 * custos ceremony check through the CLI, as at the desk where a script is
 * prepared: no token module, no PC/SC, only a data directory. A script that
 * fits passes; one that names a CA the journal lacks, or is misspelt, fails
 * with its finding's code and every finding listed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin/custos.mjs');
const CEREMONIES = join(ROOT, 'resources/ceremonies');

describe('custos ceremony check', () => {
  let work: string;
  let env: NodeJS.ProcessEnv;

  function custos(args: string[]): { stdout: string; stderr: string; status: number | null } {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, cwd: work });
    return { stdout: r.stdout, stderr: r.stderr, status: r.status };
  }

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'custos-cli-ceremony-'));
    env = { ...process.env, CUSTOS_HOME: join(work, 'home'), CUSTOS_OPERATOR: 'test-operator' };
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  it('passes the root ceremony in an empty data directory, and says so with its steps counted', () => {
    const r = custos(['ceremony', 'check', join(CEREMONIES, 'root-key-generation.json'), '--json']);
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { id: string; steps: number; findings: unknown[] };
    assert.equal(json.id, 'root-key-generation');
    assert.equal(json.steps, 8);
    assert.deepEqual(json.findings, []);
  });

  it('fails the subordinate ceremony where the journal holds no root: CEREMONY_CA_UNKNOWN, every step that names it listed', () => {
    const r = custos(['ceremony', 'check', join(CEREMONIES, 'subordinate-signing.json')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^error CEREMONY_CA_UNKNOWN: .*Step "authenticate-quorum": it names the CA "example-root"/m);
    for (const step of ['authenticate-quorum', 'sign-subordinate', 'export-bundle']) assert.match(r.stderr, new RegExp(`- CEREMONY_CA_UNKNOWN ${step}: action\\.params\\.ca`));
  });

  it('fails a misspelt script ("quorom"): the missing quorum and the unknown field, each named with its step', () => {
    const text = readFileSync(join(CEREMONIES, 'crl-reissue.json'), 'utf8').replace('"quorum": true', '"quorom": true');
    writeFileSync(join(work, 'misspelt.json'), text);
    const r = custos(['ceremony', 'check', join(work, 'misspelt.json'), '--json']);
    assert.equal(r.status, 2);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; details: { step: string; field: string; findings: string[] } } };
    assert.equal(error.code, 'CEREMONY_FIELD_MISSING');
    assert.equal(error.details.step, 'issue-crl');
    assert.deepEqual(error.details.findings, ['CEREMONY_FIELD_MISSING issue-crl: quorum', 'CEREMONY_FIELD_UNKNOWN issue-crl: quorom']);
  });
});
