/**
 * The shipped HSM-cloning ceremony run to its end on the Ceremony screen, in
 * Chromium at 1024x700 on the real core, with two virtual SmartCard-HSMs:
 * the CA HSM, whose key domain is made of three custodians' share files on
 * the medium and which holds the root "example-root", and the Backup HSM,
 * waiting for those three shares. On the DKEK-import step each custodian in
 * turn chooses their share file (from the medium, or picked in the window)
 * and types its password: a wrong password first shows its code and counts
 * nothing; each share then moves the count ("k of 3") and shows its KCV;
 * the last completes the domain with the CA HSM's KCV. The restore into the
 * Backup HSM asks for the Backup HSM's own PIN, with its tries left, and on
 * its final try only once the person ticks that they understand. No
 * password or PIN reaches the journal. Screenshots go to
 * test-results/screenshots/ceremony-dkek-*.png.
 *
 * Share files use 1,000 KDF rounds (CUSTOS_TEST_SHARE_FILE_ITERATIONS).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { appCoreOf, type AppCore } from '../../electron/core.ts';
import { Custos } from '../../main/custos.ts';
import { Secret } from '../../main/secret.ts';
import { VirtualScHsmProvider } from '../../main/hsm/sc-hsm/provider.ts';
import { createDkekShare, domainStatus, importDkekShareFile, readShareFile, SHARE_FILE_ITERATIONS_ENV } from '../../main/ca/key-domain.ts';
import { createRoot } from '../../main/ca/root.ts';
import { createLabelledCard } from '../support/labelled-card.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { openWindow, type AppWindow } from './support/window.ts';
import { SCREENSHOT_DIR } from './support/screens.ts';
import { seriousViolations } from './support/axe.ts';

const PIN = '648219';
const WRONG_PIN = '111111';
const ITERATIONS = 1000;
const CUSTODIANS = [
  { name: 'Alice', password: 'alice share password' },
  { name: 'Bob', password: 'bob share password' },
  { name: 'Carol', password: 'carol share password' },
];
const WRONG_PASSWORD = 'not alice password';
const SCRIPT = JSON.parse(readFileSync(join(import.meta.dirname, '../../resources/ceremonies/hsm-cloning.json'), 'utf8')) as { steps: { id: string; performer: string; witnesses: number }[] };

describe('the Ceremony screen runs the HSM-cloning ceremony, its DKEK shares imported one custodian at a time', () => {
  let work: string;
  let media: string;
  let custos: Custos;
  let core: AppCore;
  let win: AppWindow;
  let page: Page;
  const pageErrors: string[] = [];
  const shares: string[] = [];
  const ids = { primary: '', backup: '' };
  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOT_DIR, `ceremony-dkek-${name}.png`), fullPage: true });
  const journalText = (): string => readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8');

  async function chooseOption(label: string, option: RegExp): Promise<void> {
    await page.getByRole('combobox', { name: label, exact: true }).click();
    await page.getByRole('option', { name: option }).click();
    await page.getByRole('listbox').waitFor({ state: 'hidden' });
  }

  /** The performer and the witnesses confirm the step by name, with the keyboard. */
  async function confirmStep(index: number): Promise<void> {
    const step = SCRIPT.steps[index]!;
    await page.getByLabel(`Performer (${step.performer}), name`).focus();
    await page.keyboard.type('Ada Admin');
    for (let w = 1; w <= step.witnesses; w++) {
      await page.keyboard.press('Tab');
      await page.keyboard.type(['Wanda Witness', 'Will Witness'][w - 1]!);
    }
    await page.keyboard.press('Enter');
    await page.getByRole('table', { name: 'Steps recorded' }).getByRole('row').nth(index + 1).waitFor();
  }

  const heading = (index: number) => page.getByRole('heading', { name: `Step ${index + 1} of ${SCRIPT.steps.length}: ${SCRIPT.steps[index]!.id}` });

  async function importShare(file: RegExp, password: string): Promise<void> {
    await chooseOption('Share file', file);
    await page.getByLabel(/^Share password\W*$/).fill(password);
    await page.getByRole('button', { name: 'Import share' }).click();
  }

  before(async () => {
    process.env[SHARE_FILE_ITERATIONS_ENV] = String(ITERATIONS);
    const staticDir = ensureRendererBuilt();
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    work = mkdtempSync(join(tmpdir(), 'custos-e2e-ceremony-dkek-'));
    media = join(work, 'medium');
    mkdirSync(media);
    const states = { primary: join(work, 'primary.vsc'), backup: join(work, 'backup.vsc') };
    await createLabelledCard(states.primary, 'CA HSM', PIN, 3);
    await createLabelledCard(states.backup, 'Backup HSM', PIN, 3);
    // Virtual tokens only: a rehearsal, where the folder stands for the USB medium.
    custos = Custos.open({ dataDir: join(work, 'home'), operator: 'e2e', providers: [new VirtualScHsmProvider([states.primary, states.backup])], pcsc: false, rehearsal: true });
    const listed = await custos.tokens.list();
    ids.primary = listed.find((t) => t.info.label === 'CA HSM')!.id;
    ids.backup = listed.find((t) => t.info.label === 'Backup HSM')!.id;
    // The custodians' share files on the medium (Bob's on a stick of his own); the CA HSM's domain made of them, and the root key made on it.
    const bobsStick = join(work, 'bob-stick');
    mkdirSync(bobsStick);
    for (const c of CUSTODIANS) {
      const directory = c.name === 'Bob' ? bobsStick : media;
      const made = await createDkekShare(custos.ctx, { custodian: c.name, password: Secret.fromString(c.password), passwordRepeat: Secret.fromString(c.password), directory }, { iterations: ITERATIONS });
      shares.push(made.path);
      await importDkekShareFile(custos.ctx, { tokenId: ids.primary, file: await readShareFile(made.path), fileName: made.fileName, password: Secret.fromString(c.password) }, { iterations: ITERATIONS });
    }
    await custos.login(ids.primary, Secret.fromString(PIN));
    const key = await custos.generateKey(ids.primary, { kind: 'ec', curve: 'P-384' }, 'example-root');
    await createRoot(custos.ctx, { tokenId: ids.primary, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'C=XX, O=Custos, CN=Example Root', name: 'example-root' });
    // The HSM is put away logged out: the quorum step opens it with its PIN.
    await custos.logout(ids.primary);
    core = appCoreOf(custos, { pickFolder: async () => media });
    win = await openWindow(core, { staticDir, timeoutMs: 60_000, pageErrors });
    page = win.page;
  });

  after(async () => {
    delete process.env[SHARE_FILE_ITERATIONS_ENV];
    await win?.browser.close();
    await win?.host.close();
    await core?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('begins the HSM-cloning script on the CA HSM with the medium, after a clean pre-flight', async () => {
    await page.goto(`${win.origin}/#/ceremony`);
    await page.getByRole('heading', { name: 'Ceremony', level: 1 }).waitFor();
    await chooseOption('Ceremony script', /^HSM cloning/);
    await chooseOption('HSM', /^\[VIRTUAL\] CA HSM/);
    await page.getByRole('button', { name: 'Choose folder…' }).click();
    await page.getByRole('textbox', { name: 'Folder on the removable medium' }).and(page.locator(`[value="${media}"]`)).waitFor();
    await page.getByRole('button', { name: 'Run the pre-flight' }).click();
    await page.getByTestId('preflight-clean').waitFor();
    await page.getByRole('button', { name: 'Begin the ceremony' }).click();
    await heading(0).waitFor();
    await page.getByRole('button', { name: /^Run the step/ }).click();
    await page.getByTestId('ceremony-outcome').waitFor();
    await confirmStep(0);
  });

  it('shows the DKEK-import step with the Backup HSM\'s count, the share files on the medium and the KCV to join', async () => {
    await heading(1).waitFor();
    const primaryKcv = (await domainStatus(custos.ctx, ids.primary)).kcv!;
    await page.getByText('0 of 3 shares imported into Backup HSM').waitFor();
    await page.getByTestId('ceremony-dkek-import').getByText(primaryKcv).first().waitFor();
    await page.getByText('Custodian 1 of 3').waitFor();
    await page.getByRole('combobox', { name: 'Share file', exact: true }).click();
    assert.deepEqual((await page.getByRole('option').allTextContents()).map((t) => t.split(' — ')[0]), ['Alice', 'Carol'], 'the share files on the medium');
    await page.keyboard.press('Escape');
    assert.deepEqual(await seriousViolations(page), []);
    await shot('import-first');
  });

  it('shows DKEK_SHARE_PASSWORD_WRONG on the step for a wrong password, counts nothing, and leaves no password on the screen', async () => {
    await importShare(/^Alice — /, WRONG_PASSWORD);
    await page.locator('[data-code="DKEK_SHARE_PASSWORD_WRONG"]').waitFor();
    await page.getByText('0 of 3 shares imported into Backup HSM').waitFor();
    assert.equal(await page.getByLabel(/^Share password\W*$/).inputValue(), '', 'the password left the form with the call');
    assert.equal((await domainStatus(custos.ctx, ids.backup)).importedShares, 0);
    await shot('wrong-password');
  });

  it('takes Alice\'s share, then Bob\'s picked in the window, each moving the count and showing its KCV', async () => {
    await importShare(/^Alice — /, CUSTODIANS[0]!.password);
    await page.getByText('1 of 3 shares imported into Backup HSM').waitFor();
    await page.getByRole('table', { name: /^Shares in Backup HSM/ }).getByRole('row').nth(1).waitFor();
    assert.equal(await page.locator('[data-code]').count(), 0, 'the wrong password\'s error is gone');
    // Bob's file, on a stick the pre-flight did not name: chosen in the window's file picker.
    await page.locator('input[type="file"]').setInputFiles(shares[1]!);
    await page.getByText(/Chosen: dkek-share-Bob/).waitFor();
    await importShare(/^Bob — .*\.pbe$/, CUSTODIANS[1]!.password);
    await page.getByText('2 of 3 shares imported into Backup HSM').waitFor();
    await page.getByText('Custodian 3 of 3').waitFor();
    await shot('import-two-of-three');
  });

  it('completes the domain with Carol\'s share, chosen and opened by keyboard: the step\'s outcome shows the Backup HSM\'s KCV, the CA HSM\'s', async () => {
    const primaryKcv = (await domainStatus(custos.ctx, ids.primary)).kcv!;
    // By keyboard alone: the file list opened and walked down to Carol's file, Tab to the password, Enter sends it.
    await page.getByRole('combobox', { name: 'Share file', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('listbox').waitFor();
    for (let i = 0; i < 5 && !(await page.evaluate(() => document.activeElement?.textContent ?? '')).startsWith('Carol'); i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.getByRole('listbox').waitFor({ state: 'hidden' });
    await page.getByLabel(/^Share password\W*$/).focus();
    await page.keyboard.type(CUSTODIANS[2]!.password);
    await page.keyboard.press('Enter');
    await page.getByTestId('ceremony-outcome').getByText(new RegExp(`key domain complete: 3 share\\(s\\), KCV ${primaryKcv}`)).waitFor();
    assert.equal((await domainStatus(custos.ctx, ids.backup)).kcv, primaryKcv);
    await shot('import-complete');
    await confirmStep(1);
    const step = journalText().trim().split('\n').map((l) => JSON.parse(l) as { seq: number; kind: string; data: Record<string, unknown> });
    const imports = step.filter((e) => e.kind === 'dkek.share.import.done').slice(3);
    const recorded = step.filter((e) => e.kind === 'ceremony.step' && e.data['step'] === 'import-dkek').at(-1)!;
    assert.ok(imports.length === 3 && imports.every((d) => (recorded.data['actSeqs'] as number[]).includes(d.seq)), 'the step names the three imports');
  });

  it('opens the CA HSM with its own PIN field for the quorum step, and wraps the root key', async () => {
    await heading(2).waitFor();
    await page.getByLabel('CA HSM PIN').fill(PIN);
    await page.getByRole('button', { name: /^Run the step/ }).click();
    await page.getByTestId('ceremony-outcome').waitFor();
    await confirmStep(2);
    await heading(3).waitFor();
    await page.getByRole('button', { name: /^Run the step/ }).click();
    await page.getByTestId('ceremony-outcome').getByTestId('fingerprint').first().waitFor();
    await confirmStep(3);
  });

  it('asks the Backup HSM\'s PIN for the restore, shows its tries left, and spends its final try only once ticked', async () => {
    await heading(4).waitFor();
    const field = page.getByLabel('Backup HSM PIN');
    await field.waitFor();
    assert.equal(await page.getByLabel('CA HSM PIN').count(), 0, 'the restore opens the Backup HSM alone');
    await page.getByText(/^\d+ tries left\. Typed here/).waitFor();
    await shot('restore-pin');
    // Wrong PINs until the next one would block it: each shows its code and the tries left.
    for (let i = 0; i < 5; i++) {
      const token = (await custos.tokens.list()).find((t) => t.id === ids.backup)!;
      if (token.info.pinState?.finalTry) break;
      await field.fill(WRONG_PIN);
      await page.getByRole('button', { name: /^Run the step/ }).click();
      await page.locator('[data-code="PIN_INCORRECT"]').waitFor();
    }
    await page.getByText('Final try: one more wrong PIN blocks this HSM.').waitFor();
    await field.fill(PIN);
    assert.ok(await page.getByRole('button', { name: /^Run the step/ }).isDisabled(), 'not run before the final try is confirmed');
    await shot('restore-final-try');
    await page.getByLabel('I understand that a wrong PIN now blocks Backup HSM').check();
    await page.getByRole('button', { name: /^Run the step/ }).click();
    await page.getByTestId('ceremony-outcome').getByText(/restored into Backup HSM/).waitFor();
    await confirmStep(4);
  });

  it('verifies the clone, completes the ceremony, and keeps every password and PIN out of the journal', async () => {
    await heading(5).waitFor();
    await page.getByRole('button', { name: /^Run the step/ }).click();
    await page.getByTestId('ceremony-outcome').waitFor();
    await confirmStep(5);
    await page.getByRole('button', { name: 'Complete the ceremony' }).click();
    await page.getByTestId('ceremony-ended').getByText(/All 6 steps are recorded/).waitFor();
    await shot('completed');
    const text = journalText();
    for (const secret of [...CUSTODIANS.map((c) => c.password), WRONG_PASSWORD, PIN, WRONG_PIN]) assert.ok(!text.includes(secret), 'no password or PIN in the journal');
    assert.deepEqual(pageErrors, []);
  });
});
