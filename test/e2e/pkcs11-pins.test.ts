// PIN change and unblock with the SO-PIN on a PKCS#11 token (SoftHSM2), in Chromium at 1024x700,
// with the same dialogs as for the SmartCard-HSM: a wrong SO-PIN shows the SO-PIN's own count (a
// PKCS#11 token tells no number, only that wrong entries were counted), the right one sets the new
// PIN, with which the token logs in. Screenshots in both themes (one dialog in each); axe finds no serious or critical
// violation.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { seriousViolations } from './support/axe.ts';
import { openAppCore, type AppCore } from '../../electron/core.ts';
import { startDevHost, type DevHost } from '../../devhost/server.ts';
import { createSoftHsm, type SoftHsm } from '../support/softhsm.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { launchChromium, type Chromium } from './support/chromium.ts';
import { SCREENSHOT_DIR, openScreen, setTheme } from './support/screens.ts';

const SO_PIN = '87654321';
const PIN = '246810';

describe('PIN dialogs on a PKCS#11 token', () => {
  let hsm: SoftHsm;
  let dataDir: string;
  let core: AppCore;
  let host: DevHost;
  let browser: Chromium;
  let page: Page;
  let origin: string;
  const pageErrors: string[] = [];
  const region = () => page.locator('section[aria-label="PKCS11 PIN HSM"]');
  // The theme toggle sits behind an open dialog (aria-hidden): the first dialog is shown light, the second dark.
  const shots = async (name: string): Promise<void> => {
    await page.waitForTimeout(300); // a dialog's fade-in
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
    assert.deepEqual(await seriousViolations(page), [], name);
  };

  before(async () => {
    const staticDir = ensureRendererBuilt();
    hsm = await createSoftHsm();
    await hsm.initToken('PKCS11 PIN HSM', SO_PIN, PIN);
    dataDir = mkdtempSync(join(tmpdir(), 'custos-e2e-p11-pins-'));
    core = await openAppCore({ dataDir, rehearsalModules: [hsm.modulePath], operator: 'e2e' });
    host = await startDevHost({ handlers: core.handlers, events: core.events, staticDir });
    origin = `http://127.0.0.1:${host.port}`;
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

  it('refuses a wrong SO-PIN showing the SO-PIN\'s own count, then unblocks with the right one, and the new PIN logs in', async () => {
    await openScreen(page, origin, 'tokens');
    const token = region();
    await token.getByRole('button', { name: 'Unblock PIN…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Unblock the PIN of PKCS11 PIN HSM' });
    await dialog.getByText(/A blocked SO-PIN cannot be reset/).waitFor();
    await dialog.getByLabel('SO-PIN', { exact: true }).fill('11111111');
    await dialog.getByLabel('New PIN', { exact: true }).fill('998877');
    await dialog.getByLabel('New PIN again').fill('998877');
    await dialog.getByRole('button', { name: 'Unblock and set PIN' }).click();
    await dialog.getByText(/The SO-PIN is wrong, so the PIN was not unblocked/).waitFor();
    await dialog.getByText(/The SO-PIN has its own tries \(wrong entries counted since the last good one; a few more block it\)/).waitFor();
    await shots('pkcs11-unblock-wrong-so-pin-light');
    await dialog.getByLabel('SO-PIN', { exact: true }).fill(SO_PIN);
    await dialog.getByRole('button', { name: 'Unblock and set PIN' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await token.getByRole('button', { name: 'Log in…' }).click();
    const login = page.getByRole('dialog');
    await login.getByLabel('User PIN').fill('998877');
    await login.getByRole('button', { name: 'Log in', exact: true }).click();
    await login.waitFor({ state: 'hidden' });
    await token.getByText('Logged in', { exact: true }).waitFor();
    assert.deepEqual(pageErrors, []);
  });

  it('changes the PIN; a wrong current PIN shows the count the token keeps, in the dialog at once', async () => {
    await setTheme(page, 'dark');
    const token = region();
    await token.getByRole('button', { name: 'Change PIN…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change the PIN of PKCS11 PIN HSM' });
    await dialog.getByLabel('Current PIN').fill('000000');
    await dialog.getByLabel('New PIN', { exact: true }).fill(PIN);
    await dialog.getByLabel('New PIN again').fill(PIN);
    await dialog.getByRole('button', { name: 'Change PIN' }).click();
    await dialog.getByText('PIN: wrong entries counted since the last good one; a few more block it', { exact: true }).waitFor();
    await shots('pkcs11-change-pin-wrong-dark');
    await dialog.getByLabel('Current PIN').fill('998877');
    await dialog.getByRole('button', { name: 'Change PIN' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await setTheme(page, 'light');
    assert.deepEqual(pageErrors, []);
  });
});
