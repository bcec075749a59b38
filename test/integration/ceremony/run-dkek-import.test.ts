/**
 * The ceremony's dkek.import through the CLI on the rehearsal tokens: the
 * Backup HSM, initialized again to wait for two DKEK shares, takes the two
 * share files `custos dkek create` made, each custodian typing their share
 * file's path and password through stdin as the room would; the domain
 * completes with the KCV the journal records, and no password reaches the
 * journal or the terminal. A wrong password imports nothing, and the
 * resumed ceremony asks only for the shares still outstanding.
 *
 * Share files use 1,000 KDF rounds (CUSTOS_TEST_SHARE_FILE_ITERATIONS).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Custos } from '../../../main/custos.ts';
import { Secret } from '../../../main/secret.ts';
import { VirtualCard } from '../../../main/hsm/virtual/card.ts';
import { ScHsmCard } from '../../../main/hsm/sc-hsm/card.ts';
import { InProcessTransport } from '../../../main/hsm/sc-hsm/inprocess-transport.ts';
import { REHEARSAL_PIN, REHEARSAL_SO_PIN } from '../../../main/rehearsal/tokens.ts';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin/custos.mjs');
const BACKUP_SCRIPT = join(ROOT, 'resources/ceremonies/key-backup.json');
const work = mkdtempSync(join(tmpdir(), 'custos-ceremony-dkek-'));
const PASSWORDS = ['first custodian pass', 'second custodian pass'];
const ENV = { CUSTOS_OPERATOR: 'ceremony-test', REHEARSAL_PIN, CUSTOS_TEST_SHARE_FILE_ITERATIONS: '1000' };

interface Entry { seq: number; kind: string; data: Record<string, unknown>; intent?: number }
interface Script { steps: { id: string; witnesses: number; action: { act: string; params: Record<string, unknown> } }[] }

function custos(args: readonly string[], input = ''): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', env: { ...process.env, ...ENV }, timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const names = (witnesses: number): string[] => ['Ada Admin', ...['Wanda Witness', 'Will Witness'].slice(0, witnesses)];

function journal(home: string): Entry[] {
  return readFileSync(join(home, 'journal.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Entry);
}

after(() => rmSync(work, { recursive: true, force: true }));

describe('custos ceremony run: dkek.import with the share files and passwords typed through stdin', () => {
  const home = join(work, 'home');
  const media = join(work, 'medium');
  const shares: string[] = [];
  let backupId = '';
  let script = '';

  before(async () => {
    mkdirSync(media);
    mkdirSync(join(work, 'shares'));
    // Two custodians' share files, made as at their own desks (another data directory).
    for (const [i, password] of PASSWORDS.entries()) {
      const made = spawnSync(process.execPath, [CLI, 'dkek', 'create', '--custodian', `Custodian ${i + 1}`, '--out', join(work, 'shares'), '--password-env', 'SHARE_PASSWORD', '--json', '--home', join(work, 'desk')],
        { encoding: 'utf8', env: { ...process.env, ...ENV, SHARE_PASSWORD: password } });
      assert.equal(made.status, 0, made.stderr);
      shares.push((JSON.parse(made.stdout) as { path: string }).path);
    }
    // The rehearsal tokens, and the Backup HSM initialized again to wait for those two shares (named by its id: its label went with it).
    const core = await Custos.openRehearsal({ dataDir: home, operator: 'ceremony-test' });
    backupId = await core.tokens.list().then((ts) => ts.find((t) => t.info.label === 'Backup HSM')!.id).finally(() => core.close());
    const vc = await VirtualCard.open(join(home, 'rehearsal-tokens', 'backup-hsm.vsc'));
    const card = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
    await card.initialize({ soPin: Secret.fromString(REHEARSAL_SO_PIN), pin: Secret.fromString(REHEARSAL_PIN), dkekShares: 2 });
    await card.close();
    await vc.close();
    // The key-backup script's first three steps: the tokens, the shares into the ceremony's HSM, the KCV.
    const s = JSON.parse(readFileSync(BACKUP_SCRIPT, 'utf8')) as Script;
    s.steps = s.steps.slice(0, 3);
    delete s.steps[1]!.action.params['token'];
    s.steps[1]!.action.params['shares'] = 2;
    script = join(work, 'dkek-import.json');
    writeFileSync(script, JSON.stringify(s, null, 2));
  });

  const run = (input: string[]) => custos(['ceremony', 'run', script, '--token', backupId, '--media', media, '--yes', '--json', '--rehearsal', '--home', home], `${input.join('\n')}\n`);

  it('imports nothing on a wrong password (DKEK_SHARE_PASSWORD_WRONG): the step is not recorded and the ceremony stays begun', () => {
    const r = run([...names(2), shares[0]!, 'not the password']);
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'DKEK_SHARE_PASSWORD_WRONG', r.stderr);
    const entries = journal(home);
    assert.equal(entries.filter((e) => e.kind === 'dkek.share.import.intent').length, 0, 'nothing reached the card');
    assert.deepEqual(entries.filter((e) => e.kind === 'ceremony.step').map((e) => e.data['step']), ['check-tokens']);
    assert.equal(entries.filter((e) => e.kind === 'ceremony.end').length, 0);
  });

  it('resumed, takes both shares with their passwords typed, completes the domain, and shows its KCV for the next step', () => {
    const r = run([shares[0]!, PASSWORDS[0]!, shares[1]!, PASSWORDS[1]!, ...names(2), ...names(2)]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Resuming the ceremony .* at step 2 of 3/);
    const entries = journal(home);
    const done = entries.filter((e) => e.kind === 'dkek.share.import.done');
    assert.equal(done.length, 2);
    assert.equal(done[1]!.data['complete'], true);
    const kcv = String(done[1]!.data['kcv']);
    assert.match(kcv, /^[0-9a-f]{16}$/);
    assert.ok(r.stderr.includes(`key domain complete: 2 share(s), KCV ${kcv}`), 'the KCV is shown to the room');
    const step = entries.filter((e) => e.kind === 'ceremony.step' && e.data['step'] === 'import-dkek-secondary').at(-1)!;
    assert.ok(done.every((d) => (step.data['actSeqs'] as number[]).includes(d.seq)), 'the step names both imports');
    assert.equal(entries.filter((e) => e.kind === 'ceremony.end').at(-1)!.data['outcome'], 'completed');
    const journalText = readFileSync(join(home, 'journal.jsonl'), 'utf8');
    for (const p of [...PASSWORDS, 'not the password']) {
      assert.ok(!journalText.includes(p) && !r.stdout.includes(p) && !r.stderr.includes(p), 'no password in the journal or on the terminal');
    }
  });
});
