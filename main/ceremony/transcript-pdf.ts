/**
 * The transcript's PDF without Electron (the CLI, the dev host): headless
 * Chromium, driven by playwright-core, prints the window's own transcript
 * page from the built renderer, so the CLI's PDF and the app's are the same
 * page. No server listens: every request of the page is answered from the
 * built files by request interception, anything else is refused, and the
 * page's one call (`transcript.get`) is answered with the transcript given.
 * Where Chromium, playwright-core or the built window is missing, it says
 * why instead, and the JSON is written all the same.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, relative, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256Hex, transcriptJson, type Transcript } from './transcript.ts';
import type { TranscriptPrinter } from './transcript-make.ts';

export const CHROMIUM_PATH = process.env.CUSTOS_CHROMIUM ?? '/usr/bin/chromium';
export const BUILT_WINDOW_DIR = fileURLToPath(new URL('../../out/renderer/', import.meta.url));
/** A name no DNS answers: the page's requests never leave the process. */
const PRINT_ORIGIN = 'http://custos-print.invalid';
const PRINT_TIMEOUT_MS = 60_000;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf', '.json': 'application/json',
};

/** The address of a ceremony's transcript page in the window. */
export function transcriptRoute(ceremony: string): string {
  return `#/ceremony/${encodeURIComponent(ceremony)}/transcript`;
}

/** Stands in for window.custos in the printed page: the transcript, and nothing else of the core. */
function bridgeScript(transcript: Transcript): string {
  return `(() => {
  const view = ${JSON.stringify({ transcript, jsonSha256: sha256Hex(transcriptJson(transcript)) }).replace(/</g, '\\u003c')};
  localStorage.setItem('custos.theme', 'light');
  window.custos = {
    call: async (channel) => channel === 'transcript.get'
      ? { ok: true, value: view }
      : { ok: false, error: { code: 'INTERNAL', message: 'Only the transcript is available while printing.', details: {} } },
    on: () => () => undefined,
  };
})();`;
}

export function chromiumPrinter(options: { readonly chromiumPath?: string; readonly windowDir?: string } = {}): TranscriptPrinter {
  const chromiumPath = options.chromiumPath ?? CHROMIUM_PATH;
  const windowDir = options.windowDir ?? BUILT_WINDOW_DIR;
  return async (transcript) => {
    if (!existsSync(chromiumPath)) return { unavailable: `no Chromium at ${chromiumPath} (install it, or set CUSTOS_CHROMIUM)` };
    if (!existsSync(join(windowDir, 'index.html'))) return { unavailable: `the window is not built (${windowDir} has no index.html: run npm run build)` };
    let playwright: typeof import('playwright-core');
    try {
      playwright = await import('playwright-core');
    } catch {
      return { unavailable: 'playwright-core, which drives Chromium, is not installed' };
    }
    const browser = await playwright.chromium.launch({
      executablePath: chromiumPath, headless: true, timeout: PRINT_TIMEOUT_MS,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const context = await browser.newContext({ colorScheme: 'light', serviceWorkers: 'block' });
      await context.route('**/*', async (route) => {
        const url = new URL(route.request().url());
        if (url.origin !== PRINT_ORIGIN) return route.abort('blockedbyclient');
        const path = normalize(join(windowDir, decodeURIComponent(url.pathname)));
        const inside = relative(windowDir, path);
        if (inside.startsWith('..') || isAbsolute(inside) || !existsSync(path)) return route.fulfill({ status: 404, body: '' });
        return route.fulfill({ status: 200, body: await readFile(path), contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream' });
      });
      await context.addInitScript({ content: bridgeScript(transcript) });
      const page = await context.newPage();
      await page.goto(`${PRINT_ORIGIN}/index.html${transcriptRoute(transcript.ceremony)}`, { timeout: PRINT_TIMEOUT_MS });
      await page.getByTestId('transcript-document').waitFor({ timeout: PRINT_TIMEOUT_MS });
      await page.emulateMedia({ media: 'print' });
      const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
      return { pdf: new Uint8Array(pdf) };
    } catch (e) {
      return { unavailable: `Chromium could not print the transcript page: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
    } finally {
      await browser.close();
    }
  };
}
