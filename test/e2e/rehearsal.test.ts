/**
 * What a person sees on a machine with no hardware: the window offers the
 * rehearsal tokens (virtual SmartCard-HSMs: CA HSM, backup HSM, three
 * custodians), each marked VIRTUAL, under a REHEARSAL banner, and the backup
 * HSM takes its published rehearsal PIN (the CA HSM needs its custodians too:
 * test/e2e/quorum.test.ts).
 */
import { after, before, describe, it } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAppCore, type AppCore } from '../../electron/core.ts';
import { startDevHost } from '../../devhost/server.ts';
import { REHEARSAL_PIN } from '../../main/rehearsal/tokens.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { launchChromium, type Chromium } from './support/chromium.ts';

const SHOTS = join(import.meta.dirname, '../../test-results/screenshots');

describe('the window with no hardware attached', () => {
  let work: string;
  let core: AppCore;
  let host: Awaited<ReturnType<typeof startDevHost>>;
  let chromium: Chromium;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-e2e-rehearsal-'));
    mkdirSync(SHOTS, { recursive: true });
    const staticDir = ensureRendererBuilt();
    // No module configured and no pcscd here: the core opens on the rehearsal tokens.
    core = await openAppCore({ dataDir: join(work, 'home') });
    host = await startDevHost({ handlers: core.handlers, events: core.events, staticDir });
    chromium = await launchChromium();
  });

  after(async () => {
    await chromium?.close();
    await host?.close();
    await core?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('lists the five virtual SmartCard-HSMs as VIRTUAL under a REHEARSAL banner, and logs in to the backup HSM', async () => {
    const page = await chromium.context.newPage();
    await page.goto(host.url);
    await page.getByTestId('rehearsal-banner').waitFor();
    for (const label of ['CA HSM', 'Backup HSM', 'Custodian 1', 'Custodian 2', 'Custodian 3']) {
      await page.getByRole('region', { name: label, exact: true }).getByText('VIRTUAL', { exact: true }).waitFor();
    }
    await page.screenshot({ path: join(SHOTS, 'rehearsal-tokens.png'), fullPage: true });
    const ca = page.getByRole('region', { name: 'Backup HSM', exact: true });
    await ca.getByRole('button', { name: 'Log in…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('User PIN').fill(REHEARSAL_PIN);
    await dialog.getByRole('button', { name: 'Log in', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await ca.getByText('Logged in', { exact: true }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'rehearsal-tokens-logged-in.png'), fullPage: true });
  });
});
