/**
 * The journal anchored by a key on the CA's own token, on a real SoftHSM2:
 * the journal key made beside the CA key and recorded before its first
 * checkpoint, every signing act followed by its checkpoint, the head carried
 * by exports and CRL records, and what a forger without the token can no
 * longer do: re-seal the chain without two revocations (with or without the
 * checkpoints after them), or cut it back under an exported head.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { Custos } from '../../../main/custos.ts';
import { Secret } from '../../../main/secret.ts';
import { createRoot } from '../../../main/ca/root.ts';
import { importRequests } from '../../../main/ca/requests.ts';
import { issueCertificates } from '../../../main/ca/issue.ts';
import { revokeSerial } from '../../../main/ca/revoke.ts';
import { issueCrl } from '../../../main/ca/crl.ts';
import { exportCertificate } from '../../../main/ca/export.ts';
import { checkpointAfterReview } from '../../../main/ca/journal-anchor.ts';
import { requestForKey } from '../../../main/ca/key-request.ts';
import { parseSubject } from '../../../main/ca/subject.ts';
import { GENESIS_HASH, JOURNAL_FILE, verifyJournalFile, type JournalEntry } from '../../../main/journal/index.ts';
import { sealedLine } from '../../../main/journal/entry.ts';
import { JOURNAL_KEY_LABEL, parseHead } from '../../../main/journal/checkpoint.ts';
import { CustosError, isCustosError } from '../../../main/errors/index.ts';

const PIN = '246810';
const CLI = join(import.meta.dirname, '../../../bin/custos.mjs');

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try { await p; } catch (e) { return isCustosError(e) ? e.code : `untyped: ${String(e)}`; }
  return undefined;
}

async function applicantRequest(cn: string): Promise<Uint8Array> {
  const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return requestForKey({ spki: new Uint8Array(k.publicKey.export({ type: 'spki', format: 'der' })), sign: async (d) => new Uint8Array(nodeSign('sha256', d, { key: k.privateKey, dsaEncoding: 'der' })) },
    parseSubject(`CN=${cn}`), { scheme: 'ecdsa', hash: 'SHA-256' });
}

type Line = JournalEntry & Record<string, unknown>;

function readLines(path: string): Line[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
}

/** A copy of the journal in a fresh home, its entries those keep accepts, renumbered, chained and sealed with the project's own sealedLine. */
function forgedCopy(source: string, home: string, keep: (line: Line) => boolean): string {
  mkdirSync(home, { recursive: true });
  let prev = GENESIS_HASH;
  const out: string[] = [];
  for (const [i, line] of readLines(source).filter(keep).entries()) {
    const { hash: _hash, ...unsealed } = line;
    const sealed = sealedLine({ ...unsealed, seq: i + 1, prev });
    out.push(sealed.line);
    prev = sealed.entry.hash;
  }
  writeFileSync(join(home, JOURNAL_FILE), `${out.join('\n')}\n`);
  return join(home, JOURNAL_FILE);
}

