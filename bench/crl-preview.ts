/**
 * The CRL preview as the window waits for it: crl.preview on a CA with N
 * revocations (default 10,000 and 50,000), through the core's handler and
 * progress hub, on SoftHSM2. Beside bench/crl.ts, which times building and
 * signing a CRL alone.
 *   node --import tsx bench/crl-preview.ts [entries ...]
 *
 * Per count: a fresh data directory and a root CA on SoftHSM2 (EC P-384);
 * N revocations written straight into the journal for serials never issued
 * (the CRL lists them all the same), untimed. Then, each RUNS times, in turn:
 * - crl.preview, timed whole and by its progress reports: the revocations
 *   read (first report to the encoding's), encoded and linted (to the key
 *   lookup's), the key looked for and the entries described for the window
 *   (to the answer); and the bytes of the answer as JSON;
 * - previewCrl, the same plan without progress or steps (the CLI's path), to
 *   show what the steps cost;
 * - a cancel sent at the first report, and how long until CANCELLED.
 * With --window, the largest count is then previewed in the window too
 * (Debian's Chromium at 1024x700 through the dev host, the built renderer):
 * from the click on Preview CRL to the first page of entries drawn, a page
 * turned, 500 a page, and a filter by serial answered.
 * Medians are reported. Wall-clock figures depend on what else the machine
 * does: the load average is printed with them.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { appCoreOf, type AppCore } from '../electron/core.ts';
import { dispatch } from '../electron/dispatch.ts';
import type { EventPayload } from '../main/api/contract.ts';
import { previewCrl } from '../main/ca/crl.ts';
import { Custos } from '../main/custos.ts';
import { createSoftHsm } from '../test/support/softhsm.ts';
import { ensureRendererBuilt } from '../test/e2e/support/build.ts';
import { openWindow } from '../test/e2e/support/window.ts';

const RUNS = 5;
const REASONS = ['superseded', 'keyCompromise', 'cessationOfOperation', 'affiliationChanged', 'unspecified'] as const;

interface Run {
  readonly totalMs: number;
  readonly readMs: number;
  readonly encodeMs: number;
  readonly describeMs: number;
  readonly reports: number;
  readonly answerBytes: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function previewOnce(core: AppCore, caId: string): Promise<Run> {
  const marks: { label: string; at: number }[] = [];
  const stop = core.events.subscribe((name, payload) => {
    const p = payload as EventPayload<'progress'>;
    if (name === 'progress' && p.operation === 'crl.preview') marks.push({ label: p.label, at: performance.now() });
  });
  const start = performance.now();
  const answer = await core.handlers['crl.preview']({ caId });
  const end = performance.now();
  stop();
  const encoding = marks.find((m) => m.label.startsWith('Encoding'))!.at;
  const lookup = marks.find((m) => m.label.startsWith('Looking for the key'))!.at;
  return {
    totalMs: end - start, readMs: encoding - start, encodeMs: lookup - encoding, describeMs: end - lookup,
    reports: marks.length, answerBytes: Buffer.byteLength(JSON.stringify(answer)),
  };
}

async function cancelOnce(core: AppCore, caId: string): Promise<number> {
  let askedAt = 0;
  const stop = core.events.subscribe((name, payload) => {
    const p = payload as EventPayload<'progress'>;
    if (name !== 'progress' || p.operation !== 'crl.preview' || askedAt !== 0) return;
    askedAt = performance.now();
    void core.handlers['work.cancel']({ operation: 'crl.preview' });
  });
  const outcome = await dispatch(core.handlers, 'crl.preview', { caId });
  const end = performance.now();
  stop();
  if (outcome.ok || outcome.error.code !== 'CANCELLED') throw new Error(`the preview was not cancelled: ${JSON.stringify(outcome).slice(0, 200)}`);
  return end - askedAt;
}

/** The window's side, on the core with the revocations already written: ms for each thing a person waits for. */
async function measureWindow(core: AppCore): Promise<string[]> {
  const pageErrors: string[] = [];
  const { host, browser, page } = await openWindow(core, { staticDir: ensureRendererBuilt(), timeoutMs: 600_000, pageErrors });
  try {
    await page.goto(`${host.url}#/crl`);
    // The CA to choose comes from the catalog's lists (bench/journal-window.ts times how soon): not timed here.
    const form = page.getByRole('form', { name: 'Preview a CRL' });
    await form.waitFor();
    const timed = async (what: string, act: () => Promise<unknown>, done: () => Promise<unknown>): Promise<string> => {
      const start = performance.now();
      await act();
      await done();
      return `| ${what} | ${((performance.now() - start) / 1000).toFixed(2)} s |`;
    };
    const shown = page.getByRole('region', { name: 'Preview of the CRL' });
    const rows = [
      await timed('click on Preview CRL → first page of 50 entries drawn', () => form.getByRole('button', { name: 'Preview CRL' }).click(), () => shown.getByText(/^1–50 of /).waitFor()),
      await timed('next page (50 entries)', () => shown.getByRole('button', { name: 'Go to next page' }).click(), () => shown.getByText(/^51–100 of /).waitFor()),
    ];
    await shown.getByRole('combobox', { name: /Entries per page/ }).click();
    rows.push(await timed('500 a page chosen → drawn', () => page.getByRole('option', { name: '500' }).click(), () => shown.getByText(/^1–500 of /).waitFor()));
    rows.push(await timed('next page (500 entries)', () => shown.getByRole('button', { name: 'Go to next page' }).click(), () => shown.getByText(/^501–1,000 of /).waitFor()));
    rows.push(await timed('filter by serial typed → matches shown', () => shown.getByRole('searchbox', { name: 'Filter by serial' }).fill('10007'), () => shown.getByText(/ entries match$/).waitFor()));
    if (pageErrors.length > 0) throw new Error(`page errors: ${pageErrors.join('; ')}`);
    return rows;
  } finally {
    await browser.close();
    await host.close();
  }
}

