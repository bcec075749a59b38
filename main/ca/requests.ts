/**
 * Certificate requests brought in from removable media: checked as they are
 * read (parseCsrFile rejects bad signatures, weak keys, malformed files) and
 * kept in the journal entry that records the import, under their SHA-256, so
 * the request a certificate was made from is covered by the journal's hash
 * chain. (Journals from before kept each request in a file beside the
 * journal; those are still read.) The self-signature is checked once, at
 * import: a stored request read again is trusted by its SHA-256, the id it
 * was recorded under.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { EntryData } from '../journal/index.ts';
import { CustosError } from '../errors/index.ts';
import { isCheckedCsr, parseCsrFile, rereadImportedCsr, type CsrInfo } from '../pki/x509/csr.ts';
import type { CaContext } from './context.ts';
import type { RequestRecord } from './state.ts';

export function importRequests(ctx: CaContext, fileName: string, bytes: Uint8Array): { record: RequestRecord; csr: CsrInfo }[] {
  return parseCsrFile(bytes).map((csr) => ({ record: recordRequest(ctx, fileName, csr), csr }));
}

/** What a request asks for, as lists show it: its key, its names, the extensions it requests. */
export function whatItAsks(csr: CsrInfo): NonNullable<RequestRecord['asked']> {
  const san = csr.subjectAltNames;
  const spec = csr.keySpec;
  // parseCsrFile refuses every other key; one that got here anyway is refused, never recorded as something it is not.
  if (spec.kind === 'other') throw new CustosError('CSR_KEY_UNSUPPORTED', `The request holds a ${spec.type} key; Custos certifies RSA and EC P-256, P-384 or P-521 keys only.`, { keyType: spec.type });
  return {
    keySpec: { ...spec },
    sans: [...san.dns.map((d) => `DNS:${d}`), ...san.ip.map((d) => `IP:${d}`), ...san.email.map((d) => `email:${d}`), ...san.uri.map((d) => `URI:${d}`)],
    requestedExtensions: csr.requestedExtensions.map((e) => e.name),
  };
}

/**
 * Keeps one request parseCsrFile checked in this process: its file under its
 * SHA-256 and its journal entry (once; a request imported before is left as
 * it was). INPUT_INVALID for a CsrInfo that parseCsrFile did not make here.
 */
export function recordRequest(ctx: CaContext, fileName: string, csr: CsrInfo): RequestRecord {
  if (!isCheckedCsr(csr)) throw new CustosError('INPUT_INVALID', 'Only a request read and checked by parseCsrFile can be imported.', { field: 'csr' });
  const known = ctx.state.requests.get(csr.sha256);
  if (known) return known;
  // Not fsync'd on its own: the next intent's fsync makes it durable. A crash before that loses
  // only the import, which the operator repeats; nothing was signed from it.
  const asked = whatItAsks(csr);
  ctx.journal.append('request.import', {
    requestId: csr.sha256, fileName: basename(fileName), request: Buffer.from(csr.der).toString('base64'), subject: csr.subject.text,
    // Recorded so lists of requests never re-read and re-parse every file.
    keySpec: { ...asked.keySpec } as EntryData, sans: [...asked.sans], requestedExtensions: [...asked.requestedExtensions],
  });
  return ctx.state.requests.get(csr.sha256)!;
}

/**
 * An imported request by its id. `parsed` (as importRequests returned it) is
 * taken as it is when this process parsed and checked it and it is the
 * request named; otherwise the stored file is read again.
 */
export function loadRequest(ctx: CaContext, requestId: string, parsed?: CsrInfo): { record: RequestRecord; csr: CsrInfo } {
  const record = ctx.state.requests.get(requestId);
  if (!record) throw new CustosError('INPUT_INVALID', `No imported request ${requestId.slice(0, 12)}…: import the CSR file first.`, { requestId });
  if (parsed !== undefined && isCheckedCsr(parsed) && parsed.sha256 === requestId) return { record, csr: parsed };
  const where = record.file ?? 'in the journal';
  const csr = rereadImportedCsr(storedRequest(ctx, record), requestId);
  if (!csr) throw new CustosError('CSR_MALFORMED', `The stored request ${where} changed since it was imported: import it again.`, { path: where });
  return { record, csr };
}

function storedRequest(ctx: CaContext, record: RequestRecord): Uint8Array {
  if (record.importSeq !== undefined) {
    const request = ctx.journal.entryAt(record.importSeq)?.data.request;
    return new Uint8Array(Buffer.from(typeof request === 'string' ? request : '', 'base64'));
  }
  try {
    return new Uint8Array(readFileSync(record.file ?? ''));
  } catch {
    throw new CustosError('FILE_NOT_FOUND', `The stored request ${record.file} is missing: import the CSR again.`, { path: record.file ?? '' });
  }
}
