/**
 * The journal carried away: as JSON lines, the entries exactly as the
 * journal holds them (custos journal verify reads such a copy), or as one
 * printable HTML page for the ceremony's paper record. Written like any
 * export (export.ts): recorded first, never over an existing file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JOURNAL_FILE, type JournalEntry } from '../journal/index.ts';
import { visibleText } from '../api/visible-text.ts';
import { writeExport, type Exported } from './export.ts';
import type { CaContext } from './context.ts';

export type JournalFormat = 'jsonl' | 'html';

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** One value from an entry as one line a person can read: no markup, no control or bidi character acts on the page. */
const cell = (value: unknown): string => escapeHtml(visibleText(typeof value === 'string' ? value : JSON.stringify(value)));

/** The printable page: every entry with its hash, so a printout can be checked against the file line by line. */
export function journalHtml(entries: readonly JournalEntry[], head: string, printedAt: Date): string {
  const rows = entries.map((e) => `<tr><td>${e.seq}</td><td>${cell(e.time)}</td><td>${cell(e.kind)}</td><td>${cell(e.operator)}</td>`
    + `<td>${e.token ? `${cell(e.token.label)}${e.token.virtual ? ' [VIRTUAL]' : ''}` : ''}</td><td class="data">${cell(e.data)}</td><td class="hash">${cell(e.hash)}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Custos journal to entry #${entries.length ? entries[entries.length - 1]!.seq : 0}</title>
<style>
body { font: 10pt sans-serif; margin: 1.5cm; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #888; padding: 2px 4px; vertical-align: top; text-align: left; }
td.data, td.hash { font-family: monospace; word-break: break-all; }
td.hash { width: 16ch; }
@media print { thead { display: table-header-group; } tr { page-break-inside: avoid; } }
</style></head>
<body>
<h1>Custos journal</h1>
<p>${entries.length} entries, printed ${cell(printedAt.toISOString())}. Journal head <code>${cell(head)}</code>: check it with <code>custos journal verify --head ${cell(head)}</code>.</p>
<table><thead><tr><th>#</th><th>Time (UTC)</th><th>Act</th><th>Operator</th><th>Token</th><th>Data</th><th>Hash</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p>Signatures of the custodians and witnesses: ____________________________________________</p>
</body></html>
`;
}

export async function exportJournal(ctx: CaContext, req: { format: JournalFormat; directory?: string }): Promise<Exported> {
  // Read before the export's own entry is written: the copy ends at the head it names.
  const entries = ctx.journal.read();
  const last = entries[entries.length - 1];
  const head = last ? `${last.seq}:${last.hash}` : '0:';
  const stamp = ctx.now().toISOString().replace(/[:.]/g, '-');
  const bytes = req.format === 'jsonl'
    ? new Uint8Array(readFileSync(join(ctx.dataDir, JOURNAL_FILE)))
    : new TextEncoder().encode(journalHtml(entries, head, ctx.now()));
  const fileName = `custos-journal-${last?.seq ?? 0}-${stamp}.${req.format === 'jsonl' ? 'jsonl' : 'html'}`;
  return writeExport(ctx, req.directory, fileName, bytes, { artifact: 'journal', format: req.format, head }, false);
}
