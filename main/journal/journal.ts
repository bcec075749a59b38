/**
 * The append-only, hash-chained journal: the truth of what this CA did.
 * Every act is written as an intent before it is attempted (fsync'd, so a
 * crash leaves an intent without a result, never a signature without a
 * record) and as a completion or failure after. What the CA knows of serials,
 * certificates, revocations and CRL numbers is read back from here.
 */
import { closeSync, existsSync, fsync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CustosError } from '../errors/index.ts';
import type { TokenRecord } from '../hsm/token.ts';
import { acquireLock } from '../fs/lock-file.ts';
import { GENESIS_HASH, hashEntry, sealedLine, type EntryData, type JournalEntry } from './entry.ts';

export const JOURNAL_FILE = 'journal.jsonl';

export interface VerifyResult {
  readonly ok: boolean;
  readonly entries: number;
  /** The first entry that was edited, removed, reordered or cut short. */
  readonly firstBadSeq?: number;
  readonly reason?: string;
}

interface ParsedJournal {
  readonly entries: JournalEntry[];
  readonly verify: VerifyResult;
}

function parseAndVerify(text: string): ParsedJournal {
  const entries: JournalEntry[] = [];
  if (text.length === 0) return { entries, verify: { ok: true, entries: 0 } };
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  if (complete) lines.pop();
  let prev = GENESIS_HASH;
  for (let i = 0; i < lines.length; i++) {
    const expectedSeq = i + 1;
    const bad = (reason: string): ParsedJournal => ({ entries, verify: { ok: false, entries: lines.length, firstBadSeq: expectedSeq, reason } });
    if (!complete && i === lines.length - 1) return bad(`entry #${expectedSeq} is cut short (the last line has no end)`);
    let entry: JournalEntry;
    try {
      entry = JSON.parse(lines[i]!) as JournalEntry;
    } catch {
      return bad(`entry #${expectedSeq} is not readable (it was edited or damaged)`);
    }
    if (typeof entry !== 'object' || entry === null || typeof entry.hash !== 'string') return bad(`entry #${expectedSeq} is not a journal entry`);
    if (entry.seq !== expectedSeq) {
      const later = lines.slice(i + 1).some((l) => l.includes(`"seq":${expectedSeq},`));
      return bad(entry.seq > expectedSeq && !later
        ? `entry #${expectedSeq} is missing (the next line is #${entry.seq})`
        : `entry #${expectedSeq} is out of order (found #${entry.seq} in its place)`);
    }
    if (entry.prev !== prev) return bad(`entry #${expectedSeq} does not follow entry #${expectedSeq - 1} (an entry before it was removed, replaced or reordered)`);
    const { hash, ...unsealed } = entry;
    if (hashEntry(unsealed) !== hash) return bad(`entry #${expectedSeq} was edited (its content no longer matches its hash)`);
    entries.push(entry);
    prev = hash;
  }
  return { entries, verify: { ok: true, entries: entries.length } };
}

/** Verifies a journal file without opening it for writing (no lock needed). */
export function verifyJournalFile(path: string): VerifyResult {
  if (!existsSync(path)) return { ok: true, entries: 0 };
  return parseAndVerify(readFileSync(path, 'utf8')).verify;
}

export interface JournalOptions {
  readonly dir: string;
  /** Who is acting: recorded in every entry. */
  readonly operator: string;
  readonly now?: () => Date;
}

export interface AppendOptions {
  readonly token?: TokenRecord;
  readonly intent?: number;
  /** fsync before returning. Intents always are. */
  readonly durable?: boolean;
}

type Listener = (entry: JournalEntry) => void;

export class Journal {
  readonly path: string;
  readonly operator: string;
  /** Intents a previous run began and never finished (a crash or kill): reported at open, then marked abandoned. */
  readonly abandonedAtOpen: readonly JournalEntry[];
  readonly #entries: JournalEntry[];
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
  #closed = false;

