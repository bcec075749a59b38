/**
 * Backing a CA key up to a file and restoring it into a secondary
 * SmartCard-HSM of the same key domain (SC-HSM.md §7). The backup is the
 * `.wky` file sc-hsm-tool reads (key blob, PrKD, public-key object) and, next
 * to it, a `.custos.json` that names what a person checks before a restore:
 * the key's label, the SHA-256 of its public key and the domain's KCV.
 *
 * A .wky with no .custos.json beside it (sc-hsm-tool --wrap-key writes
 * none) is read alone: the key's label, the SHA-256 of its public key and the
 * domain's KCV come from the file, and it is restored only when that key is
 * the one the operator expects or a CA of this journal was made with.
 *
 * A restore goes into a free key reference, and is checked to be the key the
 * backup names; a card of another domain, or one that already holds the key,
 * is refused before the card is asked. When a restore stops part-way, what it
 * left on the card is removed, then or at the next restore on that card.
 */
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { CustosError, isCustosError } from '../errors/index.ts';
import { tokenRecord, type KeyRef, type Token } from '../hsm/token.ts';
import type { ScHsmToken } from '../hsm/sc-hsm/token.ts';
import { kcvOfBlob, wrappedKeyOfWky, type WrappedKey } from '../hsm/sc-hsm/key-backup.ts';
import { deleteCardKey, listKeyIds } from '../hsm/sc-hsm/keys.ts';
import { decodePrivateKeyDescription, encodePrivateKeyDescription } from '../hsm/sc-hsm/pkcs15.ts';
import { keySpecOfSpki, spkiOfPublicObject, sha256Hex } from '../hsm/sc-hsm/keys.ts';
import { DOMAIN_PARAMETERS } from '../pki/cvc/cvc.ts';
import { decodeWky, encodeWky, type WkyFile } from '../keydomain/index.ts';
import { readBoundedFile } from '../exchange/files.ts';
import { writeNewFiles } from '../fs/atomic-file.ts';
import { vouchForRestoredKey } from './journal-anchor.ts';
import { JOURNAL_KEY_LABEL } from '../journal/checkpoint.ts';
import { b64, type CaContext } from './context.ts';
import { readDkekStatus, requireScHsm } from './key-domain.ts';

export const KEY_BACKUP_KIND = 'key.backup';
export const KEY_RESTORE_KIND = 'key.restore';
export const BACKUPS_FOLDER = 'key-backups';
export const METADATA_SUFFIX = '.custos.json';
/** A .wky holds a blob (RSA-4096: about 1.2 KiB), a PrKD and a certificate: 64 KiB is ample, and bounds a hostile file. */
export const MAX_WKY_BYTES = 64 * 1024;
const MAX_METADATA_BYTES = 64 * 1024;
/** A fingerprint shorter than this could match another key by chance. */
const MIN_FINGERPRINT_HEX = 16;

const Hex = z.string().regex(/^[0-9a-f]+$/);
export const BackupMetadata = z.object({
  format: z.literal('custos-key-backup'),
  version: z.literal(1),
  label: z.string(),
  keySpec: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('rsa'), bits: z.union([z.literal(2048), z.literal(3072), z.literal(4096)]) }),
    z.object({ kind: z.literal('ec'), curve: z.enum(['P-256', 'P-384', 'P-521']) }),
  ]),
  /** SHA-256 of the key's DER SubjectPublicKeyInfo: the key, on any card. */
  spkiSha256: Hex.length(64),
  spki: z.string(),
  /** The key domain's KCV: only a card with this KCV can restore the key. */
  domainKcv: Hex.length(16),
  wkyFile: z.string(),
  wkySha256: Hex.length(64),
  createdAt: z.string(),
  token: z.object({ label: z.string(), serial: z.string(), virtual: z.boolean() }),
  /** The CAs whose key this is, when any. */
  cas: z.array(z.object({ id: Hex, name: z.string() })),
}).strict();
export type BackupMetadata = z.infer<typeof BackupMetadata>;

export interface KeyChoice {
  readonly label: string;
  /** The SHA-256 of the key's public key as shown (at least its first 16 hex digits). */
  readonly spkiSha256: string;
}

