// The window at 1024x700 on the REAL core (SoftHSM2): every screen in both
// themes, with the sections shown and collapsed, never scrolls sideways; the
// Requests table keeps a long subject and file name inside the page; the
// Journal keeps its hash column in view, shows times in the local zone and
// marks the entry a tamperer altered. Screenshots of each, and axe on each.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seriousViolations } from './support/axe.ts';
import type { Page } from 'playwright-core';
import type { AppCore } from '../../electron/core.ts';
import { type DevHost } from '../../devhost/server.ts';
import { JOURNAL_FILE } from '../../main/journal/index.ts';
import { runTool } from '../support/openssl.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { type Chromium } from './support/chromium.ts';
import { openWindow } from './support/window.ts';
import { openCoreWithRoot, type CoreWithRoot } from './support/root-on-softhsm.ts';
import { SCREENS, SCREENSHOT_DIR, openScreen, setTheme } from './support/screens.ts';

const LONG_CN = 'a-very-long-host-name-for-the-internal-payment-gateway.eu-central.production.example.org';
const CN = 'payment-gateway-eu-central-1.production.example.org';
const LONG_FILE = 'request-for-the-internal-payment-gateway-eu-central-production-2026-12-07.csr';

async function pageWidths(page: Page): Promise<{ scroll: number; client: number }> {
  return page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
}

describe('the window at 1024x700', () => {
  let fixture: CoreWithRoot;
  let core: AppCore;
  let host: DevHost;
  let browser: Chromium;
  let page: Page;
  let origin: string;
  const pageErrors: string[] = [];

  before(async () => {
    const staticDir = ensureRendererBuilt();
    fixture = await openCoreWithRoot({ name: 'Layout' });
    core = fixture.core;
    const csr = await runTool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem', '-out', 'r.csr',
      '-subj', `/C=DE/O=Example Payments and Settlement Services GmbH/OU=Platform Engineering/CN=${CN}`, '-addext', `subjectAltName=DNS:${LONG_CN},DNS:gateway.example.org`], { outputs: ['r.csr'] });
    assert.equal(csr.code, 0, csr.stderr);
    const [request] = await core.handlers['request.import']({ fileName: LONG_FILE, contentBase64: Buffer.from(csr.outputs['r.csr']!).toString('base64') });
    const signTerms = { requestId: request!.id, caId: fixture.caId, profileId: 'tls-server' };
    await core.handlers['request.sign']({ ...signTerms, tbsSha256: (await core.handlers['request.preview'](signTerms)).tbsSha256 });
    ({ host, browser, page, origin } = await openWindow(core, { staticDir, timeoutMs: 20_000, pageErrors }));
  });

  after(async () => {
    await browser?.close();
    await host?.close();
    await fixture?.close();
  });

  it('starts with the sections collapsed at 1024 px, and shows and hides them on demand', async () => {
    const toggle = page.getByRole('button', { name: /^(Sections|Hide sections)$/ });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.equal(await page.getByRole('navigation', { name: 'Sections' }).count(), 0, 'a collapsed sidebar takes no width and no Tab stop');
    await toggle.click();
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Journal' }).waitFor();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'layout-sections-open.png') });
    await toggle.click();
    await page.getByRole('navigation', { name: 'Sections' }).waitFor({ state: 'hidden' });
  });

  it('keeps a long subject and file name inside the Requests table', async () => {
    await openScreen(page, origin, 'requests');
    const table = page.getByRole('table', { name: 'Requests' });
    await table.getByText(LONG_FILE).waitFor();
    const box = await table.boundingBox();
    assert.ok(box && box.x + box.width <= 1024, `the table ends at ${box ? box.x + box.width : '?'} px`);
    const { scroll, client } = await pageWidths(page);
    assert.ok(scroll <= client, `${scroll} > ${client}`);
  });

  it('shows journal times in the local zone and keeps the hash column in view', async () => {
    await openScreen(page, origin, 'journal');
    const table = page.getByRole('table', { name: 'Journal entries' });
    const firstTime = table.locator('time').first();
    await firstTime.waitFor();
    const iso = await firstTime.getAttribute('datetime');
    const shown = await firstTime.innerText();
    const expected = await page.evaluate((t) => new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' }).format(new Date(t)), iso!);
    assert.equal(shown, expected);
    assert.notEqual(shown, iso, 'not the raw UTC string');
    const hashHeader = table.getByRole('columnheader', { name: 'Hash' });
    const box = await hashHeader.boundingBox();
    assert.ok(box && box.x + box.width <= 1024 && box.width > 60, `the hash column is in view: ${JSON.stringify(box)}`);
  });

  it('marks the entry a tamperer altered', async () => {
    const file = join(fixture.dataDir, JOURNAL_FILE);
    const lines = readFileSync(file, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('"request.import"'));
    assert.ok(at >= 0);
    const seq = (JSON.parse(lines[at]!) as { seq: number }).seq;
    lines[at] = lines[at]!.replace(LONG_FILE, LONG_FILE.replace('request', 'reQuest'));
    writeFileSync(file, lines.join('\n'));
    await page.getByRole('button', { name: 'Verify again' }).click();
    await page.getByText(new RegExp(`^Entry #${seq} was altered or removed`)).waitFor();
    const row = page.locator(`tr[data-seq="${seq}"]`);
    assert.equal(await row.getAttribute('data-bad'), 'tampered');
    await row.getByText('Altered or removed').waitFor();
    assert.equal(await page.locator('tr[data-bad]').count(), 1, 'one entry is marked');
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      await row.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SCREENSHOT_DIR, `layout-journal-tampered-${theme}.png`) });
    }
    await setTheme(page, 'light');
  });

  it('never scrolls sideways on any screen, in either theme, with the sections shown or not; axe finds nothing serious', async () => {
    const problems: string[] = [];
    for (const nav of ['collapsed', 'shown'] as const) {
      for (const theme of ['light', 'dark'] as const) {
        for (const screen of SCREENS) {
          await openScreen(page, origin, screen);
          await setTheme(page, theme);
          const toggle = page.getByRole('button', { name: /^(Sections|Hide sections)$/ });
          if ((await toggle.getAttribute('aria-expanded') === 'true') !== (nav === 'shown')) await toggle.click();
          if (screen === 'requests') await page.getByRole('button', { name: /^Open request/ }).first().click();
          if (screen === 'certificates') await page.getByRole('button', { name: /payment-gateway/ }).first().click();
          await page.waitForTimeout(200);
          const { scroll, client } = await pageWidths(page);
          if (scroll > client) problems.push(`${screen} ${theme} sections ${nav}: ${scroll} px in ${client}`);
          await page.screenshot({ path: join(SCREENSHOT_DIR, `layout-${screen}-${theme}-${nav}.png`), fullPage: true });
          for (const v of await seriousViolations(page)) problems.push(`${screen} ${theme} sections ${nav}: ${v}`);
        }
      }
    }
    assert.deepEqual(problems, []);
    assert.deepEqual(pageErrors, []);
  });
});
