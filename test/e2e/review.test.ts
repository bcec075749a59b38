// What a custodian reads before signing, in Chromium against the dev host
// serving the REAL core on SoftHSM2: a request shows its subject in the order
// typed and that its signature was checked; its preview shows what it asked
// for beside what will be issued, warnings that hold the Sign button until
// someone confirms them, and the TBS hash in groups; the certificate issued
// reads the same way and says when it was revoked and why. Each at 1024x700
// in both themes, with screenshots and an axe scan.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { seriousViolations as axeSerious } from './support/axe.ts';
import type { Page } from 'playwright-core';
import type { AppCore } from '../../electron/core.ts';
import { type DevHost } from '../../devhost/server.ts';
import { runTool } from '../support/openssl.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { type Chromium } from './support/chromium.ts';
import { openWindow } from './support/window.ts';
import { openCoreWithRoot, type CoreWithRoot } from './support/root-on-softhsm.ts';
import { SCREENSHOT_DIR, openScreen, setTheme } from './support/screens.ts';

async function csr(subject: string, addext: string[]): Promise<Buffer> {
  const r = await runTool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-out', 'r.csr',
    '-subj', subject, ...addext.flatMap((e) => ['-addext', e])], { outputs: ['r.csr'] });
  assert.equal(r.code, 0, r.stderr);
  return Buffer.from(r.outputs['r.csr']!);
}

async function noSidewaysScroll(page: Page): Promise<void> {
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  assert.ok(scroll <= client, `the page scrolls sideways: ${scroll} px wide in ${client} px`);
}

