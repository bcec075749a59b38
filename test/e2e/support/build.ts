/**
 * The dev host serves the BUILT renderer: built once per run when it is
 * missing or older than any source of the window (renderer/, and main/api/,
 * whose types and visibleText it takes), so a screen under test is never a
 * stale build of an earlier change.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../../..');
export const RENDERER_DIR = join(ROOT, 'out/renderer');
const WINDOW_SOURCES = ['renderer', 'main/api'].map((d) => join(ROOT, d));

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export function ensureRendererBuilt(): string {
  const index = join(RENDERER_DIR, 'index.html');
  const stale = !existsSync(index) || WINDOW_SOURCES.some((d) => newestMtimeMs(d) > statSync(index).mtimeMs);
  if (stale) {
    execFileSync('npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: 'pipe', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } });
  }
  return RENDERER_DIR;
}
