/**
 * The Tokens screen while a card is taken out and put back, in Chromium at
 * 1024x700, with three virtual SmartCard-HSMs behind a private pcscd: the
 * card taken out keeps its row and number (the rows after it do not move up),
 * comes back present at the same number, and only "Look for tokens again"
 * numbers the tokens present afresh. Needs root for pcscd's private socket.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAppCore, type AppCore } from '../../electron/core.ts';
import { ScHsmProvider } from '../../main/hsm/sc-hsm/provider.ts';
import { createLabelledCard, startCardProcess, type CardProcess } from '../support/card-process.ts';
import { seriousViolations } from './support/axe.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { SCREENSHOT_DIR } from './support/screens.ts';
import { openWindow, type AppWindow } from './support/window.ts';

const PIN = '648219';
const isRoot = process.getuid?.() === 0;


describe('the Tokens screen with a card taken out and put back', { skip: isRoot ? false : 'a private pcscd needs root' }, () => {
  let work: string;
  let cards: CardProcess;
  let core: AppCore;
  let win: AppWindow;
  const pageErrors: string[] = [];

  /** The overview's rows as "number label: state". */
  const overview = async (): Promise<string[]> => await win.page.getByRole('table', { name: 'Tokens present' }).locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => {
      const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '');
      return `${cells[0]} ${cells[1]}: ${cells[5]}`;
    }));
  const untilRows = async (wanted: string[]): Promise<void> => {
    let seen: string[] = [];
    for (let tries = 0; tries < 100; tries++) {
      seen = await overview();
      if (JSON.stringify(seen) === JSON.stringify(wanted)) return;
      await win.page.waitForTimeout(200);
    }
    assert.deepEqual(seen, wanted);
  };
  const shot = async (name: string): Promise<void> => {
    await win.page.evaluate(() => window.scrollTo(0, 0));
    await win.page.waitForTimeout(200);
    await win.page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-e2e-token-order-pcsc-'));
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const staticDir = ensureRendererBuilt();
    // Reader order B, A, C: the list's order (A, B, C) is the labels'.
    const files = ['b', 'a', 'c'].map((n) => join(work, `custodian-${n}.vsc`));
    for (const [i, label] of ['Custodian B', 'Custodian A', 'Custodian C'].entries()) await createLabelledCard(files[i]!, PIN, label);
    cards = await startCardProcess(files[0]!, files[1]!, files.slice(2));
    core = await openAppCore({ dataDir: join(work, 'home'), operator: 'e2e', providers: [new ScHsmProvider()] });
    win = await openWindow(core, { staticDir, timeoutMs: 30_000, pageErrors });
  });

  after(async () => {
    await win?.browser.close();
    await win?.host.close();
    await core?.close();
    await cards?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('keeps a card taken out at its number, shows it back there, and renumbers only when asked', async () => {
    const present = ['1 Custodian A: Not logged in yet, 3 PIN tries left', '2 Custodian B: Not logged in yet, 3 PIN tries left', '3 Custodian C: Not logged in yet, 3 PIN tries left'];
    await untilRows(present);
    await win.page.getByRole('button', { name: 'Hide these first steps' }).click();

    await cards.act('stop-bridge');
    // The core tells the window a card left (tokens.changed); the row stays, marked.
    await untilRows([present[0]!, '2 Custodian B: Taken out: put it back in', present[2]!]);
    const section = win.page.getByRole('region', { name: 'Custodian B', exact: true });
    await section.getByText(/^Taken out\. Its number stays while this screen is open/).waitFor();
    assert.equal(await section.getByRole('button', { name: 'Log in…' }).count(), 0, 'a token taken out offers nothing to do');
    await shot('token-order-card-taken-out');
    assert.deepEqual(await seriousViolations(win.page), []);

    await cards.act('insert-again');
    await untilRows(present);
    await shot('token-order-card-back');

    await cards.act('stop-bridge');
    await untilRows([present[0]!, '2 Custodian B: Taken out: put it back in', present[2]!]);
    await win.page.getByRole('button', { name: 'Look for tokens again' }).click();
    await untilRows([present[0]!, '2 Custodian C: Not logged in yet, 3 PIN tries left']);
    await shot('token-order-renumbered');
    assert.deepEqual(pageErrors, []);
  });
});
