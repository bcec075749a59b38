/** Live views of the catalog: they re-render when a sync changes the rows. */
import { Dexie } from 'dexie';
import { useLiveQuery } from 'dexie-react-hooks';
import { useCatalog } from './CatalogProvider.tsx';
import type { CaRow, CertificateRow, CrlRow, EventRow, RequestRow } from './catalog.ts';
import { searchCertificates, type SearchResult } from './search.ts';

export function useCas(): CaRow[] {
  const { db } = useCatalog();
  return useLiveQuery(() => db.cas.orderBy('name').toArray(), [db]) ?? [];
}

export function useRequests(): RequestRow[] {
  const { db } = useCatalog();
  return useLiveQuery(() => db.requests.orderBy('importedAt').reverse().toArray(), [db]) ?? [];
}

export function useCrls(): CrlRow[] {
  const { db } = useCatalog();
  return useLiveQuery(() => db.crls.orderBy('thisUpdate').reverse().toArray(), [db]) ?? [];
}

export function useCertificatesOf(caId: string | undefined): CertificateRow[] {
  const { db } = useCatalog();
  return useLiveQuery(() => (caId ? db.certificates.where('[caId+serialHex]').between([caId, Dexie.minKey], [caId, Dexie.maxKey]).toArray() : []), [db, caId]) ?? [];
}

export function useCertificateSearch(query: string): SearchResult | undefined {
  const { db } = useCatalog();
  return useLiveQuery(() => searchCertificates(db, query), [db, query]);
}

/**
 * The latest `shown` entries, newest first, and how many the catalog holds:
 * only those rows are read, since a journal of 100,000 entries read whole on
 * every sync would hold them all in the window to show a few hundred.
 */
export function useJournalEvents(shown: number): { latest: EventRow[]; total: number } {
  const { db } = useCatalog();
  return useLiveQuery(async () => ({ latest: await db.events.orderBy('seq').reverse().limit(shown).toArray(), total: await db.events.count() }), [db, shown])
    ?? { latest: [], total: 0 };
}
