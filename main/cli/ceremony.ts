/**
 * custos ceremony check: a ceremony script read and checked against the data
 * directory at a desk, with no token, before the room gathers. Every finding
 * is listed; the first one's code is the exit's. Running a ceremony is not
 * here.
 */
import { resolve } from 'node:path';
import { CustosError } from '../errors/index.ts';
import type { Custos } from '../custos.ts';
import { checkScriptInDataDir } from '../ceremony/check-script.ts';
import { loadScript, scriptError } from '../ceremony/load-script.ts';
import { shown, type Output } from './output.ts';
import type { CliValues } from './values.ts';

export const CEREMONY_USAGE = `  custos ceremony check FILE                          check a ceremony script against the data directory, with no token
`;

type WithCore = <T>(values: CliValues, out: Output, act: (core: Custos, out: Output) => Promise<T>) => Promise<T>;

export async function ceremonyCommand(sub: string | undefined, positionals: readonly string[], values: CliValues, out: Output, withCore: WithCore): Promise<void> {
  if (sub !== 'check') throw new CustosError('INPUT_INVALID', `Unknown command "ceremony ${sub ?? ''}": use ceremony check FILE.`, {});
  const file = positionals[2];
  if (!file) throw new CustosError('INPUT_INVALID', 'Give the script: custos ceremony check FILE.', {});
  const path = resolve(file);
  const script = await loadScript(path);
  return withCore(values, out, async (core, out) => {
    const findings = checkScriptInDataDir(script, core.ctx);
    const error = scriptError(path, findings);
    if (error) {
      for (const f of findings) out.note(`  ${f.code}: ${f.message}`);
      throw error;
    }
    out.result({ id: script.id, version: script.version, title: script.title, steps: script.steps.length, findings: [] },
      () => `Ceremony "${shown(script.title)}" (${shown(script.id)}, version ${script.version}): ${script.steps.length} steps, no findings.`);
  });
}
