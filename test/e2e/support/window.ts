/**
 * The window as the e2e tests open it: the dev host serving the core's
 * handlers, Debian's Chromium at 1024x700, every page error collected, and
 * the first screen (Tokens) shown before a test begins.
 */
import type { Page } from 'playwright-core';
import type { AppCore } from '../../../electron/core.ts';
import { startDevHost, type DevHost } from '../../../devhost/server.ts';
import { launchChromium, type Chromium } from './chromium.ts';

export interface AppWindow {
  readonly host: DevHost;
  readonly browser: Chromium;
  readonly page: Page;
  readonly origin: string;
}

export async function openWindow(core: Pick<AppCore, 'handlers' | 'events'>, options: { staticDir: string; timeoutMs: number; pageErrors: string[] }): Promise<AppWindow> {
  const host = await startDevHost({ handlers: core.handlers, events: core.events, staticDir: options.staticDir });
  const browser = await launchChromium();
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1024, height: 700 });
  page.setDefaultTimeout(options.timeoutMs);
  page.on('pageerror', (e) => options.pageErrors.push(e.message));
  await page.goto(host.url);
  await page.getByRole('heading', { name: 'Tokens', level: 1 }).waitFor();
  return { host, browser, page, origin: `http://127.0.0.1:${host.port}` };
}
