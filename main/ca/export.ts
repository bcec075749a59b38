/**
 * Exporting what the CA made, for removable media: a certificate as DER (.cer)
 * or PEM (.pem), its chain as PKCS#7 (.p7b), a CRL as DER (.crl) or PEM
 * (.crl.pem). Each file's extension matches its content, and an existing file
 * is never overwritten. Recorded in the journal before it is written.
 *
 * Beside each file goes `<file>.custos.json`: what it is, which CA made it,
 * and whether a VIRTUAL (rehearsal) token signed it. A PEM file from a
 * rehearsal also says so in its explanatory text, which RFC 7468 §5.2 lets
 * readers skip (OpenSSL and GnuTLS do).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CustosError } from '../errors/index.ts';
import { certificateChainToPkcs7, exportFileName, PEM_LABEL, safeBaseName, toPem } from '../pki/formats/index.ts';
import { writeNewFiles } from '../fs/atomic-file.ts';
import { requireCa, requireIssued, type CaContext } from './context.ts';
import { normalizeSerial, type CaRecord } from './state.ts';
import { describeCertificate } from '../pki/x509/preview.ts';

const describeSerial = (der: Uint8Array): string => describeCertificate(der).serialHex;
import { runRecorded } from './recorded-act.ts';

export type CertificateFormat = 'der' | 'pem' | 'p7b';
export type CrlFormat = 'der' | 'pem';

export interface Exported {
  readonly path: string;
  readonly fileName: string;
  readonly bytes: Uint8Array;
}

export function defaultExportDir(ctx: CaContext): string {
  return join(ctx.dataDir, 'exports');
}

/** The CA's certificate and its issuers up to the root, leaf first. */
export function caChain(ctx: CaContext, ca: CaRecord): CaRecord[] {
  const chain: CaRecord[] = [ca];
  let current = ca;
  while (current.issuerId && chain.length < 16) {
    const issuer = ctx.state.cas.get(current.issuerId);
    if (!issuer) break;
    chain.push(issuer);
    current = issuer;
  }
  return chain;
}

export const METADATA_SUFFIX = '.custos.json';
const REHEARSAL_NOTE = 'Custos rehearsal artifact: signed with a VIRTUAL token. Not for production.\n';

export async function writeExport(ctx: CaContext, directory: string | undefined, fileName: string, bytes: Uint8Array, what: Record<string, string>, virtual: boolean): Promise<Exported> {
  const dir = directory ?? defaultExportDir(ctx);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, fileName);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const intent = ctx.journal.begin('export', { ...what, path, sha256, virtual });
  // The journal head as the export began, and the journal keys that anchor it: carried away, they
  // catch a journal later cut back before this export (custos journal verify --head) or rewritten under other keys.
  const anchor = { journalHead: `${intent.seq}:${intent.hash}`, journalKeys: (ctx.state.cas.get(what.caId ?? '')?.journalKeys ?? []).map((k) => k.spkiSha256) };
  const metadata = `${JSON.stringify({ format: 'custos-export-metadata/1', file: fileName, sha256, ...what, virtual, journalSeq: intent.seq, ...anchor, exportedAt: intent.time, operator: intent.operator }, null, 2)}\n`;
  await runRecorded(ctx, intent, async () => {
    if (existsSync(path)) throw new CustosError('FILE_EXISTS', `${path} exists already: choose another folder.`, { path });
    if (existsSync(path + METADATA_SUFFIX)) {
      if (!isLeftoverMetadata(path + METADATA_SUFFIX, fileName)) throw new CustosError('FILE_EXISTS', `${path + METADATA_SUFFIX} exists already: choose another folder.`, { path: path + METADATA_SUFFIX });
      // An export killed between naming the two files: its artifact never appeared, so nothing relies on this.
      unlinkSync(path + METADATA_SUFFIX);
    }
    // The metadata is named first: an artifact is never seen without it, and a kill in between leaves
    // only metadata naming a file that is not there (removed by the next export of that name).
    await writeNewFiles([{ path: path + METADATA_SUFFIX, bytes: metadata }, { path, bytes }]);
  });
  ctx.journal.complete(intent, { path });
  return { path, fileName, bytes };
}

/** True for our own metadata file whose artifact is absent: what a kill between the two names leaves. */
function isLeftoverMetadata(metadataPath: string, fileName: string): boolean {
  try {
    const m = JSON.parse(readFileSync(metadataPath, 'utf8')) as { format?: unknown; file?: unknown };
    return m.format === 'custos-export-metadata/1' && m.file === fileName;
  } catch {
    return false;
  }
}