/** The one key with this label whose fingerprint starts so; a key is never picked by its reference on the card. */
export async function chooseKey(token: Token, choice: KeyChoice): Promise<KeyRef> {
  const fingerprint = choice.spkiSha256.toLowerCase().replaceAll(':', '');
  if (!/^[0-9a-f]+$/.test(fingerprint) || fingerprint.length < MIN_FINGERPRINT_HEX) {
    throw new CustosError('INPUT_INVALID', `Name the key by its label and at least the first ${MIN_FINGERPRINT_HEX} hex digits of its public key's SHA-256 (custos key list shows both).`, {});
  }
  const keys = await token.listKeys();
  const matches = keys.filter((k) => k.label === choice.label && k.spkiSha256.startsWith(fingerprint));
  if (matches.length !== 1) {
    throw new CustosError('KEY_NOT_FOUND', `${token.info.label} holds no key labelled "${choice.label}" with SHA-256 ${fingerprint.slice(0, 16)}…: check both against custos key list.`,
      { label: choice.label, spkiSha256: fingerprint });
  }
  return matches[0]!;
}

function fileStem(label: string, spkiSha256: string): string {
  const name = label.normalize('NFKC').replace(/[^\p{L}\p{N}._-]+/gu, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 48) || 'key';
  return `${name}-${spkiSha256.slice(0, 16)}`;
}

function prkdOf(wrapped: WrappedKey, key: KeyRef): Uint8Array {
  // The driver hands back the card's own PrKD where it reads one; else the one it would write for this key.
  const fromCard = (wrapped as WrappedKey & { prkd?: Uint8Array }).prkd;
  if (fromCard !== undefined) return fromCard;
  const keyId = Number.parseInt(key.id, 16);
  const sizeBits = key.spec.kind === 'rsa' ? key.spec.bits : DOMAIN_PARAMETERS[key.spec.curve].fieldBits;
  return encodePrivateKeyDescription({ kind: key.spec.kind, label: key.label, id: Uint8Array.of(keyId), keyReference: keyId, sizeBits });
}

export interface BackupRequest extends KeyChoice {
  readonly tokenId: string;
  /** Where to write (a medium); default <data dir>/key-backups. */
  readonly directory?: string;
}

export interface BackupWritten {
  readonly wkyPath: string;
  readonly metadataPath: string;
  readonly metadata: BackupMetadata;
}

/** Wraps the key under the domain's DKEK and writes the .wky and its .custos.json, both or neither. */
export async function backupKeyToFile(ctx: CaContext, req: BackupRequest): Promise<BackupWritten> {
  const token = requireScHsm(await ctx.tokens.open(req.tokenId), 'key backup');
  const key = await chooseKey(token, req);
  const status = await readDkekStatus(token);
  if (status === undefined) {
    throw new CustosError('KEY_DOMAIN_NOT_CONFIGURED', `${token.info.label} has no key domain (it was initialized without DKEK shares): its keys cannot be backed up.`, {});
  }
  if (status.outstandingShares > 0) {
    throw new CustosError('DKEK_INCOMPLETE', `${token.info.label}'s key domain still needs ${status.outstandingShares} of ${status.totalShares} DKEK shares: import them before backing up a key.`,
      { outstandingShares: status.outstandingShares, totalShares: status.totalShares });
  }
  const directory = req.directory ?? join(ctx.dataDir, BACKUPS_FOLDER);
  const stem = fileStem(key.label, key.spkiSha256);
  const wkyPath = join(directory, `${stem}.wky`);
  const metadataPath = join(directory, `${stem}${METADATA_SUFFIX}`);
  const cas = [...ctx.state.cas.values()].filter((c) => c.keySpkiSha256 === key.spkiSha256).map((c) => ({ id: c.id, name: c.name }));
  const intent = ctx.journal.begin(KEY_BACKUP_KIND, {
    tokenId: req.tokenId, label: key.label, spkiSha256: key.spkiSha256, domainKcv: status.kcv, wkyFile: wkyPath, caIds: cas.map((c) => c.id),
  }, tokenRecord(token.info));
  const written = await ctx.journal.settle(intent, async () => {
    const wrapped = await token.wrapKey(key);
    if (wrapped.kcv !== status.kcv) throw new CustosError('KCV_MISMATCH', `The card wrapped the key under domain ${wrapped.kcv}, not its own ${status.kcv}.`, {});
    const wky = encodeWky({ blob: wrapped.blob, prkd: prkdOf(wrapped, key), certificate: wrapped.publicObject });
    const metadata: BackupMetadata = {
      format: 'custos-key-backup', version: 1, label: key.label, keySpec: { ...key.spec }, spkiSha256: key.spkiSha256, spki: b64(key.spki),
      domainKcv: wrapped.kcv, wkyFile: basename(wkyPath), wkySha256: sha256Hex(wky), createdAt: ctx.now().toISOString(),
      token: { label: token.info.label, serial: token.info.serial, virtual: token.info.virtual }, cas,
    };
    if (req.directory === undefined) mkdirSync(directory, { recursive: true, mode: 0o700 });
    // The metadata first: a .wky is never seen without what names it.
    await writeNewFiles([{ path: metadataPath, bytes: `${JSON.stringify(metadata, null, 2)}\n`, mode: 0o644 }, { path: wkyPath, bytes: wky, mode: 0o600 }]);
    return metadata;
  });
  ctx.journal.complete(intent, { wkyFile: wkyPath, metadataFile: metadataPath, wkySha256: written.wkySha256, domainKcv: written.domainKcv });
  return { wkyPath, metadataPath, metadata: written };
}

