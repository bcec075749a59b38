#!/usr/bin/env node
// Runs every suite (layout: tsc and the import rules; unit; integration on real
// tokens; e2e in Chromium) with node's test runner and ends with one line:
// "N passed, N failed, N skipped".
// Usage: node test/run.mjs [layout|unit|integration|e2e|path-fragment ...]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// layout first: a type error or a crossed boundary is the cheapest failure to report.
const suites = ['layout', 'unit', 'integration', 'e2e'];

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
const files = suites
  .flatMap((suite) => { try { return findTests(join(root, 'test', suite)); } catch { return []; } })
  .filter((f) => filters.length === 0 || filters.some((x) => relative(root, f).includes(x)));

// Given no files, node's runner would look for tests everywhere (this script included): say so and stop instead.
if (files.length === 0) {
  console.log(`failed: no test file matches ${filters.map((f) => `"${f}"`).join(' or ')}`);
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'custos-test-'));
const countsFile = join(work, 'counts.json');
const args = [
  // A hung test (a card that never answers, a service that never starts) fails after 3 minutes instead of stalling CI.
  '--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=180000',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${join(root, 'test/support/count-reporter.mjs')}`, `--test-reporter-destination=${countsFile}`,
  ...files,
];
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } });
const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));

let counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
try { counts = JSON.parse(readFileSync(countsFile, 'utf8')); } catch { counts.failed += 1; counts.failures.push('test runner ended without a report'); }
rmSync(work, { recursive: true, force: true });
if (code !== 0 && counts.failed === 0) { counts.failed += 1; counts.failures.push(`test runner exited with ${code}`); }
for (const f of counts.failures) console.log(`failed: ${f}`);
console.log(`${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exit(counts.failed > 0 ? 1 : 0);
