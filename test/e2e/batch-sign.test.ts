// Long work on the REAL core (SoftHSM2), in Chromium at 1024x700: several
// pending requests previewed (each TBS hash listed) and signed in one batch,
// the core's determinate progress shown as it goes, and Cancel stopping the
// batch between certificates with the rest left pending (on the slowed rehearsal
// token, signing at a set pace so Cancel lands mid-batch however busy the
// machine). Screenshots in both themes; axe finds no serious or critical violation.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { seriousViolations } from './support/axe.ts';
import type { Page } from 'playwright-core';
import { appCoreOf, type AppCore } from '../../electron/core.ts';
import { Custos } from '../../main/custos.ts';
import { type DevHost } from '../../devhost/server.ts';
import { runTool } from '../support/openssl.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { type Chromium } from './support/chromium.ts';
import { openWindow } from './support/window.ts';
import { slowDown, type SlowedToken } from './support/slowed-token.ts';
import { openCoreWithRoot, type CoreWithRoot } from './support/root-on-softhsm.ts';
import { SCREENSHOT_DIR, openScreen, setTheme } from './support/screens.ts';

async function csrBase64(cn: string): Promise<string> {
  const r = await runTool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem', '-out', 'r.csr', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`], { outputs: ['r.csr'] });
  assert.equal(r.code, 0, r.stderr);
  return Buffer.from(r.outputs['r.csr']!).toString('base64');
}

describe('batch signing shows the core\'s progress and stops when cancelled', () => {
  let fixture: CoreWithRoot;
  let custos: Custos;
  /** The slowed rehearsal token: signatures at a set pace, so Cancel lands mid-batch on a busy machine too. */
  let slow: SlowedToken;
  let core: AppCore;
  let host: DevHost;
  let browser: Chromium;
  let page: Page;
  let origin: string;
  const pageErrors: string[] = [];

  async function importRequests(prefix: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) await core.handlers['request.import']({ fileName: `${prefix}-${i}.csr`, contentBase64: await csrBase64(`${prefix}-${i}.example`) });
  }
  async function previewAll(): Promise<void> {
    const form = page.getByRole('form', { name: 'Sign every pending request' });
    await form.getByLabel('Profile').click();
    await page.getByRole('option', { name: 'TLS server' }).click();
    await form.getByRole('button', { name: /^Preview all \d+$/ }).click();
  }

  before(async () => {
    const staticDir = ensureRendererBuilt();
    fixture = await openCoreWithRoot({
      name: 'Batch',
      open: async (dataDir, modulePath) => {
        custos = Custos.open({ dataDir, rehearsalModules: [modulePath], operator: 'e2e', pcsc: false });
        return appCoreOf(custos);
      },
      afterLogin: async (_core, tokenId) => { slow = slowDown(await custos.tokens.open(tokenId)); },
    });
    core = fixture.core;
    ({ host, browser, page, origin } = await openWindow(core, { staticDir, timeoutMs: 30_000, pageErrors }));
  });

  after(async () => {
    await browser?.close();
    await host?.close();
    await fixture?.close();
  });

  it('lists each pending request with the TBS hash it will sign, then signs them all with progress to the last', async () => {
    await importRequests('all', 3);
    await openScreen(page, origin, 'requests');
    const section = page.getByRole('region', { name: 'Sign several pending requests' });
    await section.waitFor();
    await previewAll();
    const table = section.getByRole('table', { name: 'Certificates to sign' });
    await table.waitFor();
    assert.equal(await table.getByRole('row').count(), 4, 'a header and one row a request');
    assert.equal(await table.getByTestId('hash-groups').count(), 3);
    assert.match(await table.getByTestId('hash-groups').first().innerText(), /^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `batch-sign-previewed-${theme}.png`), fullPage: true });
      assert.deepEqual(await seriousViolations(page), [], theme);
    }
    await setTheme(page, 'light');
    await section.getByRole('button', { name: 'Sign 3 certificates' }).click();
    await section.getByText('Signed 3 of 3.').waitFor();
    const statuses = await page.getByRole('table', { name: 'Requests' }).getByRole('row').filter({ hasText: /all-\d\.example/ }).allInnerTexts();
    assert.equal(statuses.length, 3);
    for (const row of statuses) assert.match(row, /signed/);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'batch-sign-done-light.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  });

  it('shows how far the batch has got, and Cancel stops it between certificates with the rest still pending', async () => {
    const N = 30;
    await importRequests('many', N);
    await openScreen(page, origin, 'requests');
    const section = page.getByRole('region', { name: 'Sign several pending requests' });
    await previewAll();
    const toSign = section.getByRole('table', { name: 'Certificates to sign' });
    await toSign.waitFor();
    slow.pace(250);
    await section.getByRole('button', { name: `Sign ${N} certificates` }).click();
    // The core's own count: "Signed k of N certificates", with a determinate bar.
    const progress = section.getByRole('status').filter({ hasText: new RegExp(`^Signed [1-9]\\d* of ${N} certificates`) });
    await progress.waitFor();
    const bar = section.getByRole('progressbar');
    const value = Number(await bar.getAttribute('aria-valuenow'));
    assert.ok(value > 0 && value < 100, `determinate, part way: ${value}`);
    await section.getByRole('button', { name: 'Cancel' }).click();
    // Still signing the certificate under way: the bar and the promise to stop after it.
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'batch-sign-progress-light.png'), fullPage: true });
    const outcome = section.getByText(new RegExp(`^Signed (\\d+) of ${N}; stopped as asked, (\\d+) not signed and still pending\\.$`));
    await outcome.waitFor();
    slow.pace(0);
    const [, signed, left] = /Signed (\d+) of \d+; stopped as asked, (\d+)/.exec(await outcome.innerText())!;
    assert.ok(Number(left) > 0, 'some were left unsigned');
    // The list of what was to be signed still names every request by its subject, signed or not.
    const subjects = (await toSign.getByRole('row').allInnerTexts()).slice(1).map((r) => r.split('\t')[0]!.trim());
    assert.deepEqual(subjects.sort(), Array.from({ length: N }, (_, i) => `CN=many-${i}.example`).sort());
    assert.equal(Number(signed) + Number(left), N);
    const pending = (await core.handlers['request.list']()).filter((r) => r.fileName.startsWith('many-') && r.status === 'pending');
    assert.equal(pending.length, Number(left), 'the core agrees: exactly those not signed are pending');
    const verify = await core.handlers['journal.verify']();
    assert.deepEqual(verify.pendingIntents, [], 'no act left half done');
    await setTheme(page, 'dark');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'batch-sign-cancelled-dark.png'), fullPage: true });
    assert.deepEqual(await seriousViolations(page), []);
    await setTheme(page, 'light');
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'nothing scrolls sideways');
    assert.deepEqual(pageErrors, []);
  });
});
