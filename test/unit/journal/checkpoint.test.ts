/**
 * Signed checkpoints as verification sees them: a journal written through
 * Journal, its journal key a node:crypto key pair standing in for the token's
 * (the token side runs on SoftHSM2 and the virtual SmartCard-HSM in
 * test/integration/ca/journal-anchor.test.ts and the rehearsal), and the
 * forgeries an attacker without the token can make with the project's own
 * sealedLine.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, verifyJournalFile, JOURNAL_FILE, GENESIS_HASH, type JournalEntry } from '../../../main/journal/index.ts';
import { sealedLine } from '../../../main/journal/entry.ts';
import { AnchorCheck, checkpointStatement, formatHead, parseHead } from '../../../main/journal/checkpoint.ts';

interface JournalKey { readonly privateKey: KeyObject; readonly spki: Buffer; readonly spkiSha256: string }

function newJournalKey(kind: 'ec' | 'rsa' = 'ec'): JournalKey {
  const pair = kind === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = pair.publicKey.export({ type: 'spki', format: 'der' });
  return { privateKey: pair.privateKey, spki, spkiSha256: createHash('sha256').update(spki).digest('hex') };
}

function recordKey(j: Journal, key: JournalKey): JournalEntry {
  return j.append('journal.key', { keySpkiSha256: key.spkiSha256, spki: key.spki.toString('base64'), label: 'custos-journal', caIds: [] }, { durable: true });
}

function signStatement(key: JournalKey, seq: number, hash: string): string {
  const statement = checkpointStatement(seq, hash);
  const signature = key.privateKey.asymmetricKeyType === 'ec' ? sign('sha256', statement, { key: key.privateKey, dsaEncoding: 'der' }) : sign('sha256', statement, key.privateKey);
  return signature.toString('base64');
}

/** What journal-anchor.ts does at the end of an act, with a software key. */
function checkpoint(j: Journal, key: JournalKey, signer: JournalKey = key): JournalEntry {
  const head = j.entryAt(j.lastSeq)!;
  return j.append('journal.checkpoint', { keySpkiSha256: key.spkiSha256, headSeq: head.seq, headHash: head.hash, signature: signStatement(signer, head.seq, head.hash) }, { durable: true });
}

type Line = Record<string, unknown> & { seq: number; kind: string };

function readLines(path: string): Line[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
}

/** A forger's rewrite: keep the entries `keep` accepts, number and chain them again and seal each with sealedLine. */
function reseal(path: string, keep: (line: Line) => boolean): void {
  let prev = GENESIS_HASH;
  const out: string[] = [];
  for (const [i, line] of readLines(path).filter(keep).entries()) {
    const { hash: _hash, ...unsealed } = line;
    const sealed = sealedLine({ ...(unsealed as unknown as JournalEntry), seq: i + 1, prev });
    out.push(sealed.line);
    prev = sealed.entry.hash;
  }
  writeFileSync(path, `${out.join('\n')}\n`);
}

