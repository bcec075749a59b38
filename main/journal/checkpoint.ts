/**
 * Signed checkpoints: what anchors the hash chain to a token. The chain alone
 * proves only that the file is self-consistent; anyone can delete an entry and
 * seal the rest again. A checkpoint is a journal key's signature over the
 * head (seq and hash) of the chain at the end of an act, and the journal key
 * is a key pair generated on the CA's HSM for this alone (never a CA key), so
 * an entry at or before a checkpoint's head cannot be changed without that
 * token.
 *
 * What verification checks, and its limit:
 * - every `journal.key` entry's public key matches its SHA-256;
 * - every `journal.checkpoint` is signed by a journal key recorded before it,
 *   over the statement for the head it names, and that head is the entry at
 *   that seq in this chain;
 * - a journal key is vouched for before its checkpoints count: the journal's
 *   first is taken as it is found, every later one once a checkpoint by a key
 *   already vouched for covers the entry that records it (Custos signs that
 *   checkpoint when a CA key is restored into another token, or when a token
 *   gets its journal key while one with a vouched key is logged in). Else a
 *   forger would record a key of their own after the edit and sign new
 *   checkpoints with it;
 * - once a journal key is recorded, every entry that records a CA signature
 *   (root, certificate, CRL) is followed by a checkpoint covering it. Custos
 *   signs one at the end of each such act on the same token, so a forger who
 *   edits an earlier entry and strips the checkpoints that no longer verify
 *   leaves those acts uncovered, and is caught.
 * The limit: a forger without the token can still cut the journal back to
 * any checkpoint and append entries that need none (revocations, imports,
 * exports), or rewrite the entries after the last checkpoint that need none;
 * verification names how many entries lie after the last checkpoint. Cutting
 * back is caught only against a head carried outside the file (exports, CRL
 * records, the CLI's last line), with verify --head. A journal rewritten from
 * its first entry without any journal key is likewise caught only against an
 * outside head or a CA record's journal key fingerprint kept elsewhere.
 */
