import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock } from '../../../main/fs/lock-file.ts';
import { CustosError, isCustosError } from '../../../main/errors/index.ts';

const CONTENDER = join(process.cwd(), 'test/support/lock-contender.ts');
// Above the kernel's pid_max (2^22 at most): never a running process.
const DEAD_PID = 2 ** 22 + 4321;

const refused = (holder: { pid: number } | undefined): CustosError => new CustosError('JOURNAL_LOCKED', 'locked', { pid: holder?.pid ?? null });

function codeOf(fn: () => unknown): string | undefined {
  try { fn(); } catch (e) { return isCustosError(e) ? e.code : `raw ${String(e)}`; }
  return undefined;
}

interface Answer { readonly round?: number; readonly held?: boolean; readonly code?: string; readonly ready?: boolean; readonly released?: boolean }

function nextMessage(child: ChildProcess): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`contender exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', (m) => { child.off('exit', onExit); resolve(m as Answer); });
  });
}

describe('lock file', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'custos-lock-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lets one holder in, refuses a second with the caller\'s error, and frees the lock on release', () => {
    const path = join(dir, 'one.lock');
    const release = acquireLock(path, refused);
    assert.equal(codeOf(() => acquireLock(path, refused)), 'JOURNAL_LOCKED');
    const holder = JSON.parse(readFileSync(path, 'utf8')) as { pid: number; token: string };
    assert.equal(holder.pid, process.pid);
    release();
    acquireLock(path, refused)();
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('one.lock') || n.startsWith('.one.lock')), []);
  });

  it('refuses with the caller\'s error, not an errno, when the lock file holds no readable holder', () => {
    const path = join(dir, 'garbled.lock');
    writeFileSync(path, '{"pid": 12');
    assert.equal(codeOf(() => acquireLock(path, refused)), 'JOURNAL_LOCKED');
  });

  it('takes over a lock whose claim was left by a process killed while taking it over', () => {
    const path = join(dir, 'claimed.lock');
    writeFileSync(path, JSON.stringify({ pid: DEAD_PID, host: hostname(), since: 'then', token: 'aaaa' }));
    writeFileSync(`${path}.takeover-aaaa`, JSON.stringify({ pid: DEAD_PID + 1, host: hostname(), since: 'then', token: 'bbbb' }));
    const release = acquireLock(path, refused);
    assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { pid: number }).pid, process.pid);
    release();
  });

  it('gives a stale lock to exactly one of many processes racing for it, and refuses every other with JOURNAL_LOCKED', { timeout: 120_000 }, async () => {
    const contenders = 8;
    const rounds = 200;
    const children = Array.from({ length: contenders }, () => fork(CONTENDER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
    try {
      await Promise.all(children.map(nextMessage));
      const codes = new Map<string, number>();
      const holdersPerRound: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const path = join(dir, `race-${round}.lock`);
        // Half the rounds race for a stale lock (taken over), half for a free one.
        if (round % 2 === 0) writeFileSync(path, JSON.stringify({ pid: DEAD_PID, host: hostname(), since: `round ${round}`, token: `t${round}` }));
        const answers = await Promise.all(children.map((c) => { const a = nextMessage(c); c.send({ op: 'try', path, round }); return a; }));
        holdersPerRound.push(answers.filter((a) => a.held).length);
        for (const a of answers) if (!a.held) codes.set(a.code!, (codes.get(a.code!) ?? 0) + 1);
        await Promise.all(children.map((c) => { const a = nextMessage(c); c.send({ op: 'release' }); return a; }));
      }
      assert.deepEqual(holdersPerRound, Array(rounds).fill(1));
      assert.deepEqual([...codes.keys()], ['JOURNAL_LOCKED']);
      assert.equal(codes.get('JOURNAL_LOCKED'), rounds * (contenders - 1));
      // Nothing is left behind: no claim, no temporary, no lock once its holder let go.
      assert.deepEqual(readdirSync(dir).filter((n) => n.includes('race-')), []);
    } finally {
      for (const c of children) c.kill();
    }
  });
});
