/**
 * Building a ceremony's transcript from a real journal (the rehearsal tokens
 * made the root and its CRL; test/support/ceremony-journal.ts appended the
 * ceremony entries as the runner will) and making its files.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { ceremonyJournal, PEOPLE, type CeremonyJournal } from '../../support/ceremony-journal.ts';
import { buildTranscript, ceremonyRecord, scriptOfCeremony, scriptText, transcriptJson, type Transcript } from '../../../main/ceremony/transcript.ts';
import { makeTranscript, transcriptOf } from '../../../main/ceremony/transcript-make.ts';
import { CEREMONY_TRANSCRIPT_KIND } from '../../../main/ceremony/journal-entries.ts';
import { CustosError, isCustosError } from '../../../main/errors/index.ts';

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try { await (typeof p === 'function' ? p() : p); } catch (e) { return isCustosError(e) ? e.code : `untyped: ${String(e)}`; }
  return undefined;
}

describe('the transcript of a ceremony', () => {
  let work: string;
  let ended: CeremonyJournal;
  let transcript: Transcript;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-transcript-'));
    ended = await ceremonyJournal(join(work, 'ended'));
    transcript = await transcriptOf(ended.custos.journal, ended.dataDir, ended.ceremony);
  });

  after(async () => {
    await ended?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('names the script, its version and the SHA-256 of its file', () => {
    assert.deepEqual(transcript.script, {
      id: 'root-key-generation', title: ended.script.title, version: ended.script.version,
      sha256: createHash('sha256').update(readFileSync(ended.scriptPath)).digest('hex'),
    });
    assert.equal(transcript.status, 'complete');
    assert.equal(transcript.outcome, 'completed');
  });

  it('lists every step of the script in order, with its instructions and checks as written, its performer and its witnesses by name and time', () => {
    assert.deepEqual(transcript.steps.map((s) => s.id), ended.script.steps.map((s) => s.id));
    for (const [i, step] of transcript.steps.entries()) {
      const written = ended.script.steps[i]!;
      assert.equal(step.instructions, written.instructions);
      assert.deepEqual(step.checks, written.checks);
      assert.equal(step.done, true);
      assert.equal(step.performer?.role, written.performer);
      assert.equal(step.witnesses.length, written.witnesses);
      for (const w of step.witnesses) assert.match(w.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    assert.equal(transcript.steps[0]!.performer?.name, PEOPLE.witnesses[0]);
  });

  it('carries the fingerprints of the root\'s key, its certificate and its CRL, at the steps that made them', () => {
    const byStep = Object.fromEntries(transcript.steps.map((s) => [s.id, s.artifacts.map((a) => `${a.kind}:${a.sha256}`)]));
    assert.deepEqual(byStep['create-root'], [`key:${ended.keySha256}`, `certificate:${ended.rootSha256}`]);
    assert.deepEqual(byStep['issue-first-crl'], [`crl:${ended.crlSha256}`]);
  });

  it('names the custodians who authenticated for each signing step, by CHR and key fingerprint', () => {
    for (const step of transcript.steps) {
      if (step.quorum) assert.deepEqual(step.custodians.map((c) => c.chr), ['DECUSTOS00001', 'DECUSTOS00002'], step.id);
      else assert.deepEqual(step.custodians, [], step.id);
    }
  });

  it('names the journal head before and after, each an entry of the chain, and the signed checkpoint after the CRL', () => {
    const entries = ended.custos.journal.read();
    assert.equal(transcript.headBefore.seq, transcript.begin.seq - 1);
    assert.equal(transcript.checkpointBefore, undefined, 'no checkpoint before the first root');
    const after = transcript.headAfter!;
    assert.equal(entries[after.seq - 1]!.hash, after.hash);
    assert.equal(after.seq, transcript.end!.seq - 1);
    const crlDone = entries.find((e) => e.kind === 'crl.issue.done')!;
    assert.deepEqual(transcript.checkpointAfter, { seq: crlDone.seq, hash: crlDone.hash });
  });

  it('says REHEARSAL when the ceremony ran on rehearsal tokens, and has a signature line for each person named', () => {
    assert.equal(transcript.rehearsal, true);
    assert.deepEqual(transcript.signatures.map((s) => `${s.role}:${s.name}`).sort(), [
      `administrator:${PEOPLE.administrator}`, `custodian:${PEOPLE.custodians[0]}`, `witness:${PEOPLE.witnesses[0]}`, `witness:${PEOPLE.witnesses[1]}`,
    ].sort());
  });

  it('is the same canonical JSON every time it is built, keys sorted and nothing else', async () => {
    const again = await transcriptOf(ended.custos.journal, ended.dataDir, ended.ceremony);
    assert.equal(transcriptJson(again), transcriptJson(transcript));
    const json = transcriptJson(transcript);
    assert.equal(json, `${JSON.stringify(JSON.parse(json))}\n`);
    assert.ok(json.startsWith('{"begin":'), json.slice(0, 40));
  });

  it('refuses a script file that is not the one the ceremony ran (TRANSCRIPT_SCRIPT_MISMATCH)', async () => {
    const edited = join(work, 'edited.json');
    writeFileSync(edited, readFileSync(ended.scriptPath, 'utf8').replace('Read the tamper-bag number aloud.', 'Read the bag number aloud.'));
    assert.equal(await codeOf(transcriptOf(ended.custos.journal, ended.dataDir, ended.ceremony, edited)), 'TRANSCRIPT_SCRIPT_MISMATCH');
  });

  it('refuses a ceremony that never began in this journal (TRANSCRIPT_CEREMONY_NOT_FOUND)', async () => {
    assert.equal(await codeOf(transcriptOf(ended.custos.journal, ended.dataDir, 'root-1999-01-01')), 'TRANSCRIPT_CEREMONY_NOT_FOUND');
  });

  it('refuses a journal whose step entry is not the script\'s step at that position (TRANSCRIPT_SCRIPT_MISMATCH)', () => {
    const record = ceremonyRecord(ended.custos.journal.read(), ended.ceremony);
    const script = scriptText(scriptOfCeremony(record, readFileSync(ended.scriptPath)));
    const swapped = { ...script, steps: [script.steps[1]!, script.steps[0]!, ...script.steps.slice(2)] };
    assert.throws(() => buildTranscript(record, swapped), (e) => isCustosError(e) && e.code === 'TRANSCRIPT_SCRIPT_MISMATCH');
  });

  it('writes the JSON twin beside the PDF, journals its SHA-256 as ceremony.transcript, and never overwrites a transcript already there', async () => {
    const out = join(work, 'medium');
    mkdirSync(out);
    const pdf = new TextEncoder().encode('%PDF-1.7 stand-in printed by the test\n');
    const made = await makeTranscript(ended.custos.journal, ended.dataDir, { ceremony: ended.ceremony, directory: out, print: async () => ({ pdf }) });
    const json = readFileSync(join(out, `${ended.ceremony}.transcript.json`));
    assert.equal(made.jsonSha256, createHash('sha256').update(json).digest('hex'));
    assert.deepEqual(new Uint8Array(readFileSync(join(out, `${ended.ceremony}.transcript.pdf`))), pdf);
    const entry = ended.custos.journal.entryAt(made.recordedSeq!)!;
    assert.equal(entry.kind, CEREMONY_TRANSCRIPT_KIND);
    assert.deepEqual(entry.data, { ceremony: ended.ceremony, jsonSha256: made.jsonSha256, pdfSha256: made.pdfSha256 });
    const seq = ended.custos.journal.lastSeq;
    assert.equal(await codeOf(makeTranscript(ended.custos.journal, ended.dataDir, { ceremony: ended.ceremony, directory: out, print: async () => ({ pdf }) })), 'FILE_EXISTS');
    assert.equal(ended.custos.journal.lastSeq, seq, 'nothing journaled for the refused write');
    assert.deepEqual(readFileSync(join(out, `${ended.ceremony}.transcript.json`)), json);
  });

  it('removes the files again when the journal cannot take the ceremony.transcript entry, so the transcript can be made once it can', async () => {
    const out = join(work, 'journal-full');
    mkdirSync(out);
    // A stand-in for a journal on a full disk: the real journal's entries, and an append that fails as a full disk does.
    const real = ended.custos.journal;
    const full = {
      read: real.read.bind(real), durable: real.durable.bind(real),
      append: () => { throw new CustosError('MEDIA_FULL', 'No space left on the journal\'s disk.', {}); },
    } as unknown as typeof real;
    assert.equal(await codeOf(makeTranscript(full, ended.dataDir, { ceremony: ended.ceremony, directory: out, print: async () => ({ pdf: new Uint8Array([0x25]) }) })), 'MEDIA_FULL');
    assert.deepEqual(readdirSync(out), []);
    const made = await makeTranscript(ended.custos.journal, ended.dataDir, { ceremony: ended.ceremony, directory: out });
    assert.ok(made.recordedSeq);
  });

  it('writes the JSON and says why when no PDF can be printed', async () => {
    const out = join(work, 'no-printer');
    mkdirSync(out);
    const made = await makeTranscript(ended.custos.journal, ended.dataDir, { ceremony: ended.ceremony, directory: out, print: async () => ({ unavailable: 'no Chromium at /nowhere' }) });
    assert.equal(made.pdfPath, undefined);
    assert.equal(made.pdfUnavailable, 'no Chromium at /nowhere');
    assert.ok(readFileSync(made.jsonPath).length > 0);
  });
});

describe('the transcript of a ceremony not ended yet', () => {
  let work: string;
  let running: CeremonyJournal;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-transcript-running-'));
    running = await ceremonyJournal(join(work, 'running'), { stepsDone: 5, ended: false });
  });

  after(async () => {
    await running?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('is marked incomplete, with no outcome, no head after, and the steps not yet done marked so', async () => {
    const t = await transcriptOf(running.custos.journal, running.dataDir, running.ceremony);
    assert.equal(t.status, 'incomplete');
    assert.equal(t.outcome, undefined);
    assert.equal(t.headAfter, undefined);
    assert.deepEqual(t.steps.map((s) => s.done), [true, true, true, true, true, false, false, false]);
  });

  it('is written marked incomplete and never journaled as a ceremony\'s transcript', async () => {
    const out = join(work, 'out');
    mkdirSync(out);
    const made = await makeTranscript(running.custos.journal, running.dataDir, { ceremony: running.ceremony, directory: out });
    assert.equal(made.complete, false);
    assert.equal(made.recordedSeq, undefined);
    assert.equal(JSON.parse(readFileSync(made.jsonPath, 'utf8')).status, 'incomplete');
    assert.ok(!running.custos.journal.read().some((e) => e.kind === CEREMONY_TRANSCRIPT_KIND));
  });
});

describe('the transcript of a ceremony abandoned by the operator', () => {
  let work: string;
  let abandoned: CeremonyJournal;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-transcript-abandoned-'));
    abandoned = await ceremonyJournal(join(work, 'home'), { stepsDone: 3, outcome: 'abandoned' });
  });

  after(async () => {
    await abandoned?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('is complete, says abandoned and why, names its head after, and marks the steps never done', async () => {
    const t = await transcriptOf(abandoned.custos.journal, abandoned.dataDir, abandoned.ceremony);
    assert.equal(t.status, 'complete');
    assert.equal(t.outcome, 'abandoned');
    assert.equal(t.reason, 'the room was needed');
    assert.ok(t.headAfter);
    assert.deepEqual(t.steps.map((s) => s.done), [true, true, true, false, false, false, false, false]);
  });
});
