/**
 * The CV certificate screens in Chromium on the real core: a SoftHSM2 token
 * holding a CVCA and a DV, and a virtual SmartCard-HSM whose generated key's
 * attested request is shown with its device chain. In the window: the
 * authorities, the attested request, a terminal request imported, previewed
 * (the body's SHA-256 shown) and signed, and its chain CVCA → DV → terminal.
 * Screenshots at 1024×700 in both themes; axe finds nothing serious; the
 * tabs work from the keyboard.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seriousViolations } from './support/axe.ts';
import type { Page } from 'playwright-core';
import { appCoreOf, type AppCore } from '../../electron/core.ts';
import { startDevHost, type DevHost } from '../../devhost/server.ts';
import { Custos } from '../../main/custos.ts';
import { Secret } from '../../main/secret.ts';
import { VirtualCard } from '../../main/hsm/virtual/card.ts';
import { ScHsmCard } from '../../main/hsm/sc-hsm/card.ts';
import { InProcessTransport } from '../../main/hsm/sc-hsm/inprocess-transport.ts';
import { VirtualScHsmProvider } from '../../main/hsm/sc-hsm/provider.ts';
import { initCvca, makeCvcRequest, signCvcCertificate } from '../../main/cvc/acts.ts';
import { importCvcRequest } from '../../main/cvc/import.ts';
import { generateAttestedCvcRequest } from '../../main/cvc/card-request.ts';
import { createSoftHsm, type SoftHsm } from '../support/softhsm.ts';
import { TEST_SO_PIN } from '../support/card-process.ts';
import { plainRequest } from '../unit/cvc/support.ts';
import { launchChromium, type Chromium } from './support/chromium.ts';
import { openScreen, setTheme, SCREENSHOT_DIR } from './support/screens.ts';
import { ensureRendererBuilt } from './support/build.ts';

const PIN = '246810';
const CARD_PIN = '648219';

describe('CV certificate screens in Chromium on the real core', () => {
  let hsm: SoftHsm;
  let dir: string;
  let custos: Custos;
  let core: AppCore;
  let host: DevHost;
  let browser: Chromium;
  let page: Page;
  let origin: string;
  const pageErrors: string[] = [];

  before(async () => {
    const staticDir = ensureRendererBuilt();
    hsm = await createSoftHsm();
    await hsm.initToken('CVC HSM', '13572468', PIN);
    dir = mkdtempSync(join(tmpdir(), 'custos-e2e-cvc-'));
    const vc = await VirtualCard.create(join(dir, 'card.vsc'), { label: 'Terminal card' });
    const card = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
    await card.initialize({ soPin: Secret.fromString(TEST_SO_PIN), pin: Secret.fromString(CARD_PIN) });
    await card.close();
    await vc.close();
    custos = Custos.open({ dataDir: join(dir, 'home'), rehearsalModules: [hsm.modulePath], providers: [new VirtualScHsmProvider([join(dir, 'card.vsc')])], pcsc: false, operator: 'e2e' });
    const tokens = await custos.tokens.list();
    const softhsm = tokens.find((t) => t.info.label === 'CVC HSM')!.id;
    const cardToken = tokens.find((t) => t.info.backend === 'sc-hsm')!.id;
    await custos.login(softhsm, Secret.fromString(PIN));
    await custos.login(cardToken, Secret.fromString(CARD_PIN));
    const ctx = custos.ctx;
    const cvcaKey = await custos.generateKey(softhsm, { kind: 'ec', curve: 'P-256' }, 'cvca');
    const cvca = await initCvca(ctx, { tokenId: softhsm, keySpkiSha256: cvcaKey.spkiSha256, chr: 'UTCVCA00001', validityDays: 1000 });
    const dvKey = await custos.generateKey(softhsm, { kind: 'ec', curve: 'P-256' }, 'dv');
    const dvRequest = importCvcRequest(ctx.journal, 'UTDVCUSTOS00001.cvreq', await makeCvcRequest(ctx, { tokenId: softhsm, keySpkiSha256: dvKey.spkiSha256, chr: 'UTDVCUSTOS00001' })).record;
    await signCvcCertificate(ctx, { issuer: cvca.id, profileId: 'dv-domestic', requestId: dvRequest.id, authorizations: ['read-dg1', 'read-dg2', 'age-verification'] });
    await generateAttestedCvcRequest(ctx, cardToken, { kind: 'ec', curve: 'P-256' }, 'terminal key');
    await custos.generateKey(softhsm, { kind: 'ec', curve: 'P-384' }, 'cvca-2');
    core = appCoreOf(custos);
    host = await startDevHost({ handlers: core.handlers, events: core.events, staticDir });
    origin = `http://127.0.0.1:${host.port}`;
    browser = await launchChromium();
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 1024, height: 700 });
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(host.url);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
  });

  afterEach(async (t) => {
    await page?.screenshot({ path: join(SCREENSHOT_DIR, `cvc-step-${t.name.slice(0, 40).replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
  });

  after(async () => {
    await browser?.close();
    await host?.close();
    await core?.close();
    await hsm?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the CVCA and the DV as authorities, and the tabs work from the keyboard', async () => {
    await openScreen(page, origin, 'cvc');
    const table = page.getByRole('table', { name: 'CVC authorities' });
    await table.getByRole('cell', { name: /^UTCVCA00001/ }).first().waitFor();
    await table.getByRole('cell', { name: /^UTDVCUSTOS00001/ }).waitFor();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'cvc-authorities-light.png'), fullPage: true });
    await page.getByRole('tab', { name: /^Authorities/ }).focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.getByRole('table', { name: 'CV requests' }).waitFor();
    assert.equal(await page.getByRole('tab', { name: /^Requests/ }).getAttribute('aria-selected'), 'true');
  });

  it('makes a second CVCA on a token key from the window: preview with the body\'s SHA-256, then the signature', async () => {
    await openScreen(page, origin, 'cvc');
    await page.getByRole('tab', { name: /^Authorities/ }).click();
    const form = page.getByRole('form', { name: 'Make a CVCA' });
    await form.getByLabel('Token').click();
    await page.getByRole('option', { name: 'CVC HSM (VIRTUAL)' }).click();
    await form.getByLabel('Key').click();
    await page.getByRole('option', { name: 'cvca-2' }).click();
    await form.getByLabel('Holder reference (CHR)').fill('UTCVCA00002');
    await form.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByRole('region', { name: 'Preview of the CV certificate' });
    await preview.getByText('EC P-384, with domain parameters').waitFor();
    assert.match(await preview.innerText(), /id-TA-ECDSA-SHA-384/);
    assert.match(await page.getByTestId('cvc-body-sha256').innerText(), /^([0-9a-f]{4} ){15}[0-9a-f]{4}$/, 'the body hash in groups of four, to read aloud');
    await page.getByRole('button', { name: 'Sign CVCA certificate' }).click();
    await page.getByText('CVCA UTCVCA00002 made.').waitFor();
    await page.getByRole('table', { name: 'CVC authorities' }).getByRole('cell', { name: /^UTCVCA00002/ }).first().waitFor();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'cvc-cvca-made-light.png'), fullPage: true });
  });

  it('shows the virtual card\'s attested request with its device chain to the rehearsal root', async () => {
    await openScreen(page, origin, 'cvc');
    await page.getByRole('tab', { name: /^Requests/ }).click();
    await page.getByRole('button', { name: /^Open CV request UTCUS/ }).click();
    const attestation = page.getByTestId('cvc-attestation');
    await attestation.waitFor();
    const text = await attestation.innerText();
    assert.match(text, /REHEARSAL root/);
    assert.match(text, /UTSRCACC100001 → UTCUSTOS00001 → UTCUS\d{6}00000/);
    await page.getByRole('table', { name: 'CV request' }).getByText('EC P-256').waitFor();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'cvc-attested-request-light.png'), fullPage: true });
  });

  it('imports a terminal request, previews it with the body\'s SHA-256 and signs exactly that under the DV', async () => {
    await openScreen(page, origin, 'cvc');
    await page.getByRole('tab', { name: /^Requests/ }).click();
    await page.locator('#cvc-request-input').setInputFiles({ name: 'UTTERM000001.cvreq', mimeType: 'application/octet-stream', buffer: Buffer.from(plainRequest('UTTERM000001').raw) });
    const form = page.getByRole('form', { name: 'Sign the CV request' });
    await form.waitFor();
    await form.getByLabel('Issuing authority').click();
    await page.getByRole('option', { name: /^UTDVCUSTOS00001/ }).click();
    await form.getByLabel('Profile').click();
    await page.getByRole('option', { name: 'Authentication terminal' }).click();
    await form.getByLabel('Validity (days)').fill('30');
    await form.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByRole('region', { name: 'Preview of the CV certificate' });
    await preview.waitFor();
    assert.match(await page.getByTestId('cvc-body-sha256').innerText(), /^([0-9a-f]{4} ){15}[0-9a-f]{4}$/, 'the body hash in groups of four, to read aloud');
    assert.match(await preview.innerText(), /UTDVCUSTOS00001/);
    await preview.getByText(/^Lint passed/).waitFor();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'cvc-preview-light.png'), fullPage: true });
    await page.getByRole('button', { name: 'Sign CV certificate' }).click();
    await page.getByText('Signed: UTTERM000001 by UTDVCUSTOS00001.').waitFor();
  });

  it('refuses a CHAT wider than the DV\'s with its code, in the preview', async () => {
    await openScreen(page, origin, 'cvc');
    await page.getByRole('tab', { name: /^Requests/ }).click();
    await page.locator('#cvc-request-input').setInputFiles({ name: 'UTTERM000002.cvreq', mimeType: 'application/octet-stream', buffer: Buffer.from(plainRequest('UTTERM000002').raw) });
    const form = page.getByRole('form', { name: 'Sign the CV request' });
    await form.getByLabel('Issuing authority').click();
    await page.getByRole('option', { name: /^UTDVCUSTOS00001/ }).click();
    await form.getByLabel('Profile').click();
    await page.getByRole('option', { name: 'Authentication terminal' }).click();
    await form.getByLabel('Authorizations').fill('read-dg1, pin-management');
    await form.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('region', { name: 'Preview of the CV certificate' }).getByText(/pin-management, which the issuer does not hold/).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Sign CV certificate' }).isDisabled(), true);
  });

  it('shows the terminal certificate with its chain CVCA → DV → terminal, in both themes, with nothing serious for axe', async () => {
    await openScreen(page, origin, 'cvc');
    await page.getByRole('tab', { name: /^Certificates/ }).click();
    await page.getByRole('button', { name: 'Open CV certificate UTTERM000001 from UTDVCUSTOS00001' }).click();
    await page.getByText('Chain: UTCVCA00001 → UTDVCUSTOS00001 → UTTERM000001').waitFor();
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      await page.waitForTimeout(150);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `cvc-certificate-${theme}.png`), fullPage: true });
      assert.deepEqual(await seriousViolations(page), [], theme);
    }
    await setTheme(page, 'light');
    await page.getByRole('button', { name: 'Export chain (one file)' }).click();
    await page.getByText(/^Written: .*UTTERM000001-chain\.cvcert/).waitFor();
    assert.deepEqual(pageErrors, []);
  });
});
