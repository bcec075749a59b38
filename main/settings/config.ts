/**
 * The operator's settings, in <data dir>/config.json: which PKCS#11 modules to
 * load and who is operating. Strictly parsed: an unknown key is refused, so a
 * typo never silently falls back to a default.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CustosError } from '../errors/index.ts';

export const Config = z.object({
  /** Paths of PKCS#11 modules, e.g. /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so. */
  pkcs11Modules: z.array(z.string().min(1)).default([]),
  /** Modules whose tokens are rehearsal tokens (e.g. SoftHSM2): marked VIRTUAL like the virtual SmartCard-HSM. */
  rehearsalModules: z.array(z.string().min(1)).default([]),
  operator: z.string().min(1).max(128).optional(),
}).strict();
export type Config = z.output<typeof Config>;

export const CONFIG_FILE = 'config.json';

export function readConfig(dir: string): Config {
  const path = join(dir, CONFIG_FILE);
  if (!existsSync(path)) return Config.parse({});
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new CustosError('INPUT_INVALID', `${path} is not valid JSON: fix or remove it.`, { path });
  }
  const parsed = Config.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CustosError('INPUT_INVALID', `${path}: ${issue?.path.join('.') || '(top level)'} ${issue?.message ?? 'is invalid'}.`, { path });
  }
  return parsed.data;
}
