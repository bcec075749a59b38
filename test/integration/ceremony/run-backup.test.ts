/**
 * The key-backup and HSM-cloning ceremonies through the CLI on the rehearsal
 * tokens (the CA HSM, quorum-protected, and the Backup HSM of the same key
 * domain), driven through stdin as the room would type: the root made by
 * the root-key ceremony is wrapped into a .wky on the folder standing for
 * the medium and restored into the Backup HSM, whose public key then equals
 * the root's; a run killed right after the wrap, or right after the
 * restore, resumes with that step recorded from the journal, not done
 * again; and the pre-flight refuses a
 * secondary that is absent, that has no key domain, that is of another
 * key domain, or that already holds the key, before anything is begun.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
const ROOT_SCRIPT = join(ROOT, 'resources/ceremonies/root-key-generation.json');
const BACKUP_SCRIPT = join(ROOT, 'resources/ceremonies/key-backup.json');
const CLONING_SCRIPT = join(ROOT, 'resources/ceremonies/hsm-cloning.json');
const work = mkdtempSync(join(tmpdir(), 'custos-ceremony-backup-'));

interface Entry { seq: number; kind: string; data: Record<string, unknown>; intent?: number }
interface Artifact { kind: string; name: string; sha256: string; path?: string }
interface Script { steps: { id: string; witnesses: number; action: { act: string; params: Record<string, unknown> } }[] }

/** What the room types for steps from..end: the performer's name, then each witness's. */
function answers(script: string, from = 0): string {
  const { steps } = JSON.parse(readFileSync(script, 'utf8')) as Script;
  return steps.slice(from).flatMap((s) => ['Ada Admin', ...['Wanda Witness', 'Will Witness'].slice(0, s.witnesses)]).join('\n') + '\n';
}

