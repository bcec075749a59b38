// The preview of a large CRL in Chromium at 1024x700, on the REAL core (SoftHSM2), for a CA with
// 20,000 revocations (written straight into the journal for serials never issued, a stand-in for
// years of revocations): the preview shows the core's progress, the revocations read of the total
// with Cancel, and a Cancel that leaves nothing kept or journaled; then the entries a page at a
// time, moved with the keyboard, 50/100/500 a page, filtered by serial, the reason in words; and
// leaving the screen mid-preview stops it, keeping nothing.
// To look at the screen mid-way, the CA key's lookup waits while the test holds it (the token
// registry of the real core, slowed: named as such). Screenshots in both themes; axe finds no
// serious or critical violation.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { seriousViolations } from './support/axe.ts';
import { appCoreOf, type AppCore } from '../../electron/core.ts';
import { Custos } from '../../main/custos.ts';
import { type DevHost } from '../../devhost/server.ts';
import { openCoreWithRoot, type CoreWithRoot } from './support/root-on-softhsm.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { type Chromium } from './support/chromium.ts';
import { openWindow } from './support/window.ts';
import { progressSeen, recordProgress } from './support/progress-record.ts';
import { SCREENSHOT_DIR, openScreen, setTheme } from './support/screens.ts';

const REVOCATIONS = 20_000;
const FIRST_SERIAL = 0x200000;
const REASONS = ['superseded', 'keyCompromise', 'cessationOfOperation', 'affiliationChanged', 'unspecified'] as const;

