/**
 * Certificate search over the catalog's indexes: by serial (prefix), by
 * SHA-256 fingerprint (prefix, colons and case ignored) and by subject words
 * (every word typed must start a word of the subject).
 */
import { subjectWords, type Catalog, type CertificateRow } from './catalog.ts';

/** More matches than this are cut: the list says so and asks for a narrower query. */
export const SEARCH_MAX_RESULTS = 1000;
/** How many index keys a word may match before it counts as too broad to start from. */
const WORD_PROBE_KEYS = 5000;

type CertificateKey = [string, string];

/**
 * Rows whose subject has, for every word typed, a word starting with it. It
 * starts from the rarest word (found by probing each word's index range up to
 * WORD_PROBE_KEYS keys), so "host-123 example" reads the few keys under "123",
 * not the 100,000 under "example".
 */
async function rowsWithWords(db: Catalog, words: string[], maxResults: number): Promise<CertificateRow[]> {
  const probes = await Promise.all(words.map(async (word) => ({
    word,
    keys: await db.certificates.where('subjectWords').startsWith(word).limit(WORD_PROBE_KEYS + 1).primaryKeys() as CertificateKey[],
  })));
  probes.sort((a, b) => a.keys.length - b.keys.length);
  const rarest = probes[0]!;
  const rest = probes.slice(1).map((p) => p.word);
  const matches = (row: CertificateRow) => rest.every((w) => row.subjectWords.some((s) => s.startsWith(w)));
  if (rarest.keys.length <= WORD_PROBE_KEYS) {
    const unique = [...new Map(rarest.keys.map((k) => [k.join('\u0000'), k])).values()];
    const rows = await db.certificates.bulkGet(unique);
    return rows.filter((r): r is CertificateRow => r !== undefined && matches(r)).slice(0, maxResults + 1);
  }
  // Every word is common: scan, stopping as soon as enough rows match.
  return db.certificates.where('subjectWords').startsWith(rarest.word).distinct().filter(matches).limit(maxResults + 1).toArray();
}

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
  if (words.length > 0) add(await rowsWithWords(db, words, maxResults));
  const rows = [...found.values()].sort((a, b) => b.issuedAt.localeCompare(a.issuedAt));
  return { rows: rows.slice(0, maxResults), truncated: rows.length > maxResults };
}