function custos(home: string, args: readonly string[], input = '', env: NodeJS.ProcessEnv = {}): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args, '--rehearsal', '--home', home], {
    input, encoding: 'utf8', env: { ...process.env, CUSTOS_OPERATOR: 'ceremony-test', REHEARSAL_PIN: '123456', ...env }, timeout: 240_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const runArgs = (script: string, media: string): string[] => [
  'ceremony', 'run', script, '--token', 'CA HSM', '--media', media, '--custodian', 'Custodian 1', '--custodian', 'Custodian 3', '--pin-env', 'REHEARSAL_PIN', '--yes', '--json',
];

function journal(home: string): Entry[] {
  return readFileSync(join(home, 'journal.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Entry);
}

/** The rehearsal tokens' state files, hashed: a token written to shows another hash. */
function tokenState(home: string): Record<string, string> {
  const dir = join(home, 'rehearsal-tokens');
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));
}

const sha256File = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** The keys a rehearsal token holds, read off its state file after the CLI has exited, logged in as the room would. */
async function keysOn(home: string, label: string): Promise<readonly { label: string; spkiSha256: string }[]> {
  const core = await Custos.openRehearsal({ dataDir: home, operator: 'ceremony-test' });
  try {
    const listed = (await core.tokens.list()).find((t) => t.info.label === label)!;
    await core.login(listed.id, Secret.fromString('123456'));
    return await (await core.tokens.open(listed.id)).listKeys();
  } finally {
    await core.close();
  }
}

/** A root made by the root-key ceremony: what the backup ceremonies back up. */
function rootCeremony(home: string, media: string): string {
  mkdirSync(media, { recursive: true });
  const r = custos(home, runArgs(ROOT_SCRIPT, media), answers(ROOT_SCRIPT));
  assert.equal(r.status, 0, r.stderr);
  const root = journal(home).find((e) => e.kind === 'ca.root.done')!;
  return String((root.data['newCa'] as { keySpkiSha256: string }).keySpkiSha256);
}

function stepOf(home: string, id: string): Entry {
  return journal(home).filter((e) => e.kind === 'ceremony.step' && e.data['step'] === id).at(-1)!;
}

function variant(script: string, name: string, change: (s: Script) => void): string {
  const s = JSON.parse(readFileSync(script, 'utf8')) as Script;
  change(s);
  const file = join(work, name);
  writeFileSync(file, JSON.stringify(s, null, 2));
  return file;
}

after(() => rmSync(work, { recursive: true, force: true }));

describe('custos ceremony run key-backup.json', () => {
  const home = join(work, 'home');
  const media = join(work, 'medium');
  let rootSpki = '';

  before(() => { rootSpki = rootCeremony(home, join(work, 'root-medium')); });

  it('wraps the root key into a .wky on the medium and restores it into the Backup HSM, whose public key is the root\'s', async () => {
    mkdirSync(media);
    assert.ok(!(await keysOn(home, 'Backup HSM')).some((k) => k.spkiSha256 === rootSpki), 'the Backup HSM does not hold the root key before');
    const r = custos(home, runArgs(BACKUP_SCRIPT, media), answers(BACKUP_SCRIPT));
    assert.equal(r.status, 0, r.stderr);
    const entries = journal(home);
    assert.deepEqual(entries.filter((e) => e.kind === 'ceremony.step' && e.data['ceremony'] === entries.filter((b) => b.kind === 'ceremony.begin').at(-1)!.data['ceremony'])
      .map((e) => e.data['step']), ['check-tokens', 'import-dkek-secondary', 'compare-kcv', 'authenticate-quorum', 'wrap-key', 'restore-key']);
    assert.equal(entries.filter((e) => e.kind === 'ceremony.end').at(-1)!.data['outcome'], 'completed');

    // The .wky and its record are on the medium; the step names the file's SHA-256, the key's and the domain's KCV.
    const wky = readdirSync(media).filter((n) => n.endsWith('.wky'));
    assert.equal(wky.length, 1);
    assert.ok(readdirSync(media).includes(wky[0]!.replace(/\.wky$/, '.custos.json')));
    const wrap = stepOf(home, 'wrap-key').data['artifacts'] as Artifact[];
    assert.deepEqual(wrap.map((a) => a.kind), ['backup', 'key', 'dkek']);
    assert.equal(wrap[0]!.sha256, sha256File(join(media, wky[0]!)));
    assert.equal(wrap[1]!.sha256, rootSpki);
    const backupDone = entries.filter((e) => e.kind === 'key.backup.done');
    assert.equal(backupDone.length, 1);
    assert.equal(wrap[2]!.sha256, backupDone[0]!.data['domainKcv']);
    assert.ok((stepOf(home, 'wrap-key').data['actSeqs'] as number[]).includes(backupDone[0]!.seq), 'the step names the backup\'s result entry');
    assert.equal((stepOf(home, 'wrap-key').data['custodians'] as unknown[]).length, 2, 'the two custodians of the quorum are recorded with the wrap');

    // The restored key is the root key, on the Backup HSM, as its own key list shows.
    const restore = stepOf(home, 'restore-key').data['artifacts'] as Artifact[];
    assert.deepEqual([restore[0]!.sha256, restore[1]!.sha256, restore[2]!.sha256], [wrap[0]!.sha256, rootSpki, wrap[2]!.sha256]);
    assert.equal(entries.filter((e) => e.kind === 'key.restore.done').length, 1);
    assert.ok((await keysOn(home, 'Backup HSM')).some((k) => k.spkiSha256 === rootSpki), 'the Backup HSM now holds the root key');
    assert.ok(!readFileSync(join(home, 'journal.jsonl'), 'utf8').includes('123456'), 'no PIN in the journal');
  });

  it('refuses to run it again now that the Backup HSM holds the key (KEY_ALREADY_PRESENT), and on the medium holding its backup (FILE_EXISTS), beginning nothing and writing no token', () => {
    const again = join(work, 'medium-again');
    mkdirSync(again);
    const tokensBefore = tokenState(home);
    const entriesBefore = journal(home).length;
    const r = custos(home, runArgs(BACKUP_SCRIPT, again), answers(BACKUP_SCRIPT));
    assert.equal(r.status, 2, r.stderr);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; details: { codes: string[] } } };
    assert.equal(error.code, 'CEREMONY_PREFLIGHT_FAILED');
    assert.deepEqual(error.details.codes, ['KEY_ALREADY_PRESENT']);
    assert.deepEqual(tokenState(home), tokensBefore);
    assert.equal(journal(home).length, entriesBefore);
    assert.deepEqual(readdirSync(again), [], 'no .wky written');

    // On the medium that already holds its backup, the wrap is refused too: the act never overwrites a file.
    const onFirst = custos(home, runArgs(BACKUP_SCRIPT, media), answers(BACKUP_SCRIPT));
    assert.deepEqual((JSON.parse(onFirst.stdout) as { error: { details: { codes: string[] } } }).error.details.codes, ['FILE_EXISTS', 'KEY_ALREADY_PRESENT']);
    assert.equal(journal(home).length, entriesBefore);
  });
});

