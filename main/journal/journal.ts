/**
 * The append-only, hash-chained journal: the truth of what this CA did.
 * Every act is written as an intent before it is attempted (fsync'd, so a
 * crash leaves an intent without a result, never a signature without a
 * record) and as a completion or failure after. What the CA knows of serials,
 * certificates, revocations and CRL numbers is read back from here.
 */
import { closeSync, existsSync, fsync, fsyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CustosError } from '../errors/index.ts';
import type { TokenRecord } from '../hsm/token.ts';
import { acquireLock } from '../fs/lock-file.ts';
import { GENESIS_HASH, hashEntry, hashOfBody, isJournalEntry, sealedLine, type EntryData, type JournalEntry } from './entry.ts';
import { fileLines, readRange } from './file-lines.ts';
import { AnchorCheck, headProblem, type AnchorSummary, type JournalHead } from './checkpoint.ts';
import { setTornTailAside, type TornTail } from './torn-tail.ts';
import { PendingResults, type KeptResult, type Reservation } from './pending-results.ts';
import { fileWriteError } from '../fs/atomic-file.ts';
import { errnoOf } from '../fs/errno.ts';

export const JOURNAL_FILE = 'journal.jsonl';
/** Beside the journal: room reserved for what tokens sign (pending-results.ts). */
export const PENDING_RESULTS_SUFFIX = '.pending-results';

export type { TornTail } from './torn-tail.ts';

export interface VerifyResult {
  readonly ok: boolean;
  readonly entries: number;
  /** The first entry that was edited, removed, reordered or cut short. */
  readonly firstBadSeq?: number;
  readonly reason?: string;
  /** Why verification failed: JOURNAL_TAMPERED, or JOURNAL_TRUNCATED against a head taken earlier. */
  readonly code?: 'JOURNAL_TAMPERED' | 'JOURNAL_TRUNCATED' | 'JOURNAL_UNANCHORED';
  /** Signed checkpoints and what lies after the last one (checkpoint.ts). */
  readonly anchors?: AnchorSummary;
  /** The last entry's seq and hash. */
  readonly head?: JournalHead;
}

export interface VerifyOptions {
  /** A head written down or carried away earlier: the journal must still reach it. */
  readonly head?: JournalHead;
}

interface ScannedEntry {
  readonly entry: JournalEntry;
  /** Byte offset of its line in the file. */
  readonly offset: number;
}

/**
 * True when the line is exactly as the journal wrote it and its hash is over
 * those bytes: the canonical body, then the hash as the last member
 * (sealedLine). Hashing the line's own text spares encoding the entry again,
 * which costs more than the hash.
 */
function sealedAsWritten(text: string, entry: JournalEntry): boolean {
  const suffix = `,"hash":"${entry.hash}"}`;
  if (!text.endsWith(suffix)) return false;
  return hashOfBody(entry.prev, text.slice(0, -suffix.length), '}') === entry.hash;
}

/** True when the entry's hash is over its canonical body: a copy whose members were reordered or spaced out still verifies. */
function sealedAsParsed(entry: JournalEntry): boolean {
  const { hash, ...unsealed } = entry;
  try {
    return hashEntry(unsealed) === hash;
  } catch {
    // A number JSON can spell but no entry holds (1e400 reads as Infinity) has no canonical form: it was not sealed.
    return false;
  }
}

/**
 * Reads and verifies the journal open on fd line by line, handing each
 * verified entry to onEntry; stops at the first entry that fails, and then
 * only counts the lines after it (and looks among them for the one that
 * belongs in its place).
 */
