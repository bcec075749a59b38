/**
 * The README's main job: a full rehearsal with no hardware. It must finish
 * with every check passed and leave files that OpenSSL reads.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWrappedKey } from '../../../main/hsm/sc-hsm/key-backup.ts';

const CLI = join(import.meta.dirname, '../../../bin/custos.mjs');

describe('custos rehearse', () => {
  const work = mkdtempSync(join(tmpdir(), 'custos-rehearse-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('unlocks the CA HSM with two of three custodians, backs the root key up, and builds and checks root, issuing CA, leaf, revocation and CRLs', () => {
    const outDir = join(work, 'r');
    const env = { ...process.env };
    delete env.SOFTHSM2_CONF;
    const r = spawnSync(process.execPath, [CLI, 'rehearse', '--out', outDir, '--json'], { encoding: 'utf8', env });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const report = JSON.parse(r.stdout);
    assert.ok(report.checks.length >= 5);
    for (const c of report.checks) assert.equal(c.ok, true, `${c.what}: ${c.detail}`);
    for (const must of [/revoked leaf is refused/, /one custodian with the CA HSM PIN is refused/, /quorum-protected/, /two of three custodians/, /restored into the backup HSM/, /signed by the backup HSM/, /journal anchored by signed checkpoints/]) {
      assert.ok(report.checks.some((c: { what: string }) => must.test(c.what)), `check ${must} ran`);
    }
    // In the listing order (main/hsm/token-order.ts): by label.
    assert.deepEqual(report.tokens.map((t: { label: string }) => t.label), ['Backup HSM', 'CA HSM', 'Custodian 1', 'Custodian 2', 'Custodian 3']);
    assert.ok(report.tokens.every((t: { virtual: boolean }) => t.virtual));
    const journal = readFileSync(join(outDir, 'data', 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const withToken = journal.filter((e) => e.token);
    assert.ok(withToken.length > 5);
    assert.ok(withToken.every((e) => e.token.virtual === true), 'every token act of a rehearsal is marked VIRTUAL');
    // Each signature by the CA HSM names the two custodians that authenticated for it, by CHR and key.
    const caSignatures = journal.filter((e) => ['ca.root.intent', 'certificate.issue.intent', 'crl.issue.intent'].includes(e.kind) && e.token.label === 'CA HSM');
    assert.ok(caSignatures.length >= 3, `${caSignatures.length} signatures by the CA HSM`);
    const authenticated = journal.filter((e) => e.kind === 'quorum.authenticate').map((e) => e.data.chr);
    assert.equal(authenticated.length, 2);
    for (const e of caSignatures) {
      assert.equal(e.token.quorum.mode, 'pin-and-quorum');
      assert.deepEqual(e.token.quorum.custodians.map((c: { chr: string }) => c.chr), authenticated, `${e.kind} #${e.seq} names the custodians`);
      assert.ok(e.token.quorum.custodians.every((c: { keySha256: string }) => /^[0-9a-f]{64}$/.test(c.keySha256)));
    }
    // Every HSM that signed for a CA holds a journal key; the rehearsal ends under a signed checkpoint.
    const journalKeys = journal.filter((e) => e.kind === 'journal.key');
    assert.deepEqual([...new Set(journalKeys.map((e) => e.token.label))], ['CA HSM', 'Backup HSM']);
    const verify = spawnSync(process.execPath, [CLI, 'journal', 'verify', '--home', join(outDir, 'data'), '--head', report.journalHead], { encoding: 'utf8', env });
    assert.equal(verify.status, 0, verify.stderr);
    assert.match(verify.stdout, /signed checkpoints by 2 journal keys; 0 entries not yet under a signed checkpoint/);
    // The backup file is the one sc-hsm-tool --unwrap-key reads: blob, PrKD with the key's label, and its request;
    // written by the key-domain acts, with its record, and both steps journaled with the KCV and the key's fingerprint.
    assert.match(report.keyBackup.wky, /artifacts\/rehearsal-root-[0-9a-f]{16}\.wky$/);
    const record = JSON.parse(readFileSync(report.keyBackup.record, 'utf8'));
    assert.deepEqual([record.label, record.domainKcv], ['rehearsal-root', report.keyDomainKcv]);
    for (const kind of ['key.backup.done', 'key.restore.done']) assert.ok(journal.some((e) => e.kind === kind), `${kind} journaled`);
    assert.ok(journal.some((e) => e.kind === 'key.restore.intent' && e.data.spkiSha256 === record.spkiSha256 && e.data.domainKcv === record.domainKcv && e.token.label === 'Backup HSM'));
    const backup = decodeWrappedKey(new Uint8Array(readFileSync(report.keyBackup.wky)));
    assert.equal(backup.label, 'rehearsal-root');
    assert.ok(backup.prkd && backup.publicObject.length > 0);
    const pem = readFileSync(report.files.leaf, 'utf8');
    const x = spawnSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName'], { input: pem, encoding: 'utf8' });
    assert.match(x.stdout, /DNS:rehearsal\.example/);
  });

  it('refuses a folder that is not empty', () => {
    const r = spawnSync(process.execPath, [CLI, 'rehearse', '--out', join(import.meta.dirname), '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(JSON.parse(r.stdout).error.code, 'FILE_EXISTS');
  });
});
