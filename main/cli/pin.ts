/**
 * Where the CLI takes a PIN (or another secret, such as a DKEK share
 * password) from: an environment variable named by the operator, a file, or
 * a prompt that does not echo. Never from the command line, where every user
 * of the machine can read it in the process list.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CustosError } from '../errors/index.ts';
import { Secret } from '../secret.ts';

export interface PinSource {
  readonly pinEnv?: string | undefined;
  readonly pinFile?: string | undefined;
}

/** A secret from the variable or file named, or undefined when neither is; what and the option names go into the errors. */
export function secretFromSource(source: { readonly env?: string | undefined; readonly file?: string | undefined }, names: { readonly what: string; readonly envOption: string }): Secret | undefined {
  if (source.env) {
    const value = process.env[source.env];
    if (!value) throw new CustosError('PIN_REQUIRED', `The environment variable ${source.env} named by ${names.envOption} is empty or unset.`, { variable: source.env });
    return Secret.fromString(value);
  }
  if (source.file) {
    let text: string;
    try { text = readFileSync(source.file, 'utf8'); } catch {
      throw new CustosError('FILE_NOT_FOUND', `Cannot read the ${names.what} file ${source.file}.`, { path: source.file });
    }
    return Secret.fromString(text.replace(/\r?\n$/, ''));
  }
  return undefined;
}

export async function readPin(source: PinSource, prompt: string): Promise<Secret> {
  const given = secretFromSource({ env: source.pinEnv, file: source.pinFile }, { what: 'PIN', envOption: '--pin-env' });
  if (given) return given;
  if (!process.stdin.isTTY) {
    throw new CustosError('PIN_REQUIRED', 'A PIN is needed: give --pin-env VAR or --pin-file FILE, or run in a terminal to be asked.', {});
  }
  return promptHidden(prompt);
}

/** Asks in the terminal without echoing what is typed. */
export async function promptHidden(prompt: string): Promise<Secret> {
  process.stderr.write(prompt);
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  const answer = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stderr.write('\n');
  return Secret.fromString(answer);
}
