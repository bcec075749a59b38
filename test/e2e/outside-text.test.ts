// Text from outside shown in the window: a file name from a USB stick with a
// right-to-left override ("invoice<U+202E>fdp.pem" reads as "invoicemp.pdf")
// is shown with the override written as \u{202E}, in the import list's
// journal summary. Served by the dev host over the FAKE core
// (test/support/fake-handlers.ts): what is under test is the window's own
// escaping, which the real core's names never reach unescaped either.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevHost, type DevHost } from '../../devhost/server.ts';
import { createFakeCore } from '../support/fake-handlers.ts';
import { launchChromium, type Chromium } from './support/chromium.ts';
import { openScreen, SCREENSHOT_DIR } from './support/screens.ts';
import { join } from 'node:path';
import { ensureRendererBuilt } from './support/build.ts';
import type { Page } from 'playwright-core';

const HOSTILE_FILE = 'invoice\u202efdp.pem';

describe('text from outside in the window', () => {
  let host: DevHost;
  let browser: Chromium;
  let page: Page;
  let origin: string;

  before(async () => {
    const fake = createFakeCore({});
    host = await startDevHost({ handlers: fake.handlers, events: fake.events, staticDir: ensureRendererBuilt() });
    origin = `http://127.0.0.1:${host.port}`;
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(host.url);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
  });
  after(async () => { await browser?.close(); await host?.close(); });

  it('shows a right-to-left override in a file name as \\u{202E} in the journal, never the character itself', async () => {
    await openScreen(page, origin, 'requests');
    await page.locator('#csr-file-input').setInputFiles({ name: HOSTILE_FILE, mimeType: 'application/pkcs10', buffer: Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\nCN=rlo.example\n-----END CERTIFICATE REQUEST-----\n') });
    await page.getByText('CN=rlo.example').first().waitFor();
    await openScreen(page, origin, 'journal');
    const row = page.getByRole('row').filter({ hasText: 'request.import' }).first();
    await row.waitFor();
    const text = await row.innerText();
    assert.match(text, /Imported invoice\\u\{202E\}fdp\.pem/);
    assert.ok(!text.includes('\u202e'), 'the override itself is not in the page');
    const body = await page.locator('body').innerText();
    assert.ok(!body.includes('\u202e'));
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'outside-text-journal.png'), fullPage: true });
  });
});
