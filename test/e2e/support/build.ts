/** The dev host serves the BUILT renderer: build once per run if it is missing. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const RENDERER_DIR = join(import.meta.dirname, '../../../out/renderer');

export function ensureRendererBuilt(): string {
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
    execFileSync('npx', ['electron-vite', 'build'], { cwd: join(import.meta.dirname, '../../..'), stdio: 'pipe', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } });
  }
  return RENDERER_DIR;
}
