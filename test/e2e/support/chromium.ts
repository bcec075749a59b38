/**
 * Debian's Chromium, driven by playwright-core (never `playwright install`):
 * headless, no network services of its own, a fresh profile each launch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Chromium { context: BrowserContext; close(): Promise<void> }

export async function launchChromium(options: { colorScheme?: 'light' | 'dark' } = {}): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'custos-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1366, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
    acceptDownloads: true,
  });
  // tsx compiles test files with esbuild's keepNames, which wraps named functions
  // in __name(…); a function handed to page.evaluate carries that call into the page.
  await context.addInitScript({ content: 'globalThis.__name ??= (f) => f;' });
  return {
    context,
    close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); },
  };
}
