/**
 * The transcript page in Chromium on the real core: a ceremony run on the
 * rehearsal tokens (test/support/ceremony-journal.ts) is reached from the
 * Journal screen, shown in both themes at 1024×700 and scanned by axe,
 * printed with page.pdf() (REHEARSAL on every page, nothing of the page's
 * buttons), and saved and verified from the page itself, by keyboard.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openAppCore, type AppCore } from '../../electron/core.ts';
import { startDevHost } from '../../devhost/server.ts';
import { ceremonyJournal, type CeremonyJournal } from '../support/ceremony-journal.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { launchChromium, type Chromium } from './support/chromium.ts';
import { seriousViolations } from './support/axe.ts';

const SHOTS = join(import.meta.dirname, '../../test-results/screenshots');

function pdfPageTexts(pdf: string): string[] {
  const pages = Number(/^Pages:\s+(\d+)/m.exec(spawnSync('pdfinfo', [pdf], { encoding: 'utf8' }).stdout)![1]);
  return Array.from({ length: pages }, (_, i) => spawnSync('pdftotext', ['-f', String(i + 1), '-l', String(i + 1), pdf, '-'], { encoding: 'utf8' }).stdout);
}

describe('the transcript page', () => {
  let work: string;
  let ceremony: CeremonyJournal;
  let core: AppCore;
  let host: Awaited<ReturnType<typeof startDevHost>>;
  let chromium: Chromium;
  let page: Page;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-e2e-transcript-'));
    mkdirSync(SHOTS, { recursive: true });
    const staticDir = ensureRendererBuilt();
    ceremony = await ceremonyJournal(join(work, 'home'));
    await ceremony.close();
    // No module configured and no pcscd here: the core opens on the rehearsal tokens the ceremony ran on.
    core = await openAppCore({ dataDir: join(work, 'home') });
    host = await startDevHost({ handlers: core.handlers, events: core.events, staticDir });
    chromium = await launchChromium();
    page = await chromium.context.newPage();
    await page.setViewportSize({ width: 1024, height: 700 });
  });

  after(async () => {
    await chromium?.close();
    await host?.close();
    await core?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('is reached from the Journal screen\'s ceremonies, and shows the ceremony under REHEARSAL', async () => {
    await page.goto(host.url);
    await page.goto(`${new URL(host.url).origin}/#/journal`);
    await page.getByRole('link', { name: `Transcript of ${ceremony.ceremony}` }).click();
    await page.getByRole('heading', { level: 1, name: `Ceremony transcript: ${ceremony.script.title}` }).waitFor();
    await page.getByTestId('transcript-rehearsal').waitFor();
    // The title is what the app's printToPDF waits for (electron/transcript-print.ts).
    assert.equal(await page.title(), `Ceremony transcript ${ceremony.ceremony}`);
    assert.equal(await page.locator('[data-step]').count(), ceremony.script.steps.length);
    for (const hex of [ceremony.rootSha256, ceremony.crlSha256, ceremony.keySha256]) {
      assert.ok(await page.locator(`[data-fingerprint="${hex}"]`).count() >= 1, `fingerprint ${hex.slice(0, 8)} is shown`);
    }
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`looks right at 1024×700 in the ${theme} theme, with no serious axe finding`, async () => {
      await page.evaluate((t) => localStorage.setItem('custos.theme', t), theme);
      await page.reload();
      await page.getByTestId('transcript-document').waitFor();
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(SHOTS, `transcript-page-${theme}.png`) });
      await page.getByRole('heading', { name: 'Signatures' }).scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, `transcript-page-${theme}-signatures.png`) });
      assert.deepEqual(await seriousViolations(page), []);
    });
  }

  it('prints with page.pdf() on A4: REHEARSAL on every page, the fingerprints, and none of the page\'s buttons', async () => {
    await page.emulateMedia({ media: 'print' });
    const pdf = join(work, 'page.pdf');
    writeFileSync(pdf, await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true }));
    await page.emulateMedia({ media: 'screen' });
    const pages = pdfPageTexts(pdf);
    assert.ok(pages.length >= 2, `${pages.length} pages`);
    for (const [i, text] of pages.entries()) assert.match(text, /REHEARSAL — virtual or test tokens/, `page ${i + 1}`);
    const all = pages.join('\n');
    assert.ok(all.includes(ceremony.rootSha256.slice(0, 32).match(/.{4}/g)!.join(' ')));
    for (const button of ['Save transcript', 'Back to the journal', 'Verify against the journal']) assert.ok(!all.includes(button), `"${button}" is not printed`);
    const png = spawnSync('pdftoppm', ['-r', '60', '-png', '-f', '1', '-l', '1', pdf, join(SHOTS, 'transcript-page-printed')], { encoding: 'utf8' });
    assert.equal(png.status, 0, png.stderr);
  });

  it('saves the transcript and verifies it against the journal, by keyboard', async () => {
    await page.evaluate(() => localStorage.setItem('custos.theme', 'light'));
    await page.reload();
    await page.getByTestId('transcript-document').waitFor();
    const save = page.getByRole('button', { name: 'Save transcript (JSON and PDF)' });
    await save.focus();
    await page.keyboard.press('Enter');
    const saved = page.getByTestId('transcript-saved');
    await saved.waitFor({ timeout: 120_000 });
    assert.match(await saved.innerText(), new RegExp(`${ceremony.ceremony}\\.transcript\\.pdf`));
    assert.match(await saved.innerText(), /Recorded in journal entry #\d+\./);
    const verify = page.getByRole('button', { name: 'Verify against the journal' });
    await verify.focus();
    await page.keyboard.press('Enter');
    const verified = page.getByTestId('transcript-verified');
    await verified.waitFor();
    assert.match(await verified.innerText(), /^Verified: 8 steps and 3 artifacts/);
    await page.screenshot({ path: join(SHOTS, 'transcript-page-saved-verified.png') });
    assert.deepEqual(await seriousViolations(page), []);
  });
});
