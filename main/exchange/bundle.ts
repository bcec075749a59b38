/**
 * Writing a publishing bundle: what the online side needs from the offline
 * CA (the certificates named, the CA's chain, its latest CRL) in a new
 * folder on a medium, with a manifest signed by the CA's bundle signer.
 *
 * The act reads like its steps: gather the files (pure), check the medium
 * can take them (before anything is signed), record the intent with the
 * manifest's SHA-256, sign the manifest on the signer's token, write the
 * folder with the manifest last, record the result. A REHEARSAL bundle is
 * one any VIRTUAL token had a part in: the signer's, the CA's, or one that
 * signed a file it carries.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { CustosError } from '../errors/index.ts';
import { tokenRecord } from '../hsm/token.ts';
import { exportFileName, PEM_LABEL, safeBaseName, toPem } from '../pki/formats/index.ts';
import { requireCa, type CaContext } from '../ca/context.ts';
import { caChain, certificateBytes, crlBytes } from '../ca/export.ts';
import { checkpointIfHeld, journalHeadText } from '../ca/journal-anchor.ts';
import { normalizeSerial, type CaRecord } from '../ca/state.ts';
import { signManifest } from './bundle-cms.ts';
import { checkBundleTarget, writeBundleFolder } from './bundle-folder.ts';
import { describeFile, encodeManifest, isBundleFileName, MANIFEST_FORMAT, REHEARSAL_NOTICE, type BundleFile, type Manifest, type ManifestFile } from './bundle-manifest.ts';
import { findBundleSigner } from './bundle-signer.ts';

export interface BundleRequest {
  readonly caId: string;
  /** The folder the bundle's own folder is made in: a medium's mount point or a folder on it. */
  readonly directory: string;
  /** The bundle's folder name (default: the CA's name and the time). */
  readonly name?: string;
  /** Serials of certificates this CA issued, to carry as PEM. */
  readonly serials?: readonly string[];
  /** Which bundle signer signs (default: the newest valid one whose key is on an open token). */
  readonly signerSerial?: string;
}

export interface BundleResult {
  readonly path: string;
  readonly files: readonly ManifestFile[];
  readonly rehearsal: boolean;
  readonly signerSerial: string;
  /** SHA-256 of the signed manifest file: read it aloud, or keep it with the ceremony's record. */
  readonly manifestSha256: string;
  readonly journalHead: string;
}

function chainIsVirtual(ctx: CaContext, cas: readonly CaRecord[]): boolean {
  return cas.some((c) => c.token?.virtual === true
    || [...(ctx.state.issued.get(c.issuerId ?? c.id)?.values() ?? [])].some((r) => r.sha256 === c.id && r.virtual));
}

/** What a publishing bundle carries, and whether a VIRTUAL token made any of it. */
export function publishingFiles(ctx: CaContext, ca: CaRecord, serials: readonly string[]): { files: BundleFile[]; virtual: boolean } {
  const files: BundleFile[] = [];
  let virtual = false;
  for (const serial of serials) {
    const { bytes, fileName } = certificateBytes(ctx, ca.id, serial, 'pem');
    files.push({ name: fileName, bytes });
    virtual ||= ctx.state.issued.get(ca.id)?.get(normalizeSerial(serial))?.virtual ?? false;
  }
  const cas = caChain(ctx, ca);
  virtual ||= chainIsVirtual(ctx, cas);
  // The chain as PEM, the CA first and its root last, as web servers and OpenSSL's -CAfile take it.
  files.push({ name: exportFileName('certificate', 'pem', `${safeBaseName(ca.name)}-chain`), bytes: new TextEncoder().encode(cas.map((c) => toPem(c.certDer, PEM_LABEL.certificate)).join('')) });
  const crls = ctx.state.crls.get(ca.id) ?? [];
  const latest = crls[crls.length - 1];
  if (latest) {
    const { bytes, fileName } = crlBytes(ctx, ca.id, latest.crlNumber, 'der');
    files.push({ name: fileName, bytes });
    virtual ||= latest.virtual;
  }
  const seen = new Set<string>();
  for (const f of files) {
    if (!isBundleFileName(f.name)) throw new CustosError('INPUT_INVALID', `"${f.name}" cannot be a file of a bundle.`, { fileName: f.name });
    if (seen.has(f.name.toLowerCase())) throw new CustosError('INPUT_INVALID', `"${f.name}" would be in the bundle twice: name each certificate once.`, { fileName: f.name });
    seen.add(f.name.toLowerCase());
  }
  return { files, virtual };
}

function defaultName(ca: CaRecord, now: Date): string {
  return `${safeBaseName(ca.name)}-bundle-${now.toISOString().replace(/[:.]/g, '-')}`;
}

export async function createBundle(ctx: CaContext, req: BundleRequest): Promise<BundleResult> {
  const ca = requireCa(ctx, req.caId);
  const now = ctx.now();
  const name = req.name ?? defaultName(ca, now);
  if (!isBundleFileName(name)) throw new CustosError('INPUT_INVALID', `"${name.slice(0, 100)}" is not a plain folder name for the bundle.`, { name: name.slice(0, 100) });
  const target = join(req.directory, name);
  const signer = await findBundleSigner(ctx, ca.id, req.signerSerial);
  if (!signer.token.info.loggedIn) {
    throw new CustosError('NOT_LOGGED_IN', `Log in to ${signer.token.info.label}, which holds the bundle signer's key, before writing the bundle.`, { tokenLabel: signer.token.info.label });
  }
  const { files, virtual } = publishingFiles(ctx, ca, req.serials ?? []);
  const rehearsal = virtual || signer.token.info.virtual || signer.certificate.virtual;
  const manifest: Manifest = {
    format: MANIFEST_FORMAT, purpose: 'publish', rehearsal, ...(rehearsal ? { notice: REHEARSAL_NOTICE } : {}),
    createdAt: now.toISOString(), operator: ctx.journal.operator,
    ca: { name: ca.name, subject: ca.subject, sha256: ca.id, certificate: Buffer.from(ca.certDer).toString('base64') },
    // The head as the act began: custos journal verify --head proves the journal still reaches it.
    journalHead: journalHeadText(ctx),
    files: files.map(describeFile),
  };
  const content = encodeManifest(manifest);
  const totalBytes = files.reduce((n, f) => n + f.bytes.byteLength, content.byteLength);
  // A medium that cannot take the bundle refuses it now, before the token signs anything.
  await checkBundleTarget(target, totalBytes, files.length);
  const intent = ctx.journal.begin('bundle.write', {
    caId: ca.id, path: target, rehearsal, signerSerial: signer.certificate.serialHex,
    manifestSha256: createHash('sha256').update(content).digest('hex'), files: manifest.files.map((f) => ({ ...f })),
  }, tokenRecord(signer.token.info));
  const manifestDer = await ctx.journal.settle(intent, async () => {
    const der = await signManifest(content, signer.token.signer(signer.key), signer.certificate.certDer, caChain(ctx, ca).map((c) => c.certDer), now);
    await writeBundleFolder(target, files, der);
    return der;
  }, 'SIGN_FAILED');
  const manifestSha256 = createHash('sha256').update(manifestDer).digest('hex');
  ctx.journal.complete(intent, { path: target, manifestP7sSha256: manifestSha256 });
  // The signer's token anchors the act when it holds a journal key this journal trusts.
  await checkpointIfHeld(ctx, signer.token).catch(() => undefined);
  return { path: target, files: manifest.files, rehearsal, signerSerial: signer.certificate.serialHex, manifestSha256, journalHead: journalHeadText(ctx) };
}
