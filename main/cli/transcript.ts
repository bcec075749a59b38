/**
 * custos transcript make / verify: a ceremony's transcript written for the
 * record (JSON twin and PDF, printed by headless Chromium from the window's
 * own transcript page) and journaled; and a transcript file checked against
 * the journal, with no token and without taking the journal's lock.
 */
import { join, resolve } from 'node:path';
import { CustosError } from '../errors/index.ts';
import type { Custos } from '../custos.ts';
import { JOURNAL_FILE } from '../journal/index.ts';
import { dataDir } from '../settings/data-dir.ts';
import { makeTranscript } from '../ceremony/transcript-make.ts';
import { chromiumPrinter } from '../ceremony/transcript-pdf.ts';
import { verifyTranscriptFile } from '../ceremony/transcript-verify.ts';
import { shown, type Output } from './output.ts';
import { need, str, type CliValues } from './values.ts';

export const TRANSCRIPT_USAGE = `  custos transcript make CEREMONY_ID [SCRIPT] --out DIR write CEREMONY_ID.transcript.json and .pdf (headless Chromium) and journal their hashes
  custos transcript verify FILE.json                  check a transcript against the journal: its steps, artifacts, heads, and its recorded hash
`;

type WithCore = <T>(values: CliValues, out: Output, act: (core: Custos, out: Output) => Promise<T>) => Promise<T>;

export async function transcriptCommand(sub: string | undefined, positionals: readonly string[], values: CliValues, out: Output, withCore: WithCore): Promise<void> {
  if (sub === 'make') {
    const ceremony = positionals[2];
    if (!ceremony) throw new CustosError('INPUT_INVALID', 'Give the ceremony: custos transcript make CEREMONY_ID --out DIR.', {});
    const script = positionals[3];
    const directory = resolve(need(values, 'out', 'the folder to write the transcript into (e.g. the USB stick)'));
    return withCore(values, out, async (core, out) => {
      const made = await makeTranscript(core.journal, core.ctx.dataDir, { ceremony, directory, ...(script ? { scriptFile: resolve(script) } : {}), print: chromiumPrinter() });
      if (made.pdfUnavailable) out.note(`No PDF was made: ${made.pdfUnavailable}. The JSON twin is written; make the PDF again where Chromium runs, or print it from the app.`);
      if (!made.complete) out.note(`Ceremony "${shown(ceremony)}" has not ended: this transcript is marked INCOMPLETE and is not journaled as its record.`);
      out.result(made, () => [
        `${made.complete ? '' : 'INCOMPLETE '}${made.rehearsal ? 'REHEARSAL ' : ''}transcript of ceremony "${shown(made.ceremony)}":`,
        `  ${shown(made.jsonPath)}  sha256 ${made.jsonSha256}`,
        ...(made.pdfPath ? [`  ${shown(made.pdfPath)}  sha256 ${made.pdfSha256}`] : []),
        ...(made.recordedSeq !== undefined ? [`Recorded in journal entry #${made.recordedSeq} (ceremony.transcript).`] : []),
      ].join('\n'));
    });
  }
  if (sub === 'verify') {
    const file = positionals[2];
    if (!file) throw new CustosError('INPUT_INVALID', 'Give the transcript: custos transcript verify FILE.json.', {});
    const home = str(values.home) ? resolve(str(values.home)!) : dataDir();
    const report = await verifyTranscriptFile(resolve(file), join(home, JOURNAL_FILE));
    const first = report.problems[0];
    if (first) {
      for (const p of report.problems.slice(1)) out.note(`  also ${p.code}: ${p.message}`);
      throw new CustosError(first.code, first.message, { file: report.file, sha256: report.sha256, problems: report.problems.map((p) => p.code) });
    }
    out.result(report, () => [
      `Transcript of ceremony "${shown(report.ceremony ?? '')}" verified against the journal${report.rehearsal ? ' (REHEARSAL)' : ''}:`,
      `  ${report.steps} steps and ${report.artifacts} artifacts as the journal records them; its heads are on the chain;`,
      `  its SHA-256 ${report.sha256} is the one journal entry #${report.recordedAt} recorded.`,
      `journal head ${report.journalHead}`,
    ].join('\n'));
    return;
  }
  throw new CustosError('INPUT_INVALID', `Unknown command "transcript ${sub ?? ''}": use transcript make CEREMONY_ID --out DIR, or transcript verify FILE.json.`, {});
}
