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

/** Previews kept at once: enough for a custodian's open screens and a script's batch; the oldest go first. */
export const MAX_KEPT_PREVIEWS = 64;

export type PreviewKind = 'root' | 'certificate' | 'crl';

const Kept = z.object({
  kind: z.enum(['root', 'certificate', 'crl']),
  tbsSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** When the preview was made: the certificate's notBefore, the CRL's thisUpdate. */
  madeAt: z.string().datetime(),
  /** The certificate's serial (hex) or the CRL's number (decimal). */
  number: z.string().regex(/^[0-9a-f]{1,64}$/),
}).strict();

export type KeptPreview = z.output<typeof Kept>;

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function previewDir(ctx: CaContext): string {
  return join(ctx.dataDir, 'previews');
}

function fileOf(ctx: CaContext, tbsSha256: string): string {
  return join(previewDir(ctx), `${tbsSha256}.json`);
}

/** Drops previews past their age, and the oldest beyond MAX_KEPT_PREVIEWS. */
function prune(ctx: CaContext): void {
  const dir = previewDir(ctx);
  let names: string[];
  try { names = readdirSync(dir).filter((n) => n.endsWith('.json')); } catch { return; }
  const now = ctx.now().getTime();
  const aged = names.map((name) => {
    try { return { name, mtimeMs: statSync(join(dir, name)).mtimeMs }; } catch { return { name, mtimeMs: 0 }; }
  }).sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const [i, f] of aged.entries()) {
    if (i >= MAX_KEPT_PREVIEWS || now - f.mtimeMs > 2 * PREVIEW_MAX_AGE_MS) rmSync(join(dir, f.name), { force: true });
  }
}

/** Keeps what a preview fixed, under the SHA-256 of its TBS. */
export function keepPreview(ctx: CaContext, kind: PreviewKind, tbsDer: Uint8Array, madeAt: Date, number: string): string {
  const tbsSha256 = sha256Hex(tbsDer);
  const kept: KeptPreview = { kind, tbsSha256, madeAt: madeAt.toISOString(), number };
  const file = fileOf(ctx, tbsSha256);
  // A full or failing disk is said as such (MEDIA_FULL …) before anything is signed, not as an internal fault.
  try {
    mkdirSync(previewDir(ctx), { recursive: true, mode: 0o700 });
    replaceFileSync(file, new TextEncoder().encode(JSON.stringify(kept)), 0o600);
  } catch (e) {
    throw fileWriteError(e, file);
  }
  prune(ctx);
  return tbsSha256;
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
    kept = Kept.parse(JSON.parse(readFileSync(fileOf(ctx, hash), 'utf8')));
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
  rmSync(fileOf(ctx, tbsSha256.toLowerCase()), { force: true });
}
