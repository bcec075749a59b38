/**
 * Runs a command-line tool (openssl, certtool, pkcs11-tool …) on bytes, in a
 * temporary directory that is removed afterwards. Files are named relative to
 * that directory, which is also the tool's working directory.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ToolOptions {
  /** Written to the tool's standard input. */
  readonly input?: string | Uint8Array;
  /** Files to create in the working directory before the run. */
  readonly files?: Readonly<Record<string, string | Uint8Array>>;
  /** Files to read back after the run (missing ones are left out). */
  readonly outputs?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Buffer;
  readonly outputs: Readonly<Record<string, Uint8Array>>;
}

export async function runTool(cmd: string, args: readonly string[], options: ToolOptions = {}): Promise<ToolResult> {
  const dir = mkdtempSync(join(tmpdir(), 'custos-tool-'));
  try {
    for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), content);
    const child = spawn(cmd, args, { cwd: dir, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 60_000 });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.stdin.on('error', () => { /* the tool may exit before reading its input */ });
    child.stdin.end(options.input ?? '');
    const code = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c) => resolve(c ?? 1));
    });
    const outputs: Record<string, Uint8Array> = {};
    for (const name of options.outputs ?? []) {
      try { outputs[name] = new Uint8Array(readFileSync(join(dir, name))); } catch { /* not written */ }
    }
    const stdoutBytes = Buffer.concat(out);
    return { code, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes, outputs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
