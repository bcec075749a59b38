/**
 * The transcript through the CLI, as a ceremony's administrator makes it:
 * `custos transcript make` on a ceremony run on the rehearsal tokens writes
 * the JSON twin and the PDF headless Chromium prints from the window's own
 * transcript page; poppler renders its pages to PNG (test-results/screenshots,
 * to be looked at) and reads its text back: REHEARSAL on every page, the
 * journal head after and every fingerprint printed. `custos transcript verify`
 * passes, and fails after one byte of the journal is changed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ceremonyJournal, type CeremonyJournal } from '../../support/ceremony-journal.ts';
import { ensureRendererBuilt } from '../../e2e/support/build.ts';
import { JOURNAL_FILE } from '../../../main/journal/index.ts';

const CLI = join(import.meta.dirname, '../../../bin/custos.mjs');
const SCREENSHOTS = join(import.meta.dirname, '../../../test-results/screenshots');

function cli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 240_000 });
}

function pageTexts(pdf: string): string[] {
  const info = spawnSync('pdfinfo', [pdf], { encoding: 'utf8' });
  assert.equal(info.status, 0, info.stderr);
  const pages = Number(/^Pages:\s+(\d+)/m.exec(info.stdout)![1]);
  const texts: string[] = [];
  for (let i = 1; i <= pages; i++) {
    const t = spawnSync('pdftotext', ['-f', String(i), '-l', String(i), pdf, '-'], { encoding: 'utf8' });
    assert.equal(t.status, 0, t.stderr);
    texts.push(t.stdout);
  }
  return texts;
}

/** A fingerprint as the page prints it: two lines of eight groups. */
const printedLines = (hex: string) => [hex.slice(0, 32), hex.slice(32)].map((half) => half.match(/.{4}/g)!.join(' '));

