/**
 * The key-domain ceremony on the Key domain screen, in Chromium at 1024×700
 * against the dev host serving the REAL core with two virtual SmartCard-HSMs
 * (2 DKEK shares each): two custodians make their shares (by keyboard), each
 * imports theirs into both cards ("k of n", share and domain KCVs), a paper
 * record is shown, the CA key is backed up on the first card and restored
 * into the second. One custodian's share has its password split 2-of-3:
 * the screen hands each holder their password share alone, and the share is
 * imported into each card from two of them. A .wky with no .custos.json is
 * restored only once the expected key is typed. Refusals on the way: a wrong
 * password, a share imported twice, another key than the one expected.
 * Screenshots of each step go to test-results/screenshots/.
 *
 * Share files use 1,000 KDF rounds (CUSTOS_TEST_SHARE_FILE_ITERATIONS): at
 * sc-hsm-tool's 10,000,000 each file takes minutes on a shared test machine.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { appCoreOf, type AppCore } from '../../electron/core.ts';
import { startDevHost, type DevHost } from '../../devhost/server.ts';
import { Custos } from '../../main/custos.ts';
import { VirtualScHsmProvider } from '../../main/hsm/sc-hsm/provider.ts';
import { SHARE_FILE_ITERATIONS_ENV } from '../../main/ca/key-domain.ts';
import { createInitializedCard } from '../support/card-process.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { launchChromium, type Chromium } from './support/chromium.ts';
import { SCREENSHOT_DIR, setTheme } from './support/screens.ts';
import { AxeBuilder } from '@axe-core/playwright';
import { seriousViolations } from './support/axe.ts';

const PIN = '648219';

describe('the Key domain screen: shares, import into two HSMs, backup and restore', () => {
  let work: string;
  let custos: Custos;
  let core: AppCore;
  let host: DevHost;
  let browser: Chromium;
  let page: Page;
  const pageErrors: string[] = [];
  /** What the shell's open dialog returns when the person picks a file. */
  const picks: string[] = [];
  const ids = { primary: '', secondary: '' };
  /** Ben's share password, split 2-of-3, as its holders wrote it down from the screen. */
  const ben = { prime: '', shares: [] as { id: number; value: string }[] };
  // A dialog is shot at the window's size: a full-page shot would show its backdrop stopping at the window's edge.
  const shot = (name: string, fullPage = true) => page.screenshot({ path: join(SCREENSHOT_DIR, `key-domain-${name}.png`), fullPage });

  before(async () => {
    process.env[SHARE_FILE_ITERATIONS_ENV] = '1000';
    const staticDir = ensureRendererBuilt();
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    work = mkdtempSync(join(tmpdir(), 'custos-e2e-domain-'));
    const states = ['primary', 'secondary'].map((n) => join(work, `${n}.vsc`));
    for (const s of states) await createInitializedCard(s, PIN, undefined, { dkekShares: 2 });
    custos = Custos.open({ dataDir: join(work, 'home'), operator: 'e2e', providers: [new VirtualScHsmProvider(states)], pcsc: false });
    const listed = await custos.tokens.list();
    ids.primary = listed.find((t) => t.info.reader.includes('primary.vsc'))!.id;
    ids.secondary = listed.find((t) => t.info.reader.includes('secondary.vsc'))!.id;
    core = appCoreOf(custos, { pickFiles: async () => picks });
    host = await startDevHost({ handlers: core.handlers, events: core.events, staticDir });
    browser = await launchChromium();
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 1024, height: 700 });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(host.url);
    await page.goto(`${new URL(host.url).origin}/#/keydomain`);
    await page.getByRole('heading', { name: 'Key domain', level: 1 }).waitFor();
  });

  after(async () => {
    delete process.env[SHARE_FILE_ITERATIONS_ENV];
    await browser?.close();
    await host?.close();
    await core?.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function chooseCard(id: string): Promise<void> {
    const serial = (await custos.tokens.open(id)).info.serial;
    await page.getByLabel('SmartCard-HSM', { exact: true }).click();
    await page.getByRole('option', { name: new RegExp(`serial ${serial}`) }).click();
    await page.getByRole('status').filter({ hasText: /Logged in|Not logged in/ }).first().waitFor();
  }

  async function logIn(): Promise<void> {
    await page.getByRole('button', { name: 'Log in…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('User PIN').fill(PIN);
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('Logged in', { exact: true }).waitFor();
  }

  async function importShare(custodian: string, password: string, shareKcv?: string): Promise<void> {
    await page.getByLabel('Share file').click();
    await page.getByRole('option', { name: new RegExp(`^${custodian} — `) }).click();
    await page.getByLabel('Its password').check();
    await page.getByLabel(/^Share password\W*$/).fill(password);
    if (shareKcv !== undefined) await page.getByLabel('Share KCV from your paper record (optional)').fill(shareKcv);
    await page.getByRole('button', { name: 'Import share' }).click();
  }

  async function importWithPasswordShares(custodian: string, shares: readonly { id: number; value: string }[]): Promise<void> {
    await page.getByLabel('Share file').click();
    await page.getByRole('option', { name: new RegExp(`^${custodian} — `) }).click();
    await page.getByLabel('Password shares of several holders').check();
    await page.getByLabel(/^Prime\W*$/).fill(ben.prime);
    // Each holder in turn, by keyboard: their ID, Tab, their value, Enter adds it and clears both.
    for (const share of shares) {
      await page.getByLabel('Share ID', { exact: true }).fill(String(share.id));
      await page.keyboard.press('Tab');
      await page.keyboard.type(share.value);
      await page.keyboard.press('Enter');
      await page.getByText(new RegExp(`password shares? collected \\(share ID [0-9, ]*${share.id}\\)`)).waitFor();
      assert.equal(await page.getByLabel('Share value', { exact: true }).inputValue(), '', 'a holder\'s value leaves the screen once added');
    }
    await page.getByRole('button', { name: 'Import share' }).click();
  }

  it('makes two shares one custodian at a time, by keyboard, and shows a paper record', async () => {
    await page.getByText('0 of 2 shares imported').waitFor();
    await shot('card');
    await page.getByText('Custodian 1 of 2').waitFor();
    // By keyboard only: the name, the password twice, Enter.
    await page.getByLabel('Custodian').focus();
    await page.keyboard.type('Anna');
    await page.keyboard.press('Tab');
    await page.keyboard.type('anna-password-1');
    await page.keyboard.press('Tab');
    await page.keyboard.type('anna-password-2');
    await page.getByText('The two passwords differ.').waitFor();
    await page.getByLabel('Share password again').fill('anna-password-1');
    await page.keyboard.press('Enter');
    await page.getByText('Custodian 2 of 2').waitFor();
    // Ben's password is random and split 2-of-3 among three holders, as sc-hsm-tool --pwd-shares-threshold 2 --pwd-shares-total 3 does.
    await page.getByLabel('Custodian').fill('Ben');
    await page.getByLabel('A random password split among several people').check();
    await page.getByLabel('Holders needed to open it').fill('2');
    await page.getByLabel('Holders in all').fill('3');
    await shot('password-split');
    await page.getByRole('button', { name: 'Make share' }).click();
    const handout = page.getByRole('region', { name: 'Password shares, one holder at a time' });
    const seen: string[] = [];
    for (const holder of [1, 2, 3]) {
      await handout.getByRole('heading', { name: `Password share ${holder} of 3 for Ben's share file` }).waitFor();
      assert.equal(await page.getByRole('table', { name: /^Password share \d$/ }).count(), 0, 'a share shows only when its holder asks');
      await handout.getByRole('button', { name: `Show password share ${holder}` }).click();
      const table = page.getByRole('table', { name: /^Password share \d$/ });
      assert.equal(await table.count(), 1, 'one holder\'s share at a time');
      const cells = await table.getByRole('cell').allInnerTexts();
      const [prime, id, value] = cells.map((c) => c.trim());
      assert.match(prime!, /^[0-9A-F]{2}(:[0-9A-F]{2}){7,8}$/);
      assert.equal(id, String(holder));
      assert.match(value!, /^[0-9A-F]{2}(:[0-9A-F]{2})*$/);
      for (const earlier of seen) assert.ok(!(await page.content()).includes(earlier), 'the previous holder\'s value is gone');
      ben.prime = prime!;
      ben.shares.push({ id: holder, value: value! });
      seen.push(value!);
      if (holder === 1) {
        assert.deepEqual(await seriousViolations(page), []);
        await shot('password-share-holder-1');
      }
      const next = handout.getByRole('button', { name: holder === 3 ? 'Done: clear the shares from the screen' : `Hide it: next holder (${holder + 1} of 3)` });
      assert.equal(await next.isDisabled(), true, 'the next holder waits until this one has written theirs down');
      // By keyboard: the holder ticks that they wrote it down, then moves on.
      await handout.getByRole('checkbox').focus();
      await page.keyboard.press('Space');
      await next.focus();
      await page.keyboard.press('Enter');
    }
    await handout.waitFor({ state: 'hidden' });
    const pageAfter = await page.content();
    for (const value of seen) assert.ok(!pageAfter.includes(value), 'no password share is left on the page');
    await page.getByText('All 2 shares of this domain are made.').waitFor();
    const table = page.getByRole('table', { name: 'Shares made' });
    assert.equal(await table.getByRole('row').count(), 3);
    await shot('shares-made');
    await page.getByRole('button', { name: 'Paper record of Anna' }).click();
    const record = page.getByRole('dialog', { name: 'Paper record of a DKEK share' });
    await record.getByText('Anna', { exact: true }).waitFor();
    assert.match(await record.innerText(), /Share KCV\s+[0-9a-f]{16}/);
    // The dialog fades in: shot once its transitions have finished, not through a half-transparent paper.
    await record.evaluate((el) => Promise.all(el.getAnimations({ subtree: true }).map((a) => a.finished)));
    await shot('paper-record', false);
    await page.keyboard.press('Escape');
    await record.waitFor({ state: 'hidden' });
    assert.ok(!(await page.content()).includes('anna-password-1'), 'the password is not left on the page');
  });

  it('imports the shares into the first card one custodian at a time, refusing a wrong password and a share twice', async () => {
    // Chosen by serial: both cards carry one label, so which the screen lists first follows their serials.
    await chooseCard(ids.primary);
    await page.getByRole('tab', { name: /Import shares$/ }).click();
    await page.getByText('Custodian 1 of 2: choose your share file').waitFor();
    await importShare('Anna', 'not-annas-password');
    await page.getByRole('alert').filter({ hasText: 'DKEK_SHARE_PASSWORD_WRONG' }).waitFor();
    await shot('import-wrong-password');
    // Anna's file against a paper record of another share: not the share recorded, so nothing is imported.
    await importShare('Anna', 'anna-password-1', 'ffffffffffffffff');
    await page.getByRole('alert').filter({ hasText: 'DKEK_SHARE_ALTERED' }).waitFor();
    await shot('import-other-share-kcv');
    await page.getByText('0 of 2 shares imported', { exact: true }).waitFor();
    await page.getByLabel('Share KCV from your paper record (optional)').fill('');
    await importShare('Anna', 'anna-password-1');
    await page.getByText('1 of 2 shares imported into').waitFor();
    await importShare('Anna', 'anna-password-1');
    await page.getByRole('alert').filter({ hasText: 'DKEK_SHARE_ALREADY_IMPORTED' }).waitFor();
    await shot('import-twice');
    // Ben's file, from the password shares of holders 1 and 3.
    await importWithPasswordShares('Ben', [ben.shares[0]!, ben.shares[2]!]);
    await page.getByText(/2 of 2 shares imported into .* key domain complete, KCV [0-9a-f]{16}/).waitFor();
    // Times in the custodian's own zone, as the journal screen shows them; the exact moment stays in the markup.
    const shares = page.getByRole('table', { name: /^Shares in / });
    const imported = await shares.locator('time').first();
    assert.match(String(await imported.getAttribute('dateTime')), /^\d{4}-\d{2}-\d{2}T/);
    assert.doesNotMatch(await shares.innerText(), /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, 'no UTC ISO time in the share table');
    await shot('import-complete');
    await page.getByRole('button', { name: 'Paper record of share 2' }).click();
    const record = page.getByRole('dialog', { name: 'Paper record of a DKEK share' });
    assert.match(await record.innerText(), /Key domain KCV\s+[0-9a-f]{16}/);
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('backs the CA key up by label and fingerprint once logged in', async () => {
    await logIn();
    await core.handlers['token.generateKey']({ tokenId: ids.primary, spec: { kind: 'ec', curve: 'P-384' }, label: 'root key' });
    await page.getByRole('tab', { name: /Back up a key$/ }).click();
    await page.getByLabel('Key to back up').click();
    await page.getByRole('option', { name: /^root key — EC P-384 — SHA-256 [0-9a-f]{16}…$/ }).click();
    await page.getByRole('button', { name: 'Back up this key' }).click();
    const written = page.getByRole('region', { name: 'Backup written' });
    await written.getByText('Key domain KCV').waitFor();
    assert.match(await written.innerText(), /\.wky/);
    await shot('backup');
  });

  it('imports the same shares into the second card, then restores the key into it', async () => {
    await chooseCard(ids.secondary);
    await page.getByRole('tab', { name: /Import shares$/ }).click();
    await page.getByText('0 of 2 shares imported into').waitFor();
    // A holder who mistypes their value: the shares rebuild another password, which does not open the file.
    await importWithPasswordShares('Ben', [ben.shares[1]!, { id: 3, value: ben.shares[0]!.value }]);
    await page.getByRole('alert').filter({ hasText: 'DKEK_SHARE_PASSWORD_WRONG' }).waitFor();
    await page.getByText('0 of 2 shares imported into').waitFor();
    await importWithPasswordShares('Ben', [ben.shares[1]!, ben.shares[2]!]);
    await page.getByText('1 of 2 shares imported into').waitFor();
    await shot('import-from-password-shares');
    await importShare('Anna', 'anna-password-1');
    await page.getByText(/The domain's KCV [0-9a-f]{16} is the expected [0-9a-f]{16}\./).waitFor();
    await logIn();
    await chooseCard(ids.primary);
    await page.getByRole('tab', { name: /Restore into a secondary HSM$/ }).click();
    await page.getByLabel('Secondary HSM', { exact: true }).click();
    await page.getByRole('option').first().click();
    await page.getByLabel('Backup (.wky)').click();
    await page.getByRole('option', { name: /\.wky$/ }).click();
    await page.getByRole('button', { name: 'Restore into this HSM' }).click();
    await page.getByText(/Restored “root key” into .*is the backed-up key.*This HSM may now sign for the CA alone|Restored “root key” into .*is the backed-up key/).waitFor();
    await shot('restored');
    await page.getByRole('button', { name: 'Restore into this HSM' }).click();
    await page.getByRole('alert').filter({ hasText: 'KEY_ALREADY_PRESENT' }).waitFor();
    const restoredOn = await (await custos.tokens.open(ids.secondary)).listKeys();
    assert.ok(restoredOn.some((k) => k.label === 'root key'));
    assert.deepEqual(pageErrors, []);
  });

  it('restores a .wky that has no .custos.json only once the key it holds is the one typed as expected', async () => {
    const key = await core.handlers['token.generateKey']({ tokenId: ids.primary, spec: { kind: 'ec', curve: 'P-256' }, label: 'issuing key' });
    const written = await core.handlers['keydomain.backupKey']({ tokenId: ids.primary, label: 'issuing key', keySpkiSha256: key.spkiSha256 });
    // As sc-hsm-tool --wrap-key leaves it: the .wky alone, on a medium, picked in the shell's dialog.
    const medium = join(work, 'medium');
    mkdirSync(medium);
    picks.push(join(medium, 'issuing-from-opensc.wky'));
    writeFileSync(picks[0]!, readFileSync(written.wkyPath));
    rmSync(written.metadataPath);
    rmSync(written.wkyPath);
    await page.reload();
    await page.getByRole('heading', { name: 'Key domain', level: 1 }).waitFor();
    await chooseCard(ids.primary);
    await page.getByRole('tab', { name: /Restore into a secondary HSM$/ }).click();
    await page.getByLabel('Secondary HSM', { exact: true }).click();
    await page.getByRole('option').first().click();
    await page.getByRole('button', { name: 'Choose a .wky from a medium…' }).click();
    await page.getByLabel('Backup (.wky)').filter({ hasText: 'issuing-from-opensc.wky' }).waitFor();
    const holds = page.getByRole('region', { name: 'What the backup holds' });
    await holds.getByText('none: read from the .wky itself').waitFor();
    assert.ok((await holds.innerText()).includes(key.spkiSha256), 'the key\'s SHA-256 is shown, read from the file');
    assert.match(await holds.innerText(), /Key domain KCV\s+[0-9a-f]{16}/);
    const restoreButton = page.getByRole('button', { name: 'Restore into this HSM' });
    assert.equal(await restoreButton.isDisabled(), true, 'no restore until the expected key is typed');
    await page.getByLabel('Expected public key SHA-256').fill('ab'.repeat(32));
    await restoreButton.click();
    await page.getByRole('alert').filter({ hasText: 'KEY_FINGERPRINT_MISMATCH' }).waitFor();
    await shot('restore-wky-only-mismatch');
    assert.ok(!(await (await custos.tokens.open(ids.secondary)).listKeys()).some((k) => k.spkiSha256 === key.spkiSha256), 'nothing reached the card');
    await page.getByLabel('Expected public key SHA-256').fill(key.spkiSha256);
    await restoreButton.click();
    await page.getByText(/Restored “issuing key” into .*is the backed-up key/).waitFor();
    assert.deepEqual(await seriousViolations(page), []);
    await shot('restore-wky-only');
    assert.ok((await (await custos.tokens.open(ids.secondary)).listKeys()).some((k) => k.spkiSha256 === key.spkiSha256 && k.label === 'issuing key'));
  });

  it('has no serious or critical accessibility violation on any step, in either theme', async () => {
    const violations: string[] = [];
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      for (const step of ['Make shares', 'Import shares', 'Back up a key', 'Restore into a secondary HSM']) {
        await page.getByRole('tab', { name: new RegExp(`${step}$`) }).click();
        await page.getByRole('heading', { name: step, level: 2 }).waitFor();
        const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
        for (const v of result.violations) if (v.impact === 'serious' || v.impact === 'critical') violations.push(`${theme} ${step}: ${v.id} ${v.help} ${v.nodes.map((n) => String(n.target)).join(' ')}`);
      }
      await shot(`restore-${theme}`);
    }
    assert.deepEqual(violations, []);
  });

  it('shows that the share file key is being derived while it runs, then the share', async () => {
    // Enough rounds that the derivation lasts while the page is looked at; the file is not imported afterwards.
    process.env[SHARE_FILE_ITERATIONS_ENV] = '1500000';
    try {
      await setTheme(page, 'light');
      await page.getByRole('tab', { name: /Make shares$/ }).click();
      await page.getByLabel('Custodian').fill('Cleo');
      await page.getByLabel(/^Share password\W*$/).fill('cleo-password-3');
      await page.getByLabel('Share password again').fill('cleo-password-3');
      await page.getByRole('button', { name: 'Make share' }).click();
      await page.getByRole('progressbar', { name: 'Deriving the share file key' }).waitFor();
      await page.getByRole('button', { name: 'Making the share…' }).waitFor();
      await shot('deriving');
      await page.getByText(/Share of Cleo written to/).waitFor({ timeout: 120_000 });
      assert.equal(await page.getByRole('progressbar').count(), 0, 'the progress is gone once the share is written');
    } finally {
      process.env[SHARE_FILE_ITERATIONS_ENV] = '1000';
    }
  });
});
