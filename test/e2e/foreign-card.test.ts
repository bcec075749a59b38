// The window on the REAL core with cards that are not what Custos expects: a
// virtual card provisioned as a compatible card no known root attests (as
// pico-hsm provisions itself) and a card whose open fails. The window lists
// both, says why, and lets the operator accept the foreign one, after which it
// can be logged in to; the accept is in the journal.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openAppCore, type AppCore } from '../../electron/core.ts';
import { startDevHost, type DevHost } from '../../devhost/server.ts';
import { VirtualScHsmProvider } from '../../main/hsm/sc-hsm/provider.ts';
import { InProcessTransport } from '../../main/hsm/sc-hsm/inprocess-transport.ts';
import { ScHsmCard } from '../../main/hsm/sc-hsm/card.ts';
import { VirtualCard } from '../../main/hsm/virtual/card.ts';
import { Secret } from '../../main/secret.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { SCREENSHOT_DIR } from './support/screens.ts';
import { launchChromium, type Chromium } from './support/chromium.ts';

const PIN = '648219';

describe('foreign and unopenable cards in the window', () => {
  let dir: string;
  let core: AppCore;
  let host: DevHost;
  let browser: Chromium;
  let page: Page;

  before(async () => {
    const staticDir = ensureRendererBuilt();
    dir = mkdtempSync(join(tmpdir(), 'custos-e2e-foreign-'));
    const foreign = join(dir, 'pico.vsc');
    const vc = await VirtualCard.create(foreign, { foreign: {} });
    const card = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
    await card.initialize({ soPin: Secret.fromString('3537363231383830'), pin: Secret.fromString(PIN) });
    await card.close();
    await vc.close();
    const broken = join(dir, 'broken.vsc');
    copyFileSync(foreign, broken);
    writeFileSync(`${broken}.secret`, 'short');
    core = await openAppCore({ dataDir: join(dir, 'home'), operator: 'e2e', providers: [new VirtualScHsmProvider([foreign, broken])] });
    host = await startDevHost({ handlers: core.handlers, events: core.events, staticDir });
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(host.url);
    await page.getByRole('heading', { name: 'Tokens', level: 1 }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await host?.close();
    await core?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the card that cannot be opened with its error', async () => {
    const region = page.getByRole('region', { name: /broken\.vsc/ });
    await region.getByText(/This card cannot be opened \(FORMAT_MISMATCH\)/).waitFor();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'foreign-card-listed.png'), fullPage: true });
  });

  it('shows the foreign card as not attested by a known root, with login refused until it is accepted', async () => {
    const region = page.getByRole('region', { name: 'SmartCard-HSM' });
    await region.getByText(/Device not attested by a known root: nothing proves/).waitFor();
    assert.equal(await region.getByRole('button', { name: 'Log in…' }).isDisabled(), true);
    await region.getByRole('button', { name: 'Accept this device' }).click();
    await region.getByText(/accepted by an operator/).waitFor();
    assert.equal(await region.getByRole('button', { name: 'Log in…' }).isDisabled(), false);
    const journal = await core.handlers['journal.entries']({});
    assert.ok(journal.some((e) => e.kind === 'token.unattested-accepted'), 'the accept is in the journal');
    await region.getByRole('button', { name: 'Log in…' }).click();
    await page.getByRole('dialog').getByLabel('User PIN').fill(PIN);
    await page.getByRole('dialog').getByRole('button', { name: 'Log in', exact: true }).click();
    await region.getByText('Logged in', { exact: true }).waitFor();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'foreign-card-accepted.png'), fullPage: true });
  });
});
