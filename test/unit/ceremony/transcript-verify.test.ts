/**
 * `transcript verify` against a real journal: it passes for the transcript
 * Custos made, and fails, each with its own code, for one byte changed in
 * the journal, the journal cut back before the ceremony's end, one byte
 * changed in the transcript (its words, a fingerprint, its JSON), a
 * transcript the journal never recorded, and one made before the end.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ceremonyJournal, type CeremonyJournal } from '../../support/ceremony-journal.ts';
import { makeTranscript, transcriptOf, type MadeTranscript } from '../../../main/ceremony/transcript-make.ts';
import { transcriptJson } from '../../../main/ceremony/transcript.ts';
import { GENESIS_HASH } from '../../../main/journal/index.ts';
import { sealedLine } from '../../../main/journal/entry.ts';
import { verifyTranscriptFile } from '../../../main/ceremony/transcript-verify.ts';

/** A copy of file with the byte at the first occurrence of find (plus offset) replaced by the one given. */
function withOneByteChanged(file: string, copy: string, find: string, offset: number, byte: string): string {
  const text = readFileSync(file, 'latin1');
  const at = text.indexOf(find);
  assert.ok(at >= 0, `${find} is in ${file}`);
  const i = at + offset;
  const changed = text.slice(0, i) + byte + text.slice(i + 1);
  assert.notEqual(changed, text);
  assert.equal(changed.length, text.length);
  writeFileSync(copy, changed, 'latin1');
  return copy;
}

const codes = (r: { problems: readonly { code: string }[] }) => r.problems.map((p) => p.code);

