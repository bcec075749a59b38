/**
 * `transcript verify`: a transcript file held against the journal it came
 * from. The journal must still verify and still reach the head the
 * transcript names after the ceremony (so it was neither rewritten nor cut
 * back since); every step, artifact, custodian and head the transcript
 * states must be what the journal's ceremony entries say; and a
 * `ceremony.transcript` entry must carry this file's SHA-256, which covers
 * what the journal cannot (the script's words as printed). Each way it can
 * fail has its own code.
 */
import { readFileSync } from 'node:fs';
import type { ErrorCode } from '../errors/index.ts';
import { canonicalJson } from '../journal/canonical.ts';
import { formatHead, type JournalHead } from '../journal/checkpoint.ts';
import { isJournalEntry, type JournalEntry } from '../journal/entry.ts';
import { verifyJournalFile } from '../journal/journal.ts';
import { readBoundedFile } from '../exchange/files.ts';
import { buildTranscript, ceremonyRecord, isCheckpointHead, isOnChain, sha256Hex, transcriptJson, type Transcript } from './transcript.ts';
import { TranscriptSchema } from './transcript-schema.ts';
import { isCustosError } from '../errors/index.ts';

/** Far above the transcript of a 200-step ceremony; a bigger file is the wrong file. */
export const MAX_TRANSCRIPT_BYTES = 4 * 1024 * 1024;

export interface TranscriptProblem {
  readonly code: ErrorCode;
  readonly message: string;
}

export interface TranscriptVerification {
  readonly ok: boolean;
  readonly file: string;
  readonly sha256: string;
  readonly ceremony?: string;
  readonly rehearsal?: boolean;
  readonly outcome?: string;
  readonly steps?: number;
  readonly artifacts?: number;
  /** The journal's head now. */
  readonly journalHead?: string;
  /** The `ceremony.transcript` entry that carries this file's hash. */
  readonly recordedAt?: number;
  readonly problems: readonly TranscriptProblem[];
}

/** The first place two JSON values differ, as a dotted path (steps.2.artifacts.0.sha256), or undefined when equal. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (canonicalJson(a ?? null) === canonicalJson(b ?? null)) return undefined;
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      if (d !== undefined) return d;
    }
  }
  return path || '(whole)';
}

/** Reads the journal's entries; only called once the file has verified. */
function journalEntries(path: string): JournalEntry[] {
  const entries: JournalEntry[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    const e: unknown = JSON.parse(line);
    if (isJournalEntry(e)) entries.push(e);
  }
  return entries;
}

function headText(h: JournalHead | undefined): string {
  return h ? formatHead(h) : '(none)';
}

/** Which statement of the transcript the journal contradicts, in words a person can look up. */
function mismatchMessage(path: string, stated: Transcript): string {
  const m = /^steps\.(\d+)\.?(.*)$/.exec(path);
  if (m) {
    const step = stated.steps[Number(m[1])];
    return `The transcript's step ${Number(m[1]) + 1} ("${step?.id ?? '?'}") states ${m[2] || 'a step'} other than the journal records.`;
  }
  return `The transcript's ${path} is not what the journal records for ceremony "${stated.ceremony}".`;
}

