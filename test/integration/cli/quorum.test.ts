/**
 * custos quorum on the rehearsal tokens (virtual SmartCard-HSMs; the CA HSM
 * in the protecting mode, 2 of 3 custodians): status, authentication one
 * custodian at a time, enrolment and registration, and the bad inputs that
 * must fail with their own code and leave the count as it was.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRegistrationFile, examineCustodianKey } from '../../../main/hsm/sc-hsm/pka.ts';

const CLI = join(import.meta.dirname, '../../../bin/custos.mjs');
const work = mkdtempSync(join(tmpdir(), 'custos-quorum-cli-'));
const home = join(work, 'home');

function custos(args: readonly string[], pin = '123456'): { status: number | null; json: Record<string, unknown>; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'quorum', ...args, '--rehearsal', '--home', home, '--pin-env', 'QUORUM_TEST_PIN', '--json'],
    { encoding: 'utf8', env: { ...process.env, QUORUM_TEST_PIN: pin } });
  return { status: r.status, json: r.stdout.trim() === '' ? {} : JSON.parse(r.stdout) as Record<string, unknown>, stderr: r.stderr };
}

const errorCode = (r: ReturnType<typeof custos>): unknown => (r.json['error'] as { code?: string } | undefined)?.code;

describe('custos quorum', () => {
  after(() => rmSync(work, { recursive: true, force: true }));

  it('shows the CA HSM as quorum-protected: "0 of 2 authenticated (3 registered)"', () => {
    const r = custos(['status', '--token', 'CA HSM']);
    assert.equal(r.status, 0, r.stderr);
    const q = r.json['quorum'] as { mode: string; protecting: boolean; authenticated: number; required: number; registered: number };
    assert.deepEqual([q.mode, q.protecting, q.authenticated, q.required, q.registered], ['pin-and-quorum', true, 0, 2, 3]);
    assert.equal(r.json['summary'], '0 of 2 authenticated (3 registered)');
    // The card lists its three registered keys (the rehearsal registered them before any journal existed).
    const onCard = r.json['onCard'] as { chr: string; authenticated: boolean }[];
    assert.equal(onCard.length, 3);
    assert.ok(onCard.every((c) => /^UTCUS\d+\d{5}$/.test(c.chr) && !c.authenticated));
  });

  it('authenticates custodians one at a time, each with their own token and PIN, and journals each', () => {
    const r = custos(['auth', '--token', 'CA HSM', '--custodian', 'Custodian 1', '--custodian', 'Custodian 3']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((r.json['quorum'] as { authenticated: number }).authenticated, 2);
    assert.equal((r.json['quorum'] as { custodians: unknown[] }).custodians.length, 2);
    const journal = readFileSync(join(home, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; data: Record<string, unknown> });
    const auth = journal.filter((e) => e.kind === 'quorum.authenticate');
    assert.deepEqual(auth.map((e) => e.data['authenticated']), [1, 2]);
    assert.ok(auth.every((e) => /^[0-9a-f]{64}$/.test(String(e.data['keySha256']))));
    assert.ok(!readFileSync(join(home, 'journal.jsonl'), 'utf8').includes('123456'), 'no PIN in the journal');
  });

  it('refuses the same custodian twice and keeps the count at 1', () => {
    const r = custos(['auth', '--token', 'CA HSM', '--custodian', 'Custodian 2', '--custodian', 'Custodian 2']);
    assert.equal(errorCode(r), 'CUSTODIAN_ALREADY_AUTHENTICATED');
    const journal = readFileSync(join(home, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; data: Record<string, unknown> });
    assert.equal(journal.filter((e) => e.kind === 'quorum.authenticate').at(-1)?.data['authenticated'], 1);
  });

  it('refuses a token that is no registered custodian', () => {
    const r = custos(['auth', '--token', 'CA HSM', '--custodian', 'Backup HSM']);
    assert.equal(errorCode(r), 'CUSTODIAN_NOT_REGISTERED');
  });

  it('refuses a wrong custodian PIN, says how many tries are left, and counts no custodian', () => {
    const r = custos(['auth', '--token', 'CA HSM', '--custodian', 'Custodian 2'], '999999');
    assert.equal(errorCode(r), 'PIN_INCORRECT');
    const message = String((r.json['error'] as { message?: string }).message);
    assert.match(message, /2 tries left/);
    assert.ok(!JSON.stringify(r.json).includes('999999') && !r.stderr.includes('999999'));
  });

  it('writes the sc-hsm-tool registration file at enrolment, and refuses it on an HSM other than the one it was enrolled for', () => {
    const file = join(work, 'custodian-2-for-backup.pka');
    const enrol = custos(['enrol', '--token', 'Custodian 2', '--for', 'Backup HSM', '--out', file]);
    assert.equal(enrol.status, 0, enrol.stderr);
    assert.ok(existsSync(file));
    const candidate = examineCustodianKey(decodeRegistrationFile(new Uint8Array(readFileSync(file))));
    assert.equal(candidate.attestation, 'virtual');
    assert.equal(candidate.chr, enrol.json['chr']);
    const r = custos(['register', '--token', 'CA HSM', '--file', file]);
    assert.equal(errorCode(r), 'CUSTODIAN_FILE_FOR_OTHER_HSM');
    const status = custos(['status', '--token', 'CA HSM']);
    assert.equal((status.json['quorum'] as { registered: number }).registered, 3);
  });

  it('refuses to register a custodian the card already lists, though this journal never recorded it, and the count stays 3', () => {
    const file = join(work, 'custodian-1-for-ca.pka');
    const enrol = custos(['enrol', '--token', 'Custodian 1', '--for', 'CA HSM', '--out', file]);
    assert.equal(enrol.status, 0, enrol.stderr);
    const r = custos(['register', '--token', 'CA HSM', '--file', file]);
    assert.equal(errorCode(r), 'CUSTODIAN_ALREADY_REGISTERED');
    assert.match(String((r.json['error'] as { message?: string }).message), new RegExp(String(enrol.json['chr'])));
    const status = custos(['status', '--token', 'CA HSM']);
    assert.equal((status.json['quorum'] as { registered: number }).registered, 3);
    const journal = readFileSync(join(home, 'journal.jsonl'), 'utf8');
    assert.ok(!journal.includes('"quorum.register.'), 'no registration journaled');
  });

  it('never spends a custodian PIN\'s final try without --confirm-final-try, and counts the custodian once it is confirmed', () => {
    assert.equal(errorCode(custos(['auth', '--token', 'CA HSM', '--custodian', 'Custodian 3'], '999999')), 'PIN_INCORRECT');
    const second = custos(['auth', '--token', 'CA HSM', '--custodian', 'Custodian 3'], '999999');
    assert.match(String((second.json['error'] as { message?: string }).message), /1 try left/);
    // The right PIN, but on the final try: refused before it reaches the card, so the try is not spent.
    const unconfirmed = custos(['auth', '--token', 'CA HSM', '--custodian', 'Custodian 3']);
    assert.equal(errorCode(unconfirmed), 'PIN_FINAL_TRY');
    assert.match(String((unconfirmed.json['error'] as { message?: string }).message), /One PIN try is left/);
    const confirmed = custos(['auth', '--token', 'CA HSM', '--custodian', 'Custodian 3', '--confirm-final-try']);
    assert.equal(confirmed.status, 0, confirmed.stderr);
    assert.equal((confirmed.json['quorum'] as { authenticated: number }).authenticated, 1);
  });

  it('refuses a file that is not a registration file, with its own code', () => {
    const r = custos(['register', '--token', 'CA HSM', '--file', CLI]);
    assert.equal(errorCode(r), 'FORMAT_UNKNOWN');
    assert.equal((custos(['status', '--token', 'CA HSM']).json['quorum'] as { registered: number }).registered, 3);
  });
});
