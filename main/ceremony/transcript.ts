/**
 * The transcript of one ceremony: what the people in the room sign. Built
 * from the journal's ceremony entries (journal-entries.ts) and the script
 * they name, nothing else, so `transcript verify` can hold every statement
 * in it against the journal later. The JSON twin is the project's canonical
 * JSON, so the same ceremony always gives the same bytes and its hash can be
 * journaled (`ceremony.transcript`) and compared.
 */
import { createHash } from 'node:crypto';
import { CustosError } from '../errors/index.ts';
import { canonicalJson } from '../journal/canonical.ts';
import { GENESIS_HASH, type JournalEntry } from '../journal/entry.ts';
import { CHECKPOINT_KIND, type JournalHead } from '../journal/checkpoint.ts';
import {
  CEREMONY_BEGIN_KIND, CEREMONY_END_KIND, CEREMONY_STEP_KIND, CEREMONY_TRANSCRIPT_KIND,
  type ArtifactRecord, type CeremonyBeginData, type CeremonyEndData, type CeremonyStepData, type CeremonyTranscriptData, type Confirmation, type CustodianRecord,
} from './journal-entries.ts';
import { parseScript } from './load-script.ts';
import type { Script } from './script-schema.ts';

export const TRANSCRIPT_FORMAT = 'custos-transcript/1';

export interface TranscriptStep {
  readonly index: number;
  readonly id: string;
  /** The role the script names for it. */
  readonly role: Confirmation['role'];
  readonly act: string;
  readonly instructions: string;
  readonly checks: readonly string[];
  readonly quorum: boolean;
  /** False for a step of an unfinished (or abandoned) ceremony that has no `ceremony.step` entry. */
  readonly done: boolean;
  /** The `ceremony.step` entry's seq and time. */
  readonly seq?: number;
  readonly time?: string;
  readonly performer?: Confirmation;
  readonly witnesses: readonly Confirmation[];
  readonly artifacts: readonly ArtifactRecord[];
  readonly custodians: readonly CustodianRecord[];
  readonly actSeqs: readonly number[];
}

/** A line for a signature: every person the journal names, once per role. */
export interface SignatureLine {
  readonly name: string;
  readonly role: Confirmation['role'];
}

export interface Transcript {
  readonly format: typeof TRANSCRIPT_FORMAT;
  readonly ceremony: string;
  /** 'incomplete' while no `ceremony.end` entry exists: such a transcript is never final. */
  readonly status: 'complete' | 'incomplete';
  readonly outcome?: CeremonyEndData['outcome'];
  readonly reason?: string;
  readonly rehearsal: boolean;
  readonly script: { readonly id: string; readonly title: string; readonly version: number; readonly sha256: string };
  /** The operator the journal names for the begin entry. */
  readonly operator: string;
  readonly begin: { readonly seq: number; readonly time: string };
  readonly end?: { readonly seq: number; readonly time: string };
  readonly headBefore: JournalHead;
  readonly checkpointBefore?: JournalHead;
  readonly headAfter?: JournalHead;
  readonly checkpointAfter?: JournalHead;
  readonly steps: readonly TranscriptStep[];
  readonly signatures: readonly SignatureLine[];
}

/** A ceremony's own entries, in journal order, and what the rest of the journal says of the heads they name. */
export interface CeremonyRecord {
  readonly begin: JournalEntry & { readonly data: CeremonyBeginData };
  readonly steps: readonly (JournalEntry & { readonly data: CeremonyStepData })[];
  readonly end?: JournalEntry & { readonly data: CeremonyEndData };
  readonly transcripts: readonly (JournalEntry & { readonly data: CeremonyTranscriptData })[];
}

