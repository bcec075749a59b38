/**
 * A run killed (SIGKILL) in the middle of registering a custodian: afterwards
 * the status read from the card and the journal agree, and registering again
 * gives a clear answer. Killed after the CA HSM registered the key, the next
 * status finds the key on the card and records the registration as recovered;
 * registering again says it is registered already. Killed before the HSM was
 * asked, the journal names an intent without result, the card lists nothing,
 * and registering again registers it. Virtual SmartCard-HSMs in state files,
 * as the CLI reaches the rehearsal tokens.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Custos } from '../../../main/custos.ts';
import { isCustosError } from '../../../main/errors/index.ts';
import { PROTECTING_OPTIONS } from '../../../main/hsm/sc-hsm/pka.ts';
import { VirtualScHsmProvider } from '../../../main/hsm/sc-hsm/provider.ts';
import { enrolCustodian, QUORUM_REGISTER, quorumStatus, registerCustodian } from '../../../main/quorum/quorum.ts';
import { Secret } from '../../../main/secret.ts';
import { createInitializedCard } from '../../support/card-process.ts';

const PIN = '648219';
const pin = (): Secret => Secret.fromString(PIN);
const HELPER = join(import.meta.dirname, '../../support/quorum-register-killed.ts');

describe('a run killed in the middle of registering a custodian', () => {
  let work: string;
  let home: string;
  let cards: { hsm: string; anna: string; ben: string };
  const files: Record<'anna' | 'ben', string> = { anna: '', ben: '' };
  let custos: Custos | undefined;
  let hsmId: string;

  const open = async (): Promise<Custos> => {
    const c = Custos.open({ dataDir: home, providers: [new VirtualScHsmProvider(Object.values(cards))], pcsc: false, rehearsal: true, operator: 'tester' });
    hsmId = (await c.tokens.list()).find((t) => t.info.reader?.endsWith('(ca.vsc)') === true)!.id;
    return c;
  };
  const killedWhile = (moment: 'before-card' | 'after-card', file: string): void => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', HELPER, home, moment, file, cards.hsm, cards.anna, cards.ben], { encoding: 'utf8', env: { ...process.env, CUSTOS_PIN: PIN } });
    assert.equal(r.signal, 'SIGKILL', `the helper was to be killed: ${r.stderr}`);
  };
  const kinds = (c: Custos): string[] => c.journal.read().filter((e) => e.kind.startsWith(`${QUORUM_REGISTER}.`)).map((e) => e.kind);

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-quorum-killed-'));
    home = join(work, 'home');
    cards = { hsm: join(work, 'ca.vsc'), anna: join(work, 'anna.vsc'), ben: join(work, 'ben.vsc') };
    await createInitializedCard(cards.hsm, PIN, 'CA HSM', { pka: { total: 3, required: 2 }, options: PROTECTING_OPTIONS });
    await createInitializedCard(cards.anna, PIN, 'Anna');
    await createInitializedCard(cards.ben, PIN, 'Ben');
    const c = await open();
    for (const name of ['anna', 'ben'] as const) {
      const id = (await c.tokens.list()).find((t) => t.info.reader?.endsWith(`(${name}.vsc)`) === true)!.id;
      files[name] = join(work, `${name}.pka`);
      writeFileSync(files[name], (await enrolCustodian(c, id, pin(), { forTokenId: hsmId })).file);
    }
    await c.close();
  });

  after(async () => {
    await custos?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('killed after the HSM registered the key: the next status finds it on the card and records the registration as recovered', async () => {
    killedWhile('after-card', files.anna);
    custos = await open();
    assert.deepEqual(custos.abandoned.map((e) => e.kind), [`${QUORUM_REGISTER}.intent`], 'the journal names the intent the kill left without result');
    const status = await quorumStatus(custos, hsmId);
    assert.equal(status.summary, '0 of 2 authenticated (1 registered)');
    assert.deepEqual(status.registered.map((r) => r.chr), status.onCard?.map((c) => c.chr), 'the journal and the card name the same custodian');
    assert.equal(status.registered[0]?.recovered, true);
    assert.deepEqual(kinds(custos), [`${QUORUM_REGISTER}.intent`, `${QUORUM_REGISTER}.abandoned`, `${QUORUM_REGISTER}.recovered`]);
    // Read again, nothing more is recorded.
    await quorumStatus(custos, hsmId);
    assert.equal(kinds(custos).length, 3);
  });

  it('registering that custodian again says it is registered already, naming the recovered entry, and changes nothing', async () => {
    await custos!.login(hsmId, pin());
    await assert.rejects(registerCustodian(custos!, hsmId, new Uint8Array(readFileSync(files.anna))),
      (e) => isCustosError(e) && e.code === 'CUSTODIAN_ALREADY_REGISTERED' && /recorded after an interrupted registration/.test(e.message));
    assert.equal((await quorumStatus(custos!, hsmId)).summary, '0 of 2 authenticated (1 registered)');
    await custos!.close();
    custos = undefined;
  });

  it('killed before the HSM was asked: the journal names an intent without result, the card lists nothing new, and registering again registers it', async () => {
    killedWhile('before-card', files.ben);
    custos = await open();
    assert.deepEqual(custos.abandoned.map((e) => e.kind), [`${QUORUM_REGISTER}.intent`]);
    const status = await quorumStatus(custos, hsmId);
    assert.equal(status.summary, '0 of 2 authenticated (1 registered)');
    assert.deepEqual(status.registered.map((r) => r.chr), status.onCard?.map((c) => c.chr));
    assert.equal(kinds(custos).filter((k) => k === `${QUORUM_REGISTER}.recovered`).length, 1, 'only Anna\'s registration was recovered');
    await custos.login(hsmId, pin());
    const again = await registerCustodian(custos, hsmId, new Uint8Array(readFileSync(files.ben)));
    assert.equal(again.summary, '0 of 2 authenticated (2 registered)');
    assert.deepEqual(again.registered.map((r) => r.chr), again.onCard?.map((c) => c.chr));
  });
});