export async function verifyTranscriptFile(file: string, journalPath: string): Promise<TranscriptVerification> {
  const bytes = await readBoundedFile(file, MAX_TRANSCRIPT_BYTES);
  const sha256 = sha256Hex(bytes);
  const fail = (problem: TranscriptProblem, more: Partial<TranscriptVerification> = {}): TranscriptVerification => ({ ok: false, file, sha256, ...more, problems: [problem] });

  let text: string;
  let parsed: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    parsed = JSON.parse(text);
  } catch {
    return fail({ code: 'TRANSCRIPT_MALFORMED', message: `${file} is not a transcript's JSON: it does not read as JSON text (it was damaged or edited).` });
  }
  const checked = TranscriptSchema.safeParse(parsed);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    return fail({ code: 'TRANSCRIPT_MALFORMED', message: `${file} is not a Custos transcript: ${issue ? `${issue.path.join('.') || '(file)'}: ${issue.message}` : 'wrong shape'}.` });
  }
  const stated = checked.data as Transcript;
  const about = { ceremony: stated.ceremony, rehearsal: stated.rehearsal, steps: stated.steps.length, ...(stated.outcome ? { outcome: stated.outcome } : {}) };

  // The journal first: until it verifies and still reaches the transcript's head, nothing in it can vouch for anything.
  const journal = verifyJournalFile(journalPath, stated.headAfter ? { head: stated.headAfter } : {});
  const journalHead = journal.head ? formatHead(journal.head) : undefined;
  if (!journal.ok) {
    const code = journal.code ?? 'JOURNAL_TAMPERED';
    const why = code === 'JOURNAL_TRUNCATED'
      ? `the journal no longer reaches the head ${headText(stated.headAfter)} this transcript names after the ceremony: it was cut back (${journal.reason}).`
      : `the journal fails verification at entry #${journal.firstBadSeq}: ${journal.reason}.`;
    return fail({ code, message: `Transcript of "${stated.ceremony}" not verified: ${why} Restore the journal from a copy and examine what changed.` }, { ...about, ...(journalHead ? { journalHead } : {}) });
  }

  // The head after lies before the end entry: a journal cut back to just before that entry still reaches it.
  if (stated.end && journal.entries < stated.end.seq) {
    return fail({ code: 'JOURNAL_TRUNCATED', message: `Transcript of "${stated.ceremony}" not verified: the journal ends at entry #${journal.entries}, before the ceremony's end (entry #${stated.end.seq}) that this transcript records: it was cut back. Restore the journal from a copy and examine what changed.` },
      { ...about, ...(journalHead ? { journalHead } : {}) });
  }
  const entries = journalEntries(journalPath);
  const problems: TranscriptProblem[] = [];
  const hashAt = (seq: number) => entries[seq - 1]?.hash;
  let record;
  try {
    record = ceremonyRecord(entries, stated.ceremony);
  } catch (e) {
    if (!isCustosError(e)) throw e;
    return fail({ code: e.code, message: e.message }, { ...about, ...(journalHead ? { journalHead } : {}) });
  }

  // What the journal says of this ceremony, with the script's words as the transcript printed them (its hash covers those).
  let fromJournal: Transcript | undefined;
  try {
    fromJournal = buildTranscript(record, {
      id: stated.script.id, title: stated.script.title, version: stated.script.version,
      steps: stated.steps.map((s) => ({ id: s.id, role: s.role, act: s.act, instructions: s.instructions, checks: s.checks, quorum: s.quorum })),
    });
  } catch (e) {
    if (!isCustosError(e)) throw e;
    problems.push({ code: 'TRANSCRIPT_MISMATCH', message: e.message });
  }
  const difference = fromJournal ? firstDifference(stated, fromJournal) : undefined;
  if (difference !== undefined) problems.push({ code: 'TRANSCRIPT_MISMATCH', message: mismatchMessage(difference, stated) });

  for (const [name, head] of [['head before', stated.headBefore], ['head after', stated.headAfter]] as const) {
    if (head && !isOnChain(head, hashAt)) problems.push({ code: 'TRANSCRIPT_HEAD_NOT_ON_CHAIN', message: `The transcript's journal ${name} ${formatHead(head)} is not on this journal's chain.` });
  }
  for (const [name, head] of [['checkpoint before', stated.checkpointBefore], ['checkpoint after', stated.checkpointAfter]] as const) {
    if (head && !isCheckpointHead(head, entries)) problems.push({ code: 'TRANSCRIPT_HEAD_NOT_ON_CHAIN', message: `The transcript's ${name} ${formatHead(head)} is not the head of any signed checkpoint in this journal.` });
  }
  if (stated.status === 'incomplete') {
    problems.push({ code: 'TRANSCRIPT_INCOMPLETE', message: `This transcript was made before ceremony "${stated.ceremony}" ended: it is marked INCOMPLETE and is not a ceremony's record. Make it again once the ceremony has ended.` });
  }

  const recorded = record.transcripts.find((t) => t.data.jsonSha256 === sha256);
  if (!recorded) {
    if (text !== transcriptJson(stated) || record.transcripts.length > 0) {
      problems.push({ code: 'TRANSCRIPT_ALTERED', message: `This file's SHA-256 ${sha256} is not the one the journal recorded for the transcript of "${stated.ceremony}"${record.transcripts.length ? ` (entry #${record.transcripts.at(-1)!.seq}: ${record.transcripts.at(-1)!.data.jsonSha256})` : ''}: the file was changed after it was made.` });
    } else {
      problems.push({ code: 'TRANSCRIPT_NOT_RECORDED', message: `No ceremony.transcript entry in the journal carries this file's SHA-256 ${sha256}: it was never made by Custos from this journal (custos transcript make records one).` });
    }
  }
  return {
    ok: problems.length === 0, file, sha256, ...about,
    artifacts: stated.steps.reduce((n, s) => n + s.artifacts.length, 0),
    ...(journalHead ? { journalHead } : {}), ...(recorded ? { recordedAt: recorded.seq } : {}),
    problems,
  };
}