/** The .custos.json beside a .wky: same folder, same stem. */
export function metadataPathFor(wkyPath: string): string {
  return join(dirname(wkyPath), `${basename(wkyPath).replace(/\.wky$/i, '')}${METADATA_SUFFIX}`);
}

/**
 * What a person checks before a restore: the key (label, kind, SHA-256 of its
 * public key), its key domain (KCV) and the CAs whose key it is. From the
 * .custos.json when the backup has one, else read from the .wky itself.
 */
export interface BackupDescription {
  readonly label: string;
  readonly keySpec: BackupMetadata['keySpec'];
  readonly spkiSha256: string;
  readonly domainKcv: string;
  readonly wkySha256: string;
  readonly cas: BackupMetadata['cas'];
  /**
   * False for a .wky with no .custos.json beside it (sc-hsm-tool --wrap-key
   * writes none): nothing vouches for which key it holds, so a restore needs
   * the operator's expected fingerprint or a CA of this journal with that key.
   */
  readonly hasRecord: boolean;
}

export interface BackupRead {
  readonly description: BackupDescription;
  readonly metadata?: BackupMetadata;
  readonly wky: WkyFile;
  readonly wrapped: WrappedKey;
}

function invalidBackup(message: string, details: Record<string, string> = {}): never {
  throw new CustosError('KEY_BACKUP_INVALID', message, details);
}

/** The one way a .custos.json is missing that still leaves a backup: nothing at that path. */
async function readMetadataIfPresent(metadataPath: string): Promise<unknown> {
  try {
    return JSON.parse(Buffer.from(await readBoundedFile(metadataPath, MAX_METADATA_BYTES)).toString('utf8'));
  } catch (e) {
    if (isCustosError(e) && e.code === 'FILE_NOT_FOUND') return undefined;
    if (isCustosError(e)) throw e;
    invalidBackup(`${basename(metadataPath)} is not JSON.`);
  }
}

/**
 * A .wky alone: its parts must agree (wrappedKeyOfWky), and it must carry the
 * key's public half, or there is nothing to name the key by or to check a
 * restore against. What it names is only what the file says: the restore
 * compares it with a fingerprint from elsewhere.
 */
function readWkyAlone(bytes: Uint8Array): BackupRead {
  const wky = decodeWky(bytes);
  const wrapped = wrappedKeyOfWky(wky);
  const spki = spkiOfPublicObject(wrapped.publicObject).spki;
  const spec = keySpecOfSpki(spki);
  const keySpec: BackupMetadata['keySpec'] = spec.kind === 'rsa' ? { kind: 'rsa', bits: spec.bits } : { kind: 'ec', curve: spec.curve };
  const description: BackupDescription = {
    label: wrapped.label, keySpec, spkiSha256: sha256Hex(spki), domainKcv: wrapped.kcv, wkySha256: sha256Hex(bytes), cas: [], hasRecord: false,
  };
  return { description, wky, wrapped };
}

/**
 * Reads a backup and checks its parts against each other: the .wky is the one
 * its metadata names (by SHA-256), the blob is of the domain it names, and its
 * public-key object is the key it names. A truncated or altered .wky fails
 * here, before any card is touched. A .wky with no .custos.json beside it is
 * read alone (readWkyAlone), and says so (hasRecord false).
 */
