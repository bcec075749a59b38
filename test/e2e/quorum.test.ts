/**
 * The Quorum screen on the real core and the rehearsal tokens (the CA HSM in
 * the protecting mode, 2 of 3 custodians), at 1024x700, driven with the
 * keyboard: the status as the card reports it, custodians authenticating one
 * at a time with their own PIN, a wrong PIN that leaves the count as it was,
 * and the guided enrolment up to registration.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openAppCore, type AppCore } from '../../electron/core.ts';
import { startDevHost } from '../../devhost/server.ts';
import { REHEARSAL_PIN } from '../../main/rehearsal/tokens.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { launchChromium, type Chromium } from './support/chromium.ts';

const SHOTS = join(import.meta.dirname, '../../test-results/screenshots');

/** Picks an option of an MUI select with the keyboard alone: focus, open, walk down to it, choose. */
async function chooseWithKeyboard(page: Page, label: string, option: string): Promise<void> {
  const select = page.getByRole('combobox', { name: label, exact: true });
  await select.focus();
  await page.keyboard.press('Enter');
  const listbox = page.getByRole('listbox');
  await listbox.waitFor();
  // The list opens on the chosen option, and tokens reorder as they are opened and let go: walk from the top.
  await page.keyboard.press('Home');
  for (let i = 0; i < 10; i++) {
    const focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
    if (focused.startsWith(option)) break;
    await page.keyboard.press('ArrowDown');
  }
  await page.keyboard.press('Enter');
  await listbox.waitFor({ state: 'hidden' });
}

/** The next custodian presents their token and types their PIN; Enter sends the form. */
async function authenticate(page: Page, custodian: string, pin: string): Promise<void> {
  await chooseWithKeyboard(page, 'Custodian token', custodian);
  await page.keyboard.press('Tab');
  await page.keyboard.type(pin);
  await page.keyboard.press('Enter');
}

describe('the Quorum screen', () => {
  let work: string;
  let core: AppCore;
  let host: Awaited<ReturnType<typeof startDevHost>>;
  let chromium: Chromium;
  let page: Page;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-e2e-quorum-'));
    mkdirSync(SHOTS, { recursive: true });
    const staticDir = ensureRendererBuilt();
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

  it('shows the CA HSM as quorum-protected with "0 of 2 authenticated (3 registered)"', async () => {
    await page.goto(`${host.url}#/quorum`);
    await page.getByRole('heading', { name: 'Custodian quorum', level: 1 }).waitFor();
    const summary = page.getByTestId('quorum-summary');
    await summary.getByText('0 of 2 authenticated (3 registered)').waitFor();
    await page.getByText('Quorum-protected: PIN and custodians').waitFor();
    const registered = page.getByRole('table', { name: 'Registered custodians' });
    await registered.waitFor();
    assert.equal(await registered.getByRole('row').count(), 4, 'a header and the three keys the card lists');
    await page.screenshot({ path: join(SHOTS, 'quorum-status.png'), fullPage: true });
  });

  it('counts custodians one at a time, keeps the count on a wrong PIN, and reaches 2 of 2', async () => {
    const summary = page.getByTestId('quorum-summary');
    await authenticate(page, 'Custodian 1', REHEARSAL_PIN);
    await summary.getByText('1 of 2 authenticated (3 registered)').waitFor();
    await page.getByText(/^Step 2 of 2/).waitFor();
    await page.screenshot({ path: join(SHOTS, 'quorum-one-of-two.png'), fullPage: true });

    await authenticate(page, 'Custodian 2', '999999');
    await page.getByRole('alert').getByText(/PIN_INCORRECT/).waitFor();
    await page.getByRole('alert').getByText(/2 tries left/).waitFor();
    assert.equal(await summary.textContent(), '1 of 2 authenticated (3 registered)');
    await page.screenshot({ path: join(SHOTS, 'quorum-wrong-pin.png'), fullPage: true });

    await authenticate(page, 'Custodian 3', REHEARSAL_PIN);
    await summary.getByText('2 of 2 authenticated (3 registered)').waitFor();
    await page.getByText(/^Authenticated now: /).waitFor();
    assert.equal(await page.getByRole('table', { name: 'Registered custodians' }).getByRole('cell', { name: 'authenticated', exact: true }).count(), 2);
    await page.getByText(/^The quorum is complete \(2 of 2\)\. CA HSM also needs its own PIN/).waitFor();
    await page.screenshot({ path: join(SHOTS, 'quorum-two-of-two.png'), fullPage: true });
  });

  it('refuses the same custodian twice with its own code, the count unchanged', async () => {
    await authenticate(page, 'Custodian 1', REHEARSAL_PIN);
    await page.getByRole('alert').getByText(/CUSTODIAN_ALREADY_AUTHENTICATED|ALREADY_LOGGED_IN/).waitFor();
    assert.equal(await page.getByTestId('quorum-summary').textContent(), '2 of 2 authenticated (3 registered)');
  });

  it('refuses to enrol again a custodian whose key the CA HSM already lists, with its own code', async () => {
    await chooseWithKeyboard(page, 'Custodian token to enrol', 'Custodian 2');
    await page.keyboard.press('Tab');
    await page.keyboard.type(REHEARSAL_PIN);
    await page.keyboard.press('Enter');
    await page.getByRole('alert').getByText(/CUSTODIAN_ALREADY_REGISTERED/).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Register on CA HSM' }).count(), 0, 'nothing is offered for registration');
    await page.screenshot({ path: join(SHOTS, 'quorum-enrol-already-registered.png'), fullPage: true });
  });

  it('guides an enrolment: the key is made on the custodian\'s token, checked here, and offered for registration', async () => {
    const form = page.getByRole('form', { name: 'Enrol a custodian' });
    await chooseWithKeyboard(page, 'Custodian token to enrol', 'Backup HSM');
    await page.keyboard.press('Tab');
    await page.keyboard.type(REHEARSAL_PIN);
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: /\.pka$/ }).waitFor();
    await page.getByText(/is attested \(virtual\)/).waitFor();
    await form.waitFor();
    await page.screenshot({ path: join(SHOTS, 'quorum-enrol.png'), fullPage: true });
    // All three keys of the CA HSM are registered: a fourth is refused, and nothing changes.
    await page.getByRole('button', { name: 'Register on CA HSM' }).click();
    await page.getByRole('alert').getByText(/INPUT_INVALID/).waitFor();
    assert.equal(await page.getByTestId('quorum-summary').textContent(), '2 of 2 authenticated (3 registered)');
    await page.screenshot({ path: join(SHOTS, 'quorum-register-refused.png'), fullPage: true });
  });
});