function scanJournal(fd: number, onEntry: (scanned: ScannedEntry) => void = () => undefined): VerifyResult {
  const lines = fileLines(fd);
  let prev = GENESIS_HASH;
  let seq = 0;
  for (const line of lines) {
    const expectedSeq = seq + 1;
    const bad = (reason: (later: boolean) => string): VerifyResult => {
      // Only a misplaced entry's message depends on what follows: is the one that belongs here further on?
      const needle = `"seq":${expectedSeq},`;
      let total = expectedSeq;
      let later = false;
      for (const rest of lines) {
        total += 1;
        later ||= rest.text.includes(needle);
      }
      return { ok: false, entries: total, firstBadSeq: expectedSeq, reason: reason(later) };
    };
    if (!line.ended) return bad(() => `entry #${expectedSeq} is cut short (the last line has no end, as a crash or power loss leaves it; the next command that opens the journal sets it aside and goes on)`);
    let entry: JournalEntry;
    try {
      entry = JSON.parse(line.text) as JournalEntry;
    } catch {
      return bad(() => `entry #${expectedSeq} is not readable (it was edited or damaged)`);
    }
    if (!isJournalEntry(entry)) return bad(() => `entry #${expectedSeq} is not a journal entry`);
    if (entry.seq !== expectedSeq) {
      const found = entry.seq;
      return bad((later) => (found > expectedSeq && !later
        ? `entry #${expectedSeq} is missing (the next line is #${found})`
        : `entry #${expectedSeq} is out of order (found #${found} in its place)`));
    }
    if (entry.prev !== prev) return bad(() => `entry #${expectedSeq} does not follow entry #${expectedSeq - 1} (an entry before it was removed, replaced or reordered)`);
    if (!sealedAsWritten(line.text, entry) && !sealedAsParsed(entry)) return bad(() => `entry #${expectedSeq} was edited (its content no longer matches its hash)`);
    onEntry({ entry, offset: line.offset });
    prev = entry.hash;
    seq = expectedSeq;
  }
  return { ok: true, entries: seq };
}

/** Keeps open up to date with entry: an intent opens, an entry naming an intent (its result, or an abandoned mark) closes it. */
function followIntents(open: Map<number, JournalEntry>, entry: JournalEntry): void {
  if (entry.kind.endsWith('.intent')) open.set(entry.seq, entry);
  if (entry.intent !== undefined) open.delete(entry.intent);
}

/**
 * Verifies a journal file without opening it for writing (no lock needed):
 * the hash chain, its signed checkpoints (checkpoint.ts), and a head taken
 * earlier when one is given.
 */
export function verifyJournalFile(path: string, options: VerifyOptions = {}): VerifyResult {
  const anchors = new AnchorCheck();
  let headHash: string | undefined;
  let lastHash = GENESIS_HASH;
  let chain: VerifyResult = { ok: true, entries: 0 };
  if (existsSync(path)) {
    const fd = openSync(path, 'r');
    try {
      chain = scanJournal(fd, ({ entry }) => {
        anchors.observe(entry);
        lastHash = entry.hash;
        if (entry.seq === options.head?.seq) headHash = entry.hash;
      });
    } finally {
      closeSync(fd);
    }
  }
  const verified = { anchors: anchors.summary(), head: { seq: anchors.lastSeq, hash: lastHash } };
  if (!chain.ok) return { ...chain, code: 'JOURNAL_TAMPERED', ...verified };
  const problem = anchors.problem() ?? (options.head ? headProblem(options.head, headHash, chain.entries) : undefined);
  return problem ? { ok: false, entries: chain.entries, firstBadSeq: problem.seq, reason: problem.reason, code: problem.code, ...verified } : { ...chain, ...verified };
}

export interface JournalOptions {
  readonly dir: string;
  /** Who is acting: recorded in every entry. */
  readonly operator: string;
  readonly now?: () => Date;
  /**
   * Given every entry: those in the file, in order, as it is opened, then
   * each one appended (the abandoned marks open writes included). How the CA
   * state is read back without the journal being held in memory.
   */
  readonly onEntry?: (entry: JournalEntry) => void;
}

export interface AppendOptions {
  readonly token?: TokenRecord;
  readonly intent?: number;
  /** fsync before returning. Intents always are. */
  readonly durable?: boolean;
}

type Listener = (entry: JournalEntry) => void;

interface OpenedFile {
  readonly fd: number;
  readonly offsets: number[];
  readonly end: number;
  readonly lastHash: string;
  /** Intents without a result, by seq. */
  readonly open: ReadonlyMap<number, JournalEntry>;
  readonly tornTail: TornTail | undefined;
  readonly pending: PendingResults;
  /** Results the pending file kept whose intent no entry completed: recorded as recovered at open. */
  readonly unrecorded: readonly { readonly result: KeptResult; readonly intent: JournalEntry | undefined }[];
}

