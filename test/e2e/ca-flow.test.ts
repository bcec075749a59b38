// The whole path a custodian walks, in Chromium against the dev host serving
// the REAL core on a temporary data dir with a SoftHSM2 token: generate a key
// and create a root CA, import an OpenSSL-made CSR, sign it as a TLS server,
// export it, revoke it, issue a CRL; then OpenSSL checks what was exported.
// Afterwards every screen, full of real data, is scanned by axe in both themes.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openAppCore, type AppCore } from '../../electron/core.ts';
import { startDevHost, type DevHost } from '../../devhost/server.ts';
import { createSoftHsm, type SoftHsm } from '../support/softhsm.ts';
import { runTool } from '../support/openssl.ts';
import { ensureRendererBuilt } from './support/build.ts';
import { launchChromium, type Chromium } from './support/chromium.ts';
import { SCREENSHOT_DIR, openScreen, scanEveryScreen } from './support/screens.ts';

const USER_PIN = '123456';

async function makeCsr(): Promise<Uint8Array> {
  const r = await runTool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-out', 'e2e.csr',
    '-subj', '/CN=e2e.example', '-addext', 'subjectAltName=DNS:e2e.example'], { outputs: ['e2e.csr'] });
  assert.equal(r.code, 0, r.stderr);
  return r.outputs['e2e.csr']!;
}

/**
 * Clicks an export button and returns the bytes of its download link and the path the core wrote.
 * The screen shows one export at a time, so this waits for a path other than the one shown before
 * the click: every export writes a new file.
 */
async function exportVia(page: Page, button: string): Promise<{ bytes: Buffer; path: string }> {
  const written = page.getByText(/^Written \d+ bytes to /);
  const pathIn = (text: string): string => /Written \d+ bytes to (\S+)\./.exec(text)?.[1] ?? '';
  const before = (await written.count()) > 0 ? pathIn(await written.last().innerText()) : '';
  await page.getByRole('button', { name: button }).click();
  await page.waitForFunction((old) => [...document.querySelectorAll('[role="alert"]')]
    .some((a) => /^Written \d+ bytes to /.test(a.textContent ?? '') && !(a.textContent ?? '').includes(`to ${old}.`)
      && a.querySelector('a[download]') !== null), before);
  const alert = written.last();
  const path = pathIn(await alert.innerText());
  const link = alert.getByRole('link', { name: /^Download / });
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  return { bytes: readFileSync(await download.path()), path };
}

