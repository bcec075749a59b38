// First launch on the REAL core with an HSM attached (SoftHSM2 named as a
// production PKCS#11 module, so this is no rehearsal set-up): the first
// screen says where to begin, finds the HSM, and starts a rehearsal from the
// window; the window then shows the virtual SmartCard-HSMs and the REHEARSAL
// banner, and the real journal is untouched. At 1024x700, both themes, axe.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seriousViolations } from './support/axe.ts';
import type { Page } from 'playwright-core';
import { openAppCore, type AppCore } from '../../electron/core.ts';
import { startDevHost, type DevHost } from '../../devhost/server.ts';
import { JOURNAL_FILE } from '../../main/journal/index.ts';
import { createSoftHsm, type SoftHsm } from '../support/softhsm.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { launchChromium, type Chromium } from './support/chromium.ts';
import { SCREENSHOT_DIR, setTheme } from './support/screens.ts';

describe('the first launch', () => {
  let hsm: SoftHsm;
  let dataDir: string;
  let core: AppCore;
  let host: DevHost;
  let browser: Chromium;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    const staticDir = ensureRendererBuilt();
    hsm = await createSoftHsm();
    await hsm.initToken('Production HSM', '12345678', '123456');
    dataDir = mkdtempSync(join(tmpdir(), 'custos-e2e-first-'));
    core = await openAppCore({ dataDir, pkcs11Modules: [hsm.modulePath], operator: 'e2e' });
    host = await startDevHost({ handlers: core.handlers, events: core.events, staticDir });
    browser = await launchChromium();
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 1024, height: 700 });
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(host.url);
    await page.getByRole('heading', { name: 'Tokens', level: 1 }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await host?.close();
    await core?.close();
    await hsm?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('says where to begin: rehearse a ceremony, or connect an HSM, and finds the HSM', async () => {
    const first = page.getByRole('region', { name: 'Where to begin' });
    await first.waitFor();
    await first.getByRole('heading', { name: 'Rehearse a ceremony' }).waitFor();
    await first.getByRole('heading', { name: 'Connect an HSM' }).waitFor();
    await first.getByText('1 HSM found: Production HSM.').waitFor();
    assert.equal(await page.getByTestId('rehearsal-banner').count(), 0, 'an HSM-backed window is no rehearsal');
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `first-launch-${theme}.png`) });
      assert.deepEqual(await seriousViolations(page), [], theme);
    }
    await setTheme(page, 'light');
  });

  it('starts a rehearsal from the window with an HSM attached, leaving the real journal as it was', async () => {
    const realJournal = readFileSync(join(dataDir, JOURNAL_FILE));
    await page.getByRole('button', { name: 'Start a rehearsal' }).click();
    await page.getByTestId('rehearsal-banner').waitFor();
    for (const label of ['CA HSM', 'Backup HSM', 'Custodian 1']) {
      await page.getByRole('region', { name: label, exact: true }).getByText('VIRTUAL', { exact: true }).waitFor();
    }
    await page.getByRole('link', { name: 'Go to the rehearsal tokens' }).waitFor();
    // The real HSM is let go, not "taken out": no row or section keeps it (no wait: the rehearsal is shown by now).
    assert.equal(await page.getByRole('region', { name: 'Production HSM' }).count(), 0, 'the real HSM is let go');
    assert.equal(await page.getByText('Production HSM').count(), 0, 'the real HSM is not listed as taken out');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'first-launch-rehearsal-started.png') });
    assert.deepEqual(readFileSync(join(dataDir, JOURNAL_FILE)), realJournal);
    assert.deepEqual(await seriousViolations(page), []);
  });

  it('hides the first steps when asked, and keeps them hidden', async () => {
    await page.getByRole('button', { name: 'Hide these first steps' }).click();
    await page.getByRole('region', { name: 'Where to begin' }).waitFor({ state: 'detached' });
    await page.reload();
    await page.getByRole('heading', { name: 'Tokens', level: 1 }).waitFor();
    await page.waitForTimeout(500);
    assert.equal(await page.getByRole('region', { name: 'Where to begin' }).count(), 0);
    assert.deepEqual(pageErrors, []);
  });
});
