/**
 * Opening a data directory with a long journal in the window: what a person
 * waits for before the CA screens can be used, and before the Journal screen
 * lists every entry. The real core on SoftHSM2 with a root CA (EC P-384), N
 * revocations written straight into the journal for serials never issued
 * (years of revocations, untimed), then Debian's Chromium at 1024x700 through
 * the dev host with the built renderer and an empty catalog, as on a first
 * start on that data directory.
 *   npm run build && node --import tsx bench/journal-window.ts [entries ...]   (default 20000)
 * Times, from the page's load: the CRL screen's form with the CA to choose
 * (the lists), and the catalog holding every journal entry (IndexedDB
 * counted). Prints a Markdown table with the load average; fails nothing.
 */
import 'reflect-metadata';
import { loadavg } from 'node:os';
import { appCoreOf } from '../electron/core.ts';
import { Custos } from '../main/custos.ts';
import { ensureRendererBuilt } from '../test/e2e/support/build.ts';
import { openCoreWithRoot } from '../test/e2e/support/root-on-softhsm.ts';
import { launchChromium } from '../test/e2e/support/chromium.ts';
import { startDevHost } from '../devhost/server.ts';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const REASONS = ['superseded', 'keyCompromise', 'cessationOfOperation'] as const;

async function measure(entries: number): Promise<string> {
  let custos: Custos | undefined;
  const fixture = await openCoreWithRoot({
    name: 'Journal', open: async (dataDir, modulePath) => {
      custos = Custos.open({ dataDir, rehearsalModules: [modulePath], operator: 'bench', pcsc: false });
      return appCoreOf(custos);
    },
  });
  const revokedAt = new Date().toISOString();
  for (let i = 1; i <= entries; i++) custos!.journal.append('certificate.revoke', { caId: fixture.caId, serialHex: (0x300000 + i).toString(16), reason: REASONS[i % REASONS.length], revokedAt });
  const total = custos!.journal.read().length;
  const dbName = `custos-catalog:${(await fixture.core.handlers['app.info']()).dataDir}`;
  const host = await startDevHost({ handlers: fixture.core.handlers, events: fixture.core.events, staticDir: ensureRendererBuilt() });
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1024, height: 700 });
    page.setDefaultTimeout(900_000);
    const start = performance.now();
    await page.goto(`${host.url}#/crl`);
    await page.getByRole('form', { name: 'Preview a CRL' }).waitFor();
    const formMs = performance.now() - start;
    for (;;) {
      const n = await page.evaluate(async (name) => {
        const db = await new Promise<IDBDatabase>((resolve, reject) => { const r = indexedDB.open(name); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
        try {
          if (!db.objectStoreNames.contains('events')) return 0;
          return await new Promise<number>((resolve) => { const q = db.transaction('events').objectStore('events').count(); q.onsuccess = () => resolve(q.result); });
        } finally { db.close(); }
      }, dbName);
      if (n >= total) break;
      await page.waitForTimeout(100);
    }
    const eventsMs = performance.now() - start;
    const [l1] = loadavg();
    return `| ${total.toLocaleString('en')} | ${(formMs / 1000).toFixed(2)} s | ${(eventsMs / 1000).toFixed(2)} s | ${l1!.toFixed(2)} |`;
  } finally {
    await browser.close();
    await host.close();
    await fixture.close();
  }
}

console.log('| journal entries | CRL screen ready (CA to choose) | every entry in the catalog | load average |');
console.log('|---|---|---|---|');
for (const n of sizes.length > 0 ? sizes : [20_000]) console.log(await measure(n));