let windowRows: string[] = [];

async function measure(entries: number, inWindow: boolean): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'custos-bench-crl-preview-'));
  const hsm = await createSoftHsm();
  let core: AppCore | undefined;
  try {
    await hsm.initToken('Bench CA', '12345678', '123456');
    const custos = Custos.open({ dataDir: join(work, 'home'), rehearsalModules: [hsm.modulePath], operator: 'bench', pcsc: false });
    core = appCoreOf(custos);
    const tokenId = (await core.handlers['token.list']())[0]!.id;
    await core.handlers['token.login']({ tokenId, pin: '123456' });
    const key = await core.handlers['token.generateKey']({ tokenId, spec: { kind: 'ec', curve: 'P-384' }, label: 'bench-root' });
    const terms = { tokenId, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Bench Root' };
    const caId = (await core.handlers['ca.createRoot']({ ...terms, name: 'Bench Root', tbsSha256: (await core.handlers['ca.previewRoot'](terms)).tbsSha256 })).id;
    const revokedAt = new Date(Date.now() - 60_000).toISOString();
    for (let i = 1; i <= entries; i++) {
      custos.journal.append('certificate.revoke', { caId, serialHex: (0x1000000 + i * 7919).toString(16), reason: REASONS[i % REASONS.length], revokedAt });
    }
    await previewOnce(core, caId); // warm-up: V8 compiles the path once
    const runs: Run[] = [];
    const plain: number[] = [];
    const cancels: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      runs.push(await previewOnce(core, caId));
      const s = performance.now();
      previewCrl(custos.ctx, { caId });
      plain.push(performance.now() - s);
      cancels.push(await cancelOnce(core, caId));
    }
    if (inWindow) windowRows = await measureWindow(core);
    const m = (f: (r: Run) => number): string => (median(runs.map(f)) / 1000).toFixed(2);
    return `| ${entries.toLocaleString('en')} | **${m((r) => r.totalMs)} s** | ${m((r) => r.readMs)} s | ${m((r) => r.encodeMs)} s | ${m((r) => r.describeMs)} s `
      + `| ${runs[0]!.reports} | ${(median(plain) / 1000).toFixed(2)} s | ${median(cancels).toFixed(0)} ms | ${(runs[0]!.answerBytes / 1024 / 1024).toFixed(1)} MiB |`;
  } finally {
    await core?.close();
    await hsm.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
const counts = args.map(Number).filter((n) => n > 0);
const sizes = counts.length > 0 ? counts : [10_000, 50_000];
const loadBefore = loadavg()[0]!;
const rows: string[] = [];
for (const n of sizes) rows.push(await measure(n, args.includes('--window') && n === Math.max(...sizes)));
console.log(`${new Date().toISOString()}; ${cpus()[0]?.model ?? 'CPU'}, ${cpus().length} cores; node ${process.version}; 1-minute load average ${loadBefore.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}; medians of ${RUNS} runs\n`);
console.log('| revocations | crl.preview, whole | read (counted, cancellable) | encoded + linted | key looked for, entries described | progress reports | previewCrl without progress (CLI) | cancel at the first report → CANCELLED | answer (JSON) |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
if (windowRows.length > 0) {
  console.log(`\nIn the window, ${Math.max(...sizes).toLocaleString('en')} revocations:\n`);
  console.log('| what a person waits for | time |');
  console.log('|---|---|');
  for (const row of windowRows) console.log(row);
}