describe('transcript verify', () => {
  let work: string;
  let ceremony: CeremonyJournal;
  let made: MadeTranscript;
  let journalCopy: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-transcript-verify-'));
    ceremony = await ceremonyJournal(join(work, 'home'));
    mkdirSync(join(work, 'medium'));
    made = await makeTranscript(ceremony.custos.journal, ceremony.dataDir, { ceremony: ceremony.ceremony, directory: join(work, 'medium') });
    await ceremony.close();
    journalCopy = join(work, 'journal.jsonl');
    copyFileSync(ceremony.journalPath, journalCopy);
  });

  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('passes for the transcript Custos made, against the journal it came from', async () => {
    const r = await verifyTranscriptFile(made.jsonPath, ceremony.journalPath);
    assert.deepEqual(r.problems, []);
    assert.equal(r.ok, true);
    assert.equal(r.ceremony, ceremony.ceremony);
    assert.equal(r.rehearsal, true);
    assert.equal(r.artifacts, 3);
    assert.equal(r.sha256, made.jsonSha256);
    assert.equal(r.recordedAt, made.recordedSeq);
  });

  it('fails with JOURNAL_TAMPERED after one byte of the journal is changed (a fingerprint in the root step\'s entry)', async () => {
    const bad = withOneByteChanged(journalCopy, join(work, 'tampered.jsonl'), ceremony.rootSha256, 0, ceremony.rootSha256[0] === 'a' ? 'b' : 'a');
    const r = await verifyTranscriptFile(made.jsonPath, bad);
    assert.equal(r.ok, false);
    assert.deepEqual(codes(r), ['JOURNAL_TAMPERED']);
  });

  it('fails with JOURNAL_TRUNCATED when the journal is cut back to before the ceremony\'s end', async () => {
    const lines = readFileSync(journalCopy, 'utf8').trim().split('\n');
    const endAt = lines.findIndex((l) => l.includes('"kind":"ceremony.end"'));
    const cut = join(work, 'cut.jsonl');
    writeFileSync(cut, `${lines.slice(0, endAt - 1).join('\n')}\n`);
    const r = await verifyTranscriptFile(made.jsonPath, cut);
    assert.deepEqual(codes(r), ['JOURNAL_TRUNCATED']);
    assert.match(r.problems[0]!.message, /cut back/);
  });

  it('fails with JOURNAL_TRUNCATED when only the ceremony\'s end entry and what follows are cut away', async () => {
    const lines = readFileSync(journalCopy, 'utf8').trim().split('\n');
    const endAt = lines.findIndex((l) => l.includes('"kind":"ceremony.end"'));
    const cut = join(work, 'cut-at-end.jsonl');
    writeFileSync(cut, `${lines.slice(0, endAt).join('\n')}\n`);
    const r = await verifyTranscriptFile(made.jsonPath, cut);
    assert.deepEqual(codes(r), ['JOURNAL_TRUNCATED']);
  });

  it('fails with JOURNAL_TAMPERED for a journal rewritten after the ceremony and sealed again, entry by entry, with the project\'s own sealing', async () => {
    let prev = GENESIS_HASH;
    const out: string[] = [];
    for (const line of readFileSync(journalCopy, 'utf8').trim().split('\n')) {
      const { hash: _hash, ...unsealed } = JSON.parse(line.replace('Walt Witness', 'Mallory Witness'));
      const sealed = sealedLine({ ...unsealed, prev });
      out.push(sealed.line);
      prev = sealed.entry.hash;
    }
    const forged = join(work, 'resealed.jsonl');
    writeFileSync(forged, `${out.join('\n')}\n`);
    const r = await verifyTranscriptFile(made.jsonPath, forged);
    assert.equal(r.ok, false);
    assert.deepEqual(codes(r), ['JOURNAL_TAMPERED']);
  });

  it('fails with TRANSCRIPT_ALTERED after one byte of the transcript\'s words is changed', async () => {
    const bad = withOneByteChanged(made.jsonPath, join(work, 'words.json'), 'tamper-bag', 0, 'T');
    const r = await verifyTranscriptFile(bad, ceremony.journalPath);
    assert.deepEqual(codes(r), ['TRANSCRIPT_ALTERED']);
  });

  it('fails with TRANSCRIPT_MISMATCH, naming the step, after one hex digit of a fingerprint in the transcript is changed', async () => {
    const bad = withOneByteChanged(made.jsonPath, join(work, 'fingerprint.json'), ceremony.crlSha256, 5, ceremony.crlSha256[5] === '0' ? '1' : '0');
    const r = await verifyTranscriptFile(bad, ceremony.journalPath);
    assert.deepEqual(codes(r), ['TRANSCRIPT_MISMATCH', 'TRANSCRIPT_ALTERED']);
    assert.match(r.problems[0]!.message, /step 6 \("issue-first-crl"\) states artifacts\.0\.sha256/);
  });

  it('fails with TRANSCRIPT_MISMATCH when one letter of a witness\'s name is changed', async () => {
    const bad = withOneByteChanged(made.jsonPath, join(work, 'witness.json'), 'Walt Witness', 0, 'M');
    const r = await verifyTranscriptFile(bad, ceremony.journalPath);
    assert.ok(codes(r).includes('TRANSCRIPT_MISMATCH'), codes(r).join());
  });

  it('fails with TRANSCRIPT_MALFORMED after one byte makes it no longer JSON, and for a JSON that is no transcript', async () => {
    const bad = withOneByteChanged(made.jsonPath, join(work, 'broken.json'), '{', 0, '[');
    assert.deepEqual(codes(await verifyTranscriptFile(bad, ceremony.journalPath)), ['TRANSCRIPT_MALFORMED']);
    const other = join(work, 'other.json');
    writeFileSync(other, JSON.stringify({ format: 'custos-transcript/1', ceremony: 'x' }));
    assert.deepEqual(codes(await verifyTranscriptFile(other, ceremony.journalPath)), ['TRANSCRIPT_MALFORMED']);
  });

  it('fails with TRANSCRIPT_HEAD_NOT_ON_CHAIN for a checkpoint the journal never signed', async () => {
    const stated = JSON.parse(readFileSync(made.jsonPath, 'utf8'));
    const fake = join(work, 'checkpoint.json');
    writeFileSync(fake, transcriptJson({ ...stated, checkpointBefore: { ...stated.headBefore } }));
    const r = await verifyTranscriptFile(fake, ceremony.journalPath);
    assert.ok(codes(r).includes('TRANSCRIPT_HEAD_NOT_ON_CHAIN'), codes(r).join());
  });

  it('fails with TRANSCRIPT_CEREMONY_NOT_FOUND against a journal the ceremony is not in', async () => {
    const lines = readFileSync(journalCopy, 'utf8').trim().split('\n');
    const beginAt = lines.findIndex((l) => l.includes('"kind":"ceremony.begin"'));
    const before = join(work, 'before.jsonl');
    writeFileSync(before, `${lines.slice(0, beginAt).join('\n')}\n`);
    const stated = JSON.parse(readFileSync(made.jsonPath, 'utf8'));
    const early = join(work, 'early.json');
    writeFileSync(early, transcriptJson({ ...stated, status: 'incomplete', outcome: undefined, end: undefined, headAfter: undefined, checkpointAfter: undefined }));
    assert.deepEqual(codes(await verifyTranscriptFile(early, before)), ['TRANSCRIPT_CEREMONY_NOT_FOUND']);
  });
});

describe('transcript verify of a transcript the journal never recorded', () => {
  let work: string;
  let ceremony: CeremonyJournal;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-transcript-unrecorded-'));
    ceremony = await ceremonyJournal(join(work, 'home'), { stepsDone: 4, ended: false });
  });

  after(async () => {
    await ceremony?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('fails with TRANSCRIPT_INCOMPLETE for one made before the ceremony ended, and TRANSCRIPT_NOT_RECORDED since no entry carries its hash', async () => {
    mkdirSync(join(work, 'out'));
    const made = await makeTranscript(ceremony.custos.journal, ceremony.dataDir, { ceremony: ceremony.ceremony, directory: join(work, 'out') });
    const r = await verifyTranscriptFile(made.jsonPath, ceremony.journalPath);
    assert.deepEqual(codes(r), ['TRANSCRIPT_INCOMPLETE', 'TRANSCRIPT_NOT_RECORDED']);
  });

  it('fails with TRANSCRIPT_NOT_RECORDED for a faithful JSON that was never made through Custos', async () => {
    const t = await transcriptOf(ceremony.custos.journal, ceremony.dataDir, ceremony.ceremony);
    const file = join(work, 'unrecorded.json');
    writeFileSync(file, transcriptJson(t));
    assert.ok(codes(await verifyTranscriptFile(file, ceremony.journalPath)).includes('TRANSCRIPT_NOT_RECORDED'));
  });
});
