/**
 * CV certificates and requests for removable media, as OpenPACE names them:
 * `<CHR>.cvcert` and `<CHR>.cvreq`, binary. A chain goes as a folder of
 * `<CHR>.cvcert` files, root first by name order of the path, or as one file
 * of the certificates concatenated (issuer first). Beside each file goes
 * `<file>.custos.json` (what it is, the journal head, whether a VIRTUAL token
 * signed it). Recorded in the journal before it is written; an existing file
 * is never overwritten (main/fs/atomic-file.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CustosError } from '../errors/index.ts';
import { writeNewFiles, type NewFile } from '../fs/atomic-file.ts';
import type { CaContext } from '../ca/context.ts';
import { runRecorded } from '../ca/recorded-act.ts';
import { defaultExportDir, METADATA_SUFFIX } from '../ca/export.ts';
import { requireCvcCertificate, requireCvcRequest } from './import.ts';
import { cvcStateOf, type CvcCertificateRecord } from './state.ts';

export interface CvcExported {
  readonly path: string;
  /** The artifact files written (metadata files beside them not listed). */
  readonly files: readonly string[];
}

/** A CHR as a file name: CHRs are printable ASCII, but a slash or a leading dot must not steer the path. */
export function fileNameOfChr(chr: string, extension: '.cvcert' | '.cvreq' | ''): string {
  const safe = chr.replace(/[^A-Za-z0-9_-]/g, '_');
  return `${safe}${extension}`;
}

/** The certificate and its issuers up to a self-signed one, issuer first. */
export function cvcChain(ctx: CaContext, leaf: CvcCertificateRecord): CvcCertificateRecord[] {
  const state = cvcStateOf(ctx.journal);
  const chain: CvcCertificateRecord[] = [leaf];
  let current = leaf;
  while (current.issuerId !== undefined && chain.length < 16) {
    const issuer = state.certificates.get(current.issuerId);
    if (issuer === undefined || chain.includes(issuer)) break;
    chain.push(issuer);
    current = issuer;
  }
  return chain.reverse();
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function metadata(ctx: CaContext, fileName: string, bytes: Uint8Array, what: Record<string, string | readonly string[]>, virtual: boolean, seq: number, time: string, head: string): NewFile {
  const text = `${JSON.stringify({
    format: 'custos-export-metadata/1', file: fileName, sha256: sha256Hex(bytes), ...what, virtual, journalSeq: seq, journalHead: head,
    exportedAt: time, operator: ctx.journal.operator,
  }, null, 2)}\n`;
  return { path: '', bytes: text };
}

/** Writes files (artifact + metadata each) into dir after recording the export; FILE_EXISTS before anything is written if any name is taken. */
async function writeExport(ctx: CaContext, dir: string, items: readonly { fileName: string; bytes: Uint8Array; what: Record<string, string | readonly string[]>; virtual: boolean }[]): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const paths = items.map((i) => join(dir, i.fileName));
  const intent = ctx.journal.begin('cvc.export', {
    files: paths, sha256: items.map((i) => sha256Hex(i.bytes)), artifacts: items.map((i) => String(i.what.artifact)), virtual: items.some((i) => i.virtual),
  });
  const head = `${intent.seq}:${intent.hash}`;
  await runRecorded(ctx, intent, async () => {
    for (const p of paths.flatMap((x) => [x, x + METADATA_SUFFIX])) {
      if (existsSync(p)) throw new CustosError('FILE_EXISTS', `${p} exists already: choose another folder.`, { path: p });
    }
    // Metadata is named before its artifact: an artifact is never seen without it.
    await writeNewFiles(items.flatMap((item, i) => [
      { ...metadata(ctx, item.fileName, item.bytes, item.what, item.virtual, intent.seq, intent.time, head), path: paths[i]! + METADATA_SUFFIX },
      { path: paths[i]!, bytes: item.bytes },
    ]));
  });
  ctx.journal.complete(intent, { files: paths });
  return paths;
}

export async function exportCvcCertificate(ctx: CaContext, req: { certificate: string; directory?: string }): Promise<CvcExported> {
  const cert = requireCvcCertificate(ctx.journal, req.certificate);
  const dir = req.directory ?? defaultExportDir(ctx);
  const files = await writeExport(ctx, dir, [{
    fileName: fileNameOfChr(cert.chr, '.cvcert'), bytes: cert.raw, virtual: cert.virtual,
    what: { artifact: 'cv-certificate', chr: cert.chr, car: cert.car, role: cert.role, certificateId: cert.id },
  }]);
  return { path: files[0]!, files };
}

export async function exportCvcRequest(ctx: CaContext, req: { request: string; directory?: string }): Promise<CvcExported> {
  const request = requireCvcRequest(ctx.journal, req.request);
  const dir = req.directory ?? defaultExportDir(ctx);
  const files = await writeExport(ctx, dir, [{
    fileName: fileNameOfChr(request.chr, '.cvreq'), bytes: request.raw, virtual: false,
    what: { artifact: 'cv-request', chr: request.chr, requestId: request.id, attestation: request.attestation },
  }]);
  return { path: files[0]!, files };
}

/**
 * A certificate's chain: 'folder', a folder named `<CHR>-chain` holding each
 * certificate as `<CHR>.cvcert`; 'concatenation', one `<CHR>-chain.cvcert`
 * holding them one after another, issuer first.
 */
export async function exportCvcChain(ctx: CaContext, req: { certificate: string; form: 'folder' | 'concatenation'; directory?: string }): Promise<CvcExported> {
  const leaf = requireCvcCertificate(ctx.journal, req.certificate);
  const chain = cvcChain(ctx, leaf);
  const base = req.directory ?? defaultExportDir(ctx);
  const chrs = chain.map((c) => c.chr);
  if (req.form === 'concatenation') {
    const bytes = Uint8Array.from(Buffer.concat(chain.map((c) => c.raw)));
    const files = await writeExport(ctx, base, [{
      fileName: fileNameOfChr(`${leaf.chr}-chain`, '.cvcert'), bytes, virtual: chain.some((c) => c.virtual),
      what: { artifact: 'cv-chain', chrs, certificateId: leaf.id },
    }]);
    return { path: files[0]!, files };
  }
  const dir = join(base, fileNameOfChr(`${leaf.chr}-chain`, ''));
  if (existsSync(dir)) throw new CustosError('FILE_EXISTS', `${dir} exists already: choose another folder.`, { path: dir });
  const files = await writeExport(ctx, dir, chain.map((c) => ({
    fileName: fileNameOfChr(c.chr, '.cvcert'), bytes: c.raw, virtual: c.virtual,
    what: { artifact: 'cv-certificate', chr: c.chr, car: c.car, role: c.role, certificateId: c.id, chain: chrs },
  })));
  return { path: dir, files };
}
