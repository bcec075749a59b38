// The one progress component in Chromium at 1024x700, on the REAL core (SoftHSM2): a key
// generation on a slowed rehearsal token (SoftHSM2 whose generation and signatures wait for the
// test to let them go, so a person can look at the screen mid-way; named as such) shows the step, the usual time and
// the time so far, and no Cancel but why not; a CRL of 6,000 entries (revocations written straight
// into the journal for serials never issued, a stand-in for a CA with many revocations) shows the
// entries read of the total on a determinate bar with Cancel, then that its signing cannot be
// stopped. Screenshots in both themes; axe finds no serious or critical violation.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { seriousViolations } from './support/axe.ts';
import { appCoreOf, type AppCore } from '../../electron/core.ts';
import { Custos } from '../../main/custos.ts';
import { type DevHost } from '../../devhost/server.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { type Chromium } from './support/chromium.ts';
import { openWindow } from './support/window.ts';
import { progressSeen, recordProgress } from './support/progress-record.ts';
import { slowDown, type SlowedToken } from './support/slowed-token.ts';
import { openCoreWithRoot, type CoreWithRoot } from './support/root-on-softhsm.ts';
import { SCREENSHOT_DIR, openScreen, setTheme } from './support/screens.ts';

const REVOCATIONS = 6_000;

describe('long work shows the core\'s progress in one component', () => {
  let fixture: CoreWithRoot;
  let custos: Custos;
  let core: AppCore;
  let host: DevHost;
  let browser: Chromium;
  let page: Page;
  let origin: string;
  let slow: SlowedToken;
  let caId: string;
  const pageErrors: string[] = [];

  before(async () => {
    const staticDir = ensureRendererBuilt();
    fixture = await openCoreWithRoot({
      name: 'Progress', tokenLabel: 'Slowed rehearsal HSM',
      open: async (dataDir, modulePath) => {
        custos = Custos.open({ dataDir, rehearsalModules: [modulePath], operator: 'e2e', pcsc: false });
        return appCoreOf(custos);
      },
      afterLogin: async (_core, tokenId) => { slow = slowDown(await custos.tokens.open(tokenId)); },
    });
    core = fixture.core;
    caId = fixture.caId;
    const revokedAt = new Date().toISOString();
    for (let i = 1; i <= REVOCATIONS; i++) custos.journal.append('certificate.revoke', { caId, serialHex: (0x100000 + i).toString(16), reason: 'superseded', revokedAt });
    ({ host, browser, page, origin } = await openWindow(core, { staticDir, timeoutMs: 60_000, pageErrors }));
  });

  after(async () => {
    await browser?.close();
    await host?.close();
    await fixture?.close();
  });

  it('shows a key generation\'s step, usual time and time so far, and why it cannot be stopped, with no Cancel', async () => {
    await openScreen(page, origin, 'tokens');
    const form = page.getByRole('form', { name: 'Generate a key pair' });
    await form.getByLabel('Key type').click();
    await page.getByRole('option', { name: 'RSA 4096' }).click();
    await form.getByLabel('Key label').fill('progress-rsa');
    slow.hold();
    try {
      await form.getByRole('button', { name: 'Generate key pair' }).click();
      const status = form.getByRole('status', { name: /^Progress:/ });
      await status.getByText(/^The token is generating the RSA 4096 key… \(0 of 4\)$/).waitFor();
      await status.getByText(/^Usually about 60 s; \d+ s so far\.$/).waitFor();
      await status.getByText(/^Cannot be stopped now: the token is generating the key; stopping now could leave a half-made key on it\.$/).waitFor();
      assert.equal(await status.getByRole('button', { name: 'Cancel' }).count(), 0, 'no Cancel while the token generates');
      assert.equal(await status.getByRole('progressbar').getAttribute('aria-valuenow'), '0', 'determinate across the steps: the first of four');
      for (const theme of ['light', 'dark'] as const) {
        await setTheme(page, theme);
        await page.screenshot({ path: join(SCREENSHOT_DIR, `progress-keygen-${theme}.png`), fullPage: true });
        assert.deepEqual(await seriousViolations(page), [], theme);
      }
      await setTheme(page, 'light');
    } finally {
      slow.release();
    }
    await page.getByRole('table').getByText('progress-rsa').waitFor({ timeout: 120_000 });
    assert.equal(await form.getByRole('status', { name: /^Progress:/ }).count(), 0, 'gone once the key is made');
    assert.deepEqual(pageErrors, []);
  });

  it(`shows a CRL of ${REVOCATIONS} entries read of the total on a determinate bar with Cancel, then why its signing cannot be stopped`, async () => {
    await openScreen(page, origin, 'crl');
    await page.getByRole('form', { name: 'Preview a CRL' }).getByRole('button', { name: 'Preview CRL' }).click();
    const shown = page.getByRole('region', { name: 'Preview of the CRL' });
    await shown.getByRole('button', { name: 'Issue this CRL…' }).waitFor({ timeout: 120_000 });
    await shown.getByRole('button', { name: 'Issue this CRL…' }).click();
    const confirm = page.getByRole('dialog', { name: /^Sign CRL number \d+\?$/ });
    await confirm.waitFor();
    await recordProgress(page);
    slow.hold();
    try {
      await confirm.getByRole('button', { name: 'Sign CRL' }).click();
      const status = page.getByRole('status', { name: 'Progress: Issuing the CRL' });
      await status.getByText(/^Cannot be stopped now: the token is signing the CRL/).waitFor();
      assert.match(await status.innerText(), new RegExp(`Signing CRL \\d+ \\(${REVOCATIONS} entries\\) on the token`));
      assert.equal(await status.getByRole('button', { name: 'Cancel' }).count(), 0, 'no Cancel while the token signs');
      // The window as the person sees it, scrolled to the progress (the preview above lists all the entries).
      await status.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'progress-crl-signing-light.png') });
      await setTheme(page, 'dark');
      await status.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'progress-crl-signing-dark.png') });
      // The progress component: the rest of the page (the paged preview) is scanned by crl-preview.test.ts.
      assert.deepEqual(await seriousViolations(page, '[aria-label="Progress: Issuing the CRL"]'), []);
      await setTheme(page, 'light');
    } finally {
      slow.release();
    }
    await page.getByText(new RegExp(`^Issued CRL number \\d+ with ${REVOCATIONS} entries\\.$`)).waitFor({ timeout: 120_000 });
    // What the page showed while the entries were read: a determinate bar with the count of the total, and Cancel.
    const seen = await progressSeen(page);
    const reading = seen.filter((s) => s.value !== null && new RegExp(`\\d+ of ${REVOCATIONS}`).test(s.label) && /revocations for the CRL/.test(s.label));
    assert.ok(reading.length > 0 && reading.every((s) => s.cancel), `a determinate bar of the entries, with Cancel: ${JSON.stringify(seen.slice(0, 6))}`);
    const signing = seen.filter((s) => /^Signing CRL/.test(s.label));
    assert.ok(signing.length > 0 && signing.every((s) => !s.cancel && /Cannot be stopped now/.test(s.label)));
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'nothing scrolls sideways');
    assert.deepEqual(pageErrors, []);
    assert.equal((await core.handlers['crl.list']({ caId })).at(-1)?.entries, REVOCATIONS);
  });
});