export class Journal {
  readonly path: string;
  readonly operator: string;
  /** Intents a previous run began and never finished (a crash or kill): reported at open, then marked abandoned. */
  readonly abandonedAtOpen: readonly JournalEntry[];
  /** A last line a crash or power cut tore, set aside at open (its intent, if any, is among abandonedAtOpen). */
  readonly tornTailAtOpen: TornTail | undefined;
  /** Results a token signed that a previous run could not record (a full disk, a kill): recorded at open as `<act>.recovered`. */
  readonly recoveredAtOpen: readonly JournalEntry[];
  /** Byte offset of each entry's line: entry seq is at #offsets[seq - 1]. The entries themselves stay in the file. */
  readonly #offsets: number[];
  /** The file's length: where the next entry goes. */
  #end: number;
  #lastHash: string;
  readonly #fd: number;
  readonly #release: () => void;
  readonly #now: () => Date;
  readonly #listeners = new Set<Listener>();
  readonly #open = new Map<number, JournalEntry>();
  /** Every entry up to this seq is on disk (fsync'd). */
  #durableSeq = 0;
  /** An fsync under way off the main thread, and the last seq it covers. */
  #syncing: { readonly upTo: number; readonly done: Promise<void> } | undefined;
  /**
   * Set by the first failed fsync and kept: after one, Linux may have dropped
   * the unwritten pages and a later fsync can succeed without them, so no
   * entry is ever called durable again in this process.
   */
  #syncFailed: CustosError | undefined;
  /** Set when a failed write could not be cut back: nothing more is appended in this process. */
  #cutFailed: CustosError | undefined;
  #closed = false;
  readonly #pending: PendingResults;
  /** Room reserved for the result of each intent that asked for it, by the intent's seq. */
  readonly #reservations = new Map<number, Reservation>();
  /** Reservations whose result is in the journal: freed once that entry (seq) is on disk. */
  readonly #releasable: { readonly seq: number; readonly reservation: Reservation }[] = [];