  private constructor(path: string, operator: string, entries: JournalEntry[], fd: number, release: () => void, now: () => Date) {
    this.path = path;
    this.operator = operator;
    this.#entries = entries;
    this.#fd = fd;
    this.#release = release;
    this.#now = now;
    this.#durableSeq = entries.length;
    for (const e of entries) {
      if (e.kind.endsWith('.intent')) this.#open.set(e.seq, e);
      else if (e.intent !== undefined) this.#open.delete(e.intent);
    }
    const abandoned = [...this.#open.values()];
    this.abandonedAtOpen = abandoned;
    for (const intent of abandoned) {
      this.append(intent.kind.replace(/\.intent$/, '.abandoned'), { reason: 'the process ended between intent and result; check the token and outputs' },
        { intent: intent.seq, ...(intent.token ? { token: intent.token } : {}), durable: true });
    }
  }

  /** Opens (or creates) the journal in dir for writing; refuses a journal that fails verification or is locked by another process. */
  static open(options: JournalOptions): Journal {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    const path = join(options.dir, JOURNAL_FILE);
    const lockFile = `${path}.lock`;
    const release = acquireLock(lockFile, (owner) => new CustosError('JOURNAL_LOCKED',
      `The journal is in use by another Custos process${owner ? ` (pid ${owner.pid} on ${owner.host} since ${owner.since})` : ''}. Close it first; if no Custos runs, remove ${lockFile}.`,
      { lockFile, pid: owner?.pid ?? null }));
    try {
      const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
      const parsed = parseAndVerify(text);
      if (!parsed.verify.ok) {
        throw new CustosError('JOURNAL_TAMPERED',
          `The journal fails verification: ${parsed.verify.reason}. Nothing will be signed until it is restored from a backup or examined.`,
          { path, firstBadSeq: parsed.verify.firstBadSeq ?? null });
      }
      const fd = openSync(path, 'a', 0o600);
      return new Journal(path, options.operator, parsed.entries, fd, release, options.now ?? (() => new Date()));
    } catch (e) {
      release();
      throw e;
    }
  }

  get entries(): readonly JournalEntry[] {
    return this.#entries;
  }

  get lastSeq(): number {
    return this.#entries.length;
  }

  onAppend(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  append(kind: string, data: EntryData, options: AppendOptions = {}): JournalEntry {
    if (this.#closed) throw new CustosError('INTERNAL', 'The journal is closed.', {});
    const last = this.#entries[this.#entries.length - 1];
    const { entry, line } = sealedLine({
      seq: this.#entries.length + 1,
      time: this.#now().toISOString(),
      kind,
      operator: this.operator,
      ...(options.token ? { token: options.token } : {}),
      ...(options.intent !== undefined ? { intent: options.intent } : {}),
      data,
      prev: last ? last.hash : GENESIS_HASH,
    });
    writeSync(this.#fd, `${line}\n`);
    this.#entries.push(entry);
    if (options.durable) this.flush();
    if (kind.endsWith('.intent')) this.#open.set(entry.seq, entry);
    if (options.intent !== undefined) this.#open.delete(options.intent);
    for (const l of this.#listeners) l(entry);
    return entry;
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
    const upTo = this.#entries.length;
    const done = new Promise<void>((resolve, reject) => {
      fsync(this.#fd, (error) => {
        if (this.#syncing?.done === done) this.#syncing = undefined;
        if (error) return reject(this.#failSync(error));
        this.#durableSeq = Math.max(this.#durableSeq, upTo);
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
    return this.append(intent.kind.replace(/\.intent$/, '.done'), data, { intent: intent.seq, ...(intent.token ? { token: intent.token } : {}) });
  }

  fail(intent: JournalEntry, error: { code: string; message: string }): JournalEntry {
    return this.append(intent.kind.replace(/\.intent$/, '.failed'), { code: error.code, message: error.message }, { intent: intent.seq, ...(intent.token ? { token: intent.token } : {}), durable: true });
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
      this.fail(intent, e instanceof CustosError ? e : { code: fallbackCode, message: String(e) });
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
    if (this.#durableSeq < this.#entries.length && !this.#closed) {
      try {
        fsyncSync(this.#fd);
      } catch (e) {
        throw this.#failSync(e as NodeJS.ErrnoException);
      }
      this.#durableSeq = this.#entries.length;
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
      this.#release();
    }
  }
}
