// ↔ tsconfig.json: the whole tree type-checks, as part of `npm test`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');
/** tsc over the whole tree takes ~20 s of CPU; on a machine kept busy by others, several times that. */
const TYPECHECK_TIMEOUT_MS = 10 * 60 * 1000;

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => { output += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { output += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('typecheck', () => {
  it('tsc --noEmit finds no error in main/, electron/, renderer/, devhost/, test/ and bench/', { timeout: TYPECHECK_TIMEOUT_MS }, async () => {
    const { code, output } = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.json']);
    assert.equal(code, 0, `tsc reported:\n${output.slice(0, 20_000)}`);
  });
});
