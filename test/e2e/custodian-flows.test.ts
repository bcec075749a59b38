/**
 * Issue #17's flows in Chromium at 1024×700 on the real core with the
 * rehearsal SmartCard-HSMs: the PIN chip after a wrong PIN (no manual
 * refresh), the final-try confirmation reached at once, unblocking with the
 * SO-PIN (its own tries and warning), changing the PIN, a request made from a
 * token key, and the journal exported. Screenshots in test-results/screenshots.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { openAppCore, type AppCore } from '../../electron/core.ts';
import { startDevHost } from '../../devhost/server.ts';
import { REHEARSAL_PIN, REHEARSAL_SO_PIN } from '../../main/rehearsal/tokens.ts';
import { verifyJournalFile } from '../../main/journal/index.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { launchChromium, type Chromium } from './support/chromium.ts';
import { openScreen, setTheme } from './support/screens.ts';

const SHOTS = join(import.meta.dirname, '../../test-results/screenshots');

describe('PINs, requests from token keys and the journal exported, at 1024×700', () => {
  let work: string;
  let core: AppCore;
  let host: Awaited<ReturnType<typeof startDevHost>>;
  let chromium: Chromium;
  let page: Page;
  let chosen: string;
  // By CSS, not role: while a modal dialog is open the page behind it is aria-hidden, and the chips are still what the person sees.
  const backupRegion = () => page.locator('section[aria-label="Backup HSM"]');
  const shot = async (name: string): Promise<void> => {
    await page.waitForTimeout(300); // a dialog's fade-in
    await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-e2e-custodian-'));
    mkdirSync(SHOTS, { recursive: true });
    const staticDir = ensureRendererBuilt();
    chosen = join(work, 'usb-stick', 'ceremony');
    mkdirSync(chosen, { recursive: true });
    // Chromium has no shell dialog: "Choose folder…" answers with the folder a person would have picked.
    core = await openAppCore({ dataDir: join(work, 'home'), pickFolder: async () => chosen });
    host = await startDevHost({ handlers: core.handlers, events: core.events, staticDir });
    chromium = await launchChromium();
    page = await chromium.context.newPage();
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.goto(host.url);
  });

  after(async () => {
    await chromium?.close();
    await host?.close();
    await core?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('shows the tries left right after a wrong PIN, and the final-try confirmation without a refresh', async () => {
    await openScreen(page, `http://127.0.0.1:${host.port}`, 'tokens');
    const backup = backupRegion();
    await backup.getByText('3 tries left').waitFor();
    await backup.getByRole('button', { name: 'Log in…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('User PIN').fill('000000');
    await dialog.getByRole('button', { name: 'Log in', exact: true }).click();
    await backup.getByText('2 tries left').waitFor();
    await dialog.getByLabel('User PIN').fill('000000');
    await dialog.getByRole('button', { name: 'Log in', exact: true }).click();
    await backup.getByText('1 try left').waitFor();
    // The next wrong PIN blocks the card: the dialog asks first, and will not send until ticked.
    await dialog.getByText(/This is the final try/).waitFor();
    await dialog.getByLabel('User PIN').fill('000000');
    assert.equal(await dialog.getByRole('button', { name: 'Log in', exact: true }).isDisabled(), true);
    await shot('pin-final-try');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('unblocks with the SO-PIN, showing its own tries and that a blocked SO-PIN cannot be reset', async () => {
    const backup = backupRegion();
    await backup.getByRole('button', { name: 'Unblock PIN…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Unblock the PIN of Backup HSM' });
    await dialog.getByText(/The SO-PIN has its own tries \(15 tries left\)/).waitFor();
    await dialog.getByText(/A blocked SO-PIN cannot be reset/).waitFor();
    await dialog.getByLabel('SO-PIN', { exact: true }).fill(REHEARSAL_SO_PIN);
    await dialog.getByLabel('New PIN', { exact: true }).fill('246802');
    await dialog.getByLabel('New PIN again').fill('246802');
    await shot('pin-unblock');
    await dialog.getByRole('button', { name: 'Unblock and set PIN' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await backup.getByText('1 try left').waitFor({ state: 'detached' });
    await shot('pin-unblocked');
  });

  it('changes the PIN, and a wrong current PIN shows the tries left in the dialog at once', async () => {
    const backup = backupRegion();
    await backup.getByRole('button', { name: 'Change PIN…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change the PIN of Backup HSM' });
    await dialog.getByLabel('Current PIN').fill('999999');
    await dialog.getByLabel('New PIN', { exact: true }).fill(REHEARSAL_PIN);
    await dialog.getByLabel('New PIN again').fill(REHEARSAL_PIN);
    await dialog.getByRole('button', { name: 'Change PIN' }).click();
    await dialog.getByText('PIN: 2 tries left', { exact: true }).waitFor();
    await backup.getByText('2 tries left').waitFor();
    await shot('pin-change-wrong');
    await dialog.getByLabel('Current PIN').fill('246802');
    await dialog.getByRole('button', { name: 'Change PIN' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await backup.getByRole('button', { name: 'Log in…' }).click();
    const login = page.getByRole('dialog');
    await login.getByLabel('User PIN').fill(REHEARSAL_PIN);
    await login.getByRole('button', { name: 'Log in', exact: true }).click();
    await login.waitFor({ state: 'hidden' });
    await backup.getByText('Logged in', { exact: true }).waitFor();
  });

  it('makes a request from a key on the token, imported for a parent CA and written to the exports folder', async () => {
    const backup = backupRegion();
    const gen = backup.getByRole('form', { name: 'Generate a key pair' });
    await gen.getByLabel('Key label').fill('issuing-2026');
    await gen.getByRole('button', { name: 'Generate key pair' }).click();
    await backup.getByRole('cell', { name: 'issuing-2026' }).waitFor();
    const form = backup.getByRole('form', { name: 'Make a request for a key' });
    await form.getByLabel('Key').click();
    await page.getByRole('option', { name: /^issuing-2026/ }).click();
    await form.getByLabel('Subject DN of the new CA').fill('C=DE, O=Custos Rehearsal, CN=Rehearsal Issuing CA');
    await form.getByRole('button', { name: 'Make request' }).click();
    await form.getByText(/imported under Requests/).waitFor();
    const written = (await form.getByText(/^Written \d+ bytes to/).textContent())!;
    const path = /to (\/\S+\.csr)\./.exec(written)?.[1];
    assert.ok(path, written);
    assert.match(readFileSync(path, 'utf8'), /-----BEGIN CERTIFICATE REQUEST-----/);
    await form.scrollIntoViewIfNeeded();
    await shot('key-request');
  });

  it('exports the journal as JSON lines that verify, and as a page to print', async () => {
    await openScreen(page, `http://127.0.0.1:${host.port}`, 'journal');
    const section = page.getByRole('region', { name: 'Export the journal' });
    await section.getByLabel('Export to').waitFor();
    await section.getByRole('button', { name: 'Export as JSON lines' }).click();
    const text = (await section.getByText(/^Written \d+ bytes to/).textContent())!;
    const path = /to (\/\S+\.jsonl)\./.exec(text)?.[1];
    assert.ok(path, text);
    assert.equal(verifyJournalFile(path).ok, true);
    await section.getByRole('button', { name: 'Export a page to print' }).click();
    await section.getByText(/\.html\./).waitFor();
    await section.scrollIntoViewIfNeeded();
    await shot('journal-export');
  });

  it('writes the journal to a folder chosen in the dialog, named in the destination list', async () => {
    const section = page.getByRole('region', { name: 'Export the journal' });
    await section.getByRole('button', { name: 'Choose folder…' }).click();
    await section.getByLabel('Export to').filter({ hasText: `${chosen} (folder you chose)` }).waitFor();
    await section.getByRole('button', { name: 'Export as JSON lines' }).click();
    const text = (await section.getByText(new RegExp(`^Written \\d+ bytes to ${chosen.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`)).textContent())!;
    const path = /to (\/\S+\.jsonl)\./.exec(text)?.[1];
    assert.ok(path?.startsWith(`${chosen}/`), text);
    // The export and its sidecar (what it is, for the next workstation), nothing else.
    assert.deepEqual(readdirSync(chosen).sort(), [basename(path!), `${basename(path!)}.custos.json`]);
    assert.equal(verifyJournalFile(path!).ok, true);
    await section.scrollIntoViewIfNeeded();
    await shot('journal-export-chosen-folder');
  });

  it('has no serious or critical accessibility violation in the PIN dialogs or the export control, in either theme', async () => {
    const origin = `http://127.0.0.1:${host.port}`;
    const found: string[] = [];
    // With a modal open, the page behind lies under the backdrop and is not what the person reads: the dialog alone is scanned then.
    const scan = async (where: string, within?: string): Promise<void> => {
      const builder = new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']);
      const result = await (within ? builder.include(within) : builder).analyze();
      for (const v of result.violations) if (v.impact === 'serious' || v.impact === 'critical') found.push(`${where}: ${v.id} ${v.nodes.map((n) => String(n.target)).join(' ')}`);
    };
    for (const theme of ['light', 'dark'] as const) {
      await openScreen(page, origin, 'tokens');
      await setTheme(page, theme);
      await scan(`tokens, with the request form (${theme})`);
      for (const [button, title] of [['Unblock PIN…', 'Unblock the PIN of Backup HSM'], ['Change PIN…', 'Change the PIN of Backup HSM']] as const) {
        await backupRegion().getByRole('button', { name: button }).click();
        const dialog = page.getByRole('dialog', { name: title });
        await dialog.getByLabel('New PIN again').waitFor();
        await shot(`${button === 'Unblock PIN…' ? 'pin-unblock' : 'pin-change'}-${theme}`);
        await scan(`${title} (${theme})`, '[role="dialog"]');
        await dialog.getByRole('button', { name: 'Cancel' }).click();
        await dialog.waitFor({ state: 'hidden' });
      }
      await openScreen(page, origin, 'journal');
      await page.getByRole('region', { name: 'Export the journal' }).getByLabel('Export to').waitFor();
      await shot(`journal-export-${theme}`);
      await scan(`journal export (${theme})`);
    }
    await setTheme(page, 'light');
    assert.deepEqual(found, []);
  });
});
