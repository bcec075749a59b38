/**
 * The Ceremony screen on the real core and the rehearsal tokens (the CA HSM
 * quorum-protected, 2 of 3 custodians), in Chromium at 1024x700, driven with
 * the keyboard: the root-key ceremony chosen, checked by the pre-flight, and
 * run step by step — custodians and PINs typed where the HSM opens, every
 * fingerprint shown in groups of four, each step confirmed by its performer
 * and witnesses — to its end, with the link to its transcript.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { openAppCore, type AppCore } from '../../electron/core.ts';
import { startDevHost } from '../../devhost/server.ts';
import { REHEARSAL_PIN } from '../../main/rehearsal/tokens.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { launchChromium, type Chromium } from './support/chromium.ts';
import { seriousViolations } from './support/axe.ts';

const SHOTS = join(import.meta.dirname, '../../test-results/screenshots');
const ROOT_SCRIPT = join(import.meta.dirname, '../../resources/ceremonies/root-key-generation.json');
const SUB_SCRIPT = join(import.meta.dirname, '../../resources/ceremonies/subordinate-signing.json');

/** Picks an option of an MUI select with the keyboard alone: focus, open, walk down to it, choose. */
async function chooseWithKeyboard(page: Page, label: string, option: string): Promise<void> {
  const select = page.getByRole('combobox', { name: label, exact: true });
  await select.focus();
  await page.keyboard.press('Enter');
  const listbox = page.getByRole('listbox');
  await listbox.waitFor();
  for (let i = 0; i < 12; i++) {
    const focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
    if (focused.startsWith(option)) break;
    await page.keyboard.press('ArrowDown');
  }
  await page.keyboard.press('Enter');
  await listbox.waitFor({ state: 'hidden' });
}

async function typeInto(page: Page, label: string, text: string): Promise<void> {
  await page.getByLabel(label, { exact: false }).first().focus();
  await page.keyboard.type(text);
}

/**
 * Runs every step of a script from the current one: the quorum's custodians
 * and PINs typed where the HSM opens, each step run, then confirmed by its
 * performer and witnesses, with the keyboard alone.
 */
