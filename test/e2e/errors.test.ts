// Errors a custodian meets, on the REAL core (SoftHSM2), in Chromium at
// 1024x700: several dropped files that fail are each reported under their
// own name; an error that a login resolves offers the way there; an error
// clears when the context it was about changes. Screenshots, both themes, axe.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { seriousViolations } from './support/axe.ts';
import type { Page } from 'playwright-core';
import type { AppCore } from '../../electron/core.ts';
import { type DevHost } from '../../devhost/server.ts';
import { runTool } from '../support/openssl.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { type Chromium } from './support/chromium.ts';
import { openWindow } from './support/window.ts';
import { USER_PIN, openCoreWithRoot, type CoreWithRoot } from './support/root-on-softhsm.ts';
import { SCREENSHOT_DIR, openScreen, setTheme } from './support/screens.ts';

/** Drops files on the zone as a file manager would: one drop event carrying them all. */
async function dropFiles(page: Page, files: { name: string; base64: string }[]): Promise<void> {
  const transfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name));
    return dt;
  }, files);
  await page.getByTestId('csr-drop-zone').dispatchEvent('drop', { dataTransfer: transfer });
}

describe('errors name what they concern, offer the action, and clear', () => {
  let fixture: CoreWithRoot;
  let core: AppCore;
  let host: DevHost;
  let browser: Chromium;
  let page: Page;
  let origin: string;
  let tokenId: string;
  const pageErrors: string[] = [];

  before(async () => {
    const staticDir = ensureRendererBuilt();
    fixture = await openCoreWithRoot({ name: 'Errors' });
    core = fixture.core;
    tokenId = fixture.tokenId;
    ({ host, browser, page, origin } = await openWindow(core, { staticDir, timeoutMs: 20_000, pageErrors }));
  });

  after(async () => {
    await browser?.close();
    await host?.close();
    await fixture?.close();
  });

  it('reports each of several dropped files, the failures under their own names', async () => {
    const good = await runTool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem', '-out', 'r.csr',
      '-subj', '/CN=good.example', '-addext', 'subjectAltName=DNS:good.example'], { outputs: ['r.csr'] });
    await openScreen(page, origin, 'requests');
    await dropFiles(page, [
      { name: 'good.csr', base64: Buffer.from(good.outputs['r.csr']!).toString('base64') },
      { name: 'holiday-photo.csr', base64: Buffer.from('\x30\x03\x02\x01').toString('base64') },
      { name: 'empty.csr', base64: '' },
    ]);
    const outcomes = page.getByRole('region', { name: 'Imported files' });
    await outcomes.getByText('3 files: 1 imported, 2 refused.').waitFor();
    await outcomes.getByText('good.csr: 1 request imported.').waitFor();
    const alerts = outcomes.getByRole('alert');
    assert.equal(await alerts.count(), 2);
    assert.match(await alerts.nth(0).innerText(), /^CSR_\w+: [\s\S]*Concerns file holiday-photo\.csr\./);
    assert.match(await alerts.nth(1).innerText(), /^CSR_EMPTY: [\s\S]*Concerns file empty\.csr\./);
    await page.getByRole('table', { name: 'Requests' }).getByText('good.csr').waitFor();
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `errors-dropped-files-${theme}.png`), fullPage: true });
      assert.deepEqual(await seriousViolations(page), [], theme);
    }
    await setTheme(page, 'light');
  });

  it('offers a Log in button when the CA key needs a login, and clears the error when the terms change', async () => {
    // A preview made while the CA token is logged out says so and offers no Sign; the token is
    // logged out here after the preview, as when a custodian pulls it between review and signing.
    const previewThenLogOut = async (logIn: boolean): Promise<void> => {
      if (logIn) await core.handlers['token.login']({ tokenId, pin: USER_PIN });
      await form.getByRole('button', { name: 'Preview' }).click();
      await page.getByTestId('signing-review').waitFor();
      await core.handlers['token.logout']({ tokenId });
    };
    await page.getByRole('button', { name: /^Open request CN=good\.example/ }).click();
    const form = page.getByRole('form', { name: 'Sign the request' });
    await form.getByLabel('Profile').click();
    await page.getByRole('option', { name: 'TLS server' }).click();
    await previewThenLogOut(false);
    await page.getByRole('button', { name: 'Sign certificate' }).click();
    const alert = page.getByRole('alert').filter({ hasText: /NOT_LOGGED_IN|KEY_NOT_FOUND/ });
    await alert.waitFor();
    const action = alert.getByRole('link', { name: /^(Log in|Open Tokens)$/ });
    await action.waitFor();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'errors-login-needed.png'), fullPage: true });
    assert.deepEqual(await seriousViolations(page), []);

    await form.getByLabel('Validity (days)').fill('90');
    await alert.waitFor({ state: 'detached' });

    await previewThenLogOut(true);
    await page.getByRole('button', { name: 'Sign certificate' }).click();
    await alert.waitFor();
    await alert.getByRole('link').click();
    await page.getByRole('heading', { name: 'Tokens', level: 1 }).waitFor();
    assert.match(page.url(), /#\/tokens$/);
    assert.deepEqual(pageErrors, []);
  });
});
