/**
 * The window's transcript channels on the real core and a real journal,
 * through the contract's door (dispatch parses every input). The removable
 * medium is a temporary folder the read grants are told is mounted, and the
 * printer is a stand-in that returns fixed bytes (Chromium's PDF is proven in
 * test/integration/ceremony/transcript-pdf.test.ts and test/e2e/transcript.test.ts).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHandlers } from '../../../main/api/handlers.ts';
import type { Handlers, Result } from '../../../main/api/contract.ts';
import { ReadGrants } from '../../../main/exchange/read-grants.ts';
import { dispatch } from '../../../electron/dispatch.ts';
import { ceremonyJournal, type CeremonyJournal } from '../../support/ceremony-journal.ts';

const STAND_IN_PDF = new TextEncoder().encode('%PDF-1.7 stand-in\n');

describe('the transcript channels', () => {
  let work: string;
  let stick: string;
  let ceremony: CeremonyJournal;
  let handlers: Handlers;
  const call = async (channel: string, input?: unknown) => dispatch(handlers, channel, input) as Promise<Result<Record<string, unknown>>>;
  const value = async (channel: string, input?: unknown) => {
    const r = await call(channel, input);
    assert.ok(r.ok, JSON.stringify(r));
    return r.value;
  };
  const codeOf = async (channel: string, input?: unknown) => {
    const r = await call(channel, input);
    return r.ok ? undefined : r.error.code;
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-transcript-api-'));
    stick = join(work, 'stick');
    mkdirSync(stick);
    ceremony = await ceremonyJournal(join(work, 'home'));
    handlers = createHandlers(ceremony.custos, { readGrants: new ReadGrants(async () => [stick]), printTranscript: async () => ({ pdf: STAND_IN_PDF }) });
  });

  after(async () => {
    await ceremony?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('lists the journal\'s ceremonies with their script, REHEARSAL and whether they ended', async () => {
    assert.deepEqual(await value('transcript.ceremonies'), [{
      ceremony: ceremony.ceremony, scriptId: 'root-key-generation', scriptTitle: ceremony.script.title, rehearsal: true,
      began: (await value('transcript.get', { ceremony: ceremony.ceremony }) as { transcript: { begin: { time: string } } }).transcript.begin.time,
      status: 'completed', transcripts: 0,
    }]);
  });

  it('refuses an unknown ceremony, an empty id, and an id that could name a file outside the folder, each with its code', async () => {
    assert.equal(await codeOf('transcript.get', { ceremony: 'no-such-ceremony' }), 'TRANSCRIPT_CEREMONY_NOT_FOUND');
    assert.equal(await codeOf('transcript.get', { ceremony: '' }), 'INPUT_INVALID');
    assert.equal(await codeOf('transcript.save', { ceremony: '../../etc/passwd', directory: stick }), 'INPUT_INVALID');
  });

  it('saves onto the removable medium, journals it, and then names that entry for the same transcript', async () => {
    const saved = await value('transcript.save', { ceremony: ceremony.ceremony, directory: stick }) as { jsonPath: string; pdfPath: string; recordedSeq: number; jsonSha256: string };
    assert.equal(saved.jsonPath, join(stick, `${ceremony.ceremony}.transcript.json`));
    assert.deepEqual(new Uint8Array(readFileSync(saved.pdfPath)), STAND_IN_PDF);
    const view = await value('transcript.get', { ceremony: ceremony.ceremony }) as { jsonSha256: string; recordedSeq: number };
    assert.equal(view.jsonSha256, saved.jsonSha256);
    assert.equal(view.recordedSeq, saved.recordedSeq);
    assert.equal((await value('transcript.ceremonies') as unknown as { transcripts: number }[])[0]!.transcripts, 1);
  });

  it('never writes over a transcript already on the medium (FILE_EXISTS), and journals nothing for it', async () => {
    const seq = ceremony.custos.journal.lastSeq;
    assert.equal(await codeOf('transcript.save', { ceremony: ceremony.ceremony, directory: stick }), 'FILE_EXISTS');
    assert.equal(ceremony.custos.journal.lastSeq, seq);
  });

  it('refuses to save into a folder that is neither a removable medium nor one the person picked (PATH_NOT_PERMITTED)', async () => {
    const elsewhere = join(work, 'elsewhere');
    mkdirSync(elsewhere);
    assert.equal(await codeOf('transcript.save', { ceremony: ceremony.ceremony, directory: elsewhere }), 'PATH_NOT_PERMITTED');
  });

  it('verifies the transcript on the medium, and reports one changed byte there as TRANSCRIPT_ALTERED', async () => {
    const file = join(stick, `${ceremony.ceremony}.transcript.json`);
    const ok = await value('transcript.verify', { path: file }) as { ok: boolean; problems: unknown[] };
    assert.deepEqual(ok.problems, []);
    assert.equal(ok.ok, true);
    const text = readFileSync(file, 'latin1');
    const at = text.indexOf('air-gapped');
    writeFileSync(join(stick, 'changed.transcript.json'), `${text.slice(0, at)}A${text.slice(at + 1)}`, 'latin1');
    const bad = await value('transcript.verify', { path: join(stick, 'changed.transcript.json') }) as { ok: boolean; problems: { code: string }[] };
    assert.equal(bad.ok, false);
    assert.deepEqual(bad.problems.map((p) => p.code), ['TRANSCRIPT_ALTERED']);
  });

  it('refuses to read a file off the media that nobody picked (PATH_NOT_PERMITTED)', async () => {
    const off = join(work, 'off-medium.json');
    writeFileSync(off, '{}');
    assert.equal(await codeOf('transcript.verify', { path: off }), 'PATH_NOT_PERMITTED');
    assert.equal(await codeOf('transcript.verify', { path: '/etc/passwd' }), 'PATH_NOT_PERMITTED');
  });

  it('refuses a transcript file too large to be one (FILE_TOO_LARGE), before reading it', async () => {
    const big = join(stick, 'big.transcript.json');
    writeFileSync(big, Buffer.alloc(5 * 1024 * 1024, 0x20));
    assert.equal(await codeOf('transcript.verify', { path: big }), 'FILE_TOO_LARGE');
  });
});
