/**
 * CUSTOS_TEST_SHARE_FILE_ITERATIONS (share files with fewer KDF rounds, so
 * tests need not wait minutes per file) is obeyed only in a test run (the
 * runner marks its processes with CUSTOS_TEST_RUN) and on a rehearsal core.
 * Anywhere else a share file may guard a real key domain: the setting is
 * refused with SHARE_FILE_ITERATIONS_REFUSED before a password is asked, and
 * no share is made or journaled. A real share file is always 10,000,000 rounds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Custos } from '../../../main/custos.ts';
import { createHandlers } from '../../../main/api/handlers.ts';
import { ReadGrants } from '../../../main/exchange/read-grants.ts';
import { dispatch } from '../../../electron/dispatch.ts';
import { SHARE_FILE_ITERATIONS_ENV, TEST_RUN_ENV } from '../../../main/ca/key-domain.ts';
import { decryptShareFile } from '../../../main/keydomain/share-file.ts';
import { Secret } from '../../../main/secret.ts';
import { kcv } from '../../../main/keydomain/dkek.ts';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin/custos.mjs');
const PASSWORD = 'anna-password-1';

describe('a lowered share-file KDF count outside tests and rehearsals', () => {
  let work: string;
  const journalOf = (home: string): string => (existsSync(join(home, 'journal.jsonl')) ? readFileSync(join(home, 'journal.jsonl'), 'utf8') : '');

  before(() => { work = mkdtempSync(join(tmpdir(), 'custos-kd-iterations-')); });
  after(() => rmSync(work, { recursive: true, force: true }));

  function dkekCreate(home: string, out: string, marked: boolean): { status: number | null; json: any; stderr: string } {
    const env: NodeJS.ProcessEnv = { ...process.env, CUSTOS_HOME: home, CUSTOS_OPERATOR: 'ceremony', ANNA_PW: PASSWORD, [SHARE_FILE_ITERATIONS_ENV]: '1000' };
    if (!marked) delete env[TEST_RUN_ENV];
    else env[TEST_RUN_ENV] ??= 'keydomain-test-iterations';
    mkdirSync(out, { recursive: true });
    const r = spawnSync(process.execPath, [CLI, 'dkek', 'create', '--custodian', 'Anna', '--out', out, '--password-env', 'ANNA_PW', '--json'], { encoding: 'utf8', env, cwd: work, timeout: 120_000 });
    let json: unknown;
    try { json = JSON.parse(r.stdout); } catch { json = undefined; }
    return { status: r.status, json, stderr: r.stderr };
  }

  it('custos dkek create refuses it outside a test run: SHARE_FILE_ITERATIONS_REFUSED, no file, nothing journaled', () => {
    const home = join(work, 'operator-home');
    const out = join(work, 'operator-medium');
    const r = dkekCreate(home, out, false);
    assert.notEqual(r.status, 0);
    assert.equal(r.json?.error?.code, 'SHARE_FILE_ITERATIONS_REFUSED', r.stderr);
    assert.match(r.json.error.message, /10,000,000/);
    assert.deepEqual(readdirSync(out), []);
    assert.ok(!journalOf(home).includes('dkek.share.create'), 'no share creation journaled');
    assert.ok(!JSON.stringify(r.json).includes(PASSWORD) && !r.stderr.includes(PASSWORD));
  });

  it('custos dkek create obeys it in a test run: the share file opens with the lowered count', () => {
    const home = join(work, 'test-home');
    const out = join(work, 'test-medium');
    const r = dkekCreate(home, out, true);
    assert.equal(r.status, 0, r.stderr);
    const file = new Uint8Array(readFileSync(r.json.path));
    const share = decryptShareFile(file, Secret.fromString(PASSWORD), { iterations: 1000 });
    assert.equal(Buffer.from(kcv(share)).toString('hex'), r.json.shareKcv);
  });

  it('the window\'s share channels refuse it on a core of real tokens, and obey it on a rehearsal core', async () => {
    const marker = process.env[TEST_RUN_ENV];
    const iterations = process.env[SHARE_FILE_ITERATIONS_ENV];
    delete process.env[TEST_RUN_ENV];
    process.env[SHARE_FILE_ITERATIONS_ENV] = '1000';
    const real = Custos.open({ dataDir: join(work, 'window-home'), operator: 'window', providers: [], pcsc: false });
    const rehearsal = await Custos.openRehearsal({ dataDir: join(work, 'rehearsal-home'), operator: 'rehearsal' });
    try {
      const request = { custodian: 'Anna', password: PASSWORD, passwordRepeat: PASSWORD };
      const refused = await dispatch(createHandlers(real, { readGrants: new ReadGrants(async () => []) }), 'keydomain.createShare', request);
      assert.equal(!refused.ok && refused.error.code, 'SHARE_FILE_ITERATIONS_REFUSED');
      assert.ok(!existsSync(join(work, 'window-home', 'dkek-shares')) || readdirSync(join(work, 'window-home', 'dkek-shares')).length === 0);
      assert.ok(!journalOf(join(work, 'window-home')).includes('dkek.share.create'));
      const made = await dispatch(createHandlers(rehearsal, { readGrants: new ReadGrants(async () => []) }), 'keydomain.createShare', request);
      assert.equal(made.ok, true, JSON.stringify(made));
      const path = (made as { value: { path: string } }).value.path;
      assert.doesNotThrow(() => decryptShareFile(new Uint8Array(readFileSync(path)), Secret.fromString(PASSWORD), { iterations: 1000 }));
    } finally {
      await real.close();
      await rehearsal.close();
      if (marker !== undefined) process.env[TEST_RUN_ENV] = marker;
      if (iterations === undefined) delete process.env[SHARE_FILE_ITERATIONS_ENV];
      else process.env[SHARE_FILE_ITERATIONS_ENV] = iterations;
    }
  });
});
