/**
 * The key domain in the custodians' hands (SC-HSM.md §6): each custodian makes
 * a DKEK share file under a password of their own, and later imports it into
 * every SmartCard-HSM of the domain, one custodian at a time. Each step is a
 * journal entry that names the share by its KCV (SHA-256 of the share, cut to
 * 8 bytes, as for the DKEK itself), never by the share or its password.
 *
 * Import is guarded where the card cannot guard itself: the card XORs
 * whatever it is given, so a share imported twice cancels itself out and the
 * domain becomes a DKEK nobody holds. The journal knows which shares went into
 * which card (by its device key), and a share already in is refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CustosError, isCustosError } from '../errors/index.ts';
import type { JournalEntry } from '../journal/index.ts';
import { tokenRecord, type Token } from '../hsm/token.ts';
import { ScHsmToken } from '../hsm/sc-hsm/token.ts';
import type { DkekStatus } from '../hsm/sc-hsm/card.ts';
import { decryptShareFileAsync, encryptShareFileAsync, kcv, kdfSlowPathNote, SHARE_FILE_BYTES, type ShareFileOptions } from '../keydomain/index.ts';
import {
  formatColonHex, generateSharePassword, parseColonHex, recoverSharePassword, splitSharePassword, type PasswordShare,
} from '../keydomain/password-shares.ts';
import { readBoundedFile, writeNewFile } from '../exchange/files.ts';
import { Secret } from '../secret.ts';
import type { CaContext } from './context.ts';

export const SHARE_CREATE_KIND = 'dkek.share.create';
export const SHARE_IMPORT_KIND = 'dkek.share.import';
/** sc-hsm-tool asks for no minimum; a custodian's share password guards a whole key domain, so Custos does. */
export const MIN_SHARE_PASSWORD_CHARS = 8;
/** Where shares go when no medium is named: the custodian copies the file from there to their own medium. */
export const SHARES_FOLDER = 'dkek-shares';

export type Progress = (done: number, total: number, label: string) => void;

/** The key-derivation count and progress of share-file work; tests alone set iterations (files no other tool then opens). */
export interface ShareWorkOptions {
  readonly iterations?: number;
  readonly onProgress?: Progress;
  /** Stops the share file's key derivation at once (work.cancel): nothing is written or imported after it. */
  readonly signal?: AbortSignal;
}

/**
 * Tests only: a KDF count other than sc-hsm-tool's 10,000,000, for test runs
 * of the CLI and the window that cannot wait minutes per share file. Files
 * made so open in no other tool; whoever reads it says so.
 */
export const SHARE_FILE_ITERATIONS_ENV = 'CUSTOS_TEST_SHARE_FILE_ITERATIONS';
/** test/run.mjs marks every process a test file starts with it: the one place a weak share file is wanted. */
export const TEST_RUN_ENV = 'CUSTOS_TEST_RUN';

/**
 * The share-file KDF count the environment asks for, if any. Honoured only in
 * a test run or on a rehearsal core: anywhere else a share file may guard a
 * real key domain, and a real share file is always 10,000,000 rounds, so a
 * stray setting (a test shell's leftover export) is refused before any share
 * is made or opened, never silently obeyed and never silently dropped.
 */
