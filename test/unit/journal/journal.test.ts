import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Journal, verifyJournalFile, JOURNAL_FILE } from '../../../main/journal/index.ts';
import { CustosError, isCustosError } from '../../../main/errors/index.ts';
import { buildFailingFsync, buildFailingWrite } from '../../support/failing-fsync.ts';
import { canMountTmpfs, runOnTmpfs } from '../../support/small-tmpfs.ts';
import { fileLines } from '../../../main/journal/file-lines.ts';
import { sealedLine, GENESIS_HASH } from '../../../main/journal/entry.ts';

const token = { label: 'CA HSM', serial: '0001', model: 'SoftHSM v2', backend: 'pkcs11' as const, virtual: true };

function codeOf(fn: () => unknown): string | undefined {
  try { fn(); } catch (e) { return isCustosError(e) ? e.code : `untyped: ${String(e)}`; }
  return undefined;
}


/** What verify concluded of the chain: its anchors and head are checkpoint.test.ts's to assert. */
function chainVerdict(result: unknown): { ok: unknown; entries: unknown } {
  const { ok, entries } = result as { ok: unknown; entries: unknown };
  return { ok, entries };
}

describe('journal', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'custos-journal-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function writeFive(): string {
    const j = Journal.open({ dir, operator: 'alice' });
    const intent = j.begin('certificate.issue', { tbsSha256: 'ab'.repeat(32) }, token);
    j.complete(intent, { serial: '01' });
    j.append('export', { file: 'leaf.pem' });
    j.append('revocation', { serial: '01', reason: 'keyCompromise' });
    j.append('crl.issue', { crlNumber: '1' });
    j.close();
    return join(dir, JOURNAL_FILE);
  }

  it('chains every entry onto the previous one and verifies', () => {
    const path = writeFive();
    const { ok, entries } = verifyJournalFile(path);
    assert.deepEqual({ ok, entries }, { ok: true, entries: 5 });
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines[1].prev, lines[0].hash);
    assert.equal(lines[0].operator, 'alice');
    assert.equal(lines[0].token.virtual, true);
  });

  it('names the entry whose byte was flipped', () => {
    const path = writeFive();
    const text = readFileSync(path, 'utf8');
    const lines = text.split('\n');
    // Flip one character inside entry 3's data (export file name).
    lines[2] = lines[2]!.replace('leaf.pem', 'leaf.pen');
    writeFileSync(path, lines.join('\n'));
    const result = verifyJournalFile(path);
    assert.equal(result.ok, false);
    assert.equal(result.firstBadSeq, 3);
    assert.match(result.reason ?? '', /entry #3 was edited/);
  });

  it('names the entry that was removed', () => {
    const path = writeFive();
    const lines = readFileSync(path, 'utf8').split('\n');
    lines.splice(1, 1);
    writeFileSync(path, lines.join('\n'));
    const result = verifyJournalFile(path);
    assert.equal(result.firstBadSeq, 2);
    assert.match(result.reason ?? '', /missing/);
  });

  it('names the entry that was reordered', () => {
    const path = writeFive();
    const lines = readFileSync(path, 'utf8').split('\n');
    [lines[2], lines[3]] = [lines[3]!, lines[2]!];
    writeFileSync(path, lines.join('\n'));
    const result = verifyJournalFile(path);
    assert.equal(result.firstBadSeq, 3);
    assert.match(result.reason ?? '', /out of order/);
  });

  it('refuses to open a tampered journal for writing', () => {
    const path = writeFive();
    writeFileSync(path, readFileSync(path, 'utf8').replace('keyCompromise', 'superseded'));
    assert.equal(codeOf(() => Journal.open({ dir, operator: 'alice' })), 'JOURNAL_TAMPERED');
  });

  it('refuses a second writer while the first holds the lock', () => {
    const j = Journal.open({ dir, operator: 'alice' });
    try {
      const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', `
        import('${join(process.cwd(), 'main/journal/index.ts')}').then(({ Journal }) => {
          try { Journal.open({ dir: ${JSON.stringify(dir)}, operator: 'bob' }); console.log('opened'); }
          catch (e) { console.log(e.code); }
        });`], { encoding: 'utf8' });
      assert.equal(child.stdout.trim(), 'JOURNAL_LOCKED', child.stderr);
    } finally {
      j.close();
    }
    Journal.open({ dir, operator: 'bob' }).close();
  });

  it('takes over a lock left by a process that no longer runs', () => {
    writeFileSync(join(dir, `${JOURNAL_FILE}.lock`), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: 'then' }));
    const j = Journal.open({ dir, operator: 'alice' });
    j.close();
  });

  it('reports an intent left open by a crashed process on the next start', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', `
      import('${join(process.cwd(), 'main/journal/index.ts')}').then(({ Journal }) => {
        const j = Journal.open({ dir: ${JSON.stringify(dir)}, operator: 'alice' });
        j.begin('certificate.issue', { tbsSha256: 'cd'.repeat(32) });
        process.exit(9); // dies before the token answers: no result, no close
      });`], { encoding: 'utf8' });
    assert.equal(child.status, 9, child.stderr);
    const j = Journal.open({ dir, operator: 'alice' });
    try {
      assert.equal(j.abandonedAtOpen.length, 1);
      assert.equal(j.abandonedAtOpen[0]!.kind, 'certificate.issue.intent');
      assert.equal(j.read().at(-1)!.kind, 'certificate.issue.abandoned');
      assert.equal(j.pendingIntents().length, 0);
      assert.equal(j.verify().ok, true);
    } finally {
      j.close();
    }
  });

  it('keeps no entry of a failed act open', () => {
    const j = Journal.open({ dir, operator: 'alice' });
    const intent = j.begin('certificate.issue', { tbsSha256: 'ef'.repeat(32) }, token);
    assert.equal(j.pendingIntents().length, 1);
    j.fail(intent, { code: 'PIN_INCORRECT', message: 'wrong PIN' });
    assert.equal(j.pendingIntents().length, 0);
    j.close();
  });

  it('settles an act: a thrown error is recorded as the intent\'s failure, with its code or the fallback', async () => {
    const j = Journal.open({ dir, operator: 'alice' });
    try {
      const typed = j.begin('key.generate', { label: 'a' }, token);
      await assert.rejects(j.settle(typed, async () => { throw new CustosError('KEY_LABEL_EXISTS', 'taken', {}); }));
      const untyped = j.begin('key.generate', { label: 'b' }, token);
      await assert.rejects(j.settle(untyped, async () => { throw new Error('device fell over'); }, 'DEVICE_ERROR'));
      const fails = j.read().filter((e) => e.kind === 'key.generate.failed');
      assert.deepEqual(fails.map((e) => [e.intent, e.data.code]), [[typed.seq, 'KEY_LABEL_EXISTS'], [untyped.seq, 'DEVICE_ERROR']]);
      assert.equal(await j.settle(j.begin('key.generate', { label: 'c' }), async () => 42), 42);
      assert.equal(j.pendingIntents().length, 1, 'a successful act leaves its intent for the caller to complete');
    } finally {
      j.close();
    }
  });

  it('after one failed fsync, calls nothing durable again, runs no act, and still lets go of the file and the lock', () => {
    // A failing disk cannot be had here: a shim (test/support/failing-fsync.c) makes fsync fail while a flag file exists.
    const shim = buildFailingFsync(dir);
    const journalDir = join(dir, 'data');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', `
      import('${join(process.cwd(), 'main/journal/index.ts')}').then(async ({ Journal }) => {
        const fs = await import('node:fs');
        const code = (e) => e.code ?? String(e);
        const out = {};
        const j = Journal.open({ dir: ${JSON.stringify(journalDir)}, operator: 'alice' });
        const first = j.intend('certificate.issue', { n: 1 });
        await j.durable(first);
        out.first = j.isDurable(first);
        j.complete(first, { serial: '01' });
        fs.writeFileSync(${JSON.stringify(shim.flagFile)}, '');
        out.second = await j.durable(j.intend('certificate.issue', { n: 2 })).then(() => 'durable', code);
        fs.rmSync(${JSON.stringify(shim.flagFile)});
        let acted = false;
        out.third = await j.settle(j.intend('certificate.issue', { n: 3 }), async () => { acted = true; }).then(() => 'acted', code);
        out.acted = acted;
        try { j.begin('crl.issue', { n: 4 }); out.begin = 'durable'; } catch (e) { out.begin = code(e); }
        try { j.close(); out.close = 'closed'; } catch (e) { out.close = code(e); }
        out.lockLeft = fs.existsSync(${JSON.stringify(join(journalDir, `${JOURNAL_FILE}.lock`))});
        console.log(JSON.stringify(out));
      });`], { encoding: 'utf8', env: { ...process.env, ...shim.env } });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), {
      first: true,
      second: 'JOURNAL_CORRUPT',
      // The disk works again, but pages the failed fsync dropped may be missing: still nothing is called durable.
      third: 'JOURNAL_CORRUPT',
      acted: false,
      begin: 'JOURNAL_CORRUPT',
      close: 'JOURNAL_CORRUPT',
      lockLeft: false,
    });
    // The next start (on a working disk) opens the journal, which verifies, and reports the intents left without a result.
    const j = Journal.open({ dir: journalDir, operator: 'alice' });
    try {
      assert.equal(j.verify().ok, true);
      assert.deepEqual(j.abandonedAtOpen.map((e) => [e.kind, e.data.n]), [['certificate.issue.intent', 2], ['crl.issue.intent', 4]]);
    } finally {
      j.close();
    }
  });

  it('makes an intent written by intend durable before its act runs, one fsync covering those written with it', async () => {
    const j = Journal.open({ dir, operator: 'alice' });
    try {
      const first = j.intend('certificate.issue', { tbsSha256: '01'.repeat(32) }, token);
      const second = j.intend('certificate.issue', { tbsSha256: '02'.repeat(32) }, token);
      assert.equal(j.isDurable(first), false);
      let seenInAct: [boolean, boolean] | undefined;
      await j.settle(first, async () => { seenInAct = [j.isDurable(first), j.isDurable(second)]; });
      assert.deepEqual(seenInAct, [true, true], 'the act ran only after both intents were on disk');
      const later = j.intend('certificate.issue', { tbsSha256: '03'.repeat(32) }, token);
      assert.equal(j.isDurable(later), false, 'an intent written after the fsync waits for the next one');
      await j.settle(later, async () => { throw new CustosError('SIGN_FAILED', 'token gone', {}); }).catch(() => undefined);
      assert.equal(j.isDurable(later), true);
      assert.equal(j.read().at(-1)!.kind, 'certificate.issue.failed');
    } finally {
      j.close();
    }
  });

  it('pages entries back from the file, the same before and after a reopen', () => {
    const j = Journal.open({ dir, operator: 'alice' });
    const written = [];
    for (let n = 1; n <= 25; n++) written.push(j.append('export', { n, file: `leaf-${n}.pem` }));
    const intent = j.begin('certificate.issue', { tbsSha256: 'ab'.repeat(32) }, token);
    written.push(intent, j.complete(intent, { serial: '01' }));
    const pages = (journal: Journal): number[][] => [[0, 10], [10, 10], [20, 10], [27, 10], [5, 0]].map(([after, limit]) => journal.read(after, limit).map((e) => e.seq));
    assert.deepEqual(j.read(), written);
    assert.deepEqual(pages(j), [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [11, 12, 13, 14, 15, 16, 17, 18, 19, 20], [21, 22, 23, 24, 25, 26, 27], [], []]);
    j.close();
    const again = Journal.open({ dir, operator: 'bob' });
    try {
      assert.deepEqual(again.read(), written);
      assert.deepEqual(pages(again), [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [11, 12, 13, 14, 15, 16, 17, 18, 19, 20], [21, 22, 23, 24, 25, 26, 27], [], []]);
      again.append('revocation', { serial: '01' });
      assert.deepEqual(again.read(26).map((e) => [e.seq, e.kind, e.operator]), [[27, 'certificate.issue.done', 'alice'], [28, 'revocation', 'bob']]);
    } finally {
      again.close();
    }
  });

  it('splits lines the same whatever chunk a line is cut at, a character of several bytes included', () => {
    const j = Journal.open({ dir, operator: 'Zoë' });
    for (const city of ['München', 'Zürich', '東京', 'Łódź']) j.append('export', { file: `${city}.pem` });
    j.close();
    const path = join(dir, JOURNAL_FILE);
    const bytes = readFileSync(path);
    const expected = bytes.toString('utf8').split('\n').slice(0, -1);
    let offset = 0;
    const offsets = expected.map((line) => { const at = offset; offset += Buffer.byteLength(line) + 1; return at; });
    const fd = openSync(path, 'r');
    try {
      for (const chunk of [1, 2, 3, 7, 64, 1 << 20]) {
        const lines = [...fileLines(fd, chunk)];
        assert.deepEqual(lines.map((l) => l.text), expected, `chunk ${chunk}`);
        assert.deepEqual(lines.map((l) => l.offset), offsets, `chunk ${chunk}`);
        assert.ok(lines.every((l) => l.ended));
      }
    } finally {
      closeSync(fd);
    }
  });

  it('opens and verifies a journal larger than the longest string Node can hold', () => {
    // V8 strings hold at most 2^29 - 24 characters (0.5 GiB): the journal of a busy CA outgrows that.
    const path = join(dir, JOURNAL_FILE);
    const fd = openSync(path, 'w');
    const filler = 'A'.repeat(4 << 20);
    let prev = GENESIS_HASH;
    let bytes = 0;
    let seq = 0;
    while (bytes <= 2 ** 29) {
      seq += 1;
      const { entry, line } = sealedLine({ seq, time: new Date(0).toISOString(), kind: 'request.import', operator: 'alice', data: { seq, request: filler }, prev });
      bytes += writeSync(fd, `${line}\n`);
      prev = entry.hash;
    }
    closeSync(fd);
    const { ok, entries } = verifyJournalFile(path);
    assert.deepEqual({ ok, entries }, { ok: true, entries: seq });
    const j = Journal.open({ dir, operator: 'alice' });
    try {
      assert.equal(j.lastSeq, seq);
      const last = j.read(seq - 1);
      assert.deepEqual(last.map((e) => [e.seq, e.hash]), [[seq, prev]]);
      assert.equal(j.append('export', { file: 'a.pem' }).prev, prev);
    } finally {
      j.close();
    }
  });
});

describe('journal on a disk that fills, fails or loses power', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'custos-journal-disk-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('on a full disk refuses with MEDIA_FULL, cuts the file back to its last whole entry, refuses to reserve room, and goes on once space is freed', { skip: !canMountTmpfs() && 'needs mount namespaces (root)' }, async () => {
    const disk = join(dir, 'disk');
    const out = join(dir, 'out');
    mkdirSync(disk);
    const run = await runOnTmpfs(disk, 256 << 10, join(process.cwd(), 'test/support/journal-on-full-disk.ts'), [disk, out]);
    assert.equal(run.status, 0, run.stderr);
    const seen = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.equal(seen.error, 'MEDIA_FULL', String(seen.message));
    assert.match(String(seen.message), /cut back to its last whole entry \(#\d+\)/);
    assert.equal(seen.lastSeq, seen.appended);
    // What is on disk is exactly the entries the journal holds, each whole.
    assert.deepEqual(chainVerdict(seen.verifiedWhileFull), { ok: true, entries: seen.appended });
    assert.equal(seen.reserveWhileFull, 'MEDIA_FULL');
    assert.equal(seen.afterFreeing, 'appended');
    const j = Journal.open({ dir: out, operator: 'alice' });
    try {
      assert.equal(j.verify().ok, true);
      assert.equal(j.tornTailAtOpen, undefined);
      assert.equal(j.read().at(-1 - j.abandonedAtOpen.length)!.data.after, 'space was freed');
    } finally {
      j.close();
    }
  });

  it('on a write the disk fails (EIO) refuses with MEDIA_WRITE_FAILED, leaves the file whole, and goes on when the disk writes again', () => {
    // A disk that fails writes cannot be had here: a shim (test/support/failing-write.c) fails write() on journal.jsonl while a flag file exists.
    const shim = buildFailingWrite(dir);
    const journalDir = join(dir, 'data');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', `
      import('${join(process.cwd(), 'main/journal/index.ts')}').then(async ({ Journal }) => {
        const fs = await import('node:fs');
        const out = {};
        const j = Journal.open({ dir: ${JSON.stringify(journalDir)}, operator: 'alice' });
        j.append('note', { n: 1 });
        fs.writeFileSync(${JSON.stringify(shim.flagFile)}, '');
        try { j.append('note', { n: 2 }); out.second = 'appended'; } catch (e) { out.second = e.code ?? String(e); }
        fs.rmSync(${JSON.stringify(shim.flagFile)});
        j.append('note', { n: 3 });
        out.lastSeq = j.lastSeq;
        j.close();
        console.log(JSON.stringify(out));
      });`], { encoding: 'utf8', env: { ...process.env, ...shim.env } });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), { second: 'MEDIA_WRITE_FAILED', lastSeq: 2 });
    assert.deepEqual(chainVerdict(verifyJournalFile(join(journalDir, JOURNAL_FILE))), { ok: true, entries: 2 });
  });

  it('sets a last line torn by a crash aside, reports it, marks its intent abandoned, and goes on', () => {
    const j = Journal.open({ dir, operator: 'alice' });
    const intent = j.begin('certificate.issue', { tbsSha256: '12'.repeat(32) }, token);
    j.close();
    const path = join(dir, JOURNAL_FILE);
    const whole = readFileSync(path);
    // The done of the certificate, cut by a power loss in the middle of its line.
    const done = sealedLine({ seq: 2, time: new Date().toISOString(), kind: 'certificate.issue.done', operator: 'alice', intent: intent.seq, data: { serial: '01' }, prev: intent.hash }).line;
    const torn = Buffer.from(done.slice(0, 70));
    writeFileSync(path, Buffer.concat([whole, torn]));
    assert.equal(verifyJournalFile(path).ok, false);
    const reopened = Journal.open({ dir, operator: 'alice' });
    try {
      assert.deepEqual(reopened.tornTailAtOpen, { offset: whole.length, bytes: torn.length, sideFile: `${path}.torn-${whole.length}` });
      assert.deepEqual(readFileSync(`${path}.torn-${whole.length}`), torn);
      assert.deepEqual(reopened.abandonedAtOpen.map((e) => e.seq), [intent.seq]);
      assert.equal(reopened.read().at(-1)!.kind, 'certificate.issue.abandoned');
      assert.equal(reopened.verify().ok, true);
      reopened.append('note', { goes: 'on' });
    } finally {
      reopened.close();
    }
    assert.deepEqual(chainVerdict(verifyJournalFile(path)), { ok: true, entries: 3 });
  });

  it('still refuses a whole last line that was edited as tampering, and sets nothing aside', () => {
    const j = Journal.open({ dir, operator: 'alice' });
    j.append('revocation', { serial: '01', reason: 'keyCompromise' });
    j.close();
    const path = join(dir, JOURNAL_FILE);
    writeFileSync(path, readFileSync(path, 'utf8').replace('keyCompromise', 'superseded'));
    assert.equal(codeOf(() => Journal.open({ dir, operator: 'alice' })), 'JOURNAL_TAMPERED');
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.torn-')), []);
  });

  it('records at the next open, as recovered, a result the token signed that a killed run never recorded', () => {
    const signed = Buffer.from('3082 signed certificate bytes, as the token returned them');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', `
      import('${join(process.cwd(), 'main/journal/index.ts')}').then(({ Journal }) => {
        const j = Journal.open({ dir: ${JSON.stringify(dir)}, operator: 'alice' });
        const recorded = j.begin('certificate.issue', { n: 1 });
        j.reserveResult(recorded, 4096);
        j.keepResult(recorded, Buffer.from('recorded before the kill'));
        j.complete(recorded, { serial: '01' });
        j.flush();
        const lost = j.begin('certificate.issue', { n: 2 });
        j.reserveResult(lost, 4096);
        j.keepResult(lost, Buffer.from(${JSON.stringify(signed.toString('base64'))}, 'base64'));
        process.kill(process.pid, 'SIGKILL'); // between the token's answer and its record
      });`], { encoding: 'utf8' });
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    const j = Journal.open({ dir, operator: 'alice' });
    try {
      assert.deepEqual(j.abandonedAtOpen.map((e) => e.data.n), [2]);
      assert.deepEqual(j.recoveredAtOpen.map((e) => [e.kind, e.intent, Buffer.from(String(e.data.result), 'base64').toString()]), [['certificate.issue.recovered', 3, signed.toString()]]);
      assert.equal(j.verify().ok, true);
    } finally {
      j.close();
    }
    // Recorded once: the next open finds nothing more to recover.
    const again = Journal.open({ dir, operator: 'alice' });
    assert.deepEqual(again.recoveredAtOpen, []);
    again.close();
  });
});
