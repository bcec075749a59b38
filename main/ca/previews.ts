/**
 * Previews that bind what is signed. A preview shows the exact TBS bytes and
 * their SHA-256; the act that follows is given that hash and signs those
 * bytes or refuses. What a preview fixed (the serial or CRL number and the
 * time it was made) is kept under the hash in <data dir>/previews/, for at
 * most PREVIEW_MAX_AGE_MS, so the window, a later CLI run (--tbs-sha256) or a
 * script can bind to it.
 *
 * The act plans again from what was kept and the terms it is given, and
 * signs only when the new plan's TBS hashes to the previewed one. So every
 * check (profile, lint, the key on the token, the revocations a CRL lists)
 * runs again at signing against what is there then, nothing read from the
 * kept file is trusted (an edited file can only make the hashes differ), and
 * a changed term, an edited profile or a revocation since the preview is
 * refused rather than signed unseen.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { CustosError } from '../errors/index.ts';
import { fileWriteError, replaceFileSync } from '../fs/atomic-file.ts';
import type { CaContext } from './context.ts';

/**
 * How long a reviewed preview may wait for its signature. A certificate
 * starts, and a CRL's thisUpdate is, when it was previewed; an older preview
 * is made again rather than signed with a start long past.
 */
export const PREVIEW_MAX_AGE_MS = 60 * 60 * 1000;

/** Previews kept at once outside a batch: enough for a custodian's open screens; the oldest go first. */
export const MAX_KEPT_PREVIEWS = 64;

/**
 * Previews a batch holds until it is signed or abandoned, and the most all
 * batches hold together. A batch's previews are never set aside to make
 * room: a batch that would hold more is refused (BATCH_TOO_LARGE) as it is
 * previewed, before anything is signed, and a newer batch sets aside the
 * previews of older batches (abandoned: one window runs one batch at a time).
 */
export const MAX_BATCH_PREVIEWS = 1000;

/** A batch's name, as the window makes it (a UUID) or a script chooses it; it is part of a file name. */
export const BATCH_ID = /^[A-Za-z0-9_-]{1,64}$/;

export type PreviewKind = 'root' | 'certificate' | 'crl';

const Kept = z.object({
  kind: z.enum(['root', 'certificate', 'crl']),
  tbsSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** When the preview was made: the certificate's notBefore, the CRL's thisUpdate. */
  madeAt: z.string().datetime(),
  /** The certificate's serial (hex) or the CRL's number (decimal). */
  number: z.string().regex(/^[0-9a-f]{1,64}$/),
  /** The batch that holds it until the batch is signed or abandoned. */
  batch: z.string().regex(BATCH_ID).optional(),
}).strict();

export type KeptPreview = z.output<typeof Kept>;

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function previewDir(ctx: CaContext): string {
  return join(ctx.dataDir, 'previews');
}

// A batch's previews carry the batch in their name (<hash>.b-<batch>.json), so the folder's
// listing alone tells the free previews, which are pruned, from a batch's, which are held.
const BATCH_MARK = '.b-';

function fileName(tbsSha256: string, batch?: string): string {
  return batch === undefined ? `${tbsSha256}.json` : `${tbsSha256}${BATCH_MARK}${batch}.json`;
}

function batchOf(name: string): string | undefined {
  const at = name.indexOf(BATCH_MARK);
  return at < 0 ? undefined : name.slice(at + BATCH_MARK.length, -'.json'.length);
}

function listPreviews(ctx: CaContext): string[] {
  try { return readdirSync(previewDir(ctx)).filter((n) => n.endsWith('.json')); } catch { return []; }
}

function mtimeOf(dir: string, name: string): number {
  try { return statSync(join(dir, name)).mtimeMs; } catch { return 0; }
}

/** The file that holds the preview of tbsSha256, in a batch or not. */
function fileHolding(ctx: CaContext, tbsSha256: string, names: readonly string[] = listPreviews(ctx)): string | undefined {
  const name = names.find((n) => n === fileName(tbsSha256) || n.startsWith(`${tbsSha256}${BATCH_MARK}`));
  return name === undefined ? undefined : join(previewDir(ctx), name);
}