describe('a review a custodian can read aloud, on the real core', () => {
  let fixture: CoreWithRoot;
  let core: AppCore;
  let host: DevHost;
  let browser: Chromium;
  let page: Page;
  let origin: string;
  let caId: string;
  const pageErrors: string[] = [];

  before(async () => {
    const staticDir = ensureRendererBuilt();
    fixture = await openCoreWithRoot({ name: 'Review', validityDays: 3650 });
    core = fixture.core;
    caId = fixture.caId;
    ({ host, browser, page, origin } = await openWindow(core, { staticDir, timeoutMs: 20_000, pageErrors }));
  });

  afterEach(async (t) => {
    if (pageErrors.length) console.log('page errors:', pageErrors);
    await page?.screenshot({ path: join(SCREENSHOT_DIR, `review-step-${t.name.slice(0, 40).replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
  });

  after(async () => {
    await browser?.close();
    await host?.close();
    await fixture?.close();
  });

  it('shows a request with its subject in the order typed and its signature checked, the raw tree behind Details', async () => {
    await openScreen(page, origin, 'requests');
    const bytes = await csr('/C=DE/O=Example/CN=www.example.test', ['subjectAltName=DNS:www.example.test,IP:192.0.2.7', 'basicConstraints=critical,CA:TRUE']);
    await page.locator('#csr-file-input').setInputFiles({ name: 'www.csr', mimeType: 'application/pkcs10', buffer: bytes });
    const review = page.getByTestId('request-review');
    await review.waitFor();
    const subject = await page.getByRole('list', { name: 'Requested subject' }).getByRole('listitem').allInnerTexts();
    assert.deepEqual(subject, ['Country (C): DE', 'Organization (O): Example', 'Common name (CN): www.example.test']);
    assert.match(await page.getByTestId('request-signature').innerText(), /Signature checked: .*ecdsa-with-SHA256/);
    assert.equal(await page.locator('dl[aria-label="Decoded request"]').count(), 0, 'the raw tree is hidden until asked for');
    const details = review.getByRole('button', { name: 'Details' });
    assert.equal(await details.getAttribute('aria-expanded'), 'false');
    await details.click();
    await page.locator('dl[aria-label="Decoded request"]').waitFor();
    assert.equal(await review.getByRole('button', { name: 'Hide details' }).getAttribute('aria-expanded'), 'true');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'review-request-light.png'), fullPage: true });
  });

  it('shows what was asked beside what will be issued, and holds Sign until the warnings are confirmed', async () => {
    const form = page.getByRole('form', { name: 'Sign the request' });
    await form.getByLabel('Profile').click();
    await page.getByRole('option', { name: 'TLS server' }).click();
    await form.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByTestId('signing-review');
    await preview.waitFor();
    const warnings = page.getByRole('list', { name: 'Warnings before signing' });
    await warnings.getByText('REQUEST_ASKS_CA').waitFor();
    await warnings.getByText('TLS_SERVER_IP_OR_EMAIL_NAME').waitFor();
    assert.match(await warnings.innerText(), /IP address 192\.0\.2\.7/);

    const table = page.getByRole('table', { name: 'Asked and issued' });
    const row = (item: string) => table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: item, exact: true }) });
    assert.match(await row('basicConstraints').innerText(), /CA, no limit on the CAs below it\s+Not a CA\s+Dropped/);
    assert.match(await row('subjectAltName').innerText(), /Taken/);
    assert.match(await row('extKeyUsage').innerText(), /TLS server authentication\s+Added by profile/);
    assert.match(await row('Subject').innerText(), /C=DE, O=Example, CN=www\.example\.test/);

    const fields = page.locator('dl[aria-label="The certificate to be signed"]');
    assert.match(await fields.innerText(), /Common name \(CN\): www\.example\.test/);
    assert.match(await fields.innerText(), /Valid for\s+1 year and 1 day \(397 days\)|Valid for\s+1 year and 2 days \(397 days\)|Valid for\s+\d+ (year|month)/);
    assert.match(await fields.innerText(), /Key usage\s+Digital signature \(critical\)/);
    const hash = await preview.getByTestId('hash-groups').first().innerText();
    assert.match(hash, /^([0-9a-f]{4} ){15}[0-9a-f]{4}$/, `the TBS hash in sixteen groups of four: ${hash}`);
    const tbsShown = await page.getByRole('region', { name: 'Preview of what will be signed' }).innerText();
    assert.ok(tbsShown.includes(hash.replace(/ /g, '')), 'the groups are the TBS SHA-256 shown beside them');

    const sign = page.getByRole('button', { name: 'Sign certificate' });
    assert.equal(await sign.isDisabled(), true, 'a warning holds the signature');
    await noSidewaysScroll(page);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'review-preview-light.png'), fullPage: true });
    await setTheme(page, 'dark');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'review-preview-dark.png'), fullPage: true });
    assert.deepEqual(await axeSerious(page), []);
    await setTheme(page, 'light');
    assert.deepEqual(await axeSerious(page), []);

    await page.getByLabel(/I have read the 2 warnings above/).check();
    assert.equal(await sign.isDisabled(), false);
    await sign.click();
    await page.getByText(/^Signed: serial [0-9a-f]+\.$/).waitFor();
  });

  it('shows the certificate as it reads, and says when it was revoked and why', async () => {
    const [leaf] = (await core.handlers['certificate.list']({ caId })).filter((c) => c.subject.includes('www.example.test'));
    assert.ok(leaf);
    await openScreen(page, origin, 'certificates');
    await page.getByLabel('Search certificates').fill('www.example.test');
    await page.getByRole('button', { name: /www\.example\.test/ }).click();
    await page.getByTestId('certificate-status').getByText(/^Not revoked/).waitFor();
    const fields = page.locator('dl[aria-label="Certificate fields"]');
    await fields.getByText('IP address: 192.0.2.7').waitFor();
    assert.match(await fields.innerText(), /Issuer\s+Country \(C\): DE\s+Organization \(O\): Custos Review\s+Common name \(CN\): Custos Review Root/);
    assert.match(await fields.innerText(), /Extended key usage\s+TLS server authentication/);
    assert.match(await fields.innerText(), /CA\s+Not a CA \(critical\)/);
    await noSidewaysScroll(page);

    await core.handlers['certificate.revoke']({ caId, serialHex: leaf.serialHex, reason: 'keyCompromise' });
    await page.reload();
    await page.getByLabel('Search certificates').fill('www.example.test');
    await page.getByRole('button', { name: /www\.example\.test/ }).click();
    const status = page.getByTestId('certificate-status');
    await status.getByText(/^Revoked since .*: Key compromise$/).waitFor();
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `review-certificate-revoked-${theme}.png`), fullPage: true });
      assert.deepEqual(await axeSerious(page), [], theme);
    }
    await setTheme(page, 'light');
  });

  it('shows a root CA preview in words before it is signed', async () => {
    const [token] = await core.handlers['token.list']();
    const key = await core.handlers['token.generateKey']({ tokenId: token!.id, spec: { kind: 'ec', curve: 'P-384' }, label: 'second-root' });
    await openScreen(page, origin, 'ca');
    const form = page.getByRole('form', { name: 'Create a root CA' });
    await form.getByLabel('Token').click();
    await page.getByRole('option', { name: /Review CA/ }).click();
    await form.getByLabel('Key').click();
    await page.getByRole('option', { name: new RegExp(`^second-root — EC P-384 — ${key.spkiSha256.slice(0, 16)}`) }).click();
    await form.getByLabel('Subject DN').fill('C=DE, O=Custos Review, OU=Ceremony 2, CN=Second Root');
    await form.getByLabel('CA name').fill('Second Root');
    await form.getByRole('button', { name: 'Preview' }).click();
    const subject = await page.getByRole('list', { name: 'Subject' }).getByRole('listitem').allInnerTexts();
    assert.deepEqual(subject, ['Country (C): DE', 'Organization (O): Custos Review', 'Organizational unit (OU): Ceremony 2', 'Common name (CN): Second Root'], 'in the order typed, not reversed');
    const fields = page.locator('dl[aria-label="The certificate to be signed"]');
    assert.match(await fields.innerText(), /CA\s+CA\s*CA, no limit on the CAs below it \(critical\)/);
    assert.match(await fields.innerText(), /Key usage\s+Digital signature, Certificate signing, CRL signing \(critical\)|Key usage\s+Certificate signing, CRL signing \(critical\)/);
    await noSidewaysScroll(page);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'review-root-preview-light.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  });
});
