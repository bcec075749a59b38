/**
 * Fills the catalog from the core: the journal's new entries (paged, from the
 * last sequence number seen) and the current lists, which are themselves the
 * core's projection of the same journal. Rebuilding clears every table first.
 */
import type { ApiClient } from '../api.ts';
import { toCertificateRow, type Catalog } from './catalog.ts';

export const JOURNAL_PAGE_ENTRIES = 1000;
const LAST_SEQ = 'lastSeq';

type CatalogClient = Pick<ApiClient, 'call'>;

export async function syncCatalog(db: Catalog, client: CatalogClient): Promise<{ newEntries: number }> {
  let newEntries = 0;
  const last = await db.meta.get(LAST_SEQ);
  let afterSeq = typeof last?.value === 'number' ? last.value : 0;
  for (;;) {
    const page = await client.call('journal.entries', { afterSeq, limit: JOURNAL_PAGE_ENTRIES });
    if (page.length === 0) break;
    afterSeq = Math.max(afterSeq, ...page.map((e) => e.seq));
    await db.transaction('rw', db.events, db.meta, async () => {
      await db.events.bulkPut(page);
      await db.meta.put({ key: LAST_SEQ, value: afterSeq });
    });
    newEntries += page.length;
    if (page.length < JOURNAL_PAGE_ENTRIES) break;
  }
  const [cas, requests, certificates, crls] = await Promise.all([
    client.call('ca.list'),
    client.call('request.list'),
    client.call('certificate.list', {}),
    client.call('crl.list', {}),
  ]);
  // Replace, not merge: the core's lists are the truth, and a row it no longer
  // reports must not linger in the catalog.
  await db.transaction('rw', [db.cas, db.requests, db.certificates, db.crls], async () => {
    await Promise.all([db.cas.clear(), db.requests.clear(), db.certificates.clear(), db.crls.clear()]);
    await db.cas.bulkPut(cas);
    await db.requests.bulkPut(requests);
    await db.certificates.bulkPut(certificates.map(toCertificateRow));
    await db.crls.bulkPut(crls);
  });
  return { newEntries };
}

/** "Rebuild from journal": forget everything, then project again from entry 0. */
export async function rebuildCatalog(db: Catalog, client: CatalogClient): Promise<{ newEntries: number }> {
  await db.transaction('rw', db.tables, async () => {
    await Promise.all(db.tables.map((t) => t.clear()));
  });
  return syncCatalog(db, client);
}