/** Drops free previews past their age, and the oldest beyond MAX_KEPT_PREVIEWS; a batch's are held. */
function prune(ctx: CaContext, names: readonly string[]): void {
  const dir = previewDir(ctx);
  const now = ctx.now().getTime();
  const aged = names.filter((n) => batchOf(n) === undefined).map((name) => ({ name, mtimeMs: mtimeOf(dir, name) })).sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const [i, f] of aged.entries()) {
    if (i >= MAX_KEPT_PREVIEWS || now - f.mtimeMs > 2 * PREVIEW_MAX_AGE_MS) rmSync(join(dir, f.name), { force: true });
  }
}

/**
 * Makes room for one more preview of batch: refused when the batch holds
 * MAX_BATCH_PREVIEWS already; when all batches together do, older batches'
 * previews (and any past their age) are set aside, whole batches, oldest first.
 * Run at a batch's first preview, and when the limit is reached.
 */
function roomInBatch(ctx: CaContext, batch: string, names: readonly string[]): void {
  const inBatch = names.filter((n) => batchOf(n) === batch).length;
  if (inBatch >= MAX_BATCH_PREVIEWS) {
    throw new CustosError('BATCH_TOO_LARGE',
      `A batch holds at most ${MAX_BATCH_PREVIEWS} previews until it is signed: sign these ${inBatch}, then preview the rest as another batch.`,
      { batch, limit: MAX_BATCH_PREVIEWS });
  }
  const others = names.filter((n) => { const b = batchOf(n); return b !== undefined && b !== batch; });
  if (inBatch > 0 && inBatch + others.length < MAX_BATCH_PREVIEWS) return;
  const dir = previewDir(ctx);
  const now = ctx.now().getTime();
  const byBatch = new Map<string, { names: string[]; newestMs: number }>();
  for (const name of others) {
    const mtimeMs = mtimeOf(dir, name);
    if (now - mtimeMs > 2 * PREVIEW_MAX_AGE_MS) { rmSync(join(dir, name), { force: true }); continue; }
    const b = byBatch.get(batchOf(name)!) ?? { names: [], newestMs: 0 };
    b.names.push(name);
    b.newestMs = Math.max(b.newestMs, mtimeMs);
    byBatch.set(batchOf(name)!, b);
  }
  let held = inBatch + [...byBatch.values()].reduce((n, b) => n + b.names.length, 0);
  for (const b of [...byBatch.values()].sort((x, y) => x.newestMs - y.newestMs)) {
    if (held < MAX_BATCH_PREVIEWS) break;
    for (const name of b.names) rmSync(join(dir, name), { force: true });
    held -= b.names.length;
  }
}

/** Keeps what a preview fixed, under the SHA-256 of its TBS; in a batch, held until the batch is signed or abandoned. */
export function keepPreview(ctx: CaContext, kind: PreviewKind, tbsDer: Uint8Array, madeAt: Date, number: string, batch?: string): string {
  if (batch !== undefined && !BATCH_ID.test(batch)) {
    throw new CustosError('INPUT_INVALID', 'A batch is named by 1 to 64 letters, digits, "-" or "_".', { field: 'batch' });
  }
  const tbsSha256 = sha256Hex(tbsDer);
  const kept: KeptPreview = { kind, tbsSha256, madeAt: madeAt.toISOString(), number, ...(batch !== undefined ? { batch } : {}) };
  const names = listPreviews(ctx);
  if (batch !== undefined) roomInBatch(ctx, batch, names);
  const file = join(previewDir(ctx), fileName(tbsSha256, batch));
  // A full or failing disk is said as such (MEDIA_FULL …) before anything is signed, not as an internal fault.
  try {
    mkdirSync(previewDir(ctx), { recursive: true, mode: 0o700 });
    // The same TBS previewed again (in or out of a batch) is kept once, under its latest terms.
    const before = fileHolding(ctx, tbsSha256, names);
    replaceFileSync(file, new TextEncoder().encode(JSON.stringify(kept)), 0o600);
    if (before !== undefined && before !== file) rmSync(before, { force: true });
  } catch (e) {
    throw fileWriteError(e, file);
  }
  if (batch === undefined) prune(ctx, [...names, fileName(tbsSha256)]);
  return tbsSha256;
}

