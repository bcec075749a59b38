// Text from outside shown in the window: a request file from a USB stick whose
// name carries a right-to-left override ("invoice<U+202E>fdp.pem" reads as
// "invoicemp.pdf") is imported by the REAL core (a request OpenSSL made), and
// the journal view shows the override written as \u{202E}, never the
// character itself.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openAppCore, type AppCore } from '../../electron/core.ts';
import { startDevHost, type DevHost } from '../../devhost/server.ts';
import { runTool } from '../support/openssl.ts';
import { launchChromium, type Chromium } from './support/chromium.ts';
import { openScreen, SCREENSHOT_DIR } from './support/screens.ts';
import { ensureRendererBuilt } from './support/build.ts';

const HOSTILE_FILE = 'invoice\u202efdp.pem';

describe('text from outside in the window', () => {
  let dir: string;
  let core: AppCore;
  let host: DevHost;
  let browser: Chromium;
  let page: Page;
  let origin: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-e2e-outside-'));
    core = await openAppCore({ dataDir: join(dir, 'home'), operator: 'e2e', providers: [] });
    host = await startDevHost({ handlers: core.handlers, events: core.events, staticDir: ensureRendererBuilt() });
    origin = `http://127.0.0.1:${host.port}`;
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(host.url);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
  });
  after(async () => {
    await browser?.close();
    await host?.close();
    await core?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a right-to-left override in a file name as \\u{202E} in the journal, never the character itself', async () => {
    const csr = await runTool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-out', 'r.csr',
      '-subj', '/CN=rlo.example'], { outputs: ['r.csr'] });
    await openScreen(page, origin, 'requests');
    await page.locator('#csr-file-input').setInputFiles({ name: HOSTILE_FILE, mimeType: 'application/pkcs10', buffer: Buffer.from(csr.outputs['r.csr']!) });
    await page.getByText('CN=rlo.example').first().waitFor();
    await openScreen(page, origin, 'journal');
    const row = page.getByRole('row').filter({ hasText: 'request.import' }).first();
    await row.waitFor();
    const text = await row.innerText();
    assert.match(text, /invoice\\u\{202E\}fdp\.pem/);
    assert.ok(!text.includes('\u202e'), 'the override itself is not in the page');
    const body = await page.locator('body').innerText();
    assert.ok(!body.includes('\u202e'));
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'outside-text-journal.png'), fullPage: true });
  });
});
