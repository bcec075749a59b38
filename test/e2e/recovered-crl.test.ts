// A CRL the token signed just before a kill -9, in Chromium against the dev host serving the real
// core (SoftHSM2): the next start records it, and the CRL screen lists it with the note that it was
// recorded after an interruption, and exports it. Screenshots in both themes at 1024x700, and axe on
// what is shown.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openAppCore, type AppCore } from '../../electron/core.ts';
import type { DevHost } from '../../devhost/server.ts';
import { ensureRendererBuilt } from './support/build.ts';
import type { Chromium } from './support/chromium.ts';
import { openScreen, setTheme, SCREENSHOT_DIR } from './support/screens.ts';
import { seriousViolations } from './support/axe.ts';
import { openWindow } from './support/window.ts';
import { openCoreWithRoot, USER_PIN, type CoreWithRoot } from './support/root-on-softhsm.ts';

describe('a CRL recorded after an interrupted run, on the CRL screen', () => {
  let fixture: CoreWithRoot;
  let core: AppCore;
  let host: DevHost;
  let browser: Chromium;
  let page: Page;
  let origin: string;
  const pageErrors: string[] = [];

  before(async () => {
    const staticDir = ensureRendererBuilt();
    fixture = await openCoreWithRoot({ name: 'Interrupted' });
    await fixture.core.close();
    const child = spawnSync(process.execPath, ['--import', 'tsx', join(process.cwd(), 'test/support/crl-killed-before-record.ts'), fixture.dataDir, fixture.hsm.modulePath, fixture.caId],
      { env: { ...process.env, SOFTHSM2_CONF: fixture.hsm.conf, CUSTOS_PIN: USER_PIN }, encoding: 'utf8', timeout: 120_000 });
    assert.equal(child.signal, 'SIGKILL', `the child was to be killed: ${child.status} ${child.stderr}`);
    core = await openAppCore({ dataDir: fixture.dataDir, rehearsalModules: [fixture.hsm.modulePath], operator: 'e2e' });
    ({ host, browser, page, origin } = await openWindow(core, { staticDir, timeoutMs: 30_000, pageErrors }));
  });

  after(async () => {
    await browser?.close();
    await host?.close();
    await core?.close();
    await fixture?.hsm.cleanup();
    if (fixture) rmSync(fixture.dataDir, { recursive: true, force: true });
  });

  it('lists the CRL with the note that it was recorded after an interruption, and exports it', async () => {
    await openScreen(page, origin, 'crl');
    const table = page.getByRole('table', { name: 'CRLs' });
    const row = table.getByRole('row').filter({ hasText: 'Interrupted Root' });
    await row.getByText('recorded after an interruption').waitFor();
    assert.equal(await row.getByRole('cell').nth(1).innerText().then((t) => t.split('\n')[0]), '1');

    // Exported from the bytes the token signed, which the journal kept: the file is the CRL the list names.
    await row.getByRole('button', { name: 'Export CRL 1 as DER' }).click();
    const written = page.getByText(/^Written \d+ bytes to \S+\.crl\./);
    await written.waitFor();
    const path = /Written \d+ bytes to (\S+)\./.exec(await written.innerText())![1]!;
    const [listed] = await core.handlers['crl.list']({ caId: fixture.caId });
    assert.equal(createHash('sha256').update(readFileSync(path)).digest('hex'), listed!.sha256);

    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      await table.scrollIntoViewIfNeeded();
      await page.waitForTimeout(150);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `recovered-crl-${theme}.png`) });
      assert.deepEqual(await seriousViolations(page, 'main'), [], theme);
    }
    assert.deepEqual(pageErrors, []);
  });
});
