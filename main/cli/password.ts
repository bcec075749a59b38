/**
 * Where the CLI takes a DKEK share password from: an environment variable
 * or a file the operator names, or a prompt that does not echo, asked twice
 * for a new password (pin.ts reads them all). Never from the command line;
 * never printed back.
 */
import { CustosError } from '../errors/index.ts';
import { Secret } from '../secret.ts';
import { promptHidden, secretFromSource } from './pin.ts';

export interface PasswordSource {
  readonly passwordEnv?: string | undefined;
  readonly passwordFile?: string | undefined;
}

function fromSource(source: PasswordSource): Secret | undefined {
  return secretFromSource({ env: source.passwordEnv, file: source.passwordFile }, { what: 'password', envOption: '--password-env' });
}

async function ask(prompt: string): Promise<Secret> {
  if (!process.stdin.isTTY) {
    throw new CustosError('PIN_REQUIRED', 'A share password is needed: give --password-env VAR or --password-file FILE, or run in a terminal to be asked.', {});
  }
  return promptHidden(prompt);
}

/** The password of an existing share file: asked once. */
export async function readSharePassword(source: PasswordSource, prompt: string): Promise<Secret> {
  return fromSource(source) ?? await ask(prompt);
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
  const password = await ask(prompt);
  const repeat = await ask('Type it again: ');
  return { password, repeat };
}
