/**
 * ↔ devhost/main.ts as it runs: its own process on the real core (rehearsal
 * tokens) with the journal locked. A message the host will not take is
 * answered and the host serves on; when the process ends, by a signal or by a
 * crash, the journal's lock goes with it.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { JOURNAL_FILE } from '../../../main/journal/index.ts';

const root = join(import.meta.dirname, '../../..');
/** Opening the rehearsal tokens the first time makes their keys: slow on a busy machine. */
const START_TIMEOUT_MS = 120_000;

interface Started { child: ChildProcess; url: URL; exited: Promise<number | null> }

function startHost(dataDir: string, extraImports: string[] = []): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...extraImports.flatMap((m) => ['--import', m]), join(root, 'devhost/main.ts'), '--data-dir', dataDir], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`the dev host did not start:\n${output}`)); }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Custos dev host: (\S+)/.exec(output);
      if (m) { clearTimeout(timer); child.stdout!.off('data', onData); resolve({ child, url: new URL(m[1]!), exited }); }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`the dev host exited with ${code}:\n${output}`)); });
  });
}

function openSocket(url: URL): Promise<WebSocket> {
  const ws = new WebSocket(`ws://${url.host}/__custos/ws?token=${url.searchParams.get('token')}`);
  return new Promise((resolve, reject) => { ws.once('open', () => resolve(ws)); ws.once('error', reject); });
}

function call(ws: WebSocket, id: number, raw: string): Promise<{ ok: boolean; error?: { code: string } }> {
  return new Promise((resolve) => {
    ws.on('message', function onMessage(data) {
      const m = JSON.parse(data.toString()) as { id?: number; result?: never };
      if (m.id === id) { ws.off('message', onMessage); resolve(m.result!); }
    });
    ws.send(raw);
  });
}

describe('the dev host process', () => {
  let work: string;
  let running: Started | undefined;
  before(() => { work = mkdtempSync(join(tmpdir(), 'custos-devhost-main-')); });
  afterEach(() => { running?.child.kill('SIGKILL'); running = undefined; });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('answers a 4 MiB message with an error, stays up, and lets the journal go on SIGTERM', { timeout: START_TIMEOUT_MS * 2 }, async () => {
    const dataDir = join(work, 'term');
    running = await startHost(dataDir);
    const lock = join(dataDir, `${JOURNAL_FILE}.lock`);
    assert.ok(existsSync(lock), 'the running host holds the journal');
    const ws = await openSocket(running.url);
    const big = JSON.stringify({ id: 1, channel: 'request.import', input: { fileName: 'big.csr', contentBase64: 'A'.repeat(4 * 1024 * 1024) } });
    assert.equal((await call(ws, 1, big)).error?.code, 'MESSAGE_TOO_LARGE');
    const info = await call(ws, 2, JSON.stringify({ id: 2, channel: 'app.info' }));
    assert.equal(info.ok, true, 'the host still serves');
    ws.close();
    running.child.kill('SIGTERM');
    assert.equal(await running.exited, 0);
    assert.equal(existsSync(lock), false, 'no stale journal lock');
  });

  it('lets the journal go when the process crashes', { timeout: START_TIMEOUT_MS * 2 }, async () => {
    const dataDir = join(work, 'crash');
    running = await startHost(dataDir, [join(root, 'test/support/crash-on-signal.mjs')]);
    const lock = join(dataDir, `${JOURNAL_FILE}.lock`);
    assert.ok(existsSync(lock));
    running.child.kill('SIGUSR2');
    assert.notEqual(await running.exited, 0, 'it did crash');
    assert.equal(existsSync(lock), false, 'no stale journal lock');
  });
});
