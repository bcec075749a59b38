/**
 * custos ceremony run through the CLI on the rehearsal tokens (the virtual
 * SmartCard-HSMs: the CA HSM quorum-protected, 2 of 3 custodians), driven
 * through stdin as the room would type: the root-key ceremony and then the
 * subordinate signing from a request on a folder standing for the USB
 * medium, end to end; a CLI killed with SIGKILL right after the root's
 * signature, before its step entry, resumed without a second signature; the
 * same when killed after the token signed but before the act's done entry
 * (the result recorded at the next open, the room's confirmation of the step
 * then covered by a checkpoint the HSM signs); and the pre-flight refusals, which leave the tokens and the journal without a
 * ceremony begun.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin/custos.mjs');
const ROOT_SCRIPT = join(ROOT, 'resources/ceremonies/root-key-generation.json');
const SUB_SCRIPT = join(ROOT, 'resources/ceremonies/subordinate-signing.json');
const work = mkdtempSync(join(tmpdir(), 'custos-ceremony-run-'));

interface Entry { seq: number; kind: string; data: Record<string, unknown>; intent?: number }
interface Script { steps: { id: string; witnesses: number }[] }

/** What the room types for steps from..end: the performer's name, then each witness's. */
function answers(script: string, from = 0, witnesses = ['Wanda Witness', 'Will Witness']): string {
  const { steps } = JSON.parse(readFileSync(script, 'utf8')) as Script;
  return steps.slice(from).flatMap((s) => ['Ada Admin', ...witnesses.slice(0, s.witnesses)]).join('\n') + '\n';
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
  const file = join(home, 'journal.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Entry);
}

/** The rehearsal tokens' state files, hashed: a token written to shows another hash. */
function tokenState(home: string): Record<string, string> {
  const dir = join(home, 'rehearsal-tokens');
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));
}

const sha256File = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A subordinate CA's request, made by OpenSSL with a key of its own, on the folder standing for the medium. */
function requestOnMedium(medium: string): void {
  mkdirSync(medium, { recursive: true });
  const req = spawnSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', join(medium, '..', `${Date.now()}.key`),
    '-subj', '/C=DE/O=Example/CN=Example Issuing CA', '-out', join(medium, 'issuing-ca.csr')], { encoding: 'utf8' });
  assert.equal(req.status, 0, req.stderr);
}

after(() => rmSync(work, { recursive: true, force: true }));

