/**
 * A ceremony run for real through the CLI on the rehearsal tokens, then its
 * record: the root-key ceremony and the subordinate signing each run end to
 * end, `custos transcript make` writes the JSON twin and the PDF (pages
 * rendered to PNG for a person to look at), `custos transcript verify`
 * passes, and fails once one byte of the journal is changed or the journal
 * is cut back to before the ceremony's end.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureRendererBuilt } from '../../e2e/support/build.ts';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin/custos.mjs');
const SCREENSHOTS = join(ROOT, 'test-results/screenshots');
const work = mkdtempSync(join(tmpdir(), 'custos-ceremony-transcript-'));
const home = join(work, 'home');

interface Entry { seq: number; kind: string; data: Record<string, unknown>; hash: string }

function custos(args: readonly string[], input = ''): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args, '--home', home], {
    input, encoding: 'utf8', env: { ...process.env, CUSTOS_OPERATOR: 'ceremony-test', REHEARSAL_PIN: '123456' }, timeout: 240_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What the room types: the performer's name, then each witness's, for every step. */
function answers(script: string): string {
  const { steps } = JSON.parse(readFileSync(script, 'utf8')) as { steps: { witnesses: number }[] };
  return steps.flatMap((s) => ['Ada Admin', ...['Wanda Witness', 'Will Witness'].slice(0, s.witnesses)]).join('\n') + '\n';
}

function run(scriptName: string, medium: string): string {
  const script = join(ROOT, 'resources/ceremonies', scriptName);
  const r = custos(['ceremony', 'run', script, '--rehearsal', '--token', 'CA HSM', '--media', medium, '--custodian', 'Custodian 1', '--custodian', 'Custodian 2',
    '--pin-env', 'REHEARSAL_PIN', '--yes', '--json'], answers(script));
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { ceremony: string }).ceremony;
}

function journalLines(): string[] {
  return readFileSync(join(home, 'journal.jsonl'), 'utf8').trimEnd().split('\n');
}

function pageTexts(pdf: string): string[] {
  const info = spawnSync('pdfinfo', [pdf], { encoding: 'utf8' });
  const pages = Number(/Pages:\s+(\d+)/.exec(info.stdout)?.[1] ?? 0);
  return Array.from({ length: pages }, (_, i) => spawnSync('pdftotext', ['-f', String(i + 1), '-l', String(i + 1), pdf, '-'], { encoding: 'utf8' }).stdout);
}

after(() => rmSync(work, { recursive: true, force: true }));

describe('a ceremony run through the CLI, and its transcript', () => {
  const out = join(work, 'record');
  let rootCeremony = '';
  let subCeremony = '';

  before(() => {
    ensureRendererBuilt();
    mkdirSync(out);
    const medium = join(work, 'medium');
    mkdirSync(medium);
    rootCeremony = run('root-key-generation.json', medium);
    const subMedium = join(work, 'sub-medium');
    mkdirSync(subMedium);
    const req = spawnSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', join(work, 'issuing.key'),
      '-subj', '/C=DE/O=Example/CN=Example Issuing CA', '-out', join(subMedium, 'issuing-ca.csr')], { encoding: 'utf8' });
    assert.equal(req.status, 0, req.stderr);
    subCeremony = run('subordinate-signing.json', subMedium);
  });

  it('makes the root ceremony\'s transcript as JSON and PDF from the journal the run left, REHEARSAL and the signed root\'s fingerprint on its pages', () => {
    const r = custos(['transcript', 'make', rootCeremony, '--rehearsal', '--out', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const made = JSON.parse(r.stdout) as { jsonPath: string; pdfPath?: string; complete: boolean; recordedSeq?: number };
    assert.equal(made.complete, true);
    assert.ok(made.pdfPath, 'a PDF was printed');
    const entries = journalLines().map((l) => JSON.parse(l) as Entry);
    assert.equal(entries.find((e) => e.seq === made.recordedSeq)?.kind, 'ceremony.transcript');
    const transcript = JSON.parse(readFileSync(made.jsonPath, 'utf8')) as { steps: { id?: string; step?: string }[] };
    assert.equal(transcript.steps.length, 8);
    const rootSha = String(entries.find((e) => e.kind === 'ca.root.done')!.data['sha256']);
    const pages = pageTexts(made.pdfPath);
    assert.ok(pages.length >= 1);
    for (const [i, text] of pages.entries()) assert.match(text, /REHEARSAL/, `page ${i + 1} says REHEARSAL`);
    const printed = pages.join('\n').replace(/\s+/g, '');
    assert.ok(printed.includes(rootSha), 'the root certificate\'s SHA-256 is printed');
    mkdirSync(SCREENSHOTS, { recursive: true });
    const png = spawnSync('pdftoppm', ['-r', '70', '-png', made.pdfPath, join(SCREENSHOTS, 'ceremony-run-transcript-page')], { encoding: 'utf8' });
    assert.equal(png.status, 0, png.stderr);
  });

  it('verifies the subordinate ceremony\'s transcript, and refuses it once one byte of the journal is changed or the journal is cut back', () => {
    const made = custos(['transcript', 'make', subCeremony, '--rehearsal', '--out', out, '--json']);
    assert.equal(made.status, 0, made.stderr);
    const file = (JSON.parse(made.stdout) as { jsonPath: string }).jsonPath;
    const ok = custos(['transcript', 'verify', file]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout + ok.stderr, /verified against the journal/);

    const journal = join(home, 'journal.jsonl');
    const saved = join(work, 'journal.saved');
    copyFileSync(journal, saved);
    const lines = journalLines();
    // One byte of an entry inside the subordinate ceremony: the operator's name.
    const at = lines.findIndex((l) => l.includes('"kind":"certificate.issue.done"'));
    lines[at] = lines[at]!.replace('"operator":"ceremony-test"', '"operator":"ceremony-tesT"');
    writeFileSync(journal, lines.join('\n') + '\n');
    const tampered = custos(['transcript', 'verify', file]);
    assert.notEqual(tampered.status, 0);
    assert.match(tampered.stderr + tampered.stdout, /JOURNAL_TAMPERED/);

    // Cut back to before the subordinate ceremony's end.
    const whole = readFileSync(saved, 'utf8').trimEnd().split('\n');
    const end = whole.findLastIndex((l) => l.includes('"kind":"ceremony.end"'));
    writeFileSync(journal, whole.slice(0, end).join('\n') + '\n');
    const cut = custos(['transcript', 'verify', file]);
    assert.notEqual(cut.status, 0);
    assert.match(cut.stderr + cut.stdout, /JOURNAL_TRUNCATED/);

    copyFileSync(saved, journal);
    assert.equal(custos(['transcript', 'verify', file]).status, 0, 'the journal as it was verifies again');
  });
});