describe('custos ceremony run hsm-cloning.json, killed right after the wrap', () => {
  const home = join(work, 'cloning-home');
  const media = join(work, 'cloning-medium');
  let rootSpki = '';

  before(() => { rootSpki = rootCeremony(home, join(work, 'cloning-root-medium')); });

  it('refuses a secondary that is not in the room (CEREMONY_TOKEN_MISSING) or has no key domain (CEREMONY_DKEK_STATE), beginning nothing', () => {
    mkdirSync(media);
    const tokensBefore = tokenState(home);
    const entriesBefore = journal(home).length;
    const named = (name: string, token: string): string => variant(CLONING_SCRIPT, name, (s) => {
      for (const step of s.steps) if ('token' in step.action.params) step.action.params['token'] = token;
    });
    for (const [file, code] of [[named('absent.json', 'Spare HSM 2'), 'CEREMONY_TOKEN_MISSING'], [named('no-domain.json', 'Custodian 2'), 'CEREMONY_DKEK_STATE']] as const) {
      const r = custos(home, runArgs(file, media), answers(CLONING_SCRIPT));
      assert.equal(r.status, 2, r.stderr);
      const { error } = JSON.parse(r.stdout) as { error: { code: string; details: { codes: string[] } } };
      assert.equal(error.code, 'CEREMONY_PREFLIGHT_FAILED');
      assert.ok(error.details.codes.includes(code), `${file}: ${error.details.codes.join(', ')}`);
      assert.ok(!error.details.codes.includes('CEREMONY_ACT_UNSUPPORTED'));
    }
    assert.deepEqual(tokenState(home), tokensBefore, 'no token was written to');
    assert.equal(journal(home).length, entriesBefore, 'nothing begun');
  });

  it('leaves the .wky written and its step unrecorded; the resumed run records the wrap from the journal, makes no second backup, and restores the root key', async () => {
    const killed = custos(home, runArgs(CLONING_SCRIPT, media), answers(CLONING_SCRIPT), { NODE_ENV: 'test', CUSTOS_TEST_CEREMONY_KILL_AFTER: 'wrap-root-key' });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    assert.equal(journal(home).filter((e) => e.kind === 'key.backup.done').length, 1, 'the wrap was done before the kill');
    const wky = readdirSync(media).filter((n) => n.endsWith('.wky'));
    assert.equal(wky.length, 1);

    const resumed = custos(home, runArgs(CLONING_SCRIPT, media), answers(CLONING_SCRIPT, 3));
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, /Resuming the ceremony .* at step 4 of 6/);
    assert.match(resumed.stderr, /The backup was written before the interruption/);
    const entries = journal(home);
    assert.equal(entries.filter((e) => e.kind === 'key.backup.intent').length, 1, 'no second wrap begun');
    assert.deepEqual(readdirSync(media).filter((n) => n.endsWith('.wky')), wky, 'no second .wky');
    const wrap = stepOf(home, 'wrap-root-key').data['artifacts'] as Artifact[];
    assert.equal(wrap[0]!.sha256, sha256File(join(media, wky[0]!)));
    assert.equal(wrap[1]!.sha256, rootSpki);
    const restore = stepOf(home, 'restore-root-key').data['artifacts'] as Artifact[];
    assert.equal(restore[1]!.sha256, rootSpki);
    assert.ok((await keysOn(home, 'Backup HSM')).some((k) => k.spkiSha256 === rootSpki), 'the Backup HSM holds the root key');
    // verify-clone shows the fingerprints recorded, for reading aloud.
    assert.ok(resumed.stderr.includes(rootSpki.match(/.{4}/g)!.join(' ')));
    assert.equal(entries.filter((e) => e.kind === 'ceremony.end').at(-1)!.data['outcome'], 'completed');
  });
});