describe('custos ceremony run', () => {
  const home = join(work, 'home');
  const media = join(work, 'medium');

  it('runs the root-key ceremony end to end: eight steps, each confirmed by its performer and witnesses, one root and one CRL signed, a REHEARSAL bundle on the medium', () => {
    mkdirSync(media);
    const r = custos(home, runArgs(ROOT_SCRIPT, media), answers(ROOT_SCRIPT));
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { ceremony: string; steps: number; journalHead: string; rehearsal: boolean };
    assert.equal(result.steps, 8);
    assert.equal(result.rehearsal, true);
    const entries = journal(home);
    const last = entries.at(-1)!;
    assert.equal(result.journalHead, `${last.seq}:${(last as unknown as { hash: string }).hash}`);
    const begin = entries.find((e) => e.kind === 'ceremony.begin')!;
    assert.equal(begin.data['scriptSha256'], sha256File(ROOT_SCRIPT));
    assert.equal(begin.data['rehearsal'], true);
    const steps = entries.filter((e) => e.kind === 'ceremony.step');
    assert.deepEqual(steps.map((s) => s.data['step']), ['check-room', 'verify-journal', 'check-key-domain', 'authenticate-quorum', 'create-root', 'issue-first-crl', 'export-bundle', 'read-fingerprints']);
    for (const s of steps) {
      assert.equal((s.data['performer'] as { name: string }).name, 'Ada Admin');
      assert.ok((s.data['witnesses'] as { name: string; time: string }[]).every((w) => ['Wanda Witness', 'Will Witness'].includes(w.name) && !Number.isNaN(Date.parse(w.time))));
    }
    const root = steps.find((s) => s.data['step'] === 'create-root')!;
    const rootDone = entries.filter((e) => e.kind === 'ca.root.done');
    assert.equal(rootDone.length, 1);
    assert.ok((root.data['actSeqs'] as number[]).includes(rootDone[0]!.seq), 'the step names the root\'s result entry');
    assert.deepEqual((root.data['artifacts'] as { kind: string; sha256: string }[]).map((a) => a.kind), ['key', 'certificate']);
    assert.equal((root.data['artifacts'] as { kind: string; sha256: string }[])[1]!.sha256, rootDone[0]!.data['sha256']);
    assert.equal((root.data['custodians'] as { chr: string; keySha256: string }[]).length, 2, 'the two custodians who authenticated for the signature');
    assert.equal(entries.filter((e) => e.kind === 'crl.issue.done').length, 1);
    const end = entries.find((e) => e.kind === 'ceremony.end')!;
    assert.equal(end.data['outcome'], 'completed');
    // The fingerprints were shown in groups of four for reading aloud.
    const certSha = String(rootDone[0]!.data['sha256']);
    assert.ok(r.stderr.includes(certSha.match(/.{4}/g)!.join(' ')), 'the certificate\'s SHA-256 is shown in groups of four');
    assert.equal(readdirSync(media).filter((n) => n.startsWith('example-root-bundle-')).length, 1);
    assert.ok(!readFileSync(join(home, 'journal.jsonl'), 'utf8').includes('123456'), 'no PIN in the journal');
  });

  it('then signs a subordinate CA from the request on the medium, and carries its certificate out in a signed bundle that openssl verifies up to the root', () => {
    const subMedium = join(work, 'sub-medium');
    requestOnMedium(subMedium);
    const r = custos(home, runArgs(SUB_SCRIPT, subMedium), answers(SUB_SCRIPT));
    assert.equal(r.status, 0, r.stderr);
    const entries = journal(home);
    const issued = entries.filter((e) => e.kind === 'certificate.issue.done' && e.data['profileId'] === 'subordinate-ca');
    assert.equal(issued.length, 1);
    const sign = entries.filter((e) => e.kind === 'ceremony.step' && e.data['step'] === 'sign-subordinate').at(-1)!;
    const artifacts = sign.data['artifacts'] as { kind: string; sha256: string; path?: string }[];
    assert.equal(artifacts[0]!.kind, 'csr');
    assert.equal(artifacts[0]!.sha256, sha256File(join(subMedium, 'issuing-ca.csr')));
    assert.equal(artifacts[1]!.sha256, issued[0]!.data['sha256']);
    const bundle = readdirSync(subMedium).find((n) => n.startsWith('example-root-bundle-'))!;
    const chain = readdirSync(join(subMedium, bundle)).find((n) => n.endsWith('-chain.pem'))!;
    const verified = spawnSync('openssl', ['verify', '-CAfile', join(subMedium, bundle, chain), artifacts[1]!.path!], { encoding: 'utf8' });
    assert.equal(verified.status, 0, `${verified.stdout}${verified.stderr}`);
    assert.equal(entries.filter((e) => e.kind === 'ceremony.end').length, 2);
  });

  it('lists both ceremonies as completed with custos ceremony status', () => {
    const r = custos(home, ['ceremony', 'status', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { scriptId: string; state: string; stepsRecorded: string[] }[];
    assert.deepEqual(list.map((c) => [c.scriptId, c.state, c.stepsRecorded.length]), [['root-key-generation', 'completed', 8], ['subordinate-signing', 'completed', 5]]);
  });
});

describe('custos ceremony run, killed right after the root signature', () => {
  const home = join(work, 'killed-home');
  const media = join(work, 'killed-medium');

  it('leaves the root signed and its step unrecorded; the resumed run records the step from the journal and signs no second root', () => {
    mkdirSync(media);
    // Killed (SIGKILL) by the test-only hook right after create-root's act, before its ceremony.step entry.
    const killed = custos(home, runArgs(ROOT_SCRIPT, media), answers(ROOT_SCRIPT), { NODE_ENV: 'test', CUSTOS_TEST_CEREMONY_KILL_AFTER: 'create-root' });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    let entries = journal(home);
    assert.equal(entries.filter((e) => e.kind === 'ca.root.done').length, 1, 'the root was signed before the kill');
    assert.deepEqual(entries.filter((e) => e.kind === 'ceremony.step').map((e) => e.data['step']), ['check-room', 'verify-journal', 'check-key-domain', 'authenticate-quorum']);
    assert.equal(entries.filter((e) => e.kind === 'ceremony.end').length, 0);
    const status = JSON.parse(custos(home, ['ceremony', 'status', '--json']).stdout) as { state: string }[];
    assert.equal(status[0]!.state, 'interrupted');

    // A script that is not byte for byte the one begun is refused for resume, and nothing is written.
    const changed = join(work, 'changed-root.json');
    writeFileSync(changed, `${readFileSync(ROOT_SCRIPT, 'utf8')}\n`);
    const before = journal(home).length;
    const refused = custos(home, runArgs(changed, media), answers(ROOT_SCRIPT, 4));
    assert.equal(refused.status, 2);
    assert.equal((JSON.parse(refused.stdout) as { error: { code: string } }).error.code, 'CEREMONY_SCRIPT_CHANGED');
    assert.equal(journal(home).length, before);

    const resumed = custos(home, runArgs(ROOT_SCRIPT, media), answers(ROOT_SCRIPT, 4));
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, /Resuming the ceremony .* at step 5 of 8/);
    assert.match(resumed.stderr, /recorded from the journal and not run again/);
    entries = journal(home);
    const rootDone = entries.filter((e) => e.kind === 'ca.root.done');
    assert.equal(rootDone.length, 1, 'no second root signature');
    assert.equal(entries.filter((e) => e.kind === 'ca.root.intent').length, 1, 'the root act was not begun again');
    assert.equal(entries.filter((e) => e.kind === 'key.generate.done' && e.data['label'] === 'example-root').length, 1, 'no second root key');
    const step = entries.find((e) => e.kind === 'ceremony.step' && e.data['step'] === 'create-root')!;
    assert.equal(step.data['recordedFromJournal'], true);
    assert.ok((step.data['actSeqs'] as number[]).includes(rootDone[0]!.seq));
    assert.equal((step.data['artifacts'] as { sha256: string }[])[1]!.sha256, rootDone[0]!.data['sha256']);
    assert.equal(entries.filter((e) => e.kind === 'ceremony.step').length, 8);
    assert.equal(entries.filter((e) => e.kind === 'ceremony.begin').length, 1);
    assert.equal(entries.find((e) => e.kind === 'ceremony.end')!.data['outcome'], 'completed');
  });

  it('refuses the subordinate ceremony on an HSM that does not hold the root\'s key (CEREMONY_KEY_MISSING), writing nothing', () => {
    const medium = join(work, 'killed-sub-medium');
    requestOnMedium(medium);
    const before = journal(home).length;
    const r = custos(home, [...runArgs(SUB_SCRIPT, medium).map((a) => (a === 'CA HSM' ? 'Backup HSM' : a))], answers(SUB_SCRIPT));
    const { error } = JSON.parse(r.stdout) as { error: { code: string; details: { codes: string[] } } };
    assert.equal(error.code, 'CEREMONY_PREFLIGHT_FAILED');
    assert.ok(error.details.codes.includes('CEREMONY_KEY_MISSING'), error.details.codes.join(', '));
    assert.equal(journal(home).length, before);
  });

  it('killed right after the subordinate\'s signature, resumes with the step recorded from the journal and no second certificate', () => {
    const medium = join(work, 'killed-sub-medium');
    const killed = custos(home, runArgs(SUB_SCRIPT, medium), answers(SUB_SCRIPT), { NODE_ENV: 'test', CUSTOS_TEST_CEREMONY_KILL_AFTER: 'sign-subordinate' });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const issuedOf = (): Entry[] => journal(home).filter((e) => e.kind === 'certificate.issue.done' && e.data['profileId'] === 'subordinate-ca');
    assert.equal(issuedOf().length, 1, 'signed before the kill');
    const resumed = custos(home, runArgs(SUB_SCRIPT, medium), answers(SUB_SCRIPT, 3));
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.equal(issuedOf().length, 1, 'no second certificate');
    const entries = journal(home);
    const step = entries.filter((e) => e.kind === 'ceremony.step' && e.data['step'] === 'sign-subordinate').at(-1)!;
    assert.equal(step.data['recordedFromJournal'], true);
    assert.equal((step.data['artifacts'] as { sha256: string }[]).at(-1)!.sha256, issuedOf()[0]!.data['sha256']);
    assert.equal(entries.filter((e) => e.kind === 'ceremony.end').at(-1)!.data['outcome'], 'completed');
  });
});

describe('custos ceremony run, killed after the token signed and before the act was recorded as done', () => {
  const home = join(work, 'before-done-home');
  const media = join(work, 'before-done-medium');

  it('resumes the root-key ceremony from the root recovered at the next open: one root signature, the step recorded from the journal', () => {
    mkdirSync(media);
    const killed = custos(home, runArgs(ROOT_SCRIPT, media), answers(ROOT_SCRIPT), { NODE_ENV: 'test', CUSTOS_TEST_CEREMONY_KILL_AFTER: 'create-root:before-done' });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    assert.equal(journal(home).filter((e) => e.kind === 'ca.root.done').length, 0, 'killed before the done entry');
    assert.equal(journal(home).filter((e) => e.kind === 'ca.root.intent').length, 1);

    const resumed = custos(home, runArgs(ROOT_SCRIPT, media), answers(ROOT_SCRIPT, 4));
    assert.equal(resumed.status, 0, `${resumed.stdout}${resumed.stderr}`);
    assert.match(resumed.stderr, /recorded from the journal and not run again/);
    const entries = journal(home);
    const recovered = entries.filter((e) => e.kind === 'ca.root.recovered');
    assert.equal(recovered.length, 1, 'the signed root was recorded at the next open');
    assert.equal(entries.filter((e) => e.kind === 'ca.root.intent').length, 1, 'no second root signature');
    assert.equal(entries.filter((e) => e.kind === 'ca.root.done').length, 0);
    const step = entries.find((e) => e.kind === 'ceremony.step' && e.data['step'] === 'create-root')!;
    assert.equal(step.data['recordedFromJournal'], true);
    assert.ok((step.data['actSeqs'] as number[]).includes(recovered[0]!.seq));
    const rootDer = Buffer.from(recovered[0]!.data['result'] as string, 'base64');
    assert.equal((step.data['artifacts'] as { sha256: string }[])[1]!.sha256, createHash('sha256').update(rootDer).digest('hex'),
      'the step names the certificate the token signed');
    // The root's CRL step signed under the recovered root, after the checkpoint the resumed run needed.
    assert.equal(entries.filter((e) => e.kind === 'crl.issue.done').length, 1);
    assert.equal(entries.find((e) => e.kind === 'ceremony.end')!.data['outcome'], 'completed');
  });

  it('resumes the subordinate signing from the certificate recovered at the next open, with no second certificate', () => {
    const medium = join(work, 'before-done-sub-medium');
    requestOnMedium(medium);
    const killed = custos(home, runArgs(SUB_SCRIPT, medium), answers(SUB_SCRIPT), { NODE_ENV: 'test', CUSTOS_TEST_CEREMONY_KILL_AFTER: 'sign-subordinate:before-done' });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const intents = (): Entry[] => journal(home).filter((e) => e.kind === 'certificate.issue.intent' && e.data['profileId'] === 'subordinate-ca');
    assert.equal(intents().length, 1);
    const resumed = custos(home, runArgs(SUB_SCRIPT, medium), answers(SUB_SCRIPT, 3));
    assert.equal(resumed.status, 0, `${resumed.stdout}${resumed.stderr}`);
    assert.equal(intents().length, 1, 'no second certificate signed');
    const entries = journal(home);
    const recovered = entries.filter((e) => e.kind === 'certificate.issue.recovered');
    assert.equal(recovered.length, 1);
    const step = entries.filter((e) => e.kind === 'ceremony.step' && e.data['step'] === 'sign-subordinate').at(-1)!;
    assert.equal(step.data['recordedFromJournal'], true);
    const der = Buffer.from(recovered[0]!.data['result'] as string, 'base64');
    assert.equal((step.data['artifacts'] as { sha256: string }[]).at(-1)!.sha256, createHash('sha256').update(der).digest('hex'));
    assert.equal(entries.filter((e) => e.kind === 'ceremony.end').at(-1)!.data['outcome'], 'completed');
  });
});

describe('custos ceremony run, refused by the pre-flight', () => {
  const home = join(work, 'refused-home');
  const media = join(work, 'refused-medium');

  function refusedWith(script: string, args: readonly string[]): { codes: string[]; firstCode: string } {
    const tokensBefore = tokenState(home);
    const r = custos(home, ['ceremony', 'run', script, ...args, '--json'], answers(ROOT_SCRIPT));
    assert.equal(r.status, 2, r.stderr);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; details: { codes: string[]; firstCode: string } } };
    assert.equal(error.code, 'CEREMONY_PREFLIGHT_FAILED');
    assert.deepEqual(tokenState(home), tokensBefore, 'no token was written to');
    assert.equal(journal(home).filter((e) => e.kind.startsWith('ceremony.') || e.kind.startsWith('key.') || e.kind.startsWith('ca.')).length, 0, 'nothing begun, no key, no CA');
    return error.details;
  }

  function variant(name: string, change: (s: { steps: { action: { params: Record<string, unknown> } }[] }) => void): string {
    const s = JSON.parse(readFileSync(ROOT_SCRIPT, 'utf8')) as { steps: { action: { params: Record<string, unknown> } }[] };
    change(s);
    const file = join(work, name);
    writeFileSync(file, JSON.stringify(s, null, 2));
    return file;
  }

  it('refuses a script whose root profile does not resolve (CEREMONY_PROFILE_UNKNOWN)', () => {
    mkdirSync(media, { recursive: true });
    custos(home, ['ceremony', 'status']);
    const file = variant('unknown-profile.json', (s) => { s.steps[4]!.action.params['profile'] = 'no-such-profile'; });
    assert.equal(refusedWith(file, ['--token', 'CA HSM', '--media', media]).firstCode, 'CEREMONY_PROFILE_UNKNOWN');
  });

  it('refuses when the HSM named is not in the room (CEREMONY_TOKEN_MISSING)', () => {
    const details = refusedWith(ROOT_SCRIPT, ['--token', 'Safe HSM 7', '--media', media]);
    assert.deepEqual(details.codes, ['CEREMONY_TOKEN_MISSING']);
  });

  it('refuses a root whose certificate fails the lint on its TBS bytes, before its key exists (CEREMONY_LINT_FINDING)', () => {
    const file = variant('lint.json', (s) => { s.steps[4]!.action.params['subject'] = `C=DE, O=Example, CN=${'X'.repeat(80)}`; });
    assert.deepEqual(refusedWith(file, ['--token', 'CA HSM', '--media', media]).codes, ['CEREMONY_LINT_FINDING']);
  });

  it('refuses a bundle step with no medium (CEREMONY_MEDIA_MISSING)', () => {
    assert.deepEqual(refusedWith(ROOT_SCRIPT, ['--token', 'CA HSM', '--media', join(work, 'no-such-medium')]).codes, ['CEREMONY_MEDIA_MISSING']);
  });

  it('records no step a witness did not confirm by name (CEREMONY_WITNESSES_MISSING), and the ceremony stays begun to resume', () => {
    const r = custos(home, runArgs(ROOT_SCRIPT, media), 'Wanda Witness\nWill Witness\n\n');
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'CEREMONY_WITNESSES_MISSING');
    const entries = journal(home);
    assert.equal(entries.filter((e) => e.kind === 'ceremony.begin').length, 1);
    assert.equal(entries.filter((e) => e.kind === 'ceremony.step').length, 0);
    const abandon = custos(home, ['ceremony', 'abandon', '--reason', 'a witness left the room', '--json']);
    assert.equal(abandon.status, 0, abandon.stderr);
    const end = journal(home).find((e) => e.kind === 'ceremony.end')!;
    assert.deepEqual([end.data['outcome'], end.data['reason']], ['abandoned', 'a witness left the room']);
  });
});
