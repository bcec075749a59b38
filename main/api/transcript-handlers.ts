/**
 * The window's side of ceremony transcripts. A transcript is saved to a
 * removable medium or a folder the person picked (the exports folder without
 * one), never over a file already there; a transcript is verified from a
 * medium, a picked file, or one this window saved.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Custos } from '../custos.ts';
import type { ReadGrants } from '../exchange/read-grants.ts';
import { defaultExportDir } from '../ca/export.ts';
import { CEREMONY_BEGIN_KIND, CEREMONY_END_KIND, CEREMONY_TRANSCRIPT_KIND } from '../ceremony/journal-entries.ts';
import { makeTranscript, transcriptOf, type TranscriptPrinter } from '../ceremony/transcript-make.ts';
import { sha256Hex, transcriptJson } from '../ceremony/transcript.ts';
import { verifyTranscriptFile } from '../ceremony/transcript-verify.ts';
import { chromiumPrinter } from '../ceremony/transcript-pdf.ts';
import { TranscriptSchema } from '../ceremony/transcript-schema.ts';
import type { Handlers, Output } from './contract.ts';
import type { transcriptApi } from './transcript-contract.ts';

type TranscriptHandlers = Pick<Handlers, keyof typeof transcriptApi>;

/** The ceremonies this journal holds, newest first. */
function ceremoniesOf(custos: Custos): Output<'transcript.ceremonies'> {
  const found = new Map<string, Output<'transcript.ceremonies'>[number]>();
  for (const e of custos.journal.read()) {
    const id = e.data.ceremony;
    if (typeof id !== 'string') continue;
    if (e.kind === CEREMONY_BEGIN_KIND && !found.has(id)) {
      found.set(id, {
        ceremony: id, scriptId: String(e.data.scriptId), scriptTitle: String(e.data.scriptTitle), rehearsal: e.data.rehearsal === true,
        began: e.time, status: 'running', transcripts: 0,
      });
    }
    const known = found.get(id);
    if (!known) continue;
    if (e.kind === CEREMONY_END_KIND) known.status = e.data.outcome === 'abandoned' ? 'abandoned' : 'completed';
    if (e.kind === CEREMONY_TRANSCRIPT_KIND) known.transcripts += 1;
  }
  return [...found.values()].reverse();
}

export function transcriptHandlers(custos: Custos, exportFolder: (directory: string | undefined) => Promise<{ directory?: string }>,
  grants: ReadGrants, print: TranscriptPrinter = chromiumPrinter()): TranscriptHandlers {
  const ctx = custos.ctx;
  // What this window saved, so it may verify it again without a dialog.
  const saved = new Set<string>();
  return {
    'transcript.ceremonies': async () => ceremoniesOf(custos),
    'transcript.get': async ({ ceremony }) => {
      const transcript = await transcriptOf(ctx.journal, ctx.dataDir, ceremony);
      const jsonSha256 = sha256Hex(transcriptJson(transcript));
      const recorded = ctx.journal.read().find((e) => e.kind === CEREMONY_TRANSCRIPT_KIND && e.data.ceremony === ceremony && e.data.jsonSha256 === jsonSha256);
      return { transcript: TranscriptSchema.parse(transcript), jsonSha256, ...(recorded ? { recordedSeq: recorded.seq } : {}) };
    },
    'transcript.save': async ({ ceremony, directory }) => {
      const permitted = await exportFolder(directory);
      const folder = permitted.directory ?? defaultExportDir(ctx);
      if (permitted.directory === undefined) mkdirSync(folder, { recursive: true, mode: 0o700 });
      const made = await custos.exclusive('transcript', () => makeTranscript(ctx.journal, ctx.dataDir, { ceremony, directory: folder, print }));
      saved.add(resolve(made.jsonPath));
      return { ...made };
    },
    'transcript.verify': async ({ path }) => {
      const file = saved.has(resolve(path)) ? resolve(path) : await grants.permitFile(path);
      const report = await verifyTranscriptFile(file, ctx.journal.path);
      return { ...report, problems: report.problems.map((p) => ({ ...p })) };
    },
  };
}
