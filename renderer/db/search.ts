/**
 * Certificate search over the catalog's indexes: by serial (prefix), by
 * SHA-256 fingerprint (prefix, colons and case ignored) and by subject words
 * (every word typed must start a word of the subject).
 */
import { subjectWords, type Catalog, type CertificateRow } from './catalog.ts';

/** More matches than this are cut: the list says so and asks for a narrower query. */
export const SEARCH_MAX_RESULTS = 1000;

export interface SearchResult { rows: CertificateRow[]; truncated: boolean }

export async function searchCertificates(db: Catalog, query: string, maxResults = SEARCH_MAX_RESULTS): Promise<SearchResult> {
  const q = query.trim().toLowerCase();
  if (q === '') {
    const rows = await db.certificates.orderBy('issuedAt').reverse().limit(maxResults + 1).toArray();
    return { rows: rows.slice(0, maxResults), truncated: rows.length > maxResults };
  }
  const found = new Map<string, CertificateRow>();
  const add = (rows: CertificateRow[]) => { for (const r of rows) found.set(`${r.caId}/${r.serialHex}`, r); };

  const hex = q.replace(/[:\s]/g, '');
  if (/^[0-9a-f]+$/.test(hex)) {
    add(await db.certificates.where('serialHex').startsWith(hex).limit(maxResults + 1).toArray());
    add(await db.certificates.where('sha256').startsWith(hex).limit(maxResults + 1).toArray());
  }
  const words = subjectWords(q);
  if (words.length > 0) {
    // The longest word narrows the index scan most; the rest are checked on the candidates.
    const longest = words.reduce((a, b) => (b.length > a.length ? b : a));
    const others = words.filter((w) => w !== longest);
    const candidates = db.certificates.where('subjectWords').startsWith(longest).distinct()
      .filter((row) => others.every((w) => row.subjectWords.some((s) => s.startsWith(w))))
      .limit(maxResults + 1);
    add(await candidates.toArray());
  }
  const rows = [...found.values()].sort((a, b) => b.issuedAt.localeCompare(a.issuedAt));
  return { rows: rows.slice(0, maxResults), truncated: rows.length > maxResults };
}