export async function readBackup(wkyPath: string): Promise<BackupRead> {
  const metadataPath = metadataPathFor(wkyPath);
  const bytes = await readBoundedFile(wkyPath, MAX_WKY_BYTES);
  const raw = await readMetadataIfPresent(metadataPath);
  if (raw === undefined) return readWkyAlone(bytes);
  const parsed = BackupMetadata.safeParse(raw);
  if (!parsed.success) invalidBackup(`${basename(metadataPath)} is not a Custos key backup record (${parsed.error.issues[0]?.path.join('.') ?? 'shape'}).`);
  const metadata = parsed.data;
  if (sha256Hex(bytes) !== metadata.wkySha256) {
    invalidBackup(`${basename(wkyPath)} is not the file its record names (SHA-256 differs): it was cut short, altered or swapped. Use the copy the backup wrote.`, { wkyFile: basename(wkyPath) });
  }
  const wky = decodeWky(bytes);
  const kcv = kcvOfBlob(wky.blob);
  if (kcv !== metadata.domainKcv) invalidBackup(`The key blob is of domain ${kcv}, its record says ${metadata.domainKcv}.`);
  if (wky.certificate === undefined) invalidBackup(`${basename(wkyPath)} carries no public-key object: a restore could not check the key.`);
  if (sha256Hex(spkiOfPublicObject(wky.certificate).spki) !== metadata.spkiSha256) {
    invalidBackup(`The public key in ${basename(wkyPath)} is not the key its record names (${metadata.spkiSha256.slice(0, 16)}…).`);
  }
  let label = metadata.label;
  if (wky.prkd !== undefined) {
    try { label = decodePrivateKeyDescription(wky.prkd).label || label; } catch { /* the record's label stands */ }
  }
  // The driver takes the PrKD and certificate where it can write them back as they were.
  const wrapped: WrappedKey = Object.assign({ blob: wky.blob, kcv, label, publicObject: wky.certificate }, wky.prkd ? { prkd: wky.prkd } : {});
  const description: BackupDescription = {
    label: metadata.label, keySpec: metadata.keySpec, spkiSha256: metadata.spkiSha256, domainKcv: metadata.domainKcv, wkySha256: metadata.wkySha256, cas: metadata.cas, hasRecord: true,
  };
  return { description, metadata, wky, wrapped };
}

/** A backup as the window and the CLI show it before a restore: with the CAs of this journal whose key it holds. */
export async function describeBackup(ctx: CaContext, wkyPath: string): Promise<BackupDescription> {
  const { description } = await readBackup(wkyPath);
  return withJournalCas(ctx, description);
}

function withJournalCas(ctx: CaContext, d: BackupDescription): BackupDescription {
  const known = new Map(d.cas.map((c) => [c.id, c]));
  for (const ca of ctx.state.cas.values()) if (ca.keySpkiSha256 === d.spkiSha256 && !known.has(ca.id)) known.set(ca.id, { id: ca.id, name: ca.name });
  return { ...d, cas: [...known.values()] };
}

/** The operator's expected key: the whole SHA-256 of its public key, as custos key list and the backup record show it. */
export function normalizeExpectedKey(text: string): string {
  const fingerprint = text.trim().toLowerCase().replaceAll(':', '');
  if (!/^[0-9a-f]{64}$/.test(fingerprint)) {
    throw new CustosError('INPUT_INVALID', 'The expected key is the SHA-256 of its public key: all 64 hexadecimal digits (custos key list, or the record kept at the backup), not a part of it.', {});
  }
  return fingerprint;
}

const labelShown = (label: string): string => (label === '' ? 'an unlabelled key' : `the key "${label}"`);

/**
 * Which key a restore is sure of, and why: the backup's own record, the
 * fingerprint the operator expects, or a CA of this journal recorded with
 * that key. A fingerprint the operator gives is checked even when a record
 * exists; a .wky with neither a record, a fingerprint nor a CA is refused.
 */