describe('a CRL preview of 20,000 entries in the window', () => {
  let fixture: CoreWithRoot;
  let dataDir: string;
  let custos: Custos;
  let core: AppCore;
  let host: DevHost;
  let browser: Chromium;
  let page: Page;
  let origin: string;
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const pageErrors: string[] = [];
  /** How each crl.preview the window asked for ended: its CRL number, or the error's code. */
  const previewsEnded: string[] = [];

  const keptPreviews = (): string[] => { try { return readdirSync(join(dataDir, 'previews')); } catch { return []; } };

  before(async () => {
    const staticDir = ensureRendererBuilt();
    fixture = await openCoreWithRoot({
      name: 'Preview', tokenLabel: 'Preview rehearsal HSM',
      open: async (dir, modulePath) => {
        custos = Custos.open({ dataDir: dir, rehearsalModules: [modulePath], operator: 'e2e', pcsc: false });
        return appCoreOf(custos);
      },
    });
    ({ core, dataDir } = fixture);
    const { caId } = fixture;
    const revokedAt = new Date(Date.now() - 3_600_000).toISOString();
    for (let i = 1; i <= REVOCATIONS; i++) {
      custos.journal.append('certificate.revoke', { caId, serialHex: (FIRST_SERIAL + i).toString(16), reason: REASONS[i % REASONS.length], revokedAt });
    }
    // The slowed registry: while the test holds it, looking up a key waits until it lets go.
    const findKey = custos.tokens.findKey.bind(custos.tokens);
    custos.tokens.findKey = async (spkiSha256) => { if (gate) await gate; return findKey(spkiSha256); };
    // The dev host looks each handler up as it is called: this one is watched to see how the window's previews end.
    const preview = core.handlers['crl.preview'];
    core.handlers['crl.preview'] = async (input) => {
      try {
        const shown = await preview(input);
        previewsEnded.push(shown.crlNumber);
        return shown;
      } catch (e) {
        previewsEnded.push((e as { code?: string }).code ?? 'error');
        throw e;
      }
    };
    ({ host, browser, page, origin } = await openWindow(core, { staticDir, timeoutMs: 60_000, pageErrors }));
  });

  after(async () => {
    open?.();
    await browser?.close();
    await host?.close();
    await fixture?.close();
  });

  it('shows the revocations read of the total with Cancel, and a Cancel leaves nothing kept or journaled', async () => {
    await openScreen(page, origin, 'crl');
    // The CA to choose comes from the catalog's lists, which it takes in before the journal's 20,000 entries.
    await page.getByRole('form', { name: 'Preview a CRL' }).waitFor();
    await recordProgress(page);
    const journalBefore = custos.journal.read().length;
    const keptBefore = keptPreviews();
    gate = new Promise((resolve) => { open = resolve; });
    try {
      await page.getByRole('form', { name: 'Preview a CRL' }).getByRole('button', { name: 'Preview CRL' }).click();
      const status = page.getByRole('status', { name: 'Progress: Previewing the CRL' });
      await status.getByText('Looking for the key of CA "Preview Root" on the open tokens…').waitFor();
      const cancel = status.getByRole('button', { name: 'Cancel' });
      await cancel.waitFor();
      for (const theme of ['light', 'dark'] as const) {
        await setTheme(page, theme);
        // The window as the person sees it, scrolled to the progress under the form.
        await status.evaluate((el) => el.scrollIntoView({ block: 'center' }));
        await page.screenshot({ path: join(SCREENSHOT_DIR, `crl-preview-progress-${theme}.png`) });
        assert.deepEqual(await seriousViolations(page), [], theme);
      }
      await setTheme(page, 'light');
      await cancel.focus();
      await page.keyboard.press('Enter');
      await status.getByRole('button', { name: 'Stopping at the next safe point…' }).waitFor();
    } finally {
      gate = undefined;
      open?.();
    }
    const alert = page.getByRole('alert').filter({ hasText: 'CANCELLED' });
    await alert.waitFor();
    assert.match(await alert.innerText(), /The CRL preview was cancelled while the CA key was looked for\. Nothing was kept, recorded or signed/);
    await alert.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'crl-preview-cancelled-light.png') });
    assert.equal(await page.getByRole('region', { name: 'Preview of the CRL' }).count(), 0, 'no preview shown');
    assert.equal(custos.journal.read().length, journalBefore, 'nothing journaled');
    assert.deepEqual(keptPreviews(), keptBefore, 'no preview kept for a later issue to sign');
    // What the page showed while the entries were read: a determinate bar with the count of the total, and Cancel.
    const seen = await progressSeen(page);
    const reading = seen.filter((s) => s.value !== null && new RegExp(`\\d+ of ${REVOCATIONS} revocations for the CRL preview`).test(s.label));
    assert.ok(reading.length > 0 && reading.every((s) => s.cancel), `a determinate bar of the entries read, with Cancel: ${JSON.stringify(seen.slice(0, 6))}`);
    // Every step the core reported was drawn, however quickly the next came (2,000 entries a step).
    const counts = new Set(reading.map((s) => /Read (\d+) of/.exec(s.label)?.[1]));
    const steps = Array.from({ length: REVOCATIONS / 2_000 }, (_, i) => String((i + 1) * 2_000));
    assert.deepEqual(steps.filter((n) => !counts.has(n)), [], 'no step of the reading merged away');
    assert.deepEqual(pageErrors, []);
  });

  it('lists the 20,000 entries a page at a time, moved with the keyboard, filtered by serial, reasons in words', async () => {
    await openScreen(page, origin, 'crl');
    await page.getByRole('form', { name: 'Preview a CRL' }).getByRole('button', { name: 'Preview CRL' }).click();
    const shown = page.getByRole('region', { name: 'Preview of the CRL' });
    const table = shown.getByRole('table', { name: 'CRL entries' });
    await table.waitFor({ timeout: 120_000 });
    const count = shown.getByTestId('crl-entry-count');
    const bodyRows = table.locator('tbody tr');
    const displayed = shown.getByText(/^[\d,]+–[\d,]+ of [\d,]+$/);
    assert.equal(await count.innerText(), '20,000 entries');
    assert.equal(await bodyRows.count(), 50, 'a page of 50 drawn, not 20,000 rows');
    assert.equal(await displayed.innerText(), '1–50 of 20,000');
    assert.ok(await table.getByRole('cell', { name: 'The key was compromised' }).count() > 0, 'reasons in words');
    assert.equal(await table.getByRole('cell', { name: 'keyCompromise' }).count(), 0);
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      await shown.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SCREENSHOT_DIR, `crl-preview-paged-${theme}.png`), fullPage: true });
      assert.deepEqual(await seriousViolations(page), [], theme);
    }
    await setTheme(page, 'light');

    // Pages moved with the keyboard: the pagination's buttons, Enter; Tab and Shift+Tab between them.
    const next = shown.getByRole('button', { name: 'Go to next page' });
    await next.focus();
    const started = Date.now();
    await page.keyboard.press('Enter');
    await shown.getByText('51–100 of 20,000').waitFor();
    const pageMs = Date.now() - started;
    assert.ok(pageMs < 5_000, `a page is drawn at once, not after every entry: ${pageMs} ms`);
    assert.equal(await table.locator('tbody tr').first().locator('td').first().innerText(), (FIRST_SERIAL + 51).toString(16));
    await page.keyboard.press('Enter');
    await shown.getByText('101–150 of 20,000').waitFor();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await shown.getByText('51–100 of 20,000').waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await shown.getByText('19,951–20,000 of 20,000').waitFor();
    assert.equal(await bodyRows.count(), 50);
    assert.equal(await table.locator('tbody tr').last().locator('td').first().innerText(), (FIRST_SERIAL + REVOCATIONS).toString(16));

    // 500 a page, chosen with the keyboard; the first page again.
    await shown.getByRole('combobox', { name: /Entries per page/ }).focus();
    await page.keyboard.press('Enter');
    const options = page.getByRole('listbox');
    await options.getByRole('option', { name: '100' }).waitFor();
    assert.deepEqual(await options.getByRole('option').allInnerTexts(), ['50', '100', '500']);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await shown.getByText('1–500 of 20,000').waitFor();
    assert.equal(await bodyRows.count(), 500);

    // Filter by serial: part of one, and one as OpenSSL prints it (colons); a non-hex filter is said to be wrong.
    const filter = shown.getByRole('searchbox', { name: 'Filter by serial' });
    await filter.fill('20303');
    await count.getByText(`16 of ${REVOCATIONS.toLocaleString('en')} entries match`).waitFor();
    assert.equal(await bodyRows.count(), 16);
    await filter.fill('20:30:39');
    await count.getByText(`1 of ${REVOCATIONS.toLocaleString('en')} entries match`).waitFor();
    assert.deepEqual(await table.locator('tbody tr td:first-child').allInnerTexts(), ['203039']);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'crl-preview-filtered-light.png') });
    await filter.fill('serial?');
    await shown.getByText('A serial is hexadecimal: 0–9 and a–f (colons and spaces are ignored).').waitFor();
    await shown.getByText('No entry has a serial containing “serial?”.').waitFor();
    await count.getByText(`0 of ${REVOCATIONS.toLocaleString('en')} entries match`).waitFor();
    await filter.fill('');
    await count.getByText('20,000 entries').waitFor();

    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'nothing scrolls sideways');
    assert.deepEqual(pageErrors, []);
  });

  it('stops the preview when the person leaves the screen while it runs: nothing kept or journaled', async () => {
    await openScreen(page, origin, 'crl');
    const form = page.getByRole('form', { name: 'Preview a CRL' });
    await form.waitFor();
    const journalBefore = custos.journal.read().length;
    const keptBefore = keptPreviews();
    const ended = previewsEnded.length;
    gate = new Promise((resolve) => { open = resolve; });
    try {
      await form.getByRole('button', { name: 'Preview CRL' }).click();
      await page.getByRole('status', { name: 'Progress: Previewing the CRL' }).getByText(/^Looking for the key/).waitFor();
      await page.goto(`${origin}/#/tokens`);
      await page.getByRole('heading', { name: 'Tokens', level: 1 }).waitFor();
    } finally {
      gate = undefined;
      open?.();
    }
    const deadline = Date.now() + 60_000;
    while (previewsEnded.length === ended && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(previewsEnded.slice(ended), ['CANCELLED'], 'the preview left behind was stopped');
    assert.equal(custos.journal.read().length, journalBefore);
    assert.deepEqual(keptPreviews(), keptBefore, 'no preview kept that nobody reviewed');
    // Back on the screen, a new preview runs at once (the one left behind is not in its way).
    await openScreen(page, origin, 'crl');
    await page.getByRole('form', { name: 'Preview a CRL' }).getByRole('button', { name: 'Preview CRL' }).click();
    await page.getByRole('region', { name: 'Preview of the CRL' }).getByTestId('crl-entry-count').getByText('20,000 entries').waitFor({ timeout: 120_000 });
    assert.deepEqual(pageErrors, []);
  });
});