/** The ceremony's entries among entries; TRANSCRIPT_CEREMONY_NOT_FOUND when it never began. */
export function ceremonyRecord(entries: Iterable<JournalEntry>, ceremony: string): CeremonyRecord {
  let begin: CeremonyRecord['begin'] | undefined;
  const steps: (JournalEntry & { data: CeremonyStepData })[] = [];
  let end: CeremonyRecord['end'];
  const transcripts: (JournalEntry & { data: CeremonyTranscriptData })[] = [];
  for (const entry of entries) {
    if (entry.data.ceremony !== ceremony) continue;
    // The shapes are the runner's (journal-entries.ts); the journal's chain vouches that nobody else wrote them.
    if (entry.kind === CEREMONY_BEGIN_KIND && !begin) begin = entry as unknown as CeremonyRecord['begin'];
    else if (entry.kind === CEREMONY_STEP_KIND) steps.push(entry as unknown as JournalEntry & { data: CeremonyStepData });
    else if (entry.kind === CEREMONY_END_KIND && !end) end = entry as unknown as CeremonyRecord['end'];
    else if (entry.kind === CEREMONY_TRANSCRIPT_KIND) transcripts.push(entry as unknown as JournalEntry & { data: CeremonyTranscriptData });
  }
  if (!begin) {
    throw new CustosError('TRANSCRIPT_CEREMONY_NOT_FOUND', `No ceremony "${ceremony}" began in this journal: check its id (custos journal show lists ceremony.begin entries).`, { ceremony });
  }
  return { begin, steps, end, transcripts };
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The script as the begin entry names it: its bytes must hash to the begin entry's scriptSha256. */
export function scriptOfCeremony(record: CeremonyRecord, scriptBytes: Uint8Array): Script {
  const sha256 = sha256Hex(scriptBytes);
  const begin = record.begin.data;
  if (sha256 !== begin.scriptSha256) {
    throw new CustosError('TRANSCRIPT_SCRIPT_MISMATCH',
      `The script file given is not the one ceremony "${begin.ceremony}" ran: its SHA-256 is ${sha256}, the journal recorded ${begin.scriptSha256}. Give the script file exactly as it was run.`,
      { ceremony: begin.ceremony, scriptSha256: sha256, expectedSha256: begin.scriptSha256 });
  }
  const loaded = parseScript(new TextDecoder().decode(scriptBytes));
  if (!loaded.ok) {
    throw new CustosError('CEREMONY_SCRIPT_MALFORMED', `The script of ceremony "${begin.ceremony}" no longer reads as a script: ${loaded.findings[0]?.message ?? ''}`, { ceremony: begin.ceremony });
  }
  return loaded.script;
}

const headOf = (h: { readonly seq: number; readonly hash: string } | undefined): JournalHead | undefined => (h ? { seq: h.seq, hash: h.hash } : undefined);

const copyConfirmation = (c: Confirmation): Confirmation => ({ name: c.name, role: c.role, time: c.time });

const ROLE_ORDER: readonly Confirmation['role'][] = ['administrator', 'custodian', 'witness'];

/** Everyone named as performer or witness, once for each role they took: administrators, custodians, then witnesses, each in the order they first appear. */
function signatureLines(steps: readonly TranscriptStep[]): SignatureLine[] {
  const seen = new Set<string>();
  const lines: SignatureLine[] = [];
  for (const step of steps) {
    for (const person of [...(step.performer ? [step.performer] : []), ...step.witnesses]) {
      const key = `${person.role}\u0000${person.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      lines.push({ name: person.name, role: person.role });
    }
  }
  // Stable: within a role, the order of first appearance stays.
  return lines.sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role));
}

/** What a transcript takes from a script: its names, and each step as written. A transcript's own steps are one too (verify). */
export interface ScriptText {
  readonly id: string;
  readonly title: string;
  readonly version: number;
  readonly steps: readonly { readonly id: string; readonly role: Confirmation['role']; readonly act: string; readonly instructions: string; readonly checks: readonly string[]; readonly quorum: boolean }[];
}

export function scriptText(script: Script): ScriptText {
  return {
    id: script.id, title: script.title, version: script.version,
    steps: script.steps.map((s) => ({ id: s.id, role: s.performer, act: s.action.act, instructions: s.instructions, checks: s.checks, quorum: s.quorum })),
  };
}

/**
 * The transcript of the ceremony in record, with the script it ran. Pure.
 * A step entry that is not the script's step at its index means the journal
 * and the script disagree: refused, never printed as if they matched.
 */
export function buildTranscript(record: CeremonyRecord, script: ScriptText): Transcript {
  const begin = record.begin.data;
  const stepEntries = new Map(record.steps.map((e) => [e.data.index, e]));
  for (const e of record.steps) {
    if (script.steps[e.data.index]?.id !== e.data.step) {
      throw new CustosError('TRANSCRIPT_SCRIPT_MISMATCH',
        `Journal entry #${e.seq} records step "${e.data.step}" at position ${e.data.index + 1}, which is not that step of script "${script.id}" version ${script.version}.`,
        { ceremony: begin.ceremony, seq: e.seq, step: e.data.step });
    }
  }
  const steps: TranscriptStep[] = script.steps.map((s, index) => {
    const entry = stepEntries.get(index);
    const common = { index, id: s.id, role: s.role, act: s.act, instructions: s.instructions, checks: [...s.checks], quorum: s.quorum };
    if (!entry) return { ...common, done: false, witnesses: [], artifacts: [], custodians: [], actSeqs: [] };
    const d = entry.data;
    return {
      ...common, done: true, seq: entry.seq, time: entry.time,
      performer: copyConfirmation(d.performer),
      witnesses: d.witnesses.map(copyConfirmation),
      artifacts: d.artifacts.map((a) => ({ kind: a.kind, name: a.name, sha256: a.sha256, ...(a.path !== undefined ? { path: a.path } : {}) })),
      custodians: (d.custodians ?? []).map((c) => ({ chr: c.chr, keySha256: c.keySha256 })),
      actSeqs: [...d.actSeqs],
    };
  });
  const end = record.end;
  return {
    format: TRANSCRIPT_FORMAT,
    ceremony: begin.ceremony,
    status: end ? 'complete' : 'incomplete',
    ...(end ? { outcome: end.data.outcome, ...(end.data.reason !== undefined ? { reason: end.data.reason } : {}) } : {}),
    rehearsal: begin.rehearsal === true,
    script: { id: begin.scriptId, title: begin.scriptTitle, version: begin.scriptVersion, sha256: begin.scriptSha256 },
    operator: record.begin.operator,
    begin: { seq: record.begin.seq, time: record.begin.time },
    ...(end ? { end: { seq: end.seq, time: end.time } } : {}),
    headBefore: headOf(begin.headBefore)!,
    ...(begin.checkpointBefore ? { checkpointBefore: headOf(begin.checkpointBefore) } : {}),
    ...(end ? { headAfter: headOf(end.data.headAfter) } : {}),
    ...(end?.data.checkpointAfter ? { checkpointAfter: headOf(end.data.checkpointAfter) } : {}),
    steps,
    signatures: signatureLines(steps),
  };
}

/** The JSON twin's bytes: canonical JSON and a final newline, the same for the same ceremony every time. */
export function transcriptJson(transcript: Transcript): string {
  return `${canonicalJson(transcript)}\n`;
}

/** Every artifact of the transcript with the step that produced it, for the summary people read aloud. */
export function artifactsOf(transcript: Transcript): { readonly step: string; readonly artifact: ArtifactRecord }[] {
  return transcript.steps.flatMap((s) => s.artifacts.map((artifact) => ({ step: s.id, artifact })));
}

/** Is head on the chain of entries (the entry at its seq has its hash; seq 0 is the genesis)? */
export function isOnChain(head: JournalHead, hashAt: (seq: number) => string | undefined): boolean {
  if (head.seq === 0) return head.hash === GENESIS_HASH;
  return hashAt(head.seq) === head.hash;
}

/** Is head the head of a signed checkpoint among entries? (The checkpoint's own signature is the journal's verify to check.) */
export function isCheckpointHead(head: JournalHead, entries: Iterable<JournalEntry>): boolean {
  for (const e of entries) {
    if (e.kind === CHECKPOINT_KIND && e.data.headSeq === head.seq && e.data.headHash === head.hash) return true;
  }
  return false;
}