export function shareFileIterationsForTests(where: { readonly rehearsal: boolean }): number | undefined {
  const text = process.env[SHARE_FILE_ITERATIONS_ENV];
  if (text === undefined || text === '') return undefined;
  if (!where.rehearsal && !process.env[TEST_RUN_ENV]) {
    throw new CustosError('SHARE_FILE_ITERATIONS_REFUSED',
      `${SHARE_FILE_ITERATIONS_ENV} is set, but this is neither a test run nor a rehearsal: a real DKEK share file is always made and opened with 10,000,000 rounds, as sc-hsm-tool does. Unset ${SHARE_FILE_ITERATIONS_ENV} and start again; nothing was made or imported.`,
      { variable: SHARE_FILE_ITERATIONS_ENV });
  }
  if (!/^[1-9]\d{0,7}$/.test(text)) {
    throw new CustosError('SHARE_FILE_ITERATIONS_REFUSED', `${SHARE_FILE_ITERATIONS_ENV} is a whole number from 1 to 99,999,999, not "${text.slice(0, 16)}".`, { variable: SHARE_FILE_ITERATIONS_ENV });
  }
  return Number(text);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** The share's KCV, as the paper record and the journal name it. */
export function shareKcv(share: Uint8Array): string {
  return hex(kcv(share));
}

function fileOptions(options: ShareWorkOptions): ShareFileOptions {
  const derived: ShareFileOptions = { ...(options.iterations === undefined ? {} : { iterations: options.iterations }), ...(options.signal ? { signal: options.signal } : {}) };
  // The share-file functions report progress where they can (done/total of the KDF); passed on as they name it.
  return options.onProgress === undefined ? derived : Object.assign({}, derived, { onProgress: (done: number, total: number) => options.onProgress?.(done, total, deriving()) });
}

/** The derivation's progress label; where it runs the slow JavaScript MD5 it says so (evp-bytes-to-key.ts). */
const deriving = (): string => `Deriving the share file key (EVP_BytesToKey, 10,000,000 rounds of MD5)${kdfSlowPathNote()}`;

/** A password typed twice: both must match, and be long enough. Wipes the repeat. */
export function checkNewPassword(password: Secret, repeat: Secret): void {
  try {
    const a = password.revealBytes();
    const b = repeat.revealBytes();
    const same = a.length === b.length && a.every((x, i) => x === b[i]);
    a.fill(0);
    b.fill(0);
    if (!same) throw new CustosError('PASSWORD_MISMATCH', 'The two passwords differ: type the same password twice.', {});
    if ([...password.reveal()].length < MIN_SHARE_PASSWORD_CHARS) {
      throw new CustosError('PASSWORD_TOO_SHORT', `A share password has at least ${MIN_SHARE_PASSWORD_CHARS} characters: it alone protects this share of the key domain.`, { minChars: MIN_SHARE_PASSWORD_CHARS });
    }
  } finally {
    repeat.wipe();
  }
}

export interface PasswordSharesShown {
  /** The prime, in sc-hsm-tool's colon hex. */
  readonly prime: string;
  readonly threshold: number;
  /** Share ID (decimal) and value (colon hex), one per holder, to be written down by them. */
  readonly shares: readonly { readonly id: number; readonly value: string }[];
}

export interface ShareCreated {
  readonly custodian: string;
  readonly path: string;
  readonly fileName: string;
  readonly shareKcv: string;
  readonly createdAt: string;
  /** Only when the password was split among several people: what each of them writes down. */
  readonly passwordShares?: PasswordSharesShown;
}

export interface CreateShareRequest {
  readonly custodian: string;
  /** The folder to write into (the custodian's medium); default <data dir>/dkek-shares. */
  readonly directory?: string;
  /** The custodian's password, typed twice … */
  readonly password?: Secret;
  readonly passwordRepeat?: Secret;
  /** … or a random password split t-of-n among several people, as sc-hsm-tool --pwd-shares-threshold/--pwd-shares-total does. */
  readonly passwordShares?: { readonly threshold: number; readonly total: number };
}

/** A file name a custodian recognises and no other share takes: their name, the date, the share's KCV. */
function shareFileName(custodian: string, date: Date, kcvHex: string): string {
  const name = custodian.normalize('NFKC').replace(/[^\p{L}\p{N}._-]+/gu, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 48) || 'custodian';
  return `dkek-share-${name}-${date.toISOString().slice(0, 10)}-${kcvHex.slice(0, 8)}.pbe`;
}

function requireCustodian(custodian: string): string {
  const name = custodian.trim();
  if (name === '' || name.length > 64) throw new CustosError('INPUT_INVALID', 'Name the custodian who keeps this share (1 to 64 characters).', {});
  return name;
}

/**
 * Makes one DKEK share and writes it, encrypted under the custodian's
 * password, as sc-hsm-tool --create-dkek-share does: 32 random bytes in a
 * 64-byte "Salted__" file. The plain share lives only for the encryption.
 */
export async function createDkekShare(ctx: CaContext, req: CreateShareRequest, options: ShareWorkOptions = {}): Promise<ShareCreated> {
  const custodian = requireCustodian(req.custodian);
  let password: Secret;
  let sharing: ReturnType<typeof splitSharePassword> | undefined;
  if (req.passwordShares !== undefined) {
    const raw = generateSharePassword();
    try {
      sharing = splitSharePassword(raw, req.passwordShares.threshold, req.passwordShares.total);
      password = Secret.fromBytes(raw);
    } finally {
      raw.fill(0);
    }
  } else {
    if (req.password === undefined || req.passwordRepeat === undefined) throw new CustosError('PASSWORD_MISMATCH', 'Type the share password twice.', {});
    checkNewPassword(req.password, req.passwordRepeat);
    password = req.password;
  }
  const directory = req.directory ?? join(ctx.dataDir, SHARES_FOLDER);
  const now = ctx.now();
  const intent = ctx.journal.begin(SHARE_CREATE_KIND, {
    custodian, directory, passwordKind: sharing ? 'shares' : 'typed',
    ...(sharing ? { passwordShares: { threshold: sharing.threshold, total: sharing.shares.length } } : {}),
  });
  const made = await ctx.journal.settle(intent, async () => {
    const share = new Uint8Array(randomBytes(32));
    try {
      options.onProgress?.(0, 0, deriving());
      const file = await encryptShareFileAsync(share, password, fileOptions(options));
      const kcvHex = shareKcv(share);
      const path = join(directory, shareFileName(custodian, now, kcvHex));
      if (req.directory === undefined) mkdirSync(directory, { recursive: true, mode: 0o700 });
      await writeNewFile(path, file, 0o600);
      return { path, kcvHex, fileSha256: createHash('sha256').update(file).digest('hex') };
    } finally {
      share.fill(0);
      password.wipe();
    }
  });
  ctx.journal.complete(intent, { custodian, shareKcv: made.kcvHex, file: made.path, fileSha256: made.fileSha256 });
  return {
    custodian, path: made.path, fileName: basename(made.path), shareKcv: made.kcvHex, createdAt: now.toISOString(),
    ...(sharing ? {
      passwordShares: {
        prime: formatColonHex(sharing.prime), threshold: sharing.threshold,
        shares: sharing.shares.map((s) => ({ id: s.x, value: formatColonHex(s.y) })),
      },
    } : {}),
  };
}

/** The password of a share file made with password shares, from at least threshold of them (sc-hsm-tool's colon hex). */
export function passwordFromShares(prime: string, shares: readonly { readonly id: number; readonly value: string }[]): Secret {
  let parsed: PasswordShare[];
  let p: bigint;
  try {
    p = parseColonHex(prime);
    parsed = shares.map((s) => ({ x: s.id, y: parseColonHex(s.value) }));
  } catch (e) {
    if (!isCustosError(e)) throw e;
    throw new CustosError('PASSWORD_SHARES_INVALID', `The password shares cannot be read: ${e.message}`, {});
  }
  if (parsed.some((s) => !Number.isInteger(s.x) || s.x < 1 || s.x > 255 || s.y >= p)) {
    throw new CustosError('PASSWORD_SHARES_INVALID', 'A password share\'s ID is 1 to 255 and its value is below the prime.', {});
  }
  let raw: Uint8Array;
  try {
    raw = recoverSharePassword(p, parsed);
  } catch (e) {
    if (!isCustosError(e)) throw e;
    throw new CustosError('PASSWORD_SHARES_INVALID', e.message, {});
  }
  try {
    return Secret.fromBytes(raw);
  } finally {
    raw.fill(0);
  }
}

// ---------------------------------------------------------------------------
// The domain on a card

export interface ImportedShare {
  readonly shareKcv: string;
  readonly fileName: string;
  readonly time: string;
  readonly operator: string;
}

export interface DomainStatus {
  readonly tokenId: string;
  /** False when the card was initialized without DKEK shares: it can neither back up nor restore. */
  readonly configured: boolean;
  readonly totalShares: number;
  readonly importedShares: number;
  readonly outstandingShares: number;
  readonly complete: boolean;
  /** The domain's KCV, once every share is in. */
  readonly kcv?: string;
  /** The shares the journal saw go into this card since its domain began, in order. */
  readonly shares: readonly ImportedShare[];
}

export function requireScHsm(token: Token, what: string): ScHsmToken {
  if (!(token instanceof ScHsmToken)) {
    throw new CustosError('KEY_DOMAIN_UNSUPPORTED', `${token.info.label} is not a SmartCard-HSM: ${what} needs a SmartCard-HSM's key domain (DKEK).`, { token: token.info.label });
  }
  return token;
}

/** The card's DKEK status; undefined when it was initialized without a key domain. */
export async function readDkekStatus(token: ScHsmToken): Promise<DkekStatus | undefined> {
  try {
    const status = await token.dkekStatus();
    // pico-hsm answers 9000 with 00 00 and a zero KCV for a card without a DKEK (SC-HSM.md §4.6).
    return status.totalShares === 0 && /^0+$/.test(status.kcv) ? undefined : status;
  } catch (e) {
    // A card without a DKEK answers 6D00 (SC-HSM.md §4.6), which the driver reads as DKEK_INCOMPLETE.
    if (isCustosError(e) && e.code === 'DKEK_INCOMPLETE') return undefined;
    throw e;
  }
}

function sameCard(entry: JournalEntry, token: Token): boolean {
  const info = token.info;
  return entry.token?.serial === info.serial && entry.token?.deviceKeySha256 === info.deviceKeySha256 && entry.token?.backend === info.backend;
}

interface ImportAttempt {
  readonly intent: JournalEntry;
  readonly before: { total: number; outstanding: number };
  readonly done: boolean;
}

/**
 * The shares that went into this card in its current round of imports. An
 * attempt whose result was never recorded (the card was pulled as it
 * answered) counts when the card's next known status shows one share fewer
 * outstanding: the card took it, and taking it again would cancel it.
 */
export function sharesInCard(ctx: CaContext, token: Token, status: DkekStatus): ImportedShare[] {
  if (status.outstandingShares >= status.totalShares) return [];
  const attempts: ImportAttempt[] = [];
  const closed = new Map<number, string>();
  for (const e of ctx.journal.read()) {
    if (e.kind === `${SHARE_IMPORT_KIND}.intent` && sameCard(e, token)) {
      const b = e.data.before as { total?: unknown; outstanding?: unknown } | undefined;
      if (typeof b?.total === 'number' && typeof b.outstanding === 'number') attempts.push({ intent: e, before: { total: b.total, outstanding: b.outstanding }, done: false });
    } else if (e.intent !== undefined && e.kind.startsWith(`${SHARE_IMPORT_KIND}.`)) {
      closed.set(e.intent, e.kind);
    }
  }
  const withOutcome = attempts.map((a) => ({ ...a, done: closed.get(a.intent.seq) === `${SHARE_IMPORT_KIND}.done` }));
  let start = 0;
  withOutcome.forEach((a, i) => { if (a.before.outstanding >= a.before.total) start = i; });
  const round = withOutcome.slice(start);
  return round.filter((a, i) => {
    if (a.done) return true;
    const next = round[i + 1]?.before.outstanding ?? status.outstandingShares;
    return next < a.before.outstanding;
  }).map((a) => ({ shareKcv: String(a.intent.data.shareKcv), fileName: String(a.intent.data.fileName), time: a.intent.time, operator: a.intent.operator }));
}

export async function domainStatus(ctx: CaContext, tokenId: string): Promise<DomainStatus> {
  const token = requireScHsm(await ctx.tokens.open(tokenId), 'a key domain');
  const status = await readDkekStatus(token);
  if (status === undefined) {
    return { tokenId, configured: false, totalShares: 0, importedShares: 0, outstandingShares: 0, complete: false, shares: [] };
  }
  const complete = status.outstandingShares === 0;
  return {
    tokenId, configured: true, totalShares: status.totalShares, importedShares: status.totalShares - status.outstandingShares,
    outstandingShares: status.outstandingShares, complete, ...(complete ? { kcv: status.kcv } : {}), shares: sharesInCard(ctx, token, status),
  };
}

/**
 * The KCV a domain made of these shares has, if the journal saw a card
 * complete with exactly them: what a second card of the same domain must show.
 */
export function knownDomainKcv(ctx: CaContext, shareKcvs: readonly string[]): string | undefined {
  const wanted = [...shareKcvs].sort().join(',');
  const byIntent = new Map<number, JournalEntry>();
  let found: string | undefined;
  for (const e of ctx.journal.read()) {
    if (e.kind === `${SHARE_IMPORT_KIND}.intent`) byIntent.set(e.seq, e);
    if (e.kind === `${SHARE_IMPORT_KIND}.done` && e.data.complete === true && Array.isArray(e.data.roundShareKcvs)) {
      if ([...e.data.roundShareKcvs].map(String).sort().join(',') === wanted) found = String(e.data.kcv);
    }
  }
  return found;
}

export interface ImportShareRequest {
  readonly tokenId: string;
  readonly file: Uint8Array;
  readonly fileName: string;
  readonly password: Secret;
  /** The domain KCV the custodians expect (written on their paper records); checked once the domain is complete. */
  readonly expectedKcv?: string;
  /** This share's KCV from its custodian's paper record: the file must open to that share, or nothing reaches the card. */
  readonly expectedShareKcv?: string;
}

/** Reads a share file off its medium: exactly 64 bytes, or DKEK_SHARE_MALFORMED. */
export async function readShareFile(path: string): Promise<Uint8Array> {
  const bytes = await readBoundedFile(path, SHARE_FILE_BYTES * 16);
  if (bytes.length !== SHARE_FILE_BYTES) {
    throw new CustosError('DKEK_SHARE_MALFORMED', `${basename(path)} has ${bytes.length} bytes; a DKEK share file has ${SHARE_FILE_BYTES} (is it cut short, or another file?).`, { bytes: bytes.length });
  }
  return bytes;
}

/**
 * A share file this Custos made, changed since: the journal holds the SHA-256
 * of every file it wrote. Checked before the password, because a changed
 * ciphertext block can still decrypt with valid padding, to a share nobody
 * holds, which would give the card a domain no other card can match.
 */
function refuseAlteredShareFile(ctx: CaContext, req: ImportShareRequest): void {
  const name = basename(req.fileName);
  const made = ctx.journal.read().filter((e) => e.kind === `${SHARE_CREATE_KIND}.done` && typeof e.data.file === 'string' && basename(e.data.file) === name);
  if (made.length === 0) return;
  const sha256 = createHash('sha256').update(req.file).digest('hex');
  if (made.some((e) => e.data.fileSha256 === sha256)) return;
  const creation = made[made.length - 1]!;
  throw new CustosError('DKEK_SHARE_ALTERED', `${name} is not the file made ${creation.time} for ${String(creation.data.custodian)} (share KCV ${String(creation.data.shareKcv)}): its bytes changed since. Import the custodian's other copy, or make a new share for the domain.`,
    { fileName: name, madeAt: creation.time, shareKcv: String(creation.data.shareKcv) });
}

export interface ShareImported extends DomainStatus {
  readonly shareKcv: string;
  readonly expectedKcv?: string;
}

/**
 * Imports one custodian's share file into a SmartCard-HSM. Everything that
 * can be refused is refused before the card is touched: a file that is not
 * a share, a wrong password, a domain already complete, a share already in
 * this card. The share goes to the card in one command, so a card pulled
 * mid-import holds it whole or not at all; the journal's next import reads
 * which.
 */
export async function importDkekShareFile(ctx: CaContext, req: ImportShareRequest, options: ShareWorkOptions = {}): Promise<ShareImported> {
  const token = requireScHsm(await ctx.tokens.open(req.tokenId), 'importing a DKEK share');
  const expectedKcv = req.expectedKcv?.toLowerCase();
  const expectedShareKcv = req.expectedShareKcv?.toLowerCase();
  if ([expectedKcv, expectedShareKcv].some((k) => k !== undefined && !/^[0-9a-f]{16}$/.test(k))) {
    req.password.wipe();
    throw new CustosError('INPUT_INVALID', 'The expected KCV is 16 hexadecimal digits (8 bytes), as the paper record shows it.', {});
  }
  let share: Uint8Array;
  try {
    const before = await readDkekStatus(token);
    if (before === undefined) {
      throw new CustosError('KEY_DOMAIN_NOT_CONFIGURED', `${token.info.label} was initialized without a key domain: re-initialize it with the number of DKEK shares (this erases its keys) before importing shares.`, { token: token.info.label });
    }
    if (before.outstandingShares === 0) {
      throw new CustosError('DKEK_ALREADY_COMPLETE', `All ${before.totalShares} DKEK shares are already in ${token.info.label} (key domain ${before.kcv}): there is nothing more to import.`, { kcv: before.kcv, totalShares: before.totalShares });
    }
    if (req.file.length !== SHARE_FILE_BYTES) {
      throw new CustosError('DKEK_SHARE_MALFORMED', `${req.fileName} has ${req.file.length} bytes; a DKEK share file has ${SHARE_FILE_BYTES} (is it cut short, or another file?).`, { bytes: req.file.length });
    }
    refuseAlteredShareFile(ctx, req);
    options.onProgress?.(0, 0, deriving());
    share = await decryptShareFileAsync(req.file, req.password, fileOptions(options));
  } finally {
    req.password.wipe();
  }
  try {
    const kcvHex = shareKcv(share);
    if (expectedShareKcv !== undefined && kcvHex !== expectedShareKcv) {
      // The file opened, but to another share than the custodian recorded: altered, or another custodian's file.
      throw new CustosError('DKEK_SHARE_ALTERED', `${basename(req.fileName)} opens to the share with KCV ${kcvHex}, not the ${expectedShareKcv} of its paper record: it was altered, or it is another custodian's file. Nothing was imported.`,
        { shareKcv: kcvHex, expectedShareKcv });
    }
    // The card's status again: the derivation took seconds, and a card may have been swapped meanwhile.
    const before = await readDkekStatus(token);
    if (before === undefined || before.outstandingShares === 0) {
      throw new CustosError('DKEK_ALREADY_COMPLETE', `${token.info.label}'s key domain changed while the share file was opened: look at its status again.`, {});
    }
    const inCard = sharesInCard(ctx, token, before);
    const twice = inCard.find((s) => s.shareKcv === kcvHex);
    if (twice) {
      throw new CustosError('DKEK_SHARE_ALREADY_IMPORTED', `This share (KCV ${kcvHex}) is already in ${token.info.label}: it was imported ${twice.time} from ${twice.fileName}. Importing it again would cancel it out; the next custodian imports theirs.`, { shareKcv: kcvHex, importedAt: twice.time });
    }
    const intent = ctx.journal.begin(SHARE_IMPORT_KIND, {
      tokenId: req.tokenId, fileName: basename(req.fileName), shareKcv: kcvHex,
      before: { total: before.totalShares, outstanding: before.outstandingShares },
    }, tokenRecord(token.info));
    const after = await ctx.journal.settle(intent, () => token.importDkekShare(share));
    const complete = after.outstandingShares === 0;
    const roundShareKcvs = [...inCard.map((s) => s.shareKcv), kcvHex];
    const expected = expectedKcv ?? (complete ? knownDomainKcv(ctx, roundShareKcvs) : undefined);
    ctx.journal.complete(intent, {
      shareKcv: kcvHex, total: after.totalShares, outstanding: after.outstandingShares, complete,
      ...(complete ? { kcv: after.kcv, roundShareKcvs, ...(expected !== undefined ? { expectedKcv: expected, kcvMatches: expected === after.kcv } : {}) } : {}),
    });
    if (complete && expected !== undefined && expected !== after.kcv) {
      throw new CustosError('KCV_MISMATCH', `The key domain on ${token.info.label} is complete with KCV ${after.kcv}, not the expected ${expected}: a share of another domain went in. Keys cannot be backed up into or restored from this domain; re-initialize the card and import the right shares.`,
        { kcv: after.kcv, expectedKcv: expected });
    }
    const status = await domainStatus(ctx, req.tokenId);
    return { ...status, shareKcv: kcvHex, ...(expected !== undefined ? { expectedKcv: expected } : {}) };
  } finally {
    share.fill(0);
  }
}

/**
 * A key generated on a SmartCard-HSM whose key domain still waits for shares
 * can never be backed up (the card binds a key to the DKEK it had when the
 * key was made, SC-HSM.md §12.6): a CA key must not be made there. A card
 * initialized without a domain, or another kind of token, is not refused.
 */
export async function refuseKeyOnIncompleteDomain(token: Token): Promise<void> {
  if (!(token instanceof ScHsmToken)) return;
  const status = await readDkekStatus(token);
  if (status === undefined || status.outstandingShares === 0) return;
  throw new CustosError('KEYGEN_DOMAIN_INCOMPLETE',
    `${token.info.label}'s key domain still waits for ${status.outstandingShares} of ${status.totalShares} DKEK shares. A CA key made now could never be backed up: import every custodian's share first (Key domain, or custos dkek import), then generate the key.`,
    { outstandingShares: status.outstandingShares, totalShares: status.totalShares });
}
