/**
 * Making a ceremony's transcript for the record: the JSON twin and the PDF,
 * written side by side into a folder (never over a file already there), and
 * their hashes journaled as `ceremony.transcript` so `transcript verify` can
 * match the file to the journal later. A ceremony not ended yet gets its
 * files marked INCOMPLETE and no `ceremony.transcript` entry: it is nobody's
 * record until it has ended.
 */
import { existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustosError } from '../errors/index.ts';
import type { Journal } from '../journal/index.ts';
import { readBoundedFile } from '../exchange/files.ts';
import { writeNewFiles, type NewFile } from '../fs/atomic-file.ts';
import { CEREMONY_TRANSCRIPT_KIND, type CeremonyTranscriptData } from './journal-entries.ts';
import { MAX_SCRIPT_BYTES } from './load-script.ts';
import {
  buildTranscript, ceremonyRecord, scriptOfCeremony, scriptText, sha256Hex, transcriptJson,
  type CeremonyRecord, type Transcript,
} from './transcript.ts';

/**
 * The scripts Custos ships; a data directory's own `ceremonies/` folder is
 * looked in first. From main/ceremony/ in the source tree, and from
 * out/electron/main/ in the app's bundle (electron-builder.yml puts them there).
 */
export const SHIPPED_CEREMONY_DIRS = ['../../resources/ceremonies/', '../../../resources/ceremonies/'].map((p) => fileURLToPath(new URL(p, import.meta.url)));

/** A ceremony id as it may name a file: what the runner gives, refused when it could reach outside the folder. */
const FILE_SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Prints a transcript to PDF bytes, or says why it cannot here (no Chromium, no built window). */
export type TranscriptPrinter = (transcript: Transcript) => Promise<{ readonly pdf: Uint8Array } | { readonly unavailable: string }>;

/** Where the script a ceremony names is looked for: the data directory's ceremonies/, then the shipped ones. */
export function scriptDirs(dataDir: string): string[] {
  return [join(dataDir, 'ceremonies'), ...SHIPPED_CEREMONY_DIRS.filter((d) => existsSync(d)).slice(0, 1)];
}

/**
 * The script bytes for record: the file given, or `<scriptId>.json` in dirs.
 * Its SHA-256 must be the begin entry's (scriptOfCeremony checks).
 */
export async function scriptBytesFor(record: CeremonyRecord, dirs: readonly string[], file?: string): Promise<Uint8Array> {
  if (file !== undefined) return readBoundedFile(file, MAX_SCRIPT_BYTES);
  const id = record.begin.data.scriptId;
  const found = FILE_SAFE_ID.test(id) ? dirs.map((d) => join(d, `${id}.json`)).find((p) => existsSync(p)) : undefined;
  if (!found) {
    throw new CustosError('TRANSCRIPT_SCRIPT_NOT_FOUND',
      `The script "${id}" that ceremony "${record.begin.data.ceremony}" ran is in none of ${dirs.join(', ')}: give the script file it ran.`,
      { ceremony: record.begin.data.ceremony, scriptId: id });
  }
  return readBoundedFile(found, MAX_SCRIPT_BYTES);
}

/** The transcript of a ceremony in this journal, as it stands now (incomplete while the ceremony runs). */
export async function transcriptOf(journal: Journal, dataDir: string, ceremony: string, scriptFile?: string): Promise<Transcript> {
  const record = ceremonyRecord(journal.read(), ceremony);
  return buildTranscript(record, scriptText(scriptOfCeremony(record, await scriptBytesFor(record, scriptDirs(dataDir), scriptFile))));
}

export interface MadeTranscript {
  readonly ceremony: string;
  readonly complete: boolean;
  readonly rehearsal: boolean;
  readonly jsonPath: string;
  readonly jsonSha256: string;
  readonly pdfPath?: string;
  readonly pdfSha256?: string;
  /** Why no PDF was made, when none was. */
  readonly pdfUnavailable?: string;
  /** The `ceremony.transcript` entry's seq; absent for an incomplete ceremony. */
  readonly recordedSeq?: number;
}

export function transcriptFileNames(ceremony: string): { json: string; pdf: string } {
  if (!FILE_SAFE_ID.test(ceremony)) {
    throw new CustosError('INPUT_INVALID', `The ceremony id "${ceremony.slice(0, 80)}" cannot name a file: letters, digits, ".", "_" and "-" only.`, { ceremony: ceremony.slice(0, 80) });
  }
  return { json: `${ceremony}.transcript.json`, pdf: `${ceremony}.transcript.pdf` };
}

/**
 * Writes `<id>.transcript.json` and `<id>.transcript.pdf` into directory and
 * journals their hashes. The files are written (whole, or not at all) before
 * the entry, so no entry ever names files that do not exist; when the entry
 * cannot be written (a full disk), the files are removed again.
 */
export async function makeTranscript(journal: Journal, dataDir: string, options: {
  readonly ceremony: string; readonly directory: string; readonly scriptFile?: string; readonly print?: TranscriptPrinter;
}): Promise<MadeTranscript> {
  const names = transcriptFileNames(options.ceremony);
  const transcript = await transcriptOf(journal, dataDir, options.ceremony, options.scriptFile);
  const json = transcriptJson(transcript);
  const printed = options.print ? await options.print(transcript) : { unavailable: 'no printer was given' };
  const pdf = 'pdf' in printed ? printed.pdf : undefined;
  const jsonPath = join(options.directory, names.json);
  const pdfPath = join(options.directory, names.pdf);
  const files: NewFile[] = [{ path: jsonPath, bytes: json }, ...(pdf ? [{ path: pdfPath, bytes: pdf }] : [])];
  if (!existsSync(options.directory)) {
    throw new CustosError('FILE_NOT_FOUND', `The folder ${options.directory} does not exist: choose an existing folder or a mounted medium.`, { directory: options.directory });
  }
  await writeNewFiles(files);
  const jsonSha256 = sha256Hex(json);
  const pdfSha256 = pdf ? sha256Hex(pdf) : undefined;
  const complete = transcript.status === 'complete';
  let recordedSeq: number | undefined;
  if (complete) {
    const data: CeremonyTranscriptData = { ceremony: transcript.ceremony, jsonSha256, ...(pdfSha256 ? { pdfSha256 } : {}) };
    try {
      const entry = journal.append(CEREMONY_TRANSCRIPT_KIND, { ...data }, { durable: true });
      await journal.durable(entry);
      recordedSeq = entry.seq;
    } catch (e) {
      // Files the journal does not vouch for would only fail verify, and stand in the way of making them again once the journal can take the entry.
      for (const f of files) await unlink(f.path).catch(() => undefined);
      throw e;
    }
  }
  return {
    ceremony: transcript.ceremony, complete, rehearsal: transcript.rehearsal, jsonPath, jsonSha256,
    ...(pdf ? { pdfPath, pdfSha256 } : { pdfUnavailable: 'unavailable' in printed ? printed.unavailable : 'not printed' }),
    ...(recordedSeq !== undefined ? { recordedSeq } : {}),
  };
}