async function runSteps(page: Page, scriptPath: string, from = 0): Promise<void> {
  const script = JSON.parse(readFileSync(scriptPath, 'utf8')) as { steps: { id: string; performer: string; witnesses: number }[] };
  const total = script.steps.length;
  for (const [i, step] of script.steps.entries()) {
    if (i < from) continue;
    await page.getByRole('heading', { name: `Step ${i + 1} of ${total}: ${step.id}` }).waitFor();
    if (step.id === 'authenticate-quorum') {
      await chooseWithKeyboard(page, 'Custodian 1 token', 'Custodian 1');
      await page.keyboard.press('Tab');
      await page.keyboard.type(REHEARSAL_PIN);
      await chooseWithKeyboard(page, 'Custodian 2 token', 'Custodian 3');
      await page.keyboard.press('Tab');
      await page.keyboard.type(REHEARSAL_PIN);
      await typeInto(page, 'HSM PIN', REHEARSAL_PIN);
      await page.screenshot({ path: join(SHOTS, `ceremony-quorum-step-${basename(scriptPath, '.json')}.png`), fullPage: true });
      await page.keyboard.press('Enter');
    } else {
      await page.getByRole('button', { name: /^Run the step/ }).click();
    }
    await page.getByTestId('ceremony-outcome').waitFor();
    if (step.id === 'create-root') {
      const prints = await page.getByTestId('fingerprint').allTextContents();
      assert.equal(prints.length, 2, 'the key and the certificate');
      for (const p of prints) assert.match(p, /^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
      await page.getByText(/Custodians who authenticated for it: UTCUS/).waitFor();
      assert.deepEqual(await seriousViolations(page), []);
      await page.screenshot({ path: join(SHOTS, 'ceremony-root-fingerprints.png'), fullPage: true });
    }
    await typeInto(page, `Performer (${step.performer}), name`, 'Ada Admin');
    for (let w = 1; w <= step.witnesses; w++) {
      await page.keyboard.press('Tab');
      await page.keyboard.type(['Wanda Witness', 'Will Witness'][w - 1]!);
    }
    await page.keyboard.press('Enter');
    await page.getByRole('table', { name: 'Steps recorded' }).getByRole('row').nth(i + 1).waitFor();
  }
}

describe('the Ceremony screen', () => {
  let work: string;
  let media: string;
  let core: AppCore;
  let host: Awaited<ReturnType<typeof startDevHost>>;
  let chromium: Chromium;
  let page: Page;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-e2e-ceremony-'));
    media = join(work, 'medium');
    mkdirSync(media);
    mkdirSync(SHOTS, { recursive: true });
    const staticDir = ensureRendererBuilt();
    // The shell's folder dialog, answered as a person would: the folder standing for the USB medium.
    core = await openAppCore({ dataDir: join(work, 'home'), pickFolder: async () => media });
    host = await startDevHost({ handlers: core.handlers, events: core.events, staticDir });
    chromium = await launchChromium();
    page = await chromium.context.newPage();
    await page.setViewportSize({ width: 1024, height: 700 });
  });

  after(async () => {
    await chromium?.close();
    await host?.close();
    await core?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('chooses the root-key script, the CA HSM and the medium, and shows a clean pre-flight', async () => {
    await page.goto(`${host.url}#/ceremony`);
    await page.getByRole('heading', { name: 'Ceremony', level: 1 }).waitFor();
    await chooseWithKeyboard(page, 'Ceremony script', 'Root key generation');
    await chooseWithKeyboard(page, 'HSM', '[VIRTUAL] CA HSM');
    await page.getByRole('button', { name: 'Choose folder…' }).click();
    await page.getByRole('textbox', { name: 'Folder on the removable medium' }).and(page.locator(`[value="${media}"]`)).waitFor();
    await page.getByRole('button', { name: 'Run the pre-flight' }).focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('preflight-clean').waitFor();
    assert.deepEqual(await seriousViolations(page), []);
    await page.screenshot({ path: join(SHOTS, 'ceremony-preflight.png'), fullPage: true });
  });

  it('runs the eight steps one at a time, each confirmed by name, with the root\'s fingerprints in groups of four', async () => {
    await page.getByRole('button', { name: 'Begin the ceremony' }).click();
    await runSteps(page, ROOT_SCRIPT);
  });

  it('completes the ceremony, shows the journal head, and links to its transcript', async () => {
    await page.getByRole('button', { name: 'Complete the ceremony' }).click();
    await page.getByTestId('ceremony-ended').getByText(/All 8 steps are recorded/).waitFor();
    const href = await page.getByRole('link', { name: 'Transcript' }).getAttribute('href');
    assert.match(href ?? '', /^#\/ceremony\/root-key-generation-\d{8}T\d{6}Z\/transcript$/);
    await page.getByTestId('ceremony-rehearsal').waitFor();
    await page.screenshot({ path: join(SHOTS, 'ceremony-completed.png'), fullPage: true });
    const journal = readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; data: Record<string, unknown> });
    assert.equal(journal.filter((e) => e.kind === 'ceremony.step').length, 8);
    assert.equal(journal.filter((e) => e.kind === 'ca.root.done').length, 1);
    assert.equal(journal.find((e) => e.kind === 'ceremony.end')?.data['outcome'], 'completed');
    assert.ok(!readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8').includes(REHEARSAL_PIN), 'no PIN in the journal');
  });

  it('refuses the root-key script again by its pre-flight: the CA exists, each finding with its code, and nothing to begin', async () => {
    await page.getByRole('button', { name: 'Another ceremony' }).click();
    await chooseWithKeyboard(page, 'Ceremony script', 'Root key generation');
    await chooseWithKeyboard(page, 'HSM', '[VIRTUAL] CA HSM');
    await page.getByRole('button', { name: 'Choose folder…' }).click();
    await page.getByRole('button', { name: 'Run the pre-flight' }).click();
    await page.getByRole('list', { name: 'Pre-flight findings' }).getByText(/CEREMONY_CA_EXISTS/).first().waitFor();
    assert.equal(await page.getByRole('button', { name: 'Begin the ceremony' }).count(), 0);
    await page.screenshot({ path: join(SHOTS, 'ceremony-preflight-refused.png'), fullPage: true });
  });

  it('offers to resume a ceremony the window left begun, goes on at its next step, and abandons it with a reason', async () => {
    const req = spawnSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', join(work, 'sub.key'),
      '-subj', '/C=DE/O=Example/CN=Example Issuing CA', '-out', join(media, 'issuing-ca.csr')], { encoding: 'utf8' });
    assert.equal(req.status, 0, req.stderr);
    await chooseWithKeyboard(page, 'Ceremony script', 'Subordinate CA signing');
    await page.getByRole('button', { name: 'Run the pre-flight' }).click();
    await page.getByTestId('preflight-clean').waitFor();
    await page.getByRole('button', { name: 'Begin the ceremony' }).click();
    await page.getByRole('heading', { name: 'Step 1 of 5: check-tokens' }).waitFor();
    await page.getByRole('button', { name: /^Run the step/ }).click();
    await page.getByTestId('ceremony-outcome').waitFor();
    await typeInto(page, 'Performer (administrator), name', 'Ada Admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Wanda Witness');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Step 2 of 5: check-media' }).waitFor();

    // The window is closed mid-ceremony: opened again, it finds the ceremony begun and not ended.
    await page.reload();
    await page.getByTestId('ceremony-interrupted').getByText(/was begun and not ended: 1 step\(s\) are recorded/).waitFor();
    await chooseWithKeyboard(page, 'Ceremony script', 'Subordinate CA signing');
    await chooseWithKeyboard(page, 'HSM', '[VIRTUAL] CA HSM');
    await page.getByRole('button', { name: 'Choose folder…' }).click();
    await page.screenshot({ path: join(SHOTS, 'ceremony-resume-offered.png'), fullPage: true });
    await page.getByRole('button', { name: 'Resume the ceremony' }).click();
    await page.getByRole('heading', { name: 'Step 2 of 5: check-media' }).waitFor();

    await typeInto(page, 'Why the ceremony is abandoned', 'the request form was not signed by the subordinate\'s operator');
    await page.keyboard.press('Enter');
    await page.getByTestId('ceremony-ended').getByText(/Abandoned: the request form was not signed/).waitFor();
    await page.screenshot({ path: join(SHOTS, 'ceremony-abandoned.png'), fullPage: true });
    const journal = readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; data: Record<string, unknown> });
    const end = journal.filter((e) => e.kind === 'ceremony.end').at(-1)!;
    assert.deepEqual([end.data['outcome'], end.data['reason']], ['abandoned', 'the request form was not signed by the subordinate\'s operator']);
    assert.equal(journal.filter((e) => e.kind === 'certificate.issue.done' && e.data['profileId'] === 'subordinate-ca').length, 0, 'nothing signed');
  });

  it('runs the subordinate signing to its end from the request on the medium, and opens its transcript with the certificate\'s fingerprint', async () => {
    await page.getByRole('button', { name: 'Another ceremony' }).click();
    await chooseWithKeyboard(page, 'Ceremony script', 'Subordinate CA signing');
    await chooseWithKeyboard(page, 'HSM', '[VIRTUAL] CA HSM');
    await page.getByRole('button', { name: 'Choose folder…' }).click();
    await page.getByRole('button', { name: 'Run the pre-flight' }).click();
    await page.getByTestId('preflight-clean').waitFor();
    await page.getByRole('button', { name: 'Begin the ceremony' }).click();
    await runSteps(page, SUB_SCRIPT);
    await page.getByRole('button', { name: 'Complete the ceremony' }).click();
    await page.getByTestId('ceremony-ended').getByText(/All 5 steps are recorded/).waitFor();
    const journal = readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; data: Record<string, unknown> });
    const issued = journal.filter((e) => e.kind === 'certificate.issue.done' && e.data['profileId'] === 'subordinate-ca');
    assert.equal(issued.length, 1, 'one subordinate certificate signed');
    assert.equal(journal.filter((e) => e.kind === 'ceremony.end').at(-1)?.data['outcome'], 'completed');
    await page.getByRole('link', { name: 'Transcript' }).click();
    await page.getByRole('heading', { name: /Ceremony transcript/ }).first().waitFor();
    const text = (await page.locator('body').innerText()).replace(/\s+/g, '');
    assert.ok(text.includes(String(issued[0]!.data['sha256'])), 'the transcript shows the subordinate certificate\'s SHA-256');
    await page.screenshot({ path: join(SHOTS, 'ceremony-subordinate-transcript.png'), fullPage: false });
  });
});