describe('a root CA, a TLS server certificate and its revocation, in the browser on SoftHSM2', () => {
  let hsm: SoftHsm;
  let dataDir: string;
  let core: AppCore;
  let host: DevHost;
  let browser: Chromium;
  let page: Page;
  let origin: string;
  const pageErrors: string[] = [];
  const files: Record<string, Buffer> = {};

  before(async () => {
    const staticDir = ensureRendererBuilt();
    hsm = await createSoftHsm();
    await hsm.initToken('E2E CA', '12345678', USER_PIN);
    dataDir = mkdtempSync(join(tmpdir(), 'custos-e2e-'));
    core = await openAppCore({ dataDir, rehearsalModules: [hsm.modulePath], operator: 'e2e' });
    host = await startDevHost({ handlers: core.handlers, events: core.events, staticDir });
    origin = `http://127.0.0.1:${host.port}`;
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(host.url);
    await page.getByRole('heading', { name: 'Tokens', level: 1 }).waitFor();
  });

  afterEach(async (t) => {
    // Each step leaves its last picture behind, for a person to look at (and to see where a failed one stopped).
    await page?.screenshot({ path: join(SCREENSHOT_DIR, `real-step-${t.name.slice(0, 40).replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
  });

  after(async () => {
    await browser?.close();
    await host?.close();
    await core?.close();
    await hsm?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the SoftHSM2 token as a rehearsal token, logs in and generates a key on it', async () => {
    await page.getByTestId('rehearsal-banner').waitFor();
    const card = page.getByRole('region', { name: 'E2E CA' });
    await card.getByText('VIRTUAL', { exact: true }).waitFor();
    await card.getByText('PIN initialised').waitFor();
    await card.getByRole('button', { name: 'Log in…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('User PIN').fill(USER_PIN);
    await dialog.getByRole('button', { name: 'Log in', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await card.getByText('Logged in', { exact: true }).waitFor();
    // The root profile certifies P-384 and larger keys only.
    await card.getByLabel('Key type').click();
    await page.getByRole('option', { name: 'EC P-384' }).click();
    await card.getByLabel('Key label').fill('e2e-root');
    await card.getByRole('button', { name: 'Generate key pair' }).click();
    await card.getByRole('cell', { name: 'e2e-root' }).waitFor();
    await card.getByRole('cell', { name: 'EC P-384' }).waitFor();
  });

  it('previews and creates the root CA on that key', async () => {
    await openScreen(page, origin, 'ca');
    const form = page.getByRole('form', { name: 'Create a root CA' });
    await form.getByLabel('Token').click();
    await page.getByRole('option', { name: 'E2E CA (VIRTUAL)' }).click();
    await form.getByLabel('Key').click();
    await page.getByRole('option', { name: /^e2e-root — EC P-384/ }).click();
    await form.getByLabel('Profile').click();
    await page.getByRole('option', { name: 'Root CA' }).click();
    await form.getByLabel('Subject DN').fill('C=DE, O=Custos E2E, CN=Custos E2E Root CA');
    await form.getByLabel('Validity (days)').fill('3650');
    await form.getByLabel('CA name').fill('E2E Root');
    await form.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('region', { name: 'Preview of what will be signed' }).waitFor();
    assert.match(await page.getByRole('region', { name: 'Preview of what will be signed' }).innerText(), /Custos E2E Root CA/);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'real-ca-preview.png'), fullPage: true });
    const sign = page.getByRole('button', { name: 'Sign and create root CA' });
    await page.getByText('No lint findings.').waitFor();
    assert.equal(await sign.isDisabled(), false);
    await sign.click();
    await page.getByText('Created E2E Root.').waitFor();
    await page.getByRole('table', { name: 'Certificate authorities' }).getByText(/CN=Custos E2E Root CA/).waitFor();
    assert.equal(await sign.isDisabled(), true, 'a created CA cannot be signed twice from the same preview');
  });

  it('imports the OpenSSL CSR by the file picker and signs it as a TLS server', async () => {
    await openScreen(page, origin, 'requests');
    await page.locator('#csr-file-input').setInputFiles({ name: 'e2e.csr', mimeType: 'application/pkcs10', buffer: Buffer.from(await makeCsr()) });
    const requests = page.getByRole('table', { name: 'Requests' });
    await requests.getByRole('cell', { name: 'e2e.csr' }).waitFor();
    await requests.getByRole('cell', { name: 'DNS:e2e.example' }).waitFor();
    const decoded = page.locator('dl[aria-label="The request"]');
    await decoded.getByText('e2e.example').first().waitFor();
    const form = page.getByRole('form', { name: 'Sign the request' });
    await form.getByLabel('Issuing CA').click();
    await page.getByRole('option', { name: /^E2E Root/ }).click();
    await form.getByLabel('Profile').click();
    await page.getByRole('option', { name: 'TLS server' }).click();
    await form.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('region', { name: 'Preview of what will be signed' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'real-request-preview.png'), fullPage: true });
    const shown = await page.getByRole('region', { name: 'Preview of what will be signed' }).innerText();
    await page.getByRole('button', { name: 'Sign certificate' }).click();
    const signed = await page.getByText(/^Signed: serial [0-9a-f]+\.$/).innerText();
    const serial = /serial ([0-9a-f]+)/.exec(signed)![1]!;
    // The preview shows the serial in groups of four, for reading aloud.
    assert.ok(shown.replace(/\s+/g, '').includes(serial), `the serial signed (${serial}) is the one the preview showed: ${shown}`);
    await requests.getByRole('cell', { name: 'signed' }).waitFor();
  });

  it('finds the certificate, shows its extensions and exports PEM and DER (download and file)', async () => {
    await openScreen(page, origin, 'certificates');
    await page.getByLabel('Search certificates').fill('e2e.example');
    await page.getByRole('button', { name: /^CN=e2e\.example/ }).click();
    await page.locator('dl[aria-label="Certificate fields"]').getByText('DNS name: e2e.example').waitFor();
    const pem = await exportVia(page, 'Export PEM');
    assert.match(pem.bytes.toString('latin1'), /^-----BEGIN CERTIFICATE-----$/m);
    assert.match(pem.bytes.toString('latin1'), /VIRTUAL/, 'a rehearsal artifact says so');
    assert.ok(existsSync(pem.path), `the core wrote ${pem.path}`);
    assert.deepEqual(readFileSync(pem.path), pem.bytes);
    const der = await exportVia(page, 'Export DER');
    assert.equal(der.bytes[0], 0x30);
    files['leaf.pem'] = pem.bytes;
    files['leaf.der'] = der.bytes;

    await page.getByLabel('Search certificates').fill('Custos E2E Root');
    await page.getByRole('button', { name: /CN=Custos E2E Root CA/ }).click();
    files['root.pem'] = (await exportVia(page, 'Export PEM')).bytes;
  });

  it('revokes the certificate for key compromise and issues a CRL, exported as PEM and DER', async () => {
    await openScreen(page, origin, 'crl');
    const form = page.getByRole('form', { name: 'Revoke a certificate' });
    await form.getByLabel('Certificate').click();
    await page.getByRole('option', { name: /^CN=e2e\.example/ }).click();
    await form.getByLabel('Reason').click();
    await page.getByRole('option', { name: 'The key was compromised', exact: true }).click();
    await form.getByRole('button', { name: 'Revoke…' }).click();
    // Revocation cannot be undone: it is shown and confirmed first.
    const ask = page.getByRole('dialog', { name: 'Revoke this certificate?' });
    await ask.getByText('Reason: The key was compromised').waitFor();
    await page.waitForTimeout(400); // the dialog's fade-in
    await page.screenshot({ path: 'test-results/screenshots/revoke-confirm.png' });
    await ask.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText(/^Revoked [0-9a-f]+ \(The key was compromised\)/).waitFor();
    // The CRL is previewed (number, dates, entries with reasons in words, its TBS hash), then confirmed.
    await page.getByRole('form', { name: 'Preview a CRL' }).getByRole('button', { name: 'Preview CRL' }).click();
    const shown = page.getByRole('region', { name: 'Preview of the CRL' });
    await shown.getByRole('table', { name: 'CRL entries' }).getByText('The key was compromised').waitFor();
    const tbs = (await shown.getByText(/^TBS SHA-256:/).textContent())!.replace('TBS SHA-256: ', '').trim();
    await page.screenshot({ path: 'test-results/screenshots/crl-preview.png', fullPage: true });
    await shown.getByRole('button', { name: 'Issue this CRL…' }).click();
    const confirmCrl = page.getByRole('dialog', { name: /^Sign CRL number \d+\?$/ });
    await confirmCrl.getByText(tbs).waitFor();
    await page.waitForTimeout(400);
    await page.screenshot({ path: 'test-results/screenshots/crl-confirm.png' });
    await confirmCrl.getByRole('button', { name: 'Sign CRL' }).click();
    await page.getByText(/^Issued CRL number \d+ with 1 entries\.$/).waitFor();
    files['crl.pem'] = (await exportVia(page, 'Export CRL 1 as PEM')).bytes;
    files['crl.der'] = (await exportVia(page, 'Export CRL 1 as DER')).bytes;
  });

  it('gives files OpenSSL accepts: the certificate, the CRL listing it, and verify reports it revoked', async () => {
    const x509 = await runTool('openssl', ['x509', '-in', 'leaf.pem', '-noout', '-subject', '-issuer', '-ext', 'subjectAltName,extendedKeyUsage,basicConstraints'], { files });
    assert.equal(x509.code, 0, x509.stderr);
    assert.match(x509.stdout, /subject=CN\s*=\s*e2e\.example/);
    assert.match(x509.stdout, /issuer=C\s*=\s*DE, O\s*=\s*Custos E2E, CN\s*=\s*Custos E2E Root CA/);
    assert.match(x509.stdout, /DNS:e2e\.example/);
    assert.match(x509.stdout, /TLS Web Server Authentication/);

    const der = await runTool('openssl', ['x509', '-inform', 'DER', '-in', 'leaf.der', '-noout', '-serial'], { files });
    assert.equal(der.code, 0, der.stderr);
    const serial = /serial=([0-9A-F]+)/.exec(der.stdout)?.[1];
    assert.ok(serial);

    const crl = await runTool('openssl', ['crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-text'], { files });
    assert.equal(crl.code, 0, crl.stderr);
    assert.match(crl.stdout, new RegExp(`Serial Number: ${serial}`, 'i'));
    assert.match(crl.stdout, /Key Compromise/);
    const crlPem = await runTool('openssl', ['crl', '-in', 'crl.pem', '-noout', '-CAfile', 'root.pem'], { files });
    assert.equal(crlPem.code, 0, crlPem.stderr);
    assert.match(crlPem.stdout + crlPem.stderr, /verify OK/);

    const chainOk = await runTool('openssl', ['verify', '-CAfile', 'root.pem', 'leaf.pem'], { files });
    assert.equal(chainOk.code, 0, `the chain itself verifies: ${chainOk.stdout}${chainOk.stderr}`);
    const verify = await runTool('openssl', ['verify', '-crl_check', '-CAfile', 'root.pem', '-CRLfile', 'crl.pem', 'leaf.pem'], { files });
    assert.notEqual(verify.code, 0);
    assert.match(verify.stdout + verify.stderr, /certificate revoked/);
  });

  it('shows the journal chain intact with every act recorded', async () => {
    await openScreen(page, origin, 'journal');
    await page.getByText(/^Chain intact, \d+ (entry|entries)$/).waitFor();
    const table = page.getByRole('table', { name: 'Journal entries' });
    for (const text of [/Root CA created/, /Issued CN=e2e\.example/, /Revoked serial/, /CRL #1 issued/]) {
      await table.getByText(text).first().waitFor();
    }
  });

  it('has no serious or critical accessibility violation on any screen, in either theme', async () => {
    const violations = await scanEveryScreen(page, origin, 'real');
    assert.deepEqual(violations, []);
    assert.deepEqual(pageErrors, []);
  });
});
