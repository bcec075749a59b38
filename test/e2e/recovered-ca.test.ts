// A root the token signed just before a kill -9, in Chromium against the dev
// host serving the real core: the next start records it, and the CA screen
// lists it with a note that it was recorded after an interrupted run, and,
// in its details, what the operator does next. Screenshots in both themes at
// 1024x700, and axe on what is shown.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openAppCore, type AppCore } from '../../electron/core.ts';
import type { DevHost } from '../../devhost/server.ts';
import { Custos } from '../../main/custos.ts';
import { Secret } from '../../main/secret.ts';
import { createSoftHsm, type SoftHsm } from '../support/softhsm.ts';
import { ensureRendererBuilt } from './support/build.ts';
import type { Chromium } from './support/chromium.ts';
import { openScreen, setTheme, SCREENSHOT_DIR } from './support/screens.ts';
import { seriousViolations } from './support/axe.ts';
import { openWindow } from './support/window.ts';

const PIN = '123456';

describe('a root CA recorded after an interrupted run, on the CA screen', () => {
  let hsm: SoftHsm;
  let dataDir: string;
  let core: AppCore;
  let host: DevHost;
  let browser: Chromium;
  let page: Page;
  let origin: string;
  let recoveredSeq: number;
  const pageErrors: string[] = [];

  before(async () => {
    const staticDir = ensureRendererBuilt();
    hsm = await createSoftHsm();
    await hsm.initToken('Recovery HSM', '12345678', PIN);
    dataDir = mkdtempSync(join(tmpdir(), 'custos-e2e-recovered-'));
    const setup = Custos.open({ dataDir, rehearsalModules: [hsm.modulePath], operator: 'e2e', pcsc: false });
    let keySpkiSha256: string;
    try {
      const tokenId = (await setup.tokens.list())[0]!.id;
      await setup.login(tokenId, Secret.fromString(PIN));
      keySpkiSha256 = (await setup.generateKey(tokenId, { kind: 'ec', curve: 'P-384' }, 'root')).spkiSha256;
    } finally {
      await setup.close();
    }
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(process.cwd(), 'test/support/root-killed-before-record.ts'),
      dataDir, hsm.modulePath, keySpkiSha256, 'C=DE, O=Custos E2E, CN=Interrupted Root', 'Interrupted Root'],
    { env: { ...process.env, SOFTHSM2_CONF: hsm.conf, CUSTOS_PIN: PIN }, encoding: 'utf8', timeout: 120_000 });
    assert.equal(child.signal, 'SIGKILL', `the child was to be killed: ${child.status} ${child.stderr}`);
    core = await openAppCore({ dataDir, rehearsalModules: [hsm.modulePath], operator: 'e2e' });
    recoveredSeq = (await core.handlers['journal.verify'](undefined)).recovered!.find((r) => r.kind === 'ca.root.recovered')!.seq;
    ({ host, browser, page, origin } = await openWindow(core, { staticDir, timeoutMs: 30_000, pageErrors }));
  });

  after(async () => {
    await browser?.close();
    await host?.close();
    await core?.close();
    await hsm?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the root with a note that it was recorded after an interrupted run, and says in its details what to do next', async () => {
    await openScreen(page, origin, 'ca');
    const table = page.getByRole('table', { name: 'Certificate authorities' });
    const row = table.getByRole('row', { name: /Interrupted Root/ });
    await row.getByText('Recorded after an interrupted run').waitFor();
    assert.match(await row.innerText(), /CN=Interrupted Root,O=Custos E2E,C=DE/);

    // Opened from the keyboard, as a custodian at the console would.
    await row.getByRole('button', { name: 'Details and chain' }).focus();
    await page.keyboard.press('Enter');
    const details = page.getByRole('region', { name: 'Interrupted Root: details and chain' });
    const note = details.getByRole('alert').filter({ hasText: 'Recorded after an interrupted run' });
    await note.waitFor();
    const text = await note.innerText();
    assert.match(text, new RegExp(`journal entry #${recoveredSeq}\\)`));
    assert.match(text, /Nothing is signed until a signed checkpoint covers that entry: .*sign one \(custos journal checkpoint\)/);
    assert.doesNotMatch(text, /named after/, 'the run recorded its name: nothing to say of it');

    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      await page.waitForTimeout(150);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `recovered-ca-${theme}.png`), fullPage: true });
      assert.deepEqual(await seriousViolations(page, 'main'), [], theme);
    }
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scrollWidth <= 1024, `nothing scrolls sideways at 1024 px (${scrollWidth})`);
    assert.deepEqual(pageErrors, []);
  });
});
