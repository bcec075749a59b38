/**
 * Where the CLI takes a PIN from: an environment variable named by the
 * operator, a file, or a prompt that does not echo. Never from the command
 * line, where every user of the machine can read it in the process list.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CustosError } from '../errors/index.ts';
import { Secret } from '../secret.ts';

export interface PinSource {
  readonly pinEnv?: string;
  readonly pinFile?: string;
}

export async function readPin(source: PinSource, prompt: string): Promise<Secret> {
  if (source.pinEnv) {
    const value = process.env[source.pinEnv];
    if (!value) throw new CustosError('PIN_REQUIRED', `The environment variable ${source.pinEnv} named by --pin-env is empty or unset.`, { variable: source.pinEnv });
    return Secret.fromString(value);
  }
  if (source.pinFile) {
    let text: string;
    try { text = readFileSync(source.pinFile, 'utf8'); } catch {
      throw new CustosError('FILE_NOT_FOUND', `Cannot read the PIN file ${source.pinFile}.`, { path: source.pinFile });
    }
    return Secret.fromString(text.replace(/\r?\n$/, ''));
  }
  if (!process.stdin.isTTY) {
    throw new CustosError('PIN_REQUIRED', 'A PIN is needed: give --pin-env VAR or --pin-file FILE, or run in a terminal to be asked.', {});
  }
  return promptHidden(prompt);
}

async function promptHidden(prompt: string): Promise<Secret> {
  process.stderr.write(prompt);
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  const answer = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stderr.write('\n');
  return Secret.fromString(answer);
}
