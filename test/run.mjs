#!/usr/bin/env node
// Runs every suite (layout: tsc and the import rules; unit; integration on real
// tokens; e2e in Chromium) and ends with one line: "N passed, N failed, N skipped".
// Usage: node test/run.mjs [layout|unit|integration|e2e|path-fragment|path-to-a-file ...]
//
// Each test file runs in a process of its own, one file at a time, in a process group of its own.
// node --test (Node 20) would run them too, but its --test-timeout is one budget for a whole file:
// on a busy machine a file of slow tests (key generation, 10 M MD5 rounds, accessibility scans)
// ran past it and was cancelled as a whole, "test timed out after 180000ms" under the file's name,
// the test that was running never named and the tests after it never counted. Here:
// - each test (and the file's loading, and each suite's hooks) has TEST_TIMEOUT_MS of its own;
//   the one that overruns fails under its own name, and the file is stopped;
// - a file that does not exit once its last test has ended (a worker, socket or child process
//   left open) fails after EXIT_TIMEOUT_MS, saying so;
// - when a file ends, whatever it started is stopped: its process group, and any process that
//   carries the file's run marker in its environment (daemons leave the group, not the environment).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// layout first: a type error or a crossed boundary is the cheapest failure to report.
const suites = ['layout', 'unit', 'integration', 'e2e'];
// Generous: the slowest test takes about 80 s with every core busy; a hang is still named, minutes later.
const TEST_TIMEOUT_MS = Number(process.env.CUSTOS_TEST_TIMEOUT_MS ?? 300_000);
const EXIT_TIMEOUT_MS = Number(process.env.CUSTOS_TEST_EXIT_TIMEOUT_MS ?? 60_000);
const KILL_GRACE_MS = 5_000;
const WATCH_INTERVAL_MS = 1_000;
const RUN_MARKER = 'CUSTOS_TEST_RUN';

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const filters = process.argv.slice(2);
const files = [
  ...suites
    .flatMap((suite) => { try { return findTests(join(root, 'test', suite)); } catch { return []; } })
    .filter((f) => filters.length === 0 || filters.some((x) => relative(root, f).includes(x))),
  // A file named outright runs even outside the suites (test/unit/test/run.test.ts runs fixtures so).
  ...filters.map((x) => resolve(x)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && existsSync(f)),
];

// Given no files, say so and stop rather than report "0 passed".
if (files.length === 0) {
  console.log(`failed: no test file matches ${filters.map((f) => `"${f}"`).join(' or ')}`);
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(1);
}

const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
const seconds = (ms) => `${Math.round(ms / 1000)} s`;

/** The pids of processes (this one aside) whose environment holds marker. */
function processesMarked(marker) {
  const needle = Buffer.from(`\0${RUN_MARKER}=${marker}\0`);
  const found = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = Buffer.concat([Buffer.of(0), readFileSync(`/proc/${pid}/environ`)]);
      if (environ.includes(needle)) found.push({ pid, command: readFileSync(`/proc/${pid}/comm`, 'utf8').trim() });
    } catch {
      // Gone already, or not ours to read.
    }
  }
  return found;
}