describe('custos ceremony run hsm-cloning.json with a secondary of another key domain', () => {
  const home = join(work, 'other-domain-home');
  const media = join(work, 'other-domain-medium');

  it('refuses it in the pre-flight (KCV_MISMATCH) for the share import and the restore, beginning nothing and writing no token', async () => {
    mkdirSync(media);
    rootCeremony(home, join(work, 'other-domain-root-medium'));
    // The Backup HSM initialized again into a domain of its own: one share nobody else holds. Named by its id, as its label went with the re-initialization.
    const core = await Custos.openRehearsal({ dataDir: home, operator: 'ceremony-test' });
    const backupId = await core.tokens.list().then((ts) => ts.find((t) => t.info.label === 'Backup HSM')!.id).finally(() => core.close());
    const vc = await VirtualCard.open(join(home, 'rehearsal-tokens', 'backup-hsm.vsc'));
    const card = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
    await card.initialize({ soPin: Secret.fromString(REHEARSAL_SO_PIN), pin: Secret.fromString(REHEARSAL_PIN), dkekShares: 1 });
    await card.verifyPin(Secret.fromString(REHEARSAL_PIN));
    await card.importDkekShare(createHash('sha256').update('another domain').digest());
    await card.close();
    await vc.close();

    const file = variant(CLONING_SCRIPT, 'other-domain.json', (s) => {
      for (const step of s.steps) if ('token' in step.action.params) step.action.params['token'] = backupId;
    });
    const tokensBefore = tokenState(home);
    const entriesBefore = journal(home).length;
    const r = custos(home, runArgs(file, media), answers(CLONING_SCRIPT));
    assert.equal(r.status, 2, r.stderr);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; details: { codes: string[] } } };
    assert.equal(error.code, 'CEREMONY_PREFLIGHT_FAILED');
    assert.deepEqual(error.details.codes, ['KCV_MISMATCH', 'KCV_MISMATCH']);
    assert.deepEqual(tokenState(home), tokensBefore, 'no token was written to');
    assert.equal(journal(home).length, entriesBefore, 'nothing begun');
    assert.deepEqual(readdirSync(media), [], 'no .wky written');
  });
});

describe('custos ceremony run key-backup.json, killed right after the restore', () => {
  const home = join(work, 'killed-restore-home');
  const media = join(work, 'killed-restore-medium');

  it('leaves the key restored and its step unrecorded; the resumed run records the restore from the journal and unwraps nothing again', async () => {
    const rootSpki = rootCeremony(home, join(work, 'killed-restore-root-medium'));
    mkdirSync(media);
    const killed = custos(home, runArgs(BACKUP_SCRIPT, media), answers(BACKUP_SCRIPT), { NODE_ENV: 'test', CUSTOS_TEST_CEREMONY_KILL_AFTER: 'restore-key' });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    assert.equal(journal(home).filter((e) => e.kind === 'key.restore.done').length, 1, 'restored before the kill');
    assert.ok(!journal(home).some((e) => e.kind === 'ceremony.step' && e.data['step'] === 'restore-key'));

    // The secondary now holds the key: a restore done again would be refused (KEY_ALREADY_PRESENT) and the ceremony could never end.
    const resumed = custos(home, runArgs(BACKUP_SCRIPT, media), answers(BACKUP_SCRIPT, 5));
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, /The key was restored before the interruption/);
    const entries = journal(home);
    assert.equal(entries.filter((e) => e.kind === 'key.restore.intent').length, 1, 'no second restore begun');
    const restore = stepOf(home, 'restore-key').data['artifacts'] as Artifact[];
    const wky = readdirSync(media).filter((n) => n.endsWith('.wky'));
    assert.deepEqual([restore[0]!.sha256, restore[1]!.sha256], [sha256File(join(media, wky[0]!)), rootSpki]);
    assert.equal((await keysOn(home, 'Backup HSM')).filter((k) => k.spkiSha256 === rootSpki).length, 1, 'one copy of the root key on the Backup HSM');
    assert.equal(entries.filter((e) => e.kind === 'ceremony.end').at(-1)!.data['outcome'], 'completed');
  });
});
