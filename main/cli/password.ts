/**
 * Where the CLI takes a DKEK share password from: an environment variable
 * or a file the operator names, or a prompt that does not echo, asked twice
 * for a new password. Never from the command line, where every user of the
 * machine reads it in the process list; never printed back.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CustosError } from '../errors/index.ts';
import { Secret } from '../secret.ts';

export interface PasswordSource {
  readonly passwordEnv?: string | undefined;
  readonly passwordFile?: string | undefined;
}

function fromSource(source: PasswordSource): Secret | undefined {
  if (source.passwordEnv) {
    const value = process.env[source.passwordEnv];
    if (!value) throw new CustosError('PIN_REQUIRED', `The environment variable ${source.passwordEnv} named by --password-env is empty or unset.`, { variable: source.passwordEnv });
    return Secret.fromString(value);
  }
  if (source.passwordFile) {
    let text: string;
    try { text = readFileSync(source.passwordFile, 'utf8'); } catch {
      throw new CustosError('FILE_NOT_FOUND', `Cannot read the password file ${source.passwordFile}.`, { path: source.passwordFile });
    }
    return Secret.fromString(text.replace(/\r?\n$/, ''));
  }
  return undefined;
}

async function promptHidden(prompt: string): Promise<Secret> {
  if (!process.stdin.isTTY) {
    throw new CustosError('PIN_REQUIRED', 'A share password is needed: give --password-env VAR or --password-file FILE, or run in a terminal to be asked.', {});
  }
  process.stderr.write(prompt);
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  const answer = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stderr.write('\n');
  return Secret.fromString(answer);
}

/** The password of an existing share file: asked once. */
export async function readSharePassword(source: PasswordSource, prompt: string): Promise<Secret> {
  return fromSource(source) ?? await promptHidden(prompt);
}

/** A new share password and its repeat: typed twice at a prompt; from a variable or file, the one value stands for both. */
export async function readNewSharePassword(source: PasswordSource, prompt: string): Promise<{ password: Secret; repeat: Secret }> {
  const given = fromSource(source);
  if (given) {
    const bytes = given.revealBytes();
    const repeat = Secret.fromBytes(bytes);
    bytes.fill(0);
    return { password: given, repeat };
  }
  const password = await promptHidden(prompt);
  const repeat = await promptHidden('Type it again: ');
  return { password, repeat };
}