describe('custos transcript make and verify, with the PDF printed by headless Chromium', () => {
  let work: string;
  let ceremony: CeremonyJournal;
  let home: string;
  let made: { jsonPath: string; pdfPath: string; jsonSha256: string; pdfSha256: string; recordedSeq: number };
  let stated: { headAfter: { seq: number; hash: string }; checkpointAfter: { seq: number; hash: string } };

  before(async () => {
    ensureRendererBuilt();
    work = mkdtempSync(join(tmpdir(), 'custos-transcript-cli-'));
    home = join(work, 'home');
    ceremony = await ceremonyJournal(home);
    await ceremony.close();
    mkdirSync(join(work, 'medium'));
    const r = cli(['transcript', 'make', ceremony.ceremony, '--home', home, '--out', join(work, 'medium'), '--json']);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    made = JSON.parse(r.stdout);
    stated = JSON.parse(readFileSync(made.jsonPath, 'utf8'));
  });

  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('writes <id>.transcript.json and <id>.transcript.pdf, an A4 PDF, and journals both hashes', () => {
    assert.deepEqual(readdirSync(join(work, 'medium')).sort(), [`${ceremony.ceremony}.transcript.json`, `${ceremony.ceremony}.transcript.pdf`]);
    assert.equal(readFileSync(made.pdfPath).subarray(0, 5).toString('latin1'), '%PDF-');
    const info = spawnSync('pdfinfo', [made.pdfPath], { encoding: 'utf8' }).stdout;
    assert.match(info, /Page size:\s+59[45](\.\d+)? x 84[12](\.\d+)? pts \(A4\)/);
    const entry = readFileSync(join(home, JOURNAL_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.seq === made.recordedSeq);
    assert.equal(entry.kind, 'ceremony.transcript');
    assert.deepEqual(entry.data, { ceremony: ceremony.ceremony, jsonSha256: made.jsonSha256, pdfSha256: made.pdfSha256 });
  });

  it('prints REHEARSAL on every page, and the JSON twin\'s hash with it', () => {
    const pages = pageTexts(made.pdfPath);
    assert.ok(pages.length >= 2, `${pages.length} pages`);
    for (const [i, text] of pages.entries()) {
      assert.match(text, /REHEARSAL — virtual or test tokens/, `page ${i + 1} has the REHEARSAL banner`);
      assert.ok(text.replace(/\s/g, '').includes(made.jsonSha256), `page ${i + 1} names the JSON twin's hash`);
    }
  });

  it('prints the journal head after, its checkpoint, and every artifact\'s fingerprint in groups of four', () => {
    const text = pageTexts(made.pdfPath).join('\n');
    assert.match(text, new RegExp(`entry #${stated.headAfter.seq}\\b`));
    for (const hex of [stated.headAfter.hash, stated.checkpointAfter.hash, ceremony.keySha256, ceremony.rootSha256, ceremony.crlSha256]) {
      for (const line of printedLines(hex)) assert.ok(text.includes(line), `"${line}" is printed`);
    }
    assert.match(text, /Signatures/);
  });

  it('renders every page to PNG for a person to look at', () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    for (const f of readdirSync(SCREENSHOTS).filter((n) => n.startsWith('transcript-pdf-page'))) rmSync(join(SCREENSHOTS, f));
    const r = spawnSync('pdftoppm', ['-r', '80', '-png', made.pdfPath, join(SCREENSHOTS, 'transcript-pdf-page')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const pngs = readdirSync(SCREENSHOTS).filter((n) => n.startsWith('transcript-pdf-page') && n.endsWith('.png'));
    assert.equal(pngs.length, pageTexts(made.pdfPath).length);
    for (const png of pngs) assert.deepEqual([...readFileSync(join(SCREENSHOTS, png)).subarray(1, 4)], [0x50, 0x4e, 0x47]);
  });

  it('custos transcript verify passes for the transcript made', () => {
    const r = cli(['transcript', 'verify', made.jsonPath, '--home', home]);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /verified against the journal \(REHEARSAL\)/);
    assert.match(r.stdout, new RegExp(`journal entry #${made.recordedSeq} recorded`));
  });

  it('custos transcript verify fails with JOURNAL_TAMPERED (exit 5) after one byte of the journal is changed', () => {
    const copy = join(work, 'tampered-home');
    mkdirSync(copy);
    const journal = readFileSync(join(home, JOURNAL_FILE), 'latin1');
    const at = journal.indexOf('Wanda Witness');
    writeFileSync(join(copy, JOURNAL_FILE), `${journal.slice(0, at)}V${journal.slice(at + 1)}`, 'latin1');
    const r = cli(['transcript', 'verify', made.jsonPath, '--home', copy]);
    assert.equal(r.status, 5, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /^error JOURNAL_TAMPERED: /m);
  });

  it('custos transcript verify fails with TRANSCRIPT_ALTERED after one byte of the transcript is changed', () => {
    const text = readFileSync(made.jsonPath, 'latin1');
    const at = text.indexOf('air-gapped');
    const bad = join(work, 'altered.transcript.json');
    writeFileSync(bad, `${text.slice(0, at)}A${text.slice(at + 1)}`, 'latin1');
    const r = cli(['transcript', 'verify', bad, '--home', home]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^error TRANSCRIPT_ALTERED: /m);
  });

  it('writes the JSON, says why there is no PDF, and still journals it, where no Chromium exists', () => {
    mkdirSync(join(work, 'no-chromium'));
    const r = cli(['transcript', 'make', ceremony.ceremony, '--home', home, '--out', join(work, 'no-chromium')], { ...process.env, CUSTOS_CHROMIUM: join(work, 'no-such-chromium') });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /No PDF was made: no Chromium at .*no-such-chromium/);
    assert.deepEqual(readdirSync(join(work, 'no-chromium')), [`${ceremony.ceremony}.transcript.json`]);
    assert.match(r.stdout, /Recorded in journal entry #\d+ \(ceremony\.transcript\)/);
  });

  it('refuses to write over a transcript already on the medium (FILE_EXISTS)', () => {
    const before = readFileSync(made.jsonPath);
    const r = cli(['transcript', 'make', ceremony.ceremony, '--home', home, '--out', join(work, 'medium')]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^error FILE_EXISTS: /m);
    assert.deepEqual(readFileSync(made.jsonPath), before);
  });
});

describe('custos transcript make for a ceremony not ended yet', () => {
  let work: string;
  let home: string;
  let ceremony: CeremonyJournal;

  before(async () => {
    ensureRendererBuilt();
    work = mkdtempSync(join(tmpdir(), 'custos-transcript-cli-running-'));
    home = join(work, 'home');
    ceremony = await ceremonyJournal(home, { stepsDone: 5, ended: false });
    await ceremony.close();
  });

  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('prints INCOMPLETE on every page and no signature lines, journals nothing as its record, and verify refuses it (TRANSCRIPT_INCOMPLETE)', () => {
    mkdirSync(join(work, 'out'));
    const seqBefore = readFileSync(join(home, JOURNAL_FILE), 'utf8').trim().split('\n').length;
    const r = cli(['transcript', 'make', ceremony.ceremony, '--home', home, '--out', join(work, 'out'), '--json']);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const made = JSON.parse(r.stdout);
    assert.equal(made.complete, false);
    assert.equal(made.recordedSeq, undefined);
    assert.equal(readFileSync(join(home, JOURNAL_FILE), 'utf8').trim().split('\n').length, seqBefore);
    const pages = pageTexts(made.pdfPath);
    for (const [i, text] of pages.entries()) {
      assert.match(text, /INCOMPLETE — the ceremony has not ended/, `page ${i + 1}`);
      assert.match(text, /REHEARSAL — virtual or test tokens/, `page ${i + 1}`);
    }
    assert.match(pages.join('\n'), /Step 6: issue-first-crl — NOT DONE/);
    assert.match(pages.join('\n'), /Not to be signed: the ceremony has not ended/);
    assert.doesNotMatch(pages.join('\n'), /signature and date/);
    spawnSync('pdftoppm', ['-r', '60', '-png', '-f', '1', '-l', '1', made.pdfPath, join(SCREENSHOTS, 'transcript-pdf-incomplete')]);
    const v = cli(['transcript', 'verify', made.jsonPath, '--home', home]);
    assert.match(v.stderr, /^error TRANSCRIPT_INCOMPLETE: /m);
  });
});
