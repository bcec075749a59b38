/**
 * Ceremony transcripts' part of the one contract (contract.ts spreads it into
 * `api`): list the journal's ceremonies, show one's transcript, make and save
 * it (JSON twin and PDF, never over a file already there), verify one.
 */
import { z } from 'zod';
import { TranscriptSchema } from '../ceremony/transcript-schema.ts';

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in lower-case hexadecimal');
/** A ceremony id as the runner gives it. */
const CeremonyId = z.string().min(1).max(200);

export const CeremonySummary = z.object({
  ceremony: z.string(),
  scriptId: z.string(),
  scriptTitle: z.string(),
  rehearsal: z.boolean(),
  began: z.string(),
  status: z.enum(['running', 'completed', 'abandoned']),
  /** How many transcripts were made and journaled for it. */
  transcripts: z.number().int(),
});

export const TranscriptView = z.object({
  transcript: TranscriptSchema,
  /** SHA-256 of the JSON twin's bytes, printed on every copy so paper and file can be matched. */
  jsonSha256: Hex64,
  /** The `ceremony.transcript` entry that carries this very JSON, when one was made. */
  recordedSeq: z.number().int().optional(),
});

export const TranscriptSaved = z.object({
  ceremony: z.string(),
  complete: z.boolean(),
  rehearsal: z.boolean(),
  jsonPath: z.string(),
  jsonSha256: Hex64,
  pdfPath: z.string().optional(),
  pdfSha256: Hex64.optional(),
  /** Why no PDF was made, when none was: the JSON is written all the same. */
  pdfUnavailable: z.string().optional(),
  recordedSeq: z.number().int().optional(),
});

export const TranscriptVerification = z.object({
  ok: z.boolean(),
  file: z.string(),
  sha256: Hex64,
  ceremony: z.string().optional(),
  rehearsal: z.boolean().optional(),
  outcome: z.string().optional(),
  steps: z.number().int().optional(),
  artifacts: z.number().int().optional(),
  journalHead: z.string().optional(),
  recordedAt: z.number().int().optional(),
  problems: z.array(z.object({ code: z.string(), message: z.string() })),
});

export const transcriptApi = {
  'transcript.ceremonies': { input: z.void(), output: z.array(CeremonySummary) },
  'transcript.get': { input: z.object({ ceremony: CeremonyId }), output: TranscriptView },
  /** Writes <id>.transcript.json and .pdf into directory (a removable medium or a folder the person picked; the exports folder without one). */
  'transcript.save': { input: z.object({ ceremony: CeremonyId, directory: z.string().max(4096).optional() }), output: TranscriptSaved },
  /** Verifies a transcript file (on a removable medium, picked, or one this window saved) against this journal. */
  'transcript.verify': { input: z.object({ path: z.string().max(4096) }), output: TranscriptVerification },
} as const;
