// test/run.mjs on fixture files that are slow, hang, do not exit, or leave a process behind:
// what a person running `npm test` on a busy machine reads in its output.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));

function runFixture(fixture: string): Promise<{ code: number | null; out: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['test/run.mjs', `test/fixtures/run/${fixture}`], {
    cwd: root,
    env: { ...process.env, CUSTOS_TEST_TIMEOUT_MS: '2000', CUSTOS_TEST_EXIT_TIMEOUT_MS: '2000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, ms: Date.now() - started })));
}

const lastLine = (out: string): string => out.trimEnd().split('\n').at(-1)!;

/** True while the process runs: a killed one may linger as a zombie (state Z) until whoever adopted it reaps it. */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('test/run.mjs', () => {
  it('passes a file whose tests each take less than the limit though together they take more', async () => {
    const { code, out } = await runFixture('slow-tests.ts');
    assert.equal(lastLine(out), '4 passed, 0 failed, 0 skipped', out);
    assert.equal(code, 0);
  });

  it('fails a hung test under its own name, counts the tests before it, and stops the file', async () => {
    const { code, out, ms } = await runFixture('hangs.ts');
    assert.match(out, /^failed: test\/fixtures\/run\/hangs\.ts › a card that stops answering › waits for the second answer: did not finish within 2 s, so the file was stopped and 1 more queued after it did not run/m, out);
    assert.equal(lastLine(out), '1 passed, 1 failed, 0 skipped', out);
    assert.equal(code, 1);
    assert.ok(ms < 60_000, `took ${ms} ms`);
  });

  it('fails a file that does not exit after its last test, and says why', async () => {
    const { code, out } = await runFixture('does-not-exit.ts');
    assert.match(out, /^failed: test\/fixtures\/run\/does-not-exit\.ts › did not exit within 2 s of its last test: something it opened \(a worker, socket, timer or child process\) is still open$/m, out);
    assert.equal(lastLine(out), '1 passed, 1 failed, 0 skipped', out);
    assert.equal(code, 1);
  });

  it('stops a process a file left running, even one in a session of its own, and names it', async () => {
    const { code, out } = await runFixture('leaves-a-process.ts');
    const pid = Number(/daemon pid (\d+)/.exec(out)?.[1]);
    assert.ok(pid > 0, out);
    assert.match(out, new RegExp(`^note: test/fixtures/run/leaves-a-process\\.ts left running after it ended, now stopped: sleep \\(pid ${pid}\\)$`, 'm'));
    assert.equal(isRunning(pid), false);
    assert.equal(lastLine(out), '1 passed, 0 failed, 0 skipped', out);
    assert.equal(code, 0);
  });
});
