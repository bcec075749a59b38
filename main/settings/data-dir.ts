/**
 * Where Custos keeps its journal, requests, CRLs and settings: per user, or
 * wherever CUSTOS_HOME points (a ceremony laptop may keep it on encrypted media).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function dataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.CUSTOS_HOME) return env.CUSTOS_HOME;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Custos');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Custos');
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'custos');
}
