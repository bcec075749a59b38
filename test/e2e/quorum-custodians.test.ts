/**
 * The Quorum screen in Chromium at 1024x700 on the real core, with a CA HSM
 * reached through pcscd (PIN and 2 of 3 custodians, two registered) and
 * custodian tokens: Custodian 1 behind vpcd, so it can be pulled out of its
 * reader mid-signature, Custodian 2 and a pico-hsm-like token with no device
 * certificate in process. Driven with the keyboard: a custodian token removed
 * mid-authentication is named and the count stays; the quorum completes once
 * it is back; then the pico-like custodian's key, "not attested", is
 * registered only once the operator ticks the confirmation, which the journal
 * records. Needs root for pcscd's private socket.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openAppCore, type AppCore } from '../../electron/core.ts';
import { startDevHost } from '../../devhost/server.ts';
import { ScHsmCard } from '../../main/hsm/sc-hsm/card.ts';
import { EF_TOKEN_INFO } from '../../main/hsm/sc-hsm/commands.ts';
import { InProcessTransport } from '../../main/hsm/sc-hsm/inprocess-transport.ts';
import { cardCustodian, PROTECTING_OPTIONS } from '../../main/hsm/sc-hsm/pka.ts';
import { ScHsmProvider, VirtualScHsmProvider } from '../../main/hsm/sc-hsm/provider.ts';
import { ScHsmToken } from '../../main/hsm/sc-hsm/token.ts';
import { VirtualCard } from '../../main/hsm/virtual/card.ts';
import { CUSTODIAN_KEY_LABEL } from '../../main/quorum/custodian-key.ts';
import { tokenInfo } from '../../main/rehearsal/tokens.ts';
import { Secret } from '../../main/secret.ts';
import { startCardProcess, TEST_SO_PIN, type CardProcess } from '../support/card-process.ts';
import { seriousViolations } from './support/axe.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { launchChromium, type Chromium } from './support/chromium.ts';
import { SCREENSHOT_DIR } from './support/screens.ts';

const isRoot = process.getuid?.() === 0;
const PIN = '648219';
const pin = (): Secret => Secret.fromString(PIN);

/** A virtual card initialized with PIN, labelled (EF 2F03) as a person would name it. */
async function labelledCard(file: string, label: string, init: { foreign?: boolean } = {}): Promise<VirtualCard> {
  const vc = await VirtualCard.create(file, { label, ...(init.foreign === true ? { foreign: {} } : {}) });
  const card = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
  await card.initialize({ soPin: Secret.fromString(TEST_SO_PIN), pin: pin() });
  await card.verifyPin(pin());
  await card.writeFile(EF_TOKEN_INFO, tokenInfo(label, vc.serial));
  await card.close();
  return vc;
}

/** CA HSM in the protecting mode for 2 of 3 with Custodian 1 and 2 registered; a pico-like custodian token left to enrol. */
async function makeCards(dir: string): Promise<{ ca: string; custodian1: string; custodian2: string; pico: string }> {
  const files = { ca: join(dir, 'ca.vsc'), custodian1: join(dir, 'custodian-1.vsc'), custodian2: join(dir, 'custodian-2.vsc'), pico: join(dir, 'pico.vsc') };
  const custodians: { token: ScHsmToken; keyId: number; exported: Awaited<ReturnType<ScHsmToken['generateCustodianKey']>>['exported'] }[] = [];
  for (const [file, label] of [[files.custodian1, 'Custodian 1'], [files.custodian2, 'Custodian 2']] as const) {
    const token = await ScHsmToken.open(new InProcessTransport(await labelledCard(file, label)));
    await token.login(pin());
    const { key, exported } = await token.generateCustodianKey(CUSTODIAN_KEY_LABEL);
    custodians.push({ token, keyId: Number.parseInt(key.id, 16), exported });
  }
  await (await labelledCard(files.pico, 'Pico custodian', { foreign: true })).close();
  const caCard = await VirtualCard.create(files.ca, { label: 'CA HSM' });
  const setup = await ScHsmCard.open(new InProcessTransport(caCard, { ownsCard: false }));
  await setup.initialize({ soPin: Secret.fromString(TEST_SO_PIN), pin: pin(), pka: { total: 3, required: 2 }, options: PROTECTING_OPTIONS });
  await setup.close();
  const ca = await ScHsmToken.open(new InProcessTransport(caCard));
  await ca.login(pin());
  for (const c of custodians) await ca.registerCustodian(c.exported);
  // Its label is written under the PIN and the quorum, as the protecting mode wants.
  for (const c of custodians) await ca.authenticateCustodian(await cardCustodian(c.token.card, c.keyId));
  await ca.card.writeFile(EF_TOKEN_INFO, tokenInfo('CA HSM', caCard.serial));
  for (const token of [ca, ...custodians.map((c) => c.token)]) await token.close();
  return files;
}

/**
 * Picks an option of an MUI select with the keyboard alone: focus, open, walk
 * down to it, choose. An option not offered yet (a token the window has not
 * heard back from) is looked for again a moment later.
 */
