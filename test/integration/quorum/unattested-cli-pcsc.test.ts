/**
 * custos quorum register with a registration file whose device element is a
 * 67 request (what sc-hsm-tool exports from a token with no device
 * certificate, as pico-hsm provisions itself), through pcscd: registration
 * is refused as not attested until --confirm-unattested,
 * nothing reaches the CA HSM before that, and the journal records the
 * confirmation. Needs root for pcscd's private socket.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScHsmCard } from '../../../main/hsm/sc-hsm/card.ts';
import { InProcessTransport } from '../../../main/hsm/sc-hsm/inprocess-transport.ts';
import { decodeRegistrationFile, examineCustodianKey, PROTECTING_OPTIONS } from '../../../main/hsm/sc-hsm/pka.ts';
import { VirtualCard } from '../../../main/hsm/virtual/card.ts';
import { Secret } from '../../../main/secret.ts';
import { createInitializedCard, startCardProcess, TEST_SO_PIN, type CardProcess } from '../../support/card-process.ts';

const isRoot = process.getuid?.() === 0;
const CLI = join(import.meta.dirname, '../../../bin/custos.mjs');
const PIN = '648219';

describe('custos quorum register with a custodian that is not attested, through pcscd', { skip: isRoot ? false : 'a private pcscd needs root' }, () => {
  let work: string;
  let card: CardProcess;
  let picoId: string;
  let caId: string;
  let file: string;

  const custos = (args: readonly string[]): { status: number | null; json: Record<string, unknown>; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [CLI, ...args, '--home', join(work, 'home'), '--pin-env', 'QUORUM_TEST_PIN', '--json'],
      { encoding: 'utf8', env: { ...process.env, QUORUM_TEST_PIN: PIN, PCSCLITE_CSOCK_NAME: card.ready.socketPath } });
    return { status: r.status, json: r.stdout.trim() === '' ? {} : JSON.parse(r.stdout) as Record<string, unknown>, stdout: r.stdout, stderr: r.stderr };
  };
  const registerEntries = (): { kind: string; data: Record<string, unknown> }[] => readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8').trim().split('\n')
    .map((l) => JSON.parse(l) as { kind: string; data: Record<string, unknown> }).filter((e) => e.kind.startsWith('quorum.register.'));

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-quorum-unattested-cli-'));
    const pico = join(work, 'pico.vsc');
    const ca = join(work, 'ca.vsc');
    // A pico-hsm-like token: EF 2F02 holds its device key as a 67 request, no certificate from a known root.
    const vc = await VirtualCard.create(pico, { foreign: {} });
    const setup = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
    await setup.initialize({ soPin: Secret.fromString(TEST_SO_PIN), pin: Secret.fromString(PIN) });
    await setup.close();
    await vc.close();
    await createInitializedCard(ca, PIN, 'CA HSM', { pka: { total: 3, required: 2 }, options: PROTECTING_OPTIONS });
    card = await startCardProcess(pico, ca);
    const tokens = custos(['tokens']).json as unknown as { id: string; reader: string }[];
    picoId = tokens.find((t) => t.reader === card.ready.readerName)!.id;
    caId = tokens.find((t) => t.reader === card.ready.second?.readerName)!.id;
    assert.equal(custos(['tokens', 'accept', '--token-id', picoId]).status, 0);
    file = join(work, 'pico.pka');
    const enrol = custos(['quorum', 'enrol', '--token', picoId, '--for', caId, '--out', file]);
    assert.equal(enrol.status, 0, enrol.stderr);
  });

  after(async () => {
    await card?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('writes a registration file whose device element is a 67 request', () => {
    const candidate = examineCustodianKey(decodeRegistrationFile(new Uint8Array(readFileSync(file))));
    assert.deepEqual([candidate.attestation, candidate.notAttestedBecause], ['none', 'device-request']);
  });

  it('refuses to register it without --confirm-unattested, saying it is not attested and why, and registers nothing', () => {
    const r = custos(['quorum', 'register', '--token', caId, '--file', file]);
    assert.equal((r.json['error'] as { code?: string } | undefined)?.code, 'CUSTODIAN_NOT_ATTESTED', r.stderr);
    assert.match(String((r.json['error'] as { message?: string }).message), /is not attested \(its token has no device certificate\): confirm to register it anyway/);
    assert.equal((custos(['quorum', 'status', '--token', caId]).json['quorum'] as { registered: number }).registered, 0);
    assert.deepEqual(registerEntries(), []);
  });

  it('registers it with --confirm-unattested, and the journal records the confirmation', () => {
    const r = custos(['quorum', 'register', '--token', caId, '--file', file, '--confirm-unattested']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json['summary'], '0 of 2 authenticated (1 registered)');
    const registered = r.json['registered'] as { attestation: string; unattestedConfirmed: boolean }[];
    assert.deepEqual(registered.map((c) => [c.attestation, c.unattestedConfirmed]), [['none', true]]);
    const done = registerEntries().filter((e) => e.kind === 'quorum.register.done');
    assert.deepEqual(done.map((e) => [e.data['attestation'], e.data['unattestedConfirmed']]), [['none', true]]);
  });
});