describe('journal checkpoints', () => {
  let dir: string;
  let path: string;
  let key: JournalKey;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'custos-checkpoint-'));
    path = join(dir, JOURNAL_FILE);
    key = newJournalKey();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A CA's life: journal key, root, two certificates, two revocations, a CRL; a checkpoint after each signing act. */
  function writeCaLife(): void {
    const j = Journal.open({ dir, operator: 'alice' });
    recordKey(j, key);
    j.complete(j.begin('ca.root', { serialHex: '01' }), { caId: 'root', serialHex: '01' });
    checkpoint(j, key);
    for (const serial of ['02', '03']) {
      j.complete(j.begin('certificate.issue', { caId: 'root', serialHex: serial }), { caId: 'root', serialHex: serial });
    }
    checkpoint(j, key);
    j.append('certificate.revoke', { caId: 'root', serialHex: '02', reason: 'keyCompromise' });
    j.append('certificate.revoke', { caId: 'root', serialHex: '03', reason: 'keyCompromise' });
    j.complete(j.begin('crl.issue', { caId: 'root', crlNumber: '1' }), { caId: 'root', crlNumber: '1', entries: 2 });
    checkpoint(j, key);
    j.close();
  }

  it('verifies a journal whose every signing act lies under a checkpoint, with no entry left unanchored', () => {
    writeCaLife();
    const result = verifyJournalFile(path);
    assert.equal(result.ok, true, result.reason);
    assert.equal(result.anchors?.checkpoints, 3);
    assert.equal(result.anchors?.journalKeys, 1);
    assert.equal(result.anchors?.unanchored, 0);
    assert.deepEqual(result.head, { seq: 14, hash: readLines(path)[13]!.hash });
  });

  it('verifies checkpoints signed by an RSA journal key (tokens that make no EC keys)', () => {
    key = newJournalKey('rsa');
    writeCaLife();
    assert.equal(verifyJournalFile(path).ok, true);
  });

  it('reports a root or certificate recorded after a kill (<act>.recovered) as a signing act under no checkpoint, until one is signed over it', () => {
    for (const act of ['ca.root', 'certificate.issue']) {
      rmSync(path, { force: true });
      const j = Journal.open({ dir, operator: 'alice' });
      recordKey(j, key);
      const intent = j.begin(act, { serialHex: '01' });
      // What the next open writes after a kill between the token's signature and the done entry.
      j.append(`${act}.abandoned`, { reason: 'the process ended between intent and result' }, { intent: intent.seq });
      const recovered = j.append(`${act}.recovered`, { result: 'MA==', sha256: '00'.repeat(32), bytes: 1 }, { intent: intent.seq });
      const cutOff = verifyJournalFile(path);
      assert.equal(cutOff.code, 'JOURNAL_UNANCHORED', `${act}: ${cutOff.reason}`);
      assert.equal(cutOff.firstBadSeq, recovered.seq);
      checkpoint(j, key);
      j.close();
      const reviewed = verifyJournalFile(path);
      assert.equal(reviewed.ok, true, reviewed.reason);
    }
  });

  it('counts the entries written after the last checkpoint, such as a revocation made without a token', () => {
    writeCaLife();
    const j = Journal.open({ dir, operator: 'alice' });
    j.append('certificate.revoke', { caId: 'root', serialHex: '04', reason: 'superseded' });
    j.close();
    const result = verifyJournalFile(path);
    assert.equal(result.ok, true);
    assert.equal(result.anchors?.unanchored, 1);
  });

  it('detects the chain rewritten with valid hashes after two revocations were deleted', () => {
    writeCaLife();
    reseal(path, (l) => l.kind !== 'certificate.revoke');
    const result = verifyJournalFile(path);
    assert.equal(result.ok, false);
    assert.equal(result.code, 'JOURNAL_TAMPERED');
    assert.match(result.reason!, /checkpoint #12 names no earlier entry as its head/);
  });

  it('detects the rewrite when the forger also strips every checkpoint after the edit', () => {
    writeCaLife();
    const lines = readLines(path);
    const firstRevoke = lines.findIndex((l) => l.kind === 'certificate.revoke') + 1;
    reseal(path, (l) => l.kind !== 'certificate.revoke' && !(l.kind === 'journal.checkpoint' && l.seq > firstRevoke));
    const result = verifyJournalFile(path);
    assert.equal(result.ok, false);
    // A crash between an act and its checkpoint leaves the same: a person reads the entries and decides.
    assert.equal(result.code, 'JOURNAL_UNANCHORED');
    // The CRL's done entry, now #11, has lost the checkpoint that followed it.
    assert.equal(result.firstBadSeq, 11);
    assert.match(result.reason!, /entry #11 records a signature by a CA key but no signed checkpoint follows it/);
  });

  it('detects the rewrite when the forger strips every checkpoint of the journal', () => {
    writeCaLife();
    reseal(path, (l) => l.kind !== 'certificate.revoke' && l.kind !== 'journal.checkpoint');
    const result = verifyJournalFile(path);
    assert.equal(result.ok, false);
    assert.match(result.reason!, /entry #3 records a signature by a CA key but no signed checkpoint follows it/);
  });

  it('detects the rewrite when the forger records a journal key of their own and signs new checkpoints with it', () => {
    writeCaLife();
    const lines = readLines(path);
    const firstRevoke = lines.find((l) => l.kind === 'certificate.revoke')!.seq;
    reseal(path, (l) => l.kind !== 'certificate.revoke' && !(l.kind === 'journal.checkpoint' && l.seq > firstRevoke));
    const forger = newJournalKey();
    const j = Journal.open({ dir, operator: 'mallory' });
    recordKey(j, forger);
    checkpoint(j, forger);
    j.close();
    const result = verifyJournalFile(path);
    assert.equal(result.ok, false);
    assert.match(result.reason!, /entry #11 records a signature by a CA key but no signed checkpoint follows it.*checkpoint #14 is signed by a journal key no earlier journal key has vouched for/);
  });

  it('counts a second journal key\'s checkpoints once a checkpoint by the first covers its record', () => {
    const second = newJournalKey();
    const j = Journal.open({ dir, operator: 'alice' });
    recordKey(j, key);
    j.complete(j.begin('ca.root', { serialHex: '01' }), { caId: 'root' });
    checkpoint(j, key);
    recordKey(j, second);
    j.complete(j.begin('crl.issue', { caId: 'root', crlNumber: '1' }), { caId: 'root' });
    checkpoint(j, second);
    j.close();
    const unvouched = verifyJournalFile(path);
    assert.equal(unvouched.ok, false, 'the second key vouched for by nobody anchors nothing');
    assert.match(unvouched.reason!, /entry #7 records a signature by a CA key but no signed checkpoint follows it/);

    rmSync(path);
    const k = Journal.open({ dir, operator: 'alice' });
    recordKey(k, key);
    k.complete(k.begin('ca.root', { serialHex: '01' }), { caId: 'root' });
    checkpoint(k, key);
    recordKey(k, second);
    checkpoint(k, key);
    k.complete(k.begin('crl.issue', { caId: 'root', crlNumber: '1' }), { caId: 'root' });
    checkpoint(k, second);
    k.close();
    const vouched = verifyJournalFile(path);
    assert.equal(vouched.ok, true, vouched.reason);
    assert.equal(vouched.anchors?.checkpoints, 3);
    assert.equal(vouched.anchors?.unanchored, 0);
  });

  it('detects a checkpoint signed by a key that is no journal key recorded before it', () => {
    writeCaLife();
    const j = Journal.open({ dir, operator: 'mallory' });
    checkpoint(j, newJournalKey());
    j.close();
    const result = verifyJournalFile(path);
    assert.equal(result.ok, false);
    assert.match(result.reason!, /checkpoint #15 is signed by a key that is no journal key recorded before it/);
  });

  it('detects a checkpoint that names the journal key but carries another key\'s signature', () => {
    writeCaLife();
    const j = Journal.open({ dir, operator: 'mallory' });
    checkpoint(j, key, newJournalKey());
    j.close();
    const result = verifyJournalFile(path);
    assert.equal(result.ok, false);
    assert.match(result.reason!, /checkpoint #15's signature does not verify with journal key/);
  });

  it('detects a checkpoint whose signature is over a head that is not in this chain', () => {
    writeCaLife();
    const j = Journal.open({ dir, operator: 'mallory' });
    const head = j.entryAt(j.lastSeq)!;
    const other = 'ab'.repeat(32);
    j.append('journal.checkpoint', { keySpkiSha256: key.spkiSha256, headSeq: head.seq, headHash: other, signature: signStatement(key, head.seq, other) });
    j.close();
    const result = verifyJournalFile(path);
    assert.equal(result.ok, false);
    assert.match(result.reason!, /checkpoint #15 names a head that is not entry #14 of this chain/);
  });

  it('detects a checkpoint that names itself or a later entry as its head', () => {
    writeCaLife();
    const j = Journal.open({ dir, operator: 'mallory' });
    j.append('journal.checkpoint', { keySpkiSha256: key.spkiSha256, headSeq: 15, headHash: 'cd'.repeat(32), signature: signStatement(key, 15, 'cd'.repeat(32)) });
    j.close();
    assert.match(verifyJournalFile(path).reason!, /checkpoint #15 names no earlier entry as its head/);
  });

  it('detects a journal key entry whose public key is not the one its hash names', () => {
    const j = Journal.open({ dir, operator: 'mallory' });
    j.append('journal.key', { keySpkiSha256: key.spkiSha256, spki: newJournalKey().spki.toString('base64'), caIds: [] });
    j.close();
    assert.match(verifyJournalFile(path).reason!, /journal key entry #1 holds a public key whose SHA-256 is not the one it names/);
  });

  it('signs a domain-separated statement of exactly the seq and hash', () => {
    assert.equal(Buffer.from(checkpointStatement(12, 'ab'.repeat(32))).toString('utf8'), `custos journal checkpoint\n12\n${'ab'.repeat(32)}`);
  });

  describe('against a head taken earlier', () => {
    it('detects a journal cut back at a line boundary', () => {
      writeCaLife();
      const head = verifyJournalFile(path).head!;
      // Cut back to the checkpoint before the revocations: what is left verifies on its own.
      const lines = readFileSync(path, 'utf8').split('\n');
      writeFileSync(path, `${lines.slice(0, 9).join('\n')}\n`);
      assert.equal(verifyJournalFile(path).ok, true, 'the cut journal is consistent in itself');
      const result = verifyJournalFile(path, { head });
      assert.equal(result.ok, false);
      assert.equal(result.code, 'JOURNAL_TRUNCATED');
      assert.match(result.reason!, /the journal ends at entry #9 and no longer reaches the head #14 taken earlier/);
    });

    it('detects a journal cut back and written again to the same length', () => {
      writeCaLife();
      const head = verifyJournalFile(path).head!;
      const lines = readFileSync(path, 'utf8').split('\n');
      writeFileSync(path, `${lines.slice(0, 9).join('\n')}\n`);
      const j = Journal.open({ dir, operator: 'mallory' });
      for (let i = 0; i < 6; i += 1) j.append('request.import', { requestId: `r${i}` });
      j.close();
      const result = verifyJournalFile(path, { head });
      assert.equal(result.code, 'JOURNAL_TRUNCATED');
      assert.match(result.reason!, /entry #14 is no longer the head taken earlier/);
    });

    it('passes while the journal reaches the head, however far it has grown since', () => {
      writeCaLife();
      const head = parseHead(formatHead(verifyJournalFile(path).head!))!;
      const j = Journal.open({ dir, operator: 'alice' });
      j.append('certificate.revoke', { caId: 'root', serialHex: '05', reason: 'superseded' });
      j.close();
      assert.equal(verifyJournalFile(path, { head }).ok, true);
    });

    it('reads a head only as SEQ:HASH', () => {
      assert.deepEqual(parseHead(`7:${'AB'.repeat(32)}`), { seq: 7, hash: 'ab'.repeat(32) });
      for (const bad of ['7', `7:${'ab'.repeat(31)}`, `x:${'ab'.repeat(32)}`, `-1:${'ab'.repeat(32)}`, `7:${'ab'.repeat(32)}00`]) assert.equal(parseHead(bad), undefined, bad);
    });
  });

  describe('followed as the journal grows', () => {
    it('holds acts found uncovered at open against the journal, but not an act whose checkpoint this process could not sign', () => {
      const j = Journal.open({ dir, operator: 'alice' });
      recordKey(j, key);
      j.append('crl.issue.done', { caId: 'root', crlNumber: '1' });
      j.close();
      const anchors = new AnchorCheck();
      const reopened = Journal.open({ dir, operator: 'alice', onEntry: (e) => anchors.observe(e) });
      anchors.markOpened();
      assert.match(anchors.problemAtOpen()!.reason, /entry #2 records a signature by a CA key but no signed checkpoint follows it/);
      reopened.close();

      rmSync(path);
      const fresh = new AnchorCheck();
      const k = Journal.open({ dir, operator: 'alice', onEntry: (e) => fresh.observe(e) });
      fresh.markOpened();
      recordKey(k, key);
      k.append('crl.issue.done', { caId: 'root', crlNumber: '1' });
      assert.equal(fresh.problemAtOpen(), undefined, 'written by this process: its next checkpoint covers it');
      assert.equal(fresh.summary().uncoveredActs.length, 1);
      checkpoint(k, key);
      assert.deepEqual(fresh.summary().uncoveredActs, []);
      assert.equal(fresh.summary().unanchored, 0);
      k.close();
    });
  });
});