async function chooseWithKeyboard(page: Page, label: string, option: string): Promise<void> {
  const select = page.getByRole('combobox', { name: label, exact: true });
  for (let attempt = 0; attempt < 20; attempt++) {
    await select.focus();
    await page.keyboard.press('Enter');
    const listbox = page.getByRole('listbox');
    await listbox.waitFor();
    // The list opens on the chosen option, not at the top: walk from the top to the one named.
    await page.keyboard.press('Home');
    let found = false;
    for (let i = 0; i < 10 && !found; i++) {
      found = (await page.evaluate(() => document.activeElement?.textContent ?? '')).startsWith(option);
      if (!found) await page.keyboard.press('ArrowDown');
    }
    await page.keyboard.press(found ? 'Enter' : 'Escape');
    await listbox.waitFor({ state: 'hidden' });
    if (found) return;
    await page.waitForTimeout(500);
  }
  throw new Error(`${label} never offered ${option}`);
}

async function authenticate(page: Page, custodian: string): Promise<void> {
  await chooseWithKeyboard(page, 'Custodian token', custodian);
  await page.keyboard.press('Tab');
  await page.keyboard.type(PIN);
  await page.keyboard.press('Enter');
}

describe('the Quorum screen with a custodian token pulled out and a custodian not attested', { skip: isRoot ? false : 'a private pcscd needs root' }, () => {
  let work: string;
  let card: CardProcess;
  let core: AppCore;
  let host: Awaited<ReturnType<typeof startDevHost>>;
  let chromium: Chromium;
  let page: Page;
  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  };
  const summary = () => page.getByTestId('quorum-summary');

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-e2e-quorum-custodians-'));
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const staticDir = ensureRendererBuilt();
    const files = await makeCards(work);
    card = await startCardProcess(files.custodian1, files.ca);
    core = await openAppCore({ dataDir: join(work, 'home'), operator: 'e2e', providers: [new ScHsmProvider(), new VirtualScHsmProvider([files.custodian2, files.pico])] });
    const pico = (await core.handlers['token.list']()).find((t) => t.label === 'Pico custodian');
    assert.ok(pico, 'the pico-like custodian token is listed');
    await core.handlers['token.accept']({ tokenId: pico.id });
    host = await startDevHost({ handlers: core.handlers, events: core.events, staticDir });
    chromium = await launchChromium();
    page = await chromium.context.newPage();
    page.setDefaultTimeout(30_000);
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.goto(`${host.url}#/quorum`);
    await page.getByRole('heading', { name: 'Custodian quorum', level: 1 }).waitFor();
  });

  after(async () => {
    await chromium?.close();
    await host?.close();
    await core?.close();
    await card?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('names a custodian token pulled out mid-signature, keeps "1 of 2", and completes the quorum once it is back', async () => {
    await summary().getByText('0 of 2 authenticated (2 registered)').waitFor();
    await authenticate(page, 'Custodian 2');
    await summary().getByText('1 of 2 authenticated (2 registered)').waitFor();

    await card.act('pull-at-sign');
    await authenticate(page, 'Custodian 1');
    const alert = page.getByRole('alert').filter({ hasText: 'TOKEN_REMOVED' });
    await alert.getByText(/custodian token Custodian 1 \(serial \w+\) was removed before it signed the challenge of CA HSM: it is not counted\. Still 1 of 2 authenticated \(2 registered\)/).waitFor();
    assert.equal(await summary().textContent(), '1 of 2 authenticated (2 registered)');
    assert.deepEqual(await seriousViolations(page), []);
    await shot('quorum-custodian-token-removed');

    await card.act('insert-again');
    // The window hears the card come back (tokens.changed) and offers it again.
    await authenticate(page, 'Custodian 1');
    await summary().getByText('2 of 2 authenticated (2 registered)').waitFor();
    await shot('quorum-custodian-token-back');
  });

  it('shows a custodian whose token has no device certificate as not attested, and registers it only once the operator ticks the confirmation, which the journal records', async () => {
    await chooseWithKeyboard(page, 'Custodian token to enrol', 'Pico custodian');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PIN);
    await page.keyboard.press('Enter');
    const form = page.getByRole('form', { name: 'Register the custodian' });
    await form.getByText(/^Not attested: device \S+ has no device certificate\. Registering it needs your confirmation, which the journal records\./).waitFor();
    const register = form.getByRole('button', { name: 'Register on CA HSM' });
    assert.equal(await register.isDisabled(), true, 'Register stays disabled until the confirmation is ticked');
    assert.deepEqual(await seriousViolations(page), []);
    await shot('quorum-not-attested');

    const confirm = form.getByRole('checkbox', { name: 'Register this not-attested custodian key' });
    await confirm.focus();
    await page.keyboard.press('Space');
    assert.equal(await confirm.isChecked(), true);
    assert.equal(await register.isDisabled(), false);
    await shot('quorum-not-attested-confirmed');
    await register.focus();
    await page.keyboard.press('Enter');
    await summary().getByText('2 of 2 authenticated (3 registered)').waitFor();
    await page.getByRole('table', { name: 'Registered custodians' }).getByRole('cell', { name: 'not attested (confirmed)' }).waitFor();
    await page.getByText(/^Custodian key \S+ is registered on CA HSM\. It is not attested: your confirmation is in the journal\.$/).waitFor();
    assert.equal(await form.count(), 0, 'nothing is left to register twice');
    await shot('quorum-not-attested-registered');

    const entries = readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; data: Record<string, unknown> });
    const done = entries.filter((e) => e.kind === 'quorum.register.done');
    assert.equal(done.length, 1);
    assert.deepEqual([done[0]!.data['attestation'], done[0]!.data['unattestedConfirmed']], ['none', true]);
  });
});
