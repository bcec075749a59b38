/**
 * Run by test/unit/journal/journal.test.ts on a small tmpfs
 * (small-tmpfs.ts): fills the disk under an open journal, appends until the
 * disk refuses, frees space, appends again, and copies the journal out.
 * Prints what it saw as JSON. Usage: journal-on-full-disk.ts DISK OUT
 */
import { cpSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Journal } from '../../main/journal/index.ts';
import { isCustosError } from '../../main/errors/index.ts';

const [disk, out] = process.argv.slice(2) as [string, string];
const dir = join(disk, 'data');
const code = (e: unknown): string => (isCustosError(e) ? e.code : `untyped ${String((e as { code?: string }).code ?? e)}`);
const result: Record<string, unknown> = {};
const j = Journal.open({ dir, operator: 'alice' });
// Leaves about 40 KiB: each entry below is 7 KiB, so a write is cut short or refused within a few.
const filler = join(disk, 'filler');
try {
  writeFileSync(filler, Buffer.alloc(2 << 20));
} catch {
  // Filled: the tmpfs refused the rest, as meant.
}
const fillerBytes = statSync(filler).size;
unlinkSync(filler);
writeFileSync(filler, Buffer.alloc(fillerBytes - (40 << 10)));
const big = 'x'.repeat(7 << 10);
let appended = 0;
try {
  for (;;) {
    j.append('note', { big, n: appended });
    appended += 1;
  }
} catch (e) {
  result.error = code(e);
  result.message = (e as Error).message;
}
result.appended = appended;
result.lastSeq = j.lastSeq;
result.fileBytes = statSync(join(dir, 'journal.jsonl')).size;
result.verifiedWhileFull = j.verify();
const intent = (() => { try { return j.begin('certificate.issue', { n: 'after' }); } catch (e) { return code(e); } })();
result.reserveWhileFull = typeof intent === 'string' ? `intent ${intent}` : (() => { try { j.reserveResult(intent, 64 << 10); return 'reserved'; } catch (e) { return code(e); } })();
unlinkSync(filler);
try {
  j.append('note', { after: 'space was freed' });
  result.afterFreeing = 'appended';
} catch (e) {
  result.afterFreeing = code(e);
}
result.lastSeqAfter = j.lastSeq;
j.close();
cpSync(dir, out, { recursive: true });
console.log(JSON.stringify(result));
