/**
 * The catalog in the browser: 100,000 certificates synced into Dexie in
 * Debian's Chromium through the dev host (the FAKE core issues them, since
 * signing 100,000 on a token would measure the token, not the catalog), then
 * the time from typing a search to the list showing its result, by serial and
 * by subject, and the frame times while the virtualised list scrolls.
 *   npm run build && node --import tsx bench/catalog.ts [--certificates N] [--json]
 * Target: each search < 100 ms. It measures and prints; it fails nothing.
 */
import { parseArgs } from 'node:util';
import { startDevHost } from '../devhost/server.ts';
import { createFakeCore } from '../test/support/fake-handlers.ts';
import { ensureRendererBuilt } from '../test/e2e/support/build.ts';
import { launchChromium } from '../test/e2e/support/chromium.ts';

const { values } = parseArgs({ options: { certificates: { type: 'string', default: '100000' }, json: { type: 'boolean', default: false }, runs: { type: 'string', default: '7' } } });
const COUNT = Number(values.certificates);
const RUNS = Number(values.runs);
const SEARCH_TARGET_MS = 100;

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const percentile = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!; };

const fake = createFakeCore({ certificates: COUNT });
const certs = await fake.handlers['certificate.list']({});
// The window keeps one catalog per data directory (renderer/db/CatalogProvider.tsx).
const DB_NAME = `custos-catalog:${(await fake.handlers['app.info']()).dataDir}`;
const host = await startDevHost({ handlers: fake.handlers, events: fake.events, staticDir: ensureRendererBuilt() });
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(300_000);
  const syncStart = Date.now();
  await page.goto(`${host.url}#/certificates`);
  // Synced when IndexedDB holds every certificate and the list shows the newest of them.
  // (Polled from here: page.waitForFunction would take the async predicate's promise as truthy.)
  for (;;) {
    const done = await page.evaluate(async ({ expected, name }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => { const r = indexedDB.open(name); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
      try {
        if (!db.objectStoreNames.contains('certificates')) return false;
        const n = await new Promise<number>((resolve) => { const q = db.transaction('certificates').objectStore('certificates').count(); q.onsuccess = () => resolve(q.result); });
        return n === expected && /^\d+\+? certificates/.test(document.querySelector('[data-testid="certificate-count"]')?.textContent ?? '');
      } finally { db.close(); }
    }, { expected: COUNT, name: DB_NAME });
    if (done) break;
    await page.waitForTimeout(250);
  }
  const syncMs = Date.now() - syncStart;

  /** Types the query into the search field and waits, in the page, until the count shows the expected result. */
  const timeSearch = (query: string, expect: string) => page.evaluate(async ({ query, expect }) => {
    const input = document.querySelector<HTMLInputElement>('input[type="search"]')!;
    const status = document.querySelector('[data-testid="certificate-count"]')!;
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
    const t0 = performance.now();
    setValue.call(input, query);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise<void>((resolve) => {
      const check = () => { if (status.textContent === expect) { resolve(); return true; } return false; };
      if (check()) return;
      const observer = new MutationObserver(() => { if (check()) observer.disconnect(); });
      observer.observe(status, { childList: true, characterData: true, subtree: true });
    });
    // Until the browser has painted the result.
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    return performance.now() - t0;
  }, { query, expect });

  // The first query after the bulk load pays for cold IndexedDB caches: reported on its own.
  const first = certs[Math.floor(certs.length / 3)]!;
  const firstSearchMs = await timeSearch(first.serialHex.slice(0, 12), '1 certificate');

  // One new journal entry: the page resyncs; only the changed rows are written.
  const resyncStart = Date.now();
  await fake.handlers['request.import']({ fileName: 'bench.csr', contentBase64: Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\nCN=bench.example\n').toString('base64') });
  for (;;) {
    const seen = await page.evaluate(async (name) => {
      const db = await new Promise<IDBDatabase>((resolve) => { const r = indexedDB.open(name); r.onsuccess = () => resolve(r.result); });
      try {
        return await new Promise<number>((resolve) => { const q = db.transaction('requests').objectStore('requests').count(); q.onsuccess = () => resolve(q.result); });
      } finally { db.close(); }
    }, DB_NAME);
    if (seen > 0) break;
    await page.waitForTimeout(50);
  }
  const resyncMs = Date.now() - resyncStart;

  const bySerial: number[] = [];
  const bySubject: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c = certs[Math.floor(((i + 1) * certs.length) / (RUNS + 2))]!;
    const n = /host-(\d+)\./.exec(c.subject)![1]!;
    bySerial.push(await timeSearch(c.serialHex.slice(0, 10), '1 certificate'));
    bySubject.push(await timeSearch(`host-${n}.example`, '1 certificate'));
  }

  // Scrolling: the list of the newest certificates, scrolled 120 px per frame for 3 s.
  await timeSearch('', (await page.locator('[data-testid="certificate-count"]').textContent()) ?? '');
  await page.getByLabel('Search certificates').fill('');
  await page.waitForFunction(() => /^\d+\+? certificates/.test(document.querySelector('[data-testid="certificate-count"]')?.textContent ?? ''));
  const frames = await page.evaluate(async () => {
    const scroller = document.querySelector<HTMLElement>('[data-testid="certificate-list"]')!;
    const deltas: number[] = [];
    let last = performance.now();
    const end = last + 3000;
    await new Promise<void>((resolve) => {
      const step = (now: number) => {
        deltas.push(now - last);
        last = now;
        scroller.scrollTop = (scroller.scrollTop + 120) % Math.max(1, scroller.scrollHeight - scroller.clientHeight);
        if (now < end) requestAnimationFrame(step); else resolve();
      };
      requestAnimationFrame(step);
    });
    return { deltas: deltas.slice(1), rows: scroller.querySelectorAll('[role="listitem"]').length, height: scroller.scrollHeight };
  });

  const result = {
    certificates: COUNT,
    syncMs,
    resyncMs,
    firstSearchMs,
    searchBySerialMs: { median: median(bySerial), max: Math.max(...bySerial) },
    searchBySubjectMs: { median: median(bySubject), max: Math.max(...bySubject) },
    scroll: {
      frames: frames.deltas.length,
      meanFrameMs: frames.deltas.reduce((a, b) => a + b, 0) / frames.deltas.length,
      p95FrameMs: percentile(frames.deltas, 95),
      maxFrameMs: Math.max(...frames.deltas),
      framesOver50Ms: frames.deltas.filter((d) => d > 50).length,
      rowsInDom: frames.rows,
    },
    searchTargetMs: SEARCH_TARGET_MS,
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    const ok = (ms: number) => (ms < SEARCH_TARGET_MS ? 'within' : 'OVER');
    console.log(`catalog in Chromium, ${COUNT} certificates (headless, ${process.arch})`);
    console.log(`  sync (certificate.list over the dev host → Dexie bulkPut → first list): ${result.syncMs} ms`);
    console.log(`  resync after one new journal entry (certificate.changes since the last sync): ${result.resyncMs} ms`);
    console.log(`  first search after the load (cold caches): ${result.firstSearchMs.toFixed(1)} ms`);
    console.log(`  search by serial prefix : median ${result.searchBySerialMs.median.toFixed(1)} ms, max ${result.searchBySerialMs.max.toFixed(1)} ms (${ok(result.searchBySerialMs.max)} the ${SEARCH_TARGET_MS} ms target)`);
    console.log(`  search by subject words : median ${result.searchBySubjectMs.median.toFixed(1)} ms, max ${result.searchBySubjectMs.max.toFixed(1)} ms (${ok(result.searchBySubjectMs.max)} the ${SEARCH_TARGET_MS} ms target)`);
    console.log(`  scrolling 3 s           : ${result.scroll.frames} frames, mean ${result.scroll.meanFrameMs.toFixed(1)} ms, p95 ${result.scroll.p95FrameMs.toFixed(1)} ms, max ${result.scroll.maxFrameMs.toFixed(1)} ms, ${result.scroll.framesOver50Ms} frames over 50 ms, ${result.scroll.rowsInDom} rows in the DOM`);
  }
} finally {
  await browser.close();
  await host.close();
}
