/**
 * Exporting what the CA made, for removable media: a certificate as DER (.cer)
 * or PEM (.pem), its chain as PKCS#7 (.p7b), a CRL as DER (.crl) or PEM
 * (.crl.pem). Each file's extension matches its content, and an existing file
 * is never overwritten. Recorded in the journal before it is written.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustosError } from '../errors/index.ts';
import { certificateChainToPkcs7, exportFileName, PEM_LABEL, safeBaseName, toPem } from '../pki/formats/index.ts';
import { writeNewFile } from '../exchange/files.ts';
import { requireCa, requireIssued, type CaContext } from './context.ts';
import type { CaRecord } from './state.ts';
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

async function writeExport(ctx: CaContext, directory: string | undefined, fileName: string, bytes: Uint8Array, what: Record<string, string>): Promise<Exported> {
  const dir = directory ?? defaultExportDir(ctx);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, fileName);
  const intent = ctx.journal.begin('export', { ...what, path, sha256: createHash('sha256').update(bytes).digest('hex') });
  await runRecorded(ctx, intent, () => writeNewFile(path, bytes));
  ctx.journal.complete(intent, { path });
  return { path, fileName, bytes };
}

export function certificateBytes(ctx: CaContext, caId: string, serialHex: string, format: CertificateFormat): { bytes: Uint8Array; fileName: string } {
  const ca = requireCa(ctx, caId);
  const issued = requireIssued(ctx, ca.id, serialHex);
  const base = `${safeBaseName(issued.subject)}-${issued.serialHex.slice(0, 16)}`;
  if (format === 'der') return { bytes: issued.certDer, fileName: exportFileName('certificate', 'der', base) };
  if (format === 'pem') return { bytes: new TextEncoder().encode(toPem(issued.certDer, PEM_LABEL.certificate)), fileName: exportFileName('certificate', 'pem', base) };
  const chain = [issued.certDer, ...caChain(ctx, ca).map((c) => c.certDer).filter((d) => Buffer.compare(d, issued.certDer) !== 0)];
  return { bytes: certificateChainToPkcs7(chain), fileName: exportFileName('pkcs7', 'der', base) };
}

export async function exportCertificate(ctx: CaContext, req: { caId: string; serialHex: string; format: CertificateFormat; directory?: string }): Promise<Exported> {
  const { bytes, fileName } = certificateBytes(ctx, req.caId, req.serialHex, req.format);
  return writeExport(ctx, req.directory, fileName, bytes, { artifact: 'certificate', caId: requireCa(ctx, req.caId).id, serialHex: req.serialHex, format: req.format });
}

export function crlBytes(ctx: CaContext, caId: string, crlNumber: string, format: CrlFormat): { bytes: Uint8Array; fileName: string } {
  const ca = requireCa(ctx, caId);
  const record = (ctx.state.crls.get(ca.id) ?? []).find((c) => c.crlNumber === crlNumber);
  if (!record) throw new CustosError('INPUT_INVALID', `CA "${ca.name}" has issued no CRL number ${crlNumber}.`, { caId: ca.id, crlNumber });
  const der = new Uint8Array(readFileSync(record.file));
  if (createHash('sha256').update(der).digest('hex') !== record.sha256) {
    throw new CustosError('CRL_INVALID', `The stored CRL ${record.file} differs from the one the journal recorded: do not publish it; issue a new CRL.`, { path: record.file });
  }
  const base = `${safeBaseName(ca.name)}-crl-${crlNumber}`;
  return format === 'der'
    ? { bytes: der, fileName: exportFileName('crl', 'der', base) }
    : { bytes: new TextEncoder().encode(toPem(der, PEM_LABEL.crl)), fileName: exportFileName('crl', 'pem', base) };
}

export async function exportCrl(ctx: CaContext, req: { caId: string; crlNumber: string; format: CrlFormat; directory?: string }): Promise<Exported> {
  const { bytes, fileName } = crlBytes(ctx, req.caId, req.crlNumber, req.format);
  return writeExport(ctx, req.directory, fileName, bytes, { artifact: 'crl', caId: requireCa(ctx, req.caId).id, crlNumber: req.crlNumber, format: req.format });
}

export async function exportChain(ctx: CaContext, req: { caId: string; format: 'p7b' | 'pem'; directory?: string }): Promise<Exported> {
  const ca = requireCa(ctx, req.caId);
  const chain = caChain(ctx, ca).map((c) => c.certDer);
  const base = `${safeBaseName(ca.name)}-chain`;
  const bytes = req.format === 'p7b' ? certificateChainToPkcs7(chain) : new TextEncoder().encode(chain.map((d) => toPem(d, PEM_LABEL.certificate)).join(''));
  const fileName = req.format === 'p7b' ? exportFileName('pkcs7', 'der', base) : exportFileName('certificate', 'pem', base);
  return writeExport(ctx, req.directory, fileName, bytes, { artifact: 'chain', caId: ca.id, format: req.format });
}