export function requireExpectedKey(d: BackupDescription, expectedSpkiSha256: string | undefined, wkyName: string): 'record' | 'operator' | 'ca' {
  const named = `${wkyName} holds ${labelShown(d.label)} (${d.keySpec.kind === 'ec' ? `EC ${d.keySpec.curve}` : `RSA ${d.keySpec.bits}`}), public key SHA-256 ${d.spkiSha256}, of key domain KCV ${d.domainKcv}`;
  if (expectedSpkiSha256 !== undefined) {
    const expected = normalizeExpectedKey(expectedSpkiSha256);
    if (expected !== d.spkiSha256) {
      throw new CustosError('KEY_FINGERPRINT_MISMATCH', `${named}, not the expected key ${expected}. Nothing was restored: find the backup of the expected key, or check the fingerprint you were given.`,
        { label: d.label, spkiSha256: d.spkiSha256, expectedSpkiSha256: expected, domainKcv: d.domainKcv });
    }
    return 'operator';
  }
  if (d.hasRecord) return 'record';
  if (d.cas.length > 0) return 'ca';
  throw new CustosError('KEY_FINGERPRINT_REQUIRED', `${named}. No .custos.json lies beside it and no CA of this journal has that key, so nothing vouches for it: compare the SHA-256 with your record of the key, then restore naming it (custos key restore --expect-key SHA256, or type it on the Key domain screen).`,
    { label: d.label, spkiSha256: d.spkiSha256, domainKcv: d.domainKcv, keyKind: d.keySpec.kind });
}

export interface RestoreRequest {
  readonly tokenId: string;
  readonly wkyPath: string;
  /** The SHA-256 of the key's public key the operator expects (all 64 hex digits); needed for a .wky with no record and no CA. */
  readonly expectedSpkiSha256?: string;
}

export interface KeyRestored {
  readonly key: KeyRef;
  readonly description: BackupDescription;
  /** What vouched for the key before it went to the card. */
  readonly expectedBy: 'record' | 'operator' | 'ca';
  /** The secondary's journal key is vouched for, so it may sign for the CA with the primary gone. */
  readonly journalKeyVouched: boolean;
}

function restoreLeftovers(ctx: CaContext, token: Token): { intent: number; keyIdsBefore: number[] }[] {
  const failed = new Set<number>();
  const done = new Set<number>();
  const intents: { seq: number; keyIdsBefore: number[] }[] = [];
  for (const e of ctx.journal.read()) {
    if (e.kind === `${KEY_RESTORE_KIND}.intent` && e.token?.serial === token.info.serial && e.token.deviceKeySha256 === token.info.deviceKeySha256
      && Array.isArray(e.data.keyIdsBefore)) intents.push({ seq: e.seq, keyIdsBefore: e.data.keyIdsBefore.map(Number) });
    if (e.intent !== undefined && e.kind === `${KEY_RESTORE_KIND}.done`) done.add(e.intent);
    if (e.intent !== undefined && (e.kind === `${KEY_RESTORE_KIND}.failed` || e.kind === `${KEY_RESTORE_KIND}.abandoned`)) failed.add(e.intent);
    if (e.kind === 'key.restore.cleaned' && typeof e.data.intent === 'number') failed.delete(e.data.intent);
  }
  return intents.filter((i) => failed.has(i.seq) && !done.has(i.seq)).map((i) => ({ intent: i.seq, keyIdsBefore: i.keyIdsBefore }));
}

/** Key ids on the card that a stopped restore made: not there before it, and not a whole key (one listed with its public part and label). */
async function removeLeftovers(ctx: CaContext, token: ScHsmToken, keyIdsBefore: readonly number[], whole: readonly KeyRef[]): Promise<number[]> {
  const wholeIds = new Set(whole.map((k) => Number.parseInt(k.id, 16)));
  const extra = (await listKeyIds(token.card)).filter((id) => !keyIdsBefore.includes(id) && !wholeIds.has(id));
  for (const id of extra) await deleteCardKey(token.card, id);
  return extra;
}

/**
 * Restores a backup into a secondary SmartCard-HSM of the same domain, and
 * then (while a token that already signs for the CA is logged in) has that
 * token vouch for the secondary's journal key, so the secondary can later
 * sign for the CA alone.
 */
