/**
 * The Tokens screen keeps its rows where they are while custodians work with
 * the tokens, in Chromium at 1024x700 on the five rehearsal tokens: the
 * numbered overview and the token sections come in one order (kind, then
 * label), and a wrong PIN and then a login (by keyboard) on the last token
 * move no row. Screenshots before and after; axe finds no serious or critical
 * violation.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAppCore, type AppCore } from '../../electron/core.ts';
import { REHEARSAL_PIN } from '../../main/rehearsal/tokens.ts';
import { seriousViolations } from './support/axe.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { SCREENSHOT_DIR } from './support/screens.ts';
import { openWindow, type AppWindow } from './support/window.ts';

/** The rehearsal tokens as a person expects them: by label (main/hsm/token-order.ts). */
const LISTED = ['Backup HSM', 'CA HSM', 'Custodian 1', 'Custodian 2', 'Custodian 3'];
const WRONG_PIN = '000000';

describe('the Tokens screen keeps its rows in place', () => {
  let work: string;
  let core: AppCore;
  let win: AppWindow;
  const pageErrors: string[] = [];

  /** The overview's rows: number, label and state. */
  const overview = async (): Promise<string[][]> => {
    const rows = win.page.getByRole('table', { name: 'Tokens present' }).locator('tbody tr');
    return await rows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  };
  /** The token sections' titles, top to bottom, with the number each shows. */
  const sections = async (): Promise<string[]> => await win.page.locator('section[aria-label]').evaluateAll((all) => all
    .filter((s) => s.querySelector('[aria-label^="Number "]') !== null)
    .map((s) => `${s.querySelector('[aria-label^="Number "]')?.textContent ?? ''} ${s.getAttribute('aria-label') ?? ''}`));
  /** The window at its top (the overview), then the whole page. */
  const shot = async (name: string): Promise<void> => {
    await win.page.evaluate(() => window.scrollTo(0, 0));
    await win.page.waitForTimeout(200);
    await win.page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
    await win.page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-full.png`), fullPage: true });
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-e2e-token-order-'));
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const staticDir = ensureRendererBuilt();
    // No module and no pcscd: the core opens on the five rehearsal tokens.
    core = await openAppCore({ dataDir: join(work, 'home'), operator: 'e2e' });
    win = await openWindow(core, { staticDir, timeoutMs: 30_000, pageErrors });
  });

  after(async () => {
    await win?.browser.close();
    await win?.host.close();
    await core?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('numbers the tokens by label, in the overview and in their sections alike', async () => {
    await win.page.getByRole('table', { name: 'Tokens present' }).getByRole('cell', { name: 'Custodian 3' }).waitFor();
    // The first steps sit above the screen until hidden; the overview then fills the window's first view.
    await win.page.getByRole('button', { name: 'Hide these first steps' }).click();
    const rows = await overview();
    assert.deepEqual(rows.map((r) => `${r[0]} ${r[1]}`), LISTED.map((l, i) => `${i + 1} ${l}`));
    assert.deepEqual(rows.map((r) => r[2]), LISTED.map(() => 'virtual SmartCard-HSM'));
    assert.deepEqual(await sections(), LISTED.map((l, i) => `No. ${i + 1} ${l}`));
    await shot('token-order-before-login');
    assert.deepEqual(await seriousViolations(win.page), []);
  });

  it('moves no row after a wrong PIN and a login to the last token, and shows the new state on that row', async () => {
    const last = win.page.getByRole('region', { name: 'Custodian 3', exact: true });
    await last.getByRole('button', { name: 'Log in…' }).click();
    const dialog = win.page.getByRole('dialog', { name: 'Log in to Custodian 3' });
    await dialog.getByLabel('User PIN').fill(WRONG_PIN);
    await dialog.getByRole('button', { name: 'Log in', exact: true }).click();
    await dialog.getByRole('alert').first().waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await win.page.getByRole('table', { name: 'Tokens present' }).getByRole('cell', { name: /2 PIN tries left/ }).waitFor();
    let rows = await overview();
    assert.deepEqual(rows.map((r) => r[1]), LISTED);
    assert.match(rows[4]![5]!, /^Not logged in yet, 2 PIN tries left$/);
    await shot('token-order-after-wrong-pin');

    // The login by keyboard: the button takes focus, Enter opens the dialog, the PIN field has focus, Enter sends.
    await last.getByRole('button', { name: 'Log in…' }).focus();
    await win.page.keyboard.press('Enter');
    await dialog.getByLabel('User PIN').waitFor();
    await win.page.keyboard.type(REHEARSAL_PIN);
    await win.page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await last.getByText('Logged in', { exact: true }).waitFor();
    await win.page.getByRole('table', { name: 'Tokens present' }).getByRole('cell', { name: 'Logged in now' }).waitFor();
    rows = await overview();
    assert.deepEqual(rows.map((r) => `${r[0]} ${r[1]}`), LISTED.map((l, i) => `${i + 1} ${l}`));
    assert.deepEqual(rows.map((r) => r[5] === 'Logged in now'), [false, false, false, false, true]);
    assert.deepEqual(await sections(), LISTED.map((l, i) => `No. ${i + 1} ${l}`));
    await shot('token-order-after-login');
    assert.deepEqual(await seriousViolations(win.page), []);
    assert.deepEqual(pageErrors, []);
  });
});
