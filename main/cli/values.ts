/**
 * The parsed command line as every command reads it. Its own module so that a
 * command in a file of its own (rehearse.ts) takes it without importing the
 * command table that imports that command.
 */
import { CustosError } from '../errors/index.ts';
export type CliValues = { readonly [key: string]: string | boolean | readonly string[] | undefined };

/**
 * One option's text. Some options may be given several times for one command
 * (`--custodian` names each custodian of `quorum init`) and so arrive as a list;
 * where a command takes one, a single mention is that one and more are refused.
 */
export function str(v: CliValues[string]): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    if (v.length > 1) throw new CustosError('INPUT_INVALID', `An option this command takes once was given ${v.length} times: ${v.join(', ')}.`, {});
    return v[0];
  }
  return undefined;
}

/** Every mention of an option that may be repeated, in the order given. */
export const list = (v: CliValues[string]): string[] => (Array.isArray(v) ? [...v] : typeof v === 'string' ? [v] : []);

/** An option the command cannot go without; hint says what it is. */
export function need(values: CliValues, name: string, hint: string): string {
  const v = str(values[name]);
  if (!v) throw new CustosError('INPUT_INVALID', `--${name} is required: ${hint}.`, { option: name });
  return v;
}