describe('journal anchored by a journal key on SoftHSM2', () => {
  let hsm: SoftHsm;
  let work: string;
  let custos: Custos;
  let tokenId: string;
  let rootId: string;
  let journalPath: string;
  let caKeySpkiSha256: string;
  let crlHead: string;
  let exportHead: string;

  before(async () => {
    hsm = await createSoftHsm();
    await hsm.initToken('Anchor HSM', '13572468', PIN);
    await hsm.initToken('Second HSM', '13572468', PIN);
    work = mkdtempSync(join(tmpdir(), 'custos-anchor-'));
    custos = Custos.open({ dataDir: join(work, 'home'), rehearsalModules: [hsm.modulePath], operator: 'tester' });
    journalPath = join(work, 'home', JOURNAL_FILE);
    const listed = (await custos.tokens.list()).find((t) => t.info.label === 'Anchor HSM');
    assert.ok(listed, 'the SoftHSM token is listed');
    tokenId = listed.id;
    await custos.login(tokenId, Secret.fromString(PIN));
    const key = await custos.generateKey(tokenId, { kind: 'ec', curve: 'P-384' }, 'root');
    caKeySpkiSha256 = key.spkiSha256;
    rootId = (await createRoot(custos.ctx, { tokenId, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Anchor Root', name: 'root' })).id;
    const requests = [];
    for (const cn of ['a.custos.test', 'b.custos.test', 'c.custos.test']) requests.push(...importRequests(custos.ctx, `${cn}.csr`, await applicantRequest(cn)));
    const issued = await issueCertificates(custos.ctx, requests.map(({ record }) => ({ caId: rootId, requestId: record.id, profileId: 'tls-server' })));
    revokeSerial(custos.ctx, { caId: rootId, serialHex: issued[0]!.serialHex, reason: 'keyCompromise' });
    revokeSerial(custos.ctx, { caId: rootId, serialHex: issued[1]!.serialHex, reason: 'keyCompromise' });
    crlHead = (await issueCrl(custos.ctx, { caId: rootId })).record.journalHead;
    const exported = await exportCertificate(custos.ctx, { caId: rootId, serialHex: issued[2]!.serialHex, format: 'pem', directory: join(work, 'out') });
    exportHead = JSON.parse(readFileSync(`${exported.path}.custos.json`, 'utf8')).journalHead;
  });

  after(async () => {
    await custos.close();
    rmSync(work, { recursive: true, force: true });
    await hsm.cleanup();
  });

  it('makes a separate EC P-256 journal key on the CA\'s token and records it before its first checkpoint and in the CA\'s record', async () => {
    const keys = await (await custos.tokens.open(tokenId)).listKeys();
    const journalKey = keys.find((k) => k.label === JOURNAL_KEY_LABEL);
    assert.ok(journalKey, `the token holds a ${JOURNAL_KEY_LABEL} key: ${keys.map((k) => k.label).join(', ')}`);
    assert.deepEqual(journalKey.spec, { kind: 'ec', curve: 'P-256' });
    assert.notEqual(journalKey.spkiSha256, caKeySpkiSha256, 'the journal key is never the CA key');
    const lines = readLines(journalPath);
    const recorded = lines.find((l) => l.kind === 'journal.key');
    const firstCheckpoint = lines.find((l) => l.kind === 'journal.checkpoint');
    assert.ok(recorded && firstCheckpoint && recorded.seq < firstCheckpoint.seq);
    assert.equal(recorded.data.keySpkiSha256, journalKey.spkiSha256);
    assert.equal(recorded.data.spki, Buffer.from(journalKey.spki).toString('base64'));
    assert.equal(firstCheckpoint.data.keySpkiSha256, journalKey.spkiSha256);
    const ca = custos.state.cas.get(rootId)!;
    assert.deepEqual(ca.journalKeys.map((k) => k.spkiSha256), [journalKey.spkiSha256]);
    assert.deepEqual(Buffer.from(ca.journalKeys[0]!.spki), Buffer.from(journalKey.spki));
  });

  it('follows the root, the batch and the CRL each with a checkpoint over the entry before it', () => {
    const lines = readLines(journalPath);
    for (const kind of ['ca.root.done', 'crl.issue.done']) {
      const done = lines.find((l) => l.kind === kind)!;
      const next = lines[done.seq]!;
      assert.equal(next.kind, 'journal.checkpoint', `${kind} is followed by its checkpoint`);
      assert.deepEqual([next.data.headSeq, next.data.headHash], [done.seq, done.hash]);
    }
    const lastIssue = lines.filter((l) => l.kind === 'certificate.issue.done').at(-1)!;
    assert.equal(lines[lastIssue.seq]!.kind, 'journal.checkpoint', 'the batch ends with one checkpoint');
    assert.equal(lines.filter((l) => l.kind === 'journal.checkpoint').length, 3);
  });

  it('verifies with "0 entries not yet under a signed checkpoint" after the CRL, and counts the export after it', () => {
    const result = verifyJournalFile(journalPath, { head: parseHead(crlHead)! });
    assert.equal(result.ok, true, result.reason);
    assert.equal(result.anchors?.checkpoints, 3);
    // The export after the CRL's checkpoint (its intent and result) is not under a checkpoint yet.
    assert.equal(result.anchors?.unanchored, 2);
    const cli = spawnSync(process.execPath, [CLI, 'journal', 'verify', '--home', join(work, 'home'), '--head', exportHead], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /3 signed checkpoints by 1 journal keys; 2 entries not yet under a signed checkpoint/);
  });

  it('carries the journal head in the CRL record and the export metadata', () => {
    const lines = readLines(journalPath);
    const crlDone = lines.find((l) => l.kind === 'crl.issue.done')!;
    assert.equal(crlHead, `${crlDone.seq}:${crlDone.hash}`);
    const exportIntent = lines.find((l) => l.kind === 'export.intent')!;
    assert.equal(exportHead, `${exportIntent.seq}:${exportIntent.hash}`);
  });

  it('detects the chain re-sealed without the two revocations', () => {
    const forged = forgedCopy(journalPath, join(work, 'forged-1'), (l) => l.kind !== 'certificate.revoke');
    const result = verifyJournalFile(forged);
    assert.equal(result.ok, false);
    assert.equal(result.code, 'JOURNAL_TAMPERED');
    assert.match(result.reason!, /checkpoint #\d+/);
  });

  it('detects the chain re-sealed without the revocations and without the checkpoints after them', () => {
    const firstRevoke = readLines(journalPath).find((l) => l.kind === 'certificate.revoke')!.seq;
    const forged = forgedCopy(journalPath, join(work, 'forged-2'), (l) => l.kind !== 'certificate.revoke' && !(l.kind === 'journal.checkpoint' && l.seq > firstRevoke));
    const result = verifyJournalFile(forged);
    assert.equal(result.ok, false);
    assert.match(result.reason!, /records a signature by a CA key but no signed checkpoint follows it/);
    const cli = spawnSync(process.execPath, [CLI, 'journal', 'verify', '--home', join(work, 'forged-2'), '--json'], { encoding: 'utf8' });
    assert.equal(cli.status, 5);
    assert.equal(JSON.parse(cli.stdout).error.code, 'JOURNAL_UNANCHORED');
  });

  it('detects a journal cut back at a line boundary against the head an export carried', () => {
    const home = join(work, 'cut');
    mkdirSync(home);
    const text = readFileSync(journalPath, 'utf8').split('\n');
    const crlSeq = Number(crlHead.split(':')[0]);
    // Cut back to just before the CRL's intent: the rest is a consistent, fully anchored journal.
    writeFileSync(join(home, JOURNAL_FILE), `${text.slice(0, crlSeq - 2).join('\n')}\n`);
    assert.equal(verifyJournalFile(join(home, JOURNAL_FILE)).ok, true);
    const cli = spawnSync(process.execPath, [CLI, 'journal', 'verify', '--home', home, '--head', exportHead, '--json'], { encoding: 'utf8' });
    assert.equal(cli.status, 5, cli.stdout);
    const error = JSON.parse(cli.stdout).error;
    assert.equal(error.code, 'JOURNAL_TRUNCATED');
    assert.match(error.message, /no longer reaches the head/);
  });

  it('refuses to sign the next CRL on a journal re-sealed without its revocations and checkpoints', async () => {
    await custos.close();
    const firstRevoke = readLines(journalPath).find((l) => l.kind === 'certificate.revoke')!.seq;
    const home = join(work, 'forged-3');
    forgedCopy(journalPath, home, (l) => l.kind !== 'certificate.revoke' && !(l.kind === 'journal.checkpoint' && l.seq > firstRevoke));
    const forged = Custos.open({ dataDir: home, rehearsalModules: [hsm.modulePath], operator: 'mallory' });
    try {
      const listed = (await forged.tokens.list()).find((t) => t.info.label === 'Anchor HSM');
      await forged.login(listed!.id, Secret.fromString(PIN));
      assert.equal(await codeOf(issueCrl(forged.ctx, { caId: rootId })), 'JOURNAL_UNANCHORED');
      assert.equal(readLines(join(home, JOURNAL_FILE)).filter((l) => l.kind === 'crl.issue.intent').length, 1, 'no second CRL was begun');
    } finally {
      await forged.close();
      custos = Custos.open({ dataDir: join(work, 'home'), rehearsalModules: [hsm.modulePath], operator: 'tester' });
    }
  });

  it('reports a CRL whose checkpoint could not be signed, and goes on once the operator signs one after checking', async () => {
    const listed = (await custos.tokens.list()).find((t) => t.info.label === 'Anchor HSM');
    await custos.login(listed!.id, Secret.fromString(PIN));
    const token = await custos.tokens.open(listed!.id);
    // Fault injection (named so): the journal key fails to sign, as a card pulled right after the CRL would.
    const original = token.signer.bind(token);
    (token as { signer: typeof token.signer }).signer = (key, options) => (key.label === JOURNAL_KEY_LABEL
      ? { ...original(key, options), sign: () => Promise.reject(new CustosError('TOKEN_REMOVED', 'injected', {})) }
      : original(key, options));
    try {
      assert.equal(await codeOf(issueCrl(custos.ctx, { caId: rootId })), 'JOURNAL_CHECKPOINT_FAILED');
    } finally {
      (token as { signer: typeof token.signer }).signer = original;
    }
    const crl = custos.state.crls.get(rootId)!.at(-1)!;
    assert.equal(crl.crlNumber, '2', 'the CRL itself is recorded');
    const unanchored = verifyJournalFile(journalPath);
    assert.equal(unanchored.ok, false);
    assert.match(unanchored.reason!, /no signed checkpoint follows it.*custos journal checkpoint/);
    await custos.close();
    custos = Custos.open({ dataDir: join(work, 'home'), rehearsalModules: [hsm.modulePath], operator: 'tester' });
    const again = (await custos.tokens.list()).find((t) => t.info.label === 'Anchor HSM');
    const reopened = await custos.login(again!.id, Secret.fromString(PIN));
    assert.equal(await codeOf(issueCrl(custos.ctx, { caId: rootId })), 'JOURNAL_UNANCHORED', 'nothing is signed over an unanchored CA signature found at open');
    await checkpointAfterReview(custos.ctx, reopened);
    const result = verifyJournalFile(journalPath);
    assert.equal(result.ok, true, result.reason);
    assert.equal(result.anchors?.unanchored, 0);
    assert.equal((await issueCrl(custos.ctx, { caId: rootId })).record.crlNumber, '3');
  });

  it('refuses a root on a second token whose new journal key no logged-in token can vouch for, and vouches for it when the first is logged in', async () => {
    const tokens = await custos.tokens.list();
    const first = tokens.find((t) => t.info.label === 'Anchor HSM')!;
    const second = tokens.find((t) => t.info.label === 'Second HSM')!;
    await (await custos.tokens.open(first.id)).logout();
    await custos.login(second.id, Secret.fromString(PIN));
    const key = await custos.generateKey(second.id, { kind: 'ec', curve: 'P-384' }, 'second-root');
    const request = { tokenId: second.id, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: 'CN=Second Root', name: 'second' };
    assert.equal(await codeOf(createRoot(custos.ctx, request)), 'JOURNAL_KEY_UNVOUCHED');
    assert.equal(custos.state.cas.size, 1, 'no second root was made');
    await custos.login(first.id, Secret.fromString(PIN));
    const root = await createRoot(custos.ctx, request);
    const lines = readLines(journalPath);
    const secondKey = lines.filter((l) => l.kind === 'journal.key').at(-1)!;
    const vouch = lines.find((l) => l.kind === 'journal.checkpoint' && l.seq > secondKey.seq)!;
    assert.equal(vouch.token?.label, 'Anchor HSM', 'the first token vouches for the second\'s journal key');
    assert.deepEqual(root.journalKeys.map((k) => k.spkiSha256), [secondKey.data.keySpkiSha256]);
    const result = verifyJournalFile(journalPath);
    assert.equal(result.ok, true, result.reason);
    assert.equal(result.anchors?.journalKeys, 2);
    assert.equal(result.anchors?.unanchored, 0);
  });
});