function killQuietly(pid, signal) {
  try { process.kill(pid, signal); } catch { /* already gone */ }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A reader of the lines appended to a file since the last call. */
function lineFollower(path) {
  let offset = 0;
  let partial = '';
  const chunk = Buffer.alloc(64 << 10);
  return () => {
    let fd;
    try { fd = openSync(path, 'r'); } catch { return []; }
    try {
      for (let n = readSync(fd, chunk, 0, chunk.length, offset); n > 0; n = readSync(fd, chunk, 0, chunk.length, offset)) {
        partial += chunk.toString('utf8', 0, n);
        offset += n;
      }
    } finally {
      closeSync(fd);
    }
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    return lines;
  };
}

const work = mkdtempSync(join(tmpdir(), 'custos-test-'));

/** Runs one test file; adds its tests to counts. */
async function runFile(file, index) {
  const name = relative(root, file);
  const marker = `${process.pid}.${index}`;
  const eventsFile = join(work, `events-${index}.jsonl`);
  const fail = (what) => { counts.failed += 1; counts.failures.push(`${name} › ${what}`); };
  const child = spawn(process.execPath, [
    '--import', 'tsx',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'test/support/progress-reporter.mjs')}`, `--test-reporter-destination=${eventsFile}`,
    file,
  ], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', [RUN_MARKER]: marker },
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  // The file has a process group of its own: an interrupt of this one must reach it.
  const interrupt = (signal) => { killQuietly(-child.pid, 'SIGKILL'); process.exit(signal === 'SIGINT' ? 130 : 143); };
  process.once('SIGINT', interrupt).once('SIGTERM', interrupt);

  // What is running now, outermost first (suites, then the test inside), and since when.
  const running = [];
  let queued = 0;
  let ended = 0;
  let topLevelQueued = 0;
  let topLevelEnded = 0;
  let lastEndedAt = Date.now();
  let lastEnded;
  let failedHere = 0;
  let stopReason;
  const startedAt = Date.now();
  const path = () => running.map((t) => t.name).join(' › ');

  const newLines = lineFollower(eventsFile);
  const follow = () => { for (const line of newLines()) take(line); };
  const take = (line) => {
    let event;
    try { event = JSON.parse(line); } catch { return; }
    if (event.type === 'test:enqueue') {
      queued += 1;
      if (event.nesting === 0) topLevelQueued += 1;
    }
    else if (event.type === 'test:dequeue') running.push({ name: event.name, nesting: event.nesting, since: Date.now() });
    else if (event.type === 'test:pass' || event.type === 'test:fail') {
      const at = running.findLastIndex((t) => t.nesting === event.nesting && t.name === event.name);
      const names = at >= 0 ? running.slice(0, at + 1).map((t) => t.name) : [event.name];
      if (at >= 0) running.splice(at);
      // The suite around it is timed afresh: its next test or its hooks, not the tests before.
      if (running.length > 0) running.at(-1).since = Date.now();
      ended += 1;
      if (event.nesting === 0) topLevelEnded += 1;
      lastEndedAt = Date.now();
      lastEnded = names.join(' › ');
      if (event.suite) return;
      if (event.skipped) counts.skipped += 1;
      else if (event.type === 'test:pass') counts.passed += 1;
      else { failedHere += 1; fail(lastEnded); }
    }
  };

  const stop = async (reason) => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    killQuietly(-child.pid, 'SIGTERM');
    const ended = await Promise.race([exited.then(() => true), sleep(KILL_GRACE_MS).then(() => false)]);
    if (!ended) killQuietly(-child.pid, 'SIGKILL');
  };

  const watch = setInterval(() => {
    follow();
    const now = Date.now();
    const current = running.at(-1);
    if (current !== undefined && now - current.since > TEST_TIMEOUT_MS) {
      const notRun = queued - ended - running.length;
      void stop(`${path()}: did not finish within ${seconds(TEST_TIMEOUT_MS)}, so the file was stopped`
        + `${notRun > 0 ? ` and ${notRun} more queued after it did not run` : ''}${lastEnded ? ` (the last to end was "${lastEnded}")` : ''}`);
    } else if (current === undefined && topLevelQueued === 0 && now - startedAt > TEST_TIMEOUT_MS) {
      void stop(`loading the file did not finish within ${seconds(TEST_TIMEOUT_MS)}`);
    } else if (current === undefined && topLevelQueued > 0 && topLevelEnded >= topLevelQueued && now - lastEndedAt > EXIT_TIMEOUT_MS) {
      void stop(`did not exit within ${seconds(EXIT_TIMEOUT_MS)} of its last test: something it opened (a worker, socket, timer or child process) is still open`);
    }
  }, WATCH_INTERVAL_MS);

  const { code, signal } = await exited;
  clearInterval(watch);
  follow();
  process.off('SIGINT', interrupt).off('SIGTERM', interrupt);
  if (stopReason !== undefined) fail(stopReason);
  else if (running.length > 0) fail(`${path()}: the test process ended (${signal ?? `exit code ${code}`}) while it ran`);
  else if ((code !== 0 || signal !== null) && failedHere === 0) fail(`the test process ended with ${signal ?? `exit code ${code}`} and no failed test`);

  // Nothing the file started outlives it: its process group, then whatever left the group but kept the marker.
  killQuietly(-child.pid, 'SIGKILL');
  const left = processesMarked(marker);
  for (const p of left) killQuietly(p.pid, 'SIGKILL');
  if (left.length > 0) console.log(`note: ${name} left running after it ended, now stopped: ${left.map((p) => `${p.command} (pid ${p.pid})`).join(', ')}`);
}

for (const [index, file] of files.entries()) await runFile(file, index);
rmSync(work, { recursive: true, force: true });

for (const f of counts.failures) console.log(`failed: ${f}`);
console.log(`${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exit(counts.failed > 0 ? 1 : 0);