/** Sets aside what a batch still holds (signed previews are gone already): the batch was signed, stopped or abandoned. */
export function abandonBatch(ctx: CaContext, batch: string): number {
  if (!BATCH_ID.test(batch)) return 0;
  const names = listPreviews(ctx).filter((n) => batchOf(n) === batch);
  for (const name of names) rmSync(join(previewDir(ctx), name), { force: true });
  return names.length;
}

function expired(what: string, tbsSha256: string, why: string): CustosError {
  return new CustosError('PREVIEW_EXPIRED', `${why} Preview the ${what} again, review it, and sign that.`, { tbsSha256 });
}

const WHAT: Record<PreviewKind, string> = { root: 'root certificate', certificate: 'certificate', crl: 'CRL' };

/**
 * The preview kept under tbsSha256 for an act of this kind: PREVIEW_EXPIRED
 * when none is (never made here, signed already, or pruned) or it is older
 * than PREVIEW_MAX_AGE_MS.
 */
export function keptPreview(ctx: CaContext, kind: PreviewKind, tbsSha256: string): KeptPreview {
  const hash = tbsSha256.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hash)) {
    throw new CustosError('INPUT_INVALID', 'The TBS SHA-256 is 64 hexadecimal digits, as the preview shows it.', { field: 'tbsSha256' });
  }
  let kept: KeptPreview;
  try {
    kept = Kept.parse(JSON.parse(readFileSync(fileHolding(ctx, hash) ?? join(previewDir(ctx), fileName(hash)), 'utf8')));
  } catch {
    throw expired(WHAT[kind], hash, `No ${WHAT[kind]} preview with TBS SHA-256 ${hash.slice(0, 16)}… is held: it was never made here, was signed already, or was set aside.`);
  }
  if (kept.kind !== kind || kept.tbsSha256 !== hash) {
    throw new CustosError('PREVIEW_MISMATCH', `TBS SHA-256 ${hash.slice(0, 16)}… is the preview of a ${WHAT[kept.kind]}, not of a ${WHAT[kind]}.`, { tbsSha256: hash });
  }
  const age = ctx.now().getTime() - Date.parse(kept.madeAt);
  if (age > PREVIEW_MAX_AGE_MS || age < -PREVIEW_MAX_AGE_MS) {
    throw expired(WHAT[kind], hash, `The ${WHAT[kind]} preview with TBS SHA-256 ${hash.slice(0, 16)}… was made more than an hour ago.`);
  }
  return kept;
}

/**
 * The act's own plan, from what was kept, must be the previewed TBS; else
 * PREVIEW_MISMATCH, which says what may differ.
 */
export function requireSameTbs(kind: PreviewKind, tbsSha256: string, tbsDer: Uint8Array, differs: string): void {
  const now = sha256Hex(tbsDer);
  if (now === tbsSha256.toLowerCase()) return;
  throw new CustosError('PREVIEW_MISMATCH',
    `The ${WHAT[kind]} that would be signed now (TBS SHA-256 ${now.slice(0, 16)}…) is not the one previewed (${tbsSha256.slice(0, 16)}…): ${differs} Nothing was signed; preview it again and review that.`,
    { tbsSha256: tbsSha256.toLowerCase(), planned: now });
}

/** A preview is signed once: dropped when its act has recorded the result. */
export function dropPreview(ctx: CaContext, tbsSha256: string): void {
  const file = fileHolding(ctx, tbsSha256.toLowerCase());
  if (file !== undefined) rmSync(file, { force: true });
}
