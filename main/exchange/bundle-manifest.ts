/**
 * What a bundle's manifest says: each file's name, size and SHA-256, the
 * CA's certificate, when it was made and by whom, the journal head it was
 * made at, and whether it is a rehearsal. JSON, signed as it is written
 * (bundle-cms.ts), and read back strictly: an unknown field or a name that
 * could leave the bundle's folder is refused, not ignored.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CustosError } from '../errors/index.ts';

export const MANIFEST_FORMAT = 'custos-bundle/1';
/** The manifest's file in the bundle's folder; every other name there must be listed in it. */
export const MANIFEST_FILE = 'custos-manifest.p7s';
export const REHEARSAL_NOTICE = 'REHEARSAL: made with VIRTUAL tokens. Not for production; do not publish.';

/** Longest file name kept, in bytes: FAT, exFAT and ext4 all take 255. */
const MAX_NAME_BYTES = 255;
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lower-case SHA-256');

/**
 * A plain file name that stays inside the bundle's folder on every system it
 * may be read on: no folder part, no dot file (temporaries and OS litter),
 * none of the characters Windows refuses, and not the manifest's own name.
 */
export function isBundleFileName(name: string): boolean {
  return name.length > 0 && Buffer.byteLength(name) <= MAX_NAME_BYTES && !name.startsWith('.')
    // eslint-disable-next-line no-control-regex
    && !/[/\\:*?"<>|\u0000-\u001f]/.test(name) && !/[ .]$/.test(name) && name.toLowerCase() !== MANIFEST_FILE;
}

const FileEntry = z.strictObject({
  name: z.string().refine(isBundleFileName, 'must be a plain file name'),
  bytes: z.number().int().min(0),
  sha256: Sha256,
});

export const Manifest = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  purpose: z.literal('publish'),
  rehearsal: z.boolean(),
  notice: z.string().max(200).optional(),
  createdAt: z.string().datetime({ offset: true }),
  operator: z.string().max(200),
  ca: z.strictObject({ name: z.string().max(200), subject: z.string().max(2000), sha256: Sha256, certificate: z.string().max(64 * 1024) }),
  journalHead: z.string().regex(/^\d+:[0-9a-f]{64}$/, 'SEQ:HASH'),
  files: z.array(FileEntry).max(10_000),
}).superRefine((m, ctx) => {
  const seen = new Set<string>();
  for (const [i, f] of m.files.entries()) {
    // Case-insensitive: on FAT and exFAT two such names are one file.
    if (seen.has(f.name.toLowerCase())) ctx.addIssue({ code: 'custom', path: ['files', i, 'name'], message: `lists "${f.name}" twice` });
    seen.add(f.name.toLowerCase());
  }
  if (m.rehearsal !== (m.notice === REHEARSAL_NOTICE)) ctx.addIssue({ code: 'custom', path: ['notice'], message: 'must be the rehearsal notice exactly when rehearsal is true' });
});

export type Manifest = z.infer<typeof Manifest>;
export type ManifestFile = Manifest['files'][number];

export interface BundleFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export function describeFile(file: BundleFile): ManifestFile {
  return { name: file.name, bytes: file.bytes.byteLength, sha256: createHash('sha256').update(file.bytes).digest('hex') };
}

/** The manifest's bytes: canonical enough to read, and signed as they are, so never re-serialised before checking. */
export function encodeManifest(manifest: Manifest): Uint8Array {
  const checked = Manifest.safeParse(manifest);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new CustosError('INPUT_INVALID', `The bundle cannot be made: ${issue.path.join('.')} ${issue.message}.`, { field: issue.path.join('.') });
  }
  return new TextEncoder().encode(`${JSON.stringify(checked.data, null, 2)}\n`);
}

/** Reads a signed manifest's content; BUNDLE_MANIFEST_MALFORMED when it is not one, naming the field. */
export function decodeManifest(content: Uint8Array): Manifest {
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(content));
  } catch (e) {
    throw new CustosError('BUNDLE_MANIFEST_MALFORMED', `The signed manifest is not JSON (${e instanceof Error ? e.message : String(e)}).`, {});
  }
  const checked = Manifest.safeParse(data);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const field = [...issue.path.map(String), ...(issue.code === 'unrecognized_keys' ? [issue.keys[0] ?? ''] : [])].filter(Boolean).join('.') || '(manifest)';
    throw new CustosError('BUNDLE_MANIFEST_MALFORMED', `The signed manifest's field "${field}" ${issue.code === 'unrecognized_keys' ? 'is not a manifest field' : issue.message}: it was not written by this version of Custos.`, { field });
  }
  return checked.data;
}
