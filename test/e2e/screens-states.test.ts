// The screens in states a real token seldom reaches on demand (a PIN on its
// final try, 200 certificates, a preview with findings), served by the dev
// host over the FAKE core (test/support/fake-handlers.ts): checks the UI's
// own behaviour, screenshots and accessibility. The real flow is ca-flow.test.ts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startDevHost, type DevHost } from '../../devhost/server.ts';
import { createFakeCore, type FakeCore } from '../support/fake-handlers.ts';
import { launchChromium, type Chromium } from './support/chromium.ts';
import { SCREENSHOT_DIR, openScreen, scanEveryScreen } from './support/screens.ts';
import { ensureRendererBuilt } from './support/build.ts';
import type { Page } from 'playwright-core';

describe('screens on the fake core', () => {
  let host: DevHost;
  let fake: FakeCore;
  let browser: Chromium;
  let page: Page;
  let origin: string;
  const pageErrors: string[] = [];

  before(async () => {
    const staticDir = ensureRendererBuilt();
    fake = createFakeCore({ finalTry: true, certificates: 200, workMs: 300 });
    host = await startDevHost({ handlers: fake.handlers, events: fake.events, staticDir });
    origin = `http://127.0.0.1:${host.port}`;
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(host.url);
    await page.getByRole('heading', { name: 'Tokens', level: 1 }).waitFor();
  });
  after(async () => { await browser?.close(); await host?.close(); });

  it('drops the token from the address bar and keeps it for the session', async () => {
    assert.doesNotMatch(page.url(), /token=/);
    const kept = await page.evaluate(() => sessionStorage.getItem('custos.devhost.token'));
    assert.equal(kept, host.token);
  });

  it('shows the REHEARSAL banner and the VIRTUAL chip when a token is virtual', async () => {
    await page.getByTestId('rehearsal-banner').waitFor();
    assert.match(await page.getByTestId('rehearsal-banner').innerText(), /REHEARSAL/);
    assert.ok(await page.getByText('VIRTUAL', { exact: true }).first().isVisible());
  });

  it('shows PIN state before login and demands confirmation on the final try', async () => {
    const card = page.getByRole('region', { name: 'Custody 2' });
    await card.getByText('Final try').waitFor();
    assert.ok(await card.getByText('1 try left').isVisible());
    await card.getByRole('button', { name: 'Log in…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('User PIN').fill('123456');
    const send = dialog.getByRole('button', { name: 'Log in', exact: true });
    assert.equal(await send.isDisabled(), true, 'no send without the confirmation');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'fake-pin-final-try.png') });
    await dialog.getByLabel(/I understand/).check();
    assert.equal(await send.isDisabled(), false);
    await send.click();
    await dialog.waitFor({ state: 'hidden' });
    await card.getByText('Logged in', { exact: true }).waitFor();
  });

  it('shows an error with its code', async () => {
    const card = page.getByRole('region', { name: 'Rehearsal' });
    await card.getByRole('button', { name: 'Log in…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('User PIN').fill('000000');
    await dialog.getByRole('button', { name: 'Log in', exact: true }).click();
    const alert = dialog.getByRole('alert').filter({ hasText: 'PIN_INCORRECT' });
    await alert.waitFor();
    assert.match(await alert.innerText(), /PIN_INCORRECT: Wrong PIN: 2 tries left/);
    await dialog.getByLabel('User PIN').fill('123456');
    await dialog.getByRole('button', { name: 'Log in', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('generates a key with progress, and its button cannot start it twice', async () => {
    const card = page.getByRole('region', { name: 'Rehearsal' });
    await card.getByLabel('Key label').fill('root-key');
    const button = card.getByRole('button', { name: 'Generate key pair' });
    await button.click();
    const running = card.getByRole('button', { name: 'Generating…' });
    await running.waitFor();
    assert.equal(await running.isDisabled(), true);
    await card.getByRole('progressbar').waitFor();
    await card.getByRole('cell', { name: 'root-key' }).waitFor();
    assert.equal(fake.calls.filter((c) => c === 'token.generateKey').length, 1);
  });

  it('creates a root CA through a preview whose error findings block signing (keyboard only)', async () => {
    await openScreen(page, origin, 'ca');
    const form = page.getByRole('form', { name: 'Create a root CA' });
    await form.getByLabel('Token').focus();
    await page.keyboard.press('Enter');
    await page.getByRole('option', { name: 'Rehearsal (VIRTUAL)' }).waitFor();
    await page.keyboard.press('Enter');
    await form.getByLabel('Key').focus();
    await page.keyboard.press('Enter');
    await page.getByRole('option', { name: /root-key/ }).waitFor();
    await page.keyboard.press('Enter');
    await form.getByLabel('Subject DN').fill('O=No Common Name');
    await form.getByLabel('CA name').fill('Test Root');
    await form.getByRole('button', { name: 'Preview' }).press('Enter');
    await page.getByText('SUBJECT_NO_CN').waitFor();
    const sign = page.getByRole('button', { name: 'Sign and create root CA' });
    assert.equal(await sign.isDisabled(), true, 'an error finding blocks the signature');
    await form.getByLabel('Subject DN').fill('CN=Test Root, O=Example');
    assert.equal(await sign.isDisabled(), true, 'an edit throws the preview away');
    await form.getByRole('button', { name: 'Preview' }).press('Enter');
    await page.getByText('No lint findings.').waitFor();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'fake-ca-preview.png'), fullPage: true });
    await sign.press('Enter');
    await page.getByText('Created Test Root.').waitFor();
    await page.getByRole('table', { name: 'Certificate authorities' }).getByText('CN=Test Root, O=Example').waitFor();
  });

  it('searches 200 certificates by subject and shows every field of one', async () => {
    await openScreen(page, origin, 'certificates');
    await page.getByLabel('Search certificates').fill('host 123');
    await page.getByText('1 certificate', { exact: true }).waitFor();
    await page.getByRole('button', { name: /CN=host-123\.example\.org/ }).click();
    await page.getByText('subjectAltName').waitFor();
    await page.getByRole('button', { name: 'Export PEM' }).click();
    const link = page.getByRole('link', { name: /^Download / });
    await link.waitFor();
    assert.match(await link.getAttribute('href') ?? '', /^blob:/);
  });

  it('moves between screens with the keyboard alone, with a visible focus ring', async () => {
    await openScreen(page, origin, 'tokens');
    // A fresh load, so the focus starts at the top of the document.
    await page.reload();
    await page.getByRole('heading', { name: 'Tokens', level: 1 }).waitFor();
    let reached = false;
    for (let i = 0; i < 12 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.textContent === 'Journal');
    }
    assert.ok(reached, 'the Journal link is reachable by Tab');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    assert.notEqual(outline, 'none', 'the focused link shows where the focus is');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Journal', level: 1 }).waitFor();
  });

  it('shows the journal chain intact, then which entry was altered', async () => {
    await openScreen(page, origin, 'journal');
    await page.getByText(/^Chain intact, \d+ (entry|entries)$/).waitFor();
    fake.tamper(2);
    await page.getByRole('button', { name: 'Verify again' }).click();
    await page.getByText(/^Entry #2 was altered or removed/).waitFor();
  });

  it('has no serious or critical accessibility violation on any screen, in either theme', async () => {
    const violations = await scanEveryScreen(page, origin, 'fake');
    assert.deepEqual(violations, []);
    assert.deepEqual(pageErrors, []);
  });
});
