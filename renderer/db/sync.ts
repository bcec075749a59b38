/**
 * Fills the catalog from the core: the current lists, which are the core's
 * projection of the journal, then the journal's new entries (paged, from the
 * last sequence number seen). Rebuilding clears every table first.
 */
import type { ApiClient } from '../api.ts';
import type { Table } from 'dexie';
import { toCertificateRow, type Catalog } from './catalog.ts';

export const JOURNAL_PAGE_ENTRIES = 1000;
/** Rows per write transaction: short transactions let the screens' queries run between them. */
export const WRITE_BATCH_ROWS = 5000;
const LAST_SEQ = 'lastSeq';
/** The journal entry the catalog's certificates are up to date with. */
const CERTIFICATES_SEQ = 'certificatesSeq';

type CatalogClient = Pick<ApiClient, 'call'>;

/** Makes `table` hold exactly `rows`: deletes the missing, writes the new and the changed, in batches. */
async function mirror<R extends object, K extends string | [string, string]>(db: Catalog, table: Table<R, K>, rows: readonly R[], keyOf: (row: R) => K): Promise<void> {
  const id = (key: K) => (Array.isArray(key) ? key.join('\u0000') : key);
  const existing = new Map((await table.toArray()).map((row) => [id(keyOf(row)), JSON.stringify(row)]));
  const changed = rows.filter((row) => existing.get(id(keyOf(row))) !== JSON.stringify(row));
  const wanted = new Set(rows.map((row) => id(keyOf(row))));
  const gone = (await table.toCollection().primaryKeys()).filter((key) => !wanted.has(id(key)));
  for (let i = 0; i < gone.length; i += WRITE_BATCH_ROWS) {
    await db.transaction('rw', table, () => table.bulkDelete(gone.slice(i, i + WRITE_BATCH_ROWS)));
  }
  for (let i = 0; i < changed.length; i += WRITE_BATCH_ROWS) {
    await db.transaction('rw', table, () => table.bulkPut(changed.slice(i, i + WRITE_BATCH_ROWS)));
  }
}

export async function syncCatalog(db: Catalog, client: CatalogClient): Promise<{ newEntries: number }> {
  // The lists first: they are the core's projection of the whole journal, so the CA screens can be used
  // while the Journal screen's rows (one per entry, the bulk of a long journal) follow. The head is read
  // before the lists, so the certificates' mark is an entry the list already reflects.
  const { seq: headSeq } = await client.call('journal.head');
  const [cas, requests, crls] = await Promise.all([
    client.call('ca.list'),
    client.call('request.list'),
    client.call('crl.list', {}),
  ]);
  // The core's lists are the truth: rows it no longer reports go, and only rows
  // that differ are written, since every write costs every index (a full rewrite
  // of 100,000 certificates takes tens of seconds in Chromium).
  await mirror(db, db.cas, cas, (r) => r.id);
  await mirror(db, db.requests, requests, (r) => r.id);
  await syncCertificates(db, client, headSeq);
  await mirror(db, db.crls, crls, (r): [string, string] => [r.caId, r.crlNumber]);

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
  return { newEntries };
}

/**
 * Certificates: once the catalog holds the list, it asks only for what the
 * journal changed since (certificate.changes): a re-sync at 100,000
 * certificates read and compared every row, 4.2 s. The first time (or after a
 * rebuild) it mirrors the whole list, and notes the journal entry it had seen
 * before asking, so a certificate issued meanwhile is asked for again, never missed.
 */
async function syncCertificates(db: Catalog, client: CatalogClient, journalSeqSeen: number): Promise<void> {
  const known = await db.meta.get(CERTIFICATES_SEQ);
  if (typeof known?.value === 'number') {
    const changes = await client.call('certificate.changes', { afterSeq: known.value });
    const rows = changes.certificates.map(toCertificateRow);
    for (let i = 0; i < rows.length; i += WRITE_BATCH_ROWS) {
      await db.transaction('rw', db.certificates, () => db.certificates.bulkPut(rows.slice(i, i + WRITE_BATCH_ROWS)));
    }
    await db.meta.put({ key: CERTIFICATES_SEQ, value: changes.throughSeq });
    return;
  }
  const certificates = await client.call('certificate.list', {});
  await mirror(db, db.certificates, certificates.map(toCertificateRow), (r): [string, string] => [r.caId, r.serialHex]);
  await db.meta.put({ key: CERTIFICATES_SEQ, value: journalSeqSeen });
}

/** "Rebuild from journal": forget everything, then project again from entry 0. */
export async function rebuildCatalog(db: Catalog, client: CatalogClient): Promise<{ newEntries: number }> {
  await db.transaction('rw', db.tables, async () => {
    await Promise.all(db.tables.map((t) => t.clear()));
  });
  return syncCatalog(db, client);
}