function pemText(der: Uint8Array, label: string, virtual: boolean): Uint8Array {
  return new TextEncoder().encode(`${virtual ? REHEARSAL_NOTE : ''}${toPem(der, label)}`);
}

export function certificateBytes(ctx: CaContext, caId: string, serialHex: string, format: CertificateFormat): { bytes: Uint8Array; fileName: string } {
  const ca = requireCa(ctx, caId);
  const issued = requireIssued(ctx, ca.id, serialHex);
  const base = `${safeBaseName(issued.subject)}-${issued.serialHex.slice(0, 16)}`;
  if (format === 'der') return { bytes: issued.certDer, fileName: exportFileName('certificate', 'der', base) };
  if (format === 'pem') return { bytes: pemText(issued.certDer, PEM_LABEL.certificate, issued.virtual), fileName: exportFileName('certificate', 'pem', base) };
  const chain = [issued.certDer, ...caChain(ctx, ca).map((c) => c.certDer).filter((d) => Buffer.compare(d, issued.certDer) !== 0)];
  return { bytes: certificateChainToPkcs7(chain), fileName: exportFileName('pkcs7', 'der', base) };
}

export async function exportCertificate(ctx: CaContext, req: { caId: string; serialHex: string; format: CertificateFormat; directory?: string }): Promise<Exported> {
  const { bytes, fileName } = certificateBytes(ctx, req.caId, req.serialHex, req.format);
  const ca = requireCa(ctx, req.caId);
  const issued = requireIssued(ctx, ca.id, req.serialHex);
  return writeExport(ctx, req.directory, fileName, bytes, { artifact: 'certificate', caId: ca.id, serialHex: issued.serialHex, format: req.format }, issued.virtual);
}

export function crlBytes(ctx: CaContext, caId: string, crlNumber: string, format: CrlFormat): { bytes: Uint8Array; fileName: string } {
  const ca = requireCa(ctx, caId);
  const record = (ctx.state.crls.get(ca.id) ?? []).find((c) => c.crlNumber === crlNumber);
  if (!record) throw new CustosError('INPUT_INVALID', `CA "${ca.name}" has issued no CRL number ${crlNumber}.`, { caId: ca.id, crlNumber });
  const der = record.recovered?.der ?? new Uint8Array(readFileSync(record.file));
  if (createHash('sha256').update(der).digest('hex') !== record.sha256) {
    throw new CustosError('CRL_INVALID', `The stored CRL ${record.file} differs from the one the journal recorded: do not publish it; issue a new CRL.`, { path: record.file });
  }
  const base = `${safeBaseName(ca.name)}-crl-${crlNumber}`;
  return format === 'der'
    ? { bytes: der, fileName: exportFileName('crl', 'der', base) }
    : { bytes: pemText(der, PEM_LABEL.crl, record.virtual), fileName: exportFileName('crl', 'pem', base) };
}

export async function exportCrl(ctx: CaContext, req: { caId: string; crlNumber: string; format: CrlFormat; directory?: string }): Promise<Exported> {
  const { bytes, fileName } = crlBytes(ctx, req.caId, req.crlNumber, req.format);
  const ca = requireCa(ctx, req.caId);
  const virtual = (ctx.state.crls.get(ca.id) ?? []).find((c) => c.crlNumber === req.crlNumber)?.virtual ?? false;
  return writeExport(ctx, req.directory, fileName, bytes, { artifact: 'crl', caId: ca.id, crlNumber: req.crlNumber, format: req.format }, virtual);
}

export async function exportChain(ctx: CaContext, req: { caId: string; format: 'p7b' | 'pem'; directory?: string }): Promise<Exported> {
  const ca = requireCa(ctx, req.caId);
  const cas = caChain(ctx, ca);
  const chain = cas.map((c) => c.certDer);
  const virtual = cas.some((c) => ctx.state.issued.get(c.issuerId ?? c.id)?.get(normalizeSerial(describeSerial(c.certDer)))?.virtual ?? false);
  const base = `${safeBaseName(ca.name)}-chain`;
  const bytes = req.format === 'p7b' ? certificateChainToPkcs7(chain) : new TextEncoder().encode(`${virtual ? REHEARSAL_NOTE : ''}${chain.map((d) => toPem(d, PEM_LABEL.certificate)).join('')}`);
  const fileName = req.format === 'p7b' ? exportFileName('pkcs7', 'der', base) : exportFileName('certificate', 'pem', base);
  return writeExport(ctx, req.directory, fileName, bytes, { artifact: 'chain', caId: ca.id, format: req.format }, virtual);
}
