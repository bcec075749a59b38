/**
 * custos dkek create in a terminal: the custodian types the share password
 * at a prompt, twice, and it never shows on the screen (the transcript of a
 * real pseudo-terminal, made by util-linux's script, holds neither typing);
 * two different typings are PASSWORD_MISMATCH, and no share file is written
 * and no share creation journaled.
 *
 * Share files use 1,000 KDF rounds (CUSTOS_TEST_SHARE_FILE_ITERATIONS).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin/custos.mjs');
const shellQuote = (s: string): string => `'${s.replaceAll('\'', '\'\\\'\'')}'`;

interface Session { readonly status: number | null; readonly transcript: string }

/** Runs the CLI in a pseudo-terminal and answers each prompt, in order, once it shows. */
function inTerminal(args: string[], answers: readonly { prompt: string; typed: string }[], env: NodeJS.ProcessEnv): Promise<Session> {
  const command = [process.execPath, CLI, ...args].map(shellQuote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let transcript = '';
  let next = 0;
  const onOutput = (chunk: Buffer): void => {
    transcript += chunk.toString('utf8');
    const answer = answers[next];
    // Each answer waits for its own prompt, after the previous answer: typed earlier, the terminal (still cooked) would echo it.
    if (answer && transcript.split(answer.prompt).length - 1 >= answers.slice(0, next + 1).filter((a) => a.prompt === answer.prompt).length) {
      next++;
      setTimeout(() => child.stdin.write(`${answer.typed}\r`), 100);
    }
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve) => child.on('close', (status) => {
    clearTimeout(timer);
    resolve({ status, transcript });
  }));
}

describe('custos dkek create at a terminal prompt', () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  const shares = (): string[] => readdirSync(join(work, 'shares'));
  const journal = (): string => (existsSync(join(work, 'home', 'journal.jsonl')) ? readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8') : '');

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'custos-share-prompt-'));
    mkdirSync(join(work, 'shares'));
    env = { ...process.env, CUSTOS_HOME: join(work, 'home'), CUSTOS_OPERATOR: 'ceremony', CUSTOS_TEST_SHARE_FILE_ITERATIONS: '1000', TERM: 'dumb' };
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('asks twice without echoing either typing, and writes the share', async () => {
    const typed = 'dora-password-77';
    const session = await inTerminal(['dkek', 'create', '--custodian', 'Dora', '--out', join(work, 'shares')],
      [{ prompt: 'Password for Dora', typed }, { prompt: 'Type it again', typed }], env);
    assert.equal(session.status, 0, session.transcript);
    assert.ok(!session.transcript.includes(typed), `the password shows on the terminal:\n${session.transcript}`);
    assert.match(session.transcript, /share KCV [0-9a-f]{16}/);
    assert.equal(shares().length, 1);
    assert.ok(!journal().includes(typed), 'no password in the journal');
  });

  it('refuses two different typings with PASSWORD_MISMATCH, writing and journaling no share', async () => {
    const before = { files: shares().length, creations: journal().split('dkek.share.create').length };
    const session = await inTerminal(['dkek', 'create', '--custodian', 'Emil', '--out', join(work, 'shares')],
      [{ prompt: 'Password for Emil', typed: 'emil-password-01' }, { prompt: 'Type it again', typed: 'emil-password-02' }], env);
    assert.notEqual(session.status, 0);
    assert.match(session.transcript, /PASSWORD_MISMATCH/);
    assert.ok(!session.transcript.includes('emil-password-0'), `a password shows on the terminal:\n${session.transcript}`);
    assert.equal(shares().length, before.files, 'no share file written');
    assert.equal(journal().split('dkek.share.create').length, before.creations, 'no share creation journaled');
  });
});