import { createHash, createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import type { JournalEntry } from './entry.ts';

export const JOURNAL_KEY_KIND = 'journal.key';
export const CHECKPOINT_KIND = 'journal.checkpoint';
/** The label Custos gives the journal key on a token. */
export const JOURNAL_KEY_LABEL = 'custos-journal';

/** Entries that record a CA signature: each must come to lie under a checkpoint once a journal key exists. */
const SIGNING_ACTS: ReadonlySet<string> = new Set(['ca.root.done', 'certificate.issue.done', 'crl.issue.done',
  // CV certificates (main/cvc/acts.ts): a CVCA's self-signature, and what an authority signs.
  'cvc.authority.init.done', 'cvc.certificate.sign.done']);

/**
 * An entry that records a CA signature: a done entry of SIGNING_ACTS, or the
 * recovered entry that records what the token signed for such an act when the
 * run ended before its done entry (journal.ts). The recovered entry is written
 * at the next open with no checkpoint after it, so verification reports the
 * act as unanchored until a person has read it and signed one.
 */
function isSigningAct(kind: string): boolean {
  return SIGNING_ACTS.has(kind.endsWith('.recovered') ? `${kind.slice(0, -'.recovered'.length)}.done` : kind);
}

/**
 * How far back (in entries) a checkpoint's head may lie. Custos signs the
 * head as the act ends and appends the checkpoint at once; only entries
 * written meanwhile by another call of the same process come between.
 */
export const CHECKPOINT_HEAD_WINDOW = 4096;

/**
 * The exact bytes a journal key signs: a fixed first line, so the signature
 * can never be taken for one over anything else the key might sign, then the
 * head's seq and hash, each on its own line.
 */
export function checkpointStatement(headSeq: number, headHash: string): Uint8Array {
  return new TextEncoder().encode(`custos journal checkpoint\n${headSeq}\n${headHash}`);
}

export interface JournalHead {
  readonly seq: number;
  readonly hash: string;
}

/** A head as people write it down and as the CLI prints it: SEQ:HASH. */
export function formatHead(head: JournalHead): string {
  return `${head.seq}:${head.hash}`;
}

/** Parses SEQ:HASH; undefined when the text is not one. */
export function parseHead(text: string): JournalHead | undefined {
  const m = /^\s*(\d{1,15}):([0-9a-fA-F]{64})\s*$/.exec(text);
  return m ? { seq: Number(m[1]), hash: m[2]!.toLowerCase() } : undefined;
}

export interface AnchorSummary {
  readonly journalKeys: number;
  readonly checkpoints: number;
  /** The highest seq a valid checkpoint covers (0: none). */
  readonly coveredSeq: number;
  /** Entries after the last checkpoint's head, the checkpoints themselves not counted. */
  readonly unanchored: number;
  /** Acts that recorded a CA signature and lie under no checkpoint (only counted once a journal key exists). */
  readonly uncoveredActs: readonly number[];
}

export interface AnchorFailure {
  readonly code: 'JOURNAL_TAMPERED' | 'JOURNAL_TRUNCATED' | 'JOURNAL_UNANCHORED';
  readonly seq: number;
  readonly reason: string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Follows a chain entry by entry (each already checked to follow the one
 * before) and checks its anchors. Used on a whole file by verify, and kept
 * up to date by the core as entries are appended, so an act can refuse to
 * sign a checkpoint over a chain whose anchors fail.
 */
export class AnchorCheck {
  readonly #keys = new Map<string, { readonly key: KeyObject; readonly recordSeq: number; vouched: boolean }>();
  /** The last checkpoint whose key no earlier journal key has vouched for (it covers nothing). */
  #unvouchedCheckpoint: number | undefined;
  readonly #recentHashes: string[] = new Array<string>(CHECKPOINT_HEAD_WINDOW);
  #lastSeq = 0;
  #checkpoints = 0;
  #coveredSeq = 0;
  /** Checkpoint entries after coveredSeq: not counted as unanchored. */
  #checkpointsAfterCovered: number[] = [];
  /** Signing acts after coveredSeq, once a journal key exists. */
  #uncoveredActs: number[] = [];
  #failure: AnchorFailure | undefined;
  /** The last seq the file held when it was opened (markOpened). */
  #openedSeq = 0;

  /** The first anchor that failed: a forged or misplaced checkpoint, or a journal key that does not match its hash. */
  get failure(): AnchorFailure | undefined {
    return this.#failure;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** The journal key recorded with this SHA-256 of its SubjectPublicKeyInfo, if any. */
  hasJournalKey(spkiSha256: string): boolean {
    return this.#keys.has(spkiSha256);
  }

  /** True for the journal's first key, and for a later one once a checkpoint by a vouched key covers its record. */
  isVouched(spkiSha256: string): boolean {
    return this.#keys.get(spkiSha256)?.vouched ?? false;
  }

  /** The hash of entry seq while it is among the last CHECKPOINT_HEAD_WINDOW seen. */
  recentHash(seq: number): string | undefined {
    return seq >= 1 && seq <= this.#lastSeq && this.#lastSeq - seq < CHECKPOINT_HEAD_WINDOW ? this.#recentHashes[seq % CHECKPOINT_HEAD_WINDOW] : undefined;
  }

  summary(): AnchorSummary {
    return {
      journalKeys: this.#keys.size, checkpoints: this.#checkpoints, coveredSeq: this.#coveredSeq,
      unanchored: this.#lastSeq - this.#coveredSeq - this.#checkpointsAfterCovered.length, uncoveredActs: [...this.#uncoveredActs],
    };
  }

  observe(entry: JournalEntry): void {
    this.#lastSeq = entry.seq;
    this.#recentHashes[entry.seq % CHECKPOINT_HEAD_WINDOW] = entry.hash;
    if (this.#failure) return;
    if (entry.kind === JOURNAL_KEY_KIND) this.#observeKey(entry);
    else if (entry.kind === CHECKPOINT_KIND) this.#observeCheckpoint(entry);
    else if (isSigningAct(entry.kind) && this.#keys.size > 0) this.#uncoveredActs.push(entry.seq);
  }

  #fail(seq: number, reason: string): void {
    this.#failure = { code: 'JOURNAL_TAMPERED', seq, reason };
  }

  #observeKey(entry: JournalEntry): void {
    const spkiSha256 = str(entry.data.keySpkiSha256);
    const spki = Buffer.from(str(entry.data.spki), 'base64');
    if (createHash('sha256').update(spki).digest('hex') !== spkiSha256) {
      return this.#fail(entry.seq, `journal key entry #${entry.seq} holds a public key whose SHA-256 is not the one it names`);
    }
    if (this.#keys.has(spkiSha256)) return;
    try {
      this.#keys.set(spkiSha256, { key: createPublicKey({ key: spki, format: 'der', type: 'spki' }), recordSeq: entry.seq, vouched: this.#keys.size === 0 });
    } catch {
      this.#fail(entry.seq, `journal key entry #${entry.seq} holds no readable public key`);
    }
  }

  #observeCheckpoint(entry: JournalEntry): void {
    const at = `checkpoint #${entry.seq}`;
    const known = this.#keys.get(str(entry.data.keySpkiSha256));
    if (!known) return this.#fail(entry.seq, `${at} is signed by a key that is no journal key recorded before it`);
    const headSeq = entry.data.headSeq;
    const headHash = str(entry.data.headHash);
    if (typeof headSeq !== 'number' || !Number.isSafeInteger(headSeq) || headSeq < 1 || headSeq >= entry.seq) {
      return this.#fail(entry.seq, `${at} names no earlier entry as its head`);
    }
    const hashAtHead = this.recentHash(headSeq);
    if (hashAtHead === undefined) return this.#fail(entry.seq, `${at} names entry #${headSeq}, further back than a checkpoint is ever taken`);
    if (hashAtHead !== headHash) return this.#fail(entry.seq, `${at} names a head that is not entry #${headSeq} of this chain (the entries it covered were changed)`);
    const { key } = known;
    const signature = Buffer.from(str(entry.data.signature), 'base64');
    // The algorithm follows from the recorded key, never from the entry: a forger picks nothing.
    const ok = key.asymmetricKeyType === 'ec'
      ? verifySignature('sha256', checkpointStatement(headSeq, headHash), { key, dsaEncoding: 'der' }, signature)
      : verifySignature('sha256', checkpointStatement(headSeq, headHash), key, signature);
    if (!ok) return this.#fail(entry.seq, `${at}'s signature does not verify with journal key ${str(entry.data.keySpkiSha256).slice(0, 16)}…`);
    if (!known.vouched) {
      this.#unvouchedCheckpoint = entry.seq;
      return;
    }
    this.#checkpoints += 1;
    this.#checkpointsAfterCovered.push(entry.seq);
    for (const k of this.#keys.values()) if (k.recordSeq <= headSeq) k.vouched = true;
    if (headSeq > this.#coveredSeq) {
      this.#coveredSeq = headSeq;
      this.#checkpointsAfterCovered = this.#checkpointsAfterCovered.filter((s) => s > headSeq);
      this.#uncoveredActs = this.#uncoveredActs.filter((s) => s > headSeq);
    }
  }

  /** Marks the entries seen so far as those the file held when it was opened. */
  markOpened(): void {
    this.#openedSeq = this.#lastSeq;
  }

  /**
   * problem(), counting only acts that were in the file when it was opened:
   * one this process wrote and could not checkpoint (the token went away) is
   * covered by its next checkpoint, not held against it.
   */
  problemAtOpen(): AnchorFailure | undefined {
    const problem = this.problem();
    return problem && (problem === this.#failure || problem.seq <= this.#openedSeq) ? problem : undefined;
  }

  /**
   * Why the chain as seen so far is not anchored, or undefined: a failed
   * anchor, or an act that recorded a CA signature with no checkpoint after
   * it (its checkpoint was removed, or could not be signed at the time).
   */
  problem(): AnchorFailure | undefined {
    if (this.#failure) return this.#failure;
    const act = this.#uncoveredActs[0];
    if (act !== undefined) {
      // A crash, a full disk or a pulled token between an act and its
      // checkpoint leaves exactly what a forger who strips checkpoints
      // leaves: the code says neither, and a person decides after reading
      // the entries. Until then nothing is signed (requireAnchoredJournal).
      return {
        code: 'JOURNAL_UNANCHORED', seq: act,
        reason: `entry #${act} records a signature by a CA key but no signed checkpoint follows it: either the act was cut off before its checkpoint (a crash, a full disk, a token pulled) or the checkpoints after it were removed. Check the entries after the last checkpoint (custos journal show); if they are what was done, custos journal checkpoint signs one`
          + (this.#unvouchedCheckpoint !== undefined && this.#unvouchedCheckpoint > act
            ? `; checkpoint #${this.#unvouchedCheckpoint} is signed by a journal key no earlier journal key has vouched for, and counts for nothing` : ''),
      };
    }
    return undefined;
  }
}

/** Checks a head carried outside the journal against the hash of its entry (undefined when the chain ended before it). */
export function headProblem(head: JournalHead, hashAtSeq: string | undefined, entries: number): AnchorFailure | undefined {
  if (hashAtSeq === undefined) {
    return { code: 'JOURNAL_TRUNCATED', seq: head.seq, reason: `the journal ends at entry #${entries} and no longer reaches the head #${head.seq} taken earlier (it was cut back)` };
  }
  if (hashAtSeq !== head.hash) {
    return { code: 'JOURNAL_TRUNCATED', seq: head.seq, reason: `entry #${head.seq} is no longer the head taken earlier (its hash is ${hashAtSeq.slice(0, 16)}…, not ${head.hash.slice(0, 16)}…): the journal was cut back and written again, or rewritten` };
  }
  return undefined;
}