  private constructor(path: string, operator: string, opened: OpenedFile, release: () => void, now: () => Date, onEntry: Listener | undefined) {
    this.path = path;
    this.operator = operator;
    this.#offsets = opened.offsets;
    this.#end = opened.end;
    this.#lastHash = opened.lastHash;
    this.#fd = opened.fd;
    this.#release = release;
    this.#now = now;
    this.#durableSeq = opened.offsets.length;
    for (const [seq, e] of opened.open) this.#open.set(seq, e);
    if (onEntry) this.#listeners.add(onEntry);
    const abandoned = [...this.#open.values()];
    this.abandonedAtOpen = abandoned;
    this.tornTailAtOpen = opened.tornTail;
    this.#pending = opened.pending;
    for (const intent of abandoned) {
      this.append(intent.kind.replace(/\.intent$/, '.abandoned'), { reason: 'the process ended between intent and result; check the token and outputs' },
        { intent: intent.seq, ...(intent.token ? { token: intent.token } : {}), durable: true });
    }
    const recovered: JournalEntry[] = [];
    for (const { result, intent } of opened.unrecorded) {
      const act = intent ? intent.kind.replace(/\.intent$/, '') : 'result';
      recovered.push(this.append(`${act}.recovered`, {
        result: Buffer.from(result.bytes).toString('base64'), sha256: result.sha256, bytes: result.bytes.length,
        reason: 'the token signed this but the run ended before its result was recorded; it was kept and is recorded now',
      }, { ...(intent ? { intent: intent.seq } : {}), ...(intent?.token ? { token: intent.token } : {}), durable: true }));
    }
    this.recoveredAtOpen = recovered;
    // Everything it held is in the journal on disk now.
    this.#pending.clear();
  }

  /** Opens (or creates) the journal in dir for writing; refuses a journal that fails verification or is locked by another process. */
  static open(options: JournalOptions): Journal {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    const path = join(options.dir, JOURNAL_FILE);
    const lockFile = `${path}.lock`;
    const release = acquireLock(lockFile, (owner) => new CustosError('JOURNAL_LOCKED',
      `The journal is in use by another Custos process${owner ? ` (pid ${owner.pid} on ${owner.host} since ${owner.since})` : ''}. Close it first; if no Custos runs, remove ${lockFile}.`,
      { lockFile, pid: owner?.pid ?? null }));
    let fd: number | undefined;
    let pending: PendingResults | undefined;
    try {
      // Read and appended to through one descriptor: O_APPEND puts every write at the end, positional reads page entries back.
      fd = openSync(path, 'a+', 0o600);
      const tornTail = setTornTailAside(fd, path);
      pending = PendingResults.open(`${path}${PENDING_RESULTS_SUFFIX}`);
      const kept = pending.kept();
      // Of the intents with a kept result, those a done or recovered entry closed, and each intent itself.
      const keptFor = new Set(kept.map((k) => k.intentSeq));
      const recorded = new Set<number>();
      const keptIntents = new Map<number, JournalEntry>();
      const offsets: number[] = [];
      const open = new Map<number, JournalEntry>();
      let lastHash = GENESIS_HASH;
      const verify = scanJournal(fd, ({ entry, offset }) => {
        offsets.push(offset);
        lastHash = entry.hash;
        // Only intents still without a result are kept: the rest of the journal is read again from the file when asked for.
        followIntents(open, entry);
        if (keptFor.has(entry.seq)) keptIntents.set(entry.seq, entry);
        if (entry.intent !== undefined && keptFor.has(entry.intent) && /\.(done|recovered)$/.test(entry.kind)) recorded.add(entry.intent);
        options.onEntry?.(entry);
      });
      if (!verify.ok) {
        throw new CustosError('JOURNAL_TAMPERED',
          `The journal fails verification: ${verify.reason}. Nothing will be signed until it is restored from a backup or examined.`,
          { path, firstBadSeq: verify.firstBadSeq ?? null });
      }
      const unrecorded = kept.filter((k) => !recorded.has(k.intentSeq)).map((result) => ({ result, intent: keptIntents.get(result.intentSeq) }));
      const opened: OpenedFile = { fd, offsets, end: fstatSync(fd).size, lastHash, open, tornTail, pending, unrecorded };
      return new Journal(path, options.operator, opened, release, options.now ?? (() => new Date()), options.onEntry);
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      pending?.close();
      release();
      throw e;
    }
  }

  get lastSeq(): number {
    return this.#offsets.length;
  }

  /**
   * Entries from the file, in order: those after seq afterSeq, at most limit
   * of them. Each call parses them afresh, so a caller may keep or change
   * what it gets.
   */
  read(afterSeq = 0, limit = Number.POSITIVE_INFINITY): JournalEntry[] {
    if (this.#closed) throw new CustosError('INTERNAL', 'The journal is closed.', {});
    const from = Math.max(0, Math.floor(afterSeq));
    const to = Math.min(this.#offsets.length, from + Math.max(0, limit));
    if (to <= from) return [];
    const start = this.#offsets[from]!;
    const bytes = readRange(this.#fd, start, (to < this.#offsets.length ? this.#offsets[to]! : this.#end) - start);
    const entries: JournalEntry[] = [];
    for (let s = 0, nl = bytes.indexOf(0x0a); nl >= 0; s = nl + 1, nl = bytes.indexOf(0x0a, s)) {
      entries.push(JSON.parse(bytes.toString('utf8', s, nl)) as JournalEntry);
    }
    return entries;
  }

  /** The entry seq, read from the file; undefined past the last one. */
  entryAt(seq: number): JournalEntry | undefined {
    return seq >= 1 ? this.read(seq - 1, 1)[0] : undefined;
  }

  onAppend(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  append(kind: string, data: EntryData, options: AppendOptions = {}): JournalEntry {
    if (this.#closed) throw new CustosError('INTERNAL', 'The journal is closed.', {});
    const { entry, line } = sealedLine({
      seq: this.#offsets.length + 1,
      time: this.#now().toISOString(),
      kind,
      operator: this.operator,
      ...(options.token ? { token: options.token } : {}),
      ...(options.intent !== undefined ? { intent: options.intent } : {}),
      data,
      prev: this.#lastHash,
    });
    const offset = this.#end;
    this.#end += this.#writeWhole(Buffer.from(`${line}\n`));
    this.#offsets.push(offset);
    this.#lastHash = entry.hash;
    if (options.durable) this.flush();
    followIntents(this.#open, entry);
    for (const l of this.#listeners) l(entry);
    return entry;
  }

  /**
   * Appends bytes whole, or leaves the file as it was: a write the disk
   * refuses (full, quota, I/O error) or cuts short is cut back to the last
   * whole entry before the error goes on, so the chain on disk and the head
   * in memory still agree and the journal is usable once space is freed.
   */
  #writeWhole(bytes: Buffer): number {
    if (this.#cutFailed) throw this.#cutFailed;
    let done = 0;
    try {
      while (done < bytes.length) {
        const n = writeSync(this.#fd, bytes, done, bytes.length - done);
        // A write that makes no progress is a full disk that did not say so.
        if (n === 0) throw Object.assign(new Error('no room to write'), { code: 'ENOSPC' });
        done += n;
      }
      return done;
    } catch (e) {
      try {
        ftruncateSync(this.#fd, this.#end);
      } catch (cut) {
        // The file may end in part of an entry: nothing more is written after it in this process (a whole
        // line after a torn one would read as an edit); the next open sets the torn part aside.
        this.#cutFailed = this.#failSync(cut as NodeJS.ErrnoException);
        throw this.#cutFailed;
      }
      const error = fileWriteError(e, this.path);
      const last = `the journal was cut back to its last whole entry (#${this.#offsets.length})`;
      if (error.code === 'MEDIA_FULL') {
        throw new CustosError('MEDIA_FULL', `The disk holding the journal is full: ${last}. Nothing more is signed until space is freed; then try again.`, { path: this.path, errno: errnoOf(e) ?? null });
      }
      if (error.code === 'MEDIA_WRITE_FAILED') {
        throw new CustosError('MEDIA_WRITE_FAILED', `The disk holding the journal failed to write (EIO): ${last}. Check the disk before going on.`, { path: this.path, errno: 'EIO' });
      }
      throw error;
    }
  }

  /**
   * Sets room aside on disk for the result of intent (at most maxBytes)
   * before its act asks the token: a full disk refuses the act now, while
   * nothing is signed (MEDIA_FULL). keepResult then writes the signed bytes
   * into that room; they stay there until the entry that records them is on
   * disk, and the next open records them as recovered if it never was.
   */
  reserveResult(intent: JournalEntry, maxBytes: number): void {
    if (this.#closed) throw new CustosError('INTERNAL', 'The journal is closed.', {});
    if (this.#reservations.has(intent.seq)) return;
    this.#reservations.set(intent.seq, this.#pending.reserve(intent.seq, maxBytes));
  }

  /** Keeps what the token signed for intent in the room reserveResult set aside. */
  keepResult(intent: JournalEntry, bytes: Uint8Array): void {
    const reservation = this.#reservations.get(intent.seq);
    if (reservation === undefined) throw new CustosError('INTERNAL', `Intent #${intent.seq} reserved no room for its result.`, { seq: intent.seq });
    this.#pending.keep(reservation, bytes);
  }

  /** Frees the room of results whose recording entry is now on disk. */
  #releaseDurable(): void {
    for (let i = this.#releasable.length - 1; i >= 0; i--) {
      const { seq, reservation } = this.#releasable[i]!;
      if (seq > this.#durableSeq) continue;
      this.#releasable.splice(i, 1);
      this.#pending.release(reservation);
    }
  }

  /** Records that an act is about to happen; durable before it returns. */
  begin(act: string, data: EntryData, token?: TokenRecord): JournalEntry {
    return this.append(`${act}.intent`, data, { ...(token ? { token } : {}), durable: true });
  }

  /**
   * Records an intent that settle makes durable before its act runs. A batch
   * writes the intents of the acts queued behind the one at the token this
   * way, and one fsync then covers them all (group commit): still no act
   * runs before its intent is on disk.
   */
  intend(act: string, data: EntryData, token?: TokenRecord): JournalEntry {
    return this.append(`${act}.intent`, data, token ? { token } : {});
  }

  /** True once the entry is on disk. */
  isDurable(entry: JournalEntry): boolean {
    return entry.seq <= this.#durableSeq;
  }

  /**
   * Resolves once the entry is on disk. The fsync runs off the main thread and
   * covers everything written before it started, so entries written while one
   * is under way share the next.
   */
  async durable(entry: JournalEntry): Promise<void> {
    while (!this.isDurable(entry)) {
      if (this.#syncFailed) throw this.#syncFailed;
      if (this.#closed) throw new CustosError('INTERNAL', 'The journal is closed.', {});
      const syncing = this.#syncing;
      if (syncing === undefined) this.#startSync();
      else if (syncing.upTo >= entry.seq) await syncing.done;
      // One that started before this entry was written: let it end, then start one that covers it.
      else await syncing.done.catch(() => undefined);
    }
  }

  #startSync(): void {
    const upTo = this.#offsets.length;
    const done = new Promise<void>((resolve, reject) => {
      fsync(this.#fd, (error) => {
        if (this.#syncing?.done === done) this.#syncing = undefined;
        if (error) return reject(this.#failSync(error));
        this.#durableSeq = Math.max(this.#durableSeq, upTo);
        this.#releaseDurable();
        resolve();
      });
    });
    this.#syncing = { upTo, done };
  }

  /**
   * Records the result of an intent. Not fsync'd on its own: the next intent's
   * fsync (or close) makes it durable, and a crash before that leaves the
   * intent open, which the next start reports — nothing is lost silently.
   */
  complete(intent: JournalEntry, data: EntryData): JournalEntry {
    const reservation = this.#reservations.get(intent.seq);
    let done: JournalEntry;
    try {
      done = this.append(intent.kind.replace(/\.intent$/, '.done'), data, { intent: intent.seq, ...(intent.token ? { token: intent.token } : {}) });
    } catch (e) {
      if (reservation?.kept && e instanceof CustosError) {
        throw new CustosError(e.code, `${e.message} What the token signed for entry #${intent.seq} is kept in ${this.#pending.path} and is recorded when Custos next opens the journal.`, { ...e.details, keptFor: intent.seq });
      }
      throw e;
    }
    if (reservation) {
      this.#reservations.delete(intent.seq);
      this.#releasable.push({ seq: done.seq, reservation });
      this.#releaseDurable();
    }
    return done;
  }

  fail(intent: JournalEntry, error: { code: string; message: string }): JournalEntry {
    const entry = this.append(intent.kind.replace(/\.intent$/, '.failed'), { code: error.code, message: error.message }, { intent: intent.seq, ...(intent.token ? { token: intent.token } : {}), durable: true });
    const reservation = this.#reservations.get(intent.seq);
    // A result the token signed stays kept (the next open records it); room never written to is free again.
    if (reservation && !reservation.kept) {
      this.#reservations.delete(intent.seq);
      this.#pending.release(reservation);
    }
    return entry;
  }

  /**
   * Runs the act an intent announced, once the intent is on disk; if it
   * throws, the failure is recorded (its code when it has one, else
   * fallbackCode) before the error goes on, so no intent is left open that
   * the operator was told had failed.
   */
  async settle<T>(intent: JournalEntry, act: () => Promise<T>, fallbackCode = 'INTERNAL'): Promise<T> {
    try {
      await this.durable(intent);
      return await act();
    } catch (e) {
      try {
        this.fail(intent, e instanceof CustosError ? e : { code: fallbackCode, message: String(e) });
      } catch {
        // The failure could not be recorded either (a full disk): the intent stays open, is marked
        // abandoned at the next open, and the operator is told the first error, which says why.
      }
      throw e;
    }
  }

  pendingIntents(): readonly JournalEntry[] {
    return [...this.#open.values()];
  }

  verify(): VerifyResult {
    this.flush();
    return verifyJournalFile(this.path);
  }

  flush(): void {
    if (this.#syncFailed) throw this.#syncFailed;
    if (this.#durableSeq < this.#offsets.length && !this.#closed) {
      try {
        fsyncSync(this.#fd);
      } catch (e) {
        throw this.#failSync(e as NodeJS.ErrnoException);
      }
      this.#durableSeq = this.#offsets.length;
      this.#releaseDurable();
    }
  }

  #failSync(error: NodeJS.ErrnoException): CustosError {
    this.#syncFailed ??= new CustosError('JOURNAL_CORRUPT',
      `The journal could not be written to disk (${error.code ?? error.message}); nothing more will be signed until Custos is restarted and the journal verified.`, { path: this.path });
    return this.#syncFailed;
  }

  close(): void {
    if (this.#closed) return;
    try {
      this.flush();
    } finally {
      // Even after a failed fsync: the file and the lock are let go.
      this.#closed = true;
      closeSync(this.#fd);
      this.#pending.close();
      this.#release();
    }
  }
}