export async function restoreKeyFromFile(ctx: CaContext, req: RestoreRequest): Promise<KeyRestored> {
  const token = requireScHsm(await ctx.tokens.open(req.tokenId), 'key restore');
  const read = await readBackup(req.wkyPath);
  const { wrapped } = read;
  const metadata = withJournalCas(ctx, read.description);
  const expectedBy = requireExpectedKey(metadata, req.expectedSpkiSha256, basename(req.wkyPath));
  if (!token.info.loggedIn) throw new CustosError('NOT_LOGGED_IN', `Log in to ${token.info.label} before restoring a key into it.`, {});
  const status = await readDkekStatus(token);
  if (status === undefined) {
    throw new CustosError('KEY_DOMAIN_NOT_CONFIGURED', `${token.info.label} has no key domain: initialize it with the custodians' DKEK shares, then restore.`, {});
  }
  if (status.outstandingShares > 0) {
    throw new CustosError('DKEK_INCOMPLETE', `${token.info.label}'s key domain still needs ${status.outstandingShares} of ${status.totalShares} DKEK shares: import them, then restore.`,
      { outstandingShares: status.outstandingShares, totalShares: status.totalShares });
  }
  if (status.kcv !== metadata.domainKcv) {
    throw new CustosError('KCV_MISMATCH', `This key belongs to key domain ${metadata.domainKcv}; ${token.info.label} is of domain ${status.kcv}. Restore it on a card that holds the same custodians' shares.`,
      { keyDomainKcv: metadata.domainKcv, cardKcv: status.kcv });
  }
  // Whatever an earlier restore on this card left when it stopped goes first, recorded.
  let keys = await token.listKeys();
  for (const left of restoreLeftovers(ctx, token)) {
    const removed = await removeLeftovers(ctx, token, left.keyIdsBefore, keys);
    ctx.journal.append('key.restore.cleaned', { intent: left.intent, removedKeyIds: removed }, { token: tokenRecord(token.info), durable: true });
  }
  keys = await token.listKeys();
  const present = keys.find((k) => k.spkiSha256 === metadata.spkiSha256);
  if (present) {
    throw new CustosError('KEY_ALREADY_PRESENT', `${token.info.label} already holds this key (labelled "${present.label}", SHA-256 ${metadata.spkiSha256.slice(0, 16)}…): there is nothing to restore.`,
      { spkiSha256: metadata.spkiSha256 });
  }
  const keyIdsBefore = await listKeyIds(token.card);
  const intent = ctx.journal.begin(KEY_RESTORE_KIND, {
    tokenId: req.tokenId, label: metadata.label, spkiSha256: metadata.spkiSha256, domainKcv: metadata.domainKcv, wkyFile: req.wkyPath,
    wkySha256: metadata.wkySha256, keyIdsBefore, record: metadata.hasRecord, expectedBy,
  }, tokenRecord(token.info));
  const restored = await ctx.journal.settle(intent, async () => {
    try {
      const key = await token.unwrapKey(wrapped);
      if (key.spkiSha256 !== metadata.spkiSha256) {
        throw new CustosError('KEY_RESTORE_MISMATCH', `The key the card restored (SHA-256 ${key.spkiSha256.slice(0, 16)}…) is not the one the backup names (${metadata.spkiSha256.slice(0, 16)}…): it was removed again.`, {});
      }
      return key;
    } catch (e) {
      // Nothing half-restored stays: a card still present loses what this restore put on it.
      await removeLeftovers(ctx, token, keyIdsBefore, keys).catch(() => undefined);
      throw e;
    }
  });
  ctx.journal.complete(intent, { keyId: restored.id, label: restored.label, spkiSha256: restored.spkiSha256 });
  return { key: restored, description: metadata, expectedBy, journalKeyVouched: await vouchFromAnotherToken(ctx, token, metadata.spkiSha256) };
}

/** Any other logged-in token whose journal key this journal trusts vouches for the secondary's (journal-anchor.ts). */
async function vouchFromAnotherToken(ctx: CaContext, target: Token, spkiSha256: string): Promise<boolean> {
  if (!ctx.state.cas.size || ![...ctx.state.cas.values()].some((c) => c.keySpkiSha256 === spkiSha256)) return false;
  for (const from of ctx.tokens.openTokens().values()) {
    if (from === target || !from.info.loggedIn) continue;
    try {
      await vouchForRestoredKey(ctx, from, target, spkiSha256);
    } catch (e) {
      if (!isCustosError(e)) throw e;
      continue;
    }
    const journalKeys = (await target.listKeys()).filter((k) => k.label === JOURNAL_KEY_LABEL && (ctx.anchors?.isVouched(k.spkiSha256) ?? ctx.state.journalKeys.has(k.spkiSha256)));
    if (journalKeys.length > 0) return true;
  }
  return false;
}

/** The backup's fingerprint, as shown on screen and on paper. */
export function backupSummary(b: Pick<BackupDescription, 'label' | 'keySpec' | 'spkiSha256' | 'domainKcv'>): string {
  return `${b.label === '' ? 'an unlabelled key' : `"${b.label}"`} (${b.keySpec.kind === 'ec' ? `EC ${b.keySpec.curve}` : `RSA ${b.keySpec.bits}`}), public key SHA-256 ${b.spkiSha256}, key domain KCV ${b.domainKcv}`;
}

