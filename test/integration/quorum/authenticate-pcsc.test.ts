/**
 * Custodians authenticating one action at a time on a CA HSM reached through
 * pcscd (the rehearsal's CA HSM, PIN and 2 of 3 custodians, in a virtual
 * card process behind vpcd; Custodian 1 in vpcd's other slot, so its token
 * can be pulled out of its reader; Custodians 2 and 3 in process). A partial
 * quorum is continued by a later custodian in a later action; a custodian
 * token pulled out between the challenge and its signature is named, counted
 * nowhere, and the quorum completes once it is back — through the CLI and
 * through the core the screen uses. Needs root for pcscd's private socket.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Custos } from '../../../main/custos.ts';
import { isCustosError } from '../../../main/errors/index.ts';
import { listPcscReaders } from '../../../main/hsm/sc-hsm/pcsc-transport.ts';
import { ScHsmProvider, VirtualScHsmProvider } from '../../../main/hsm/sc-hsm/provider.ts';
import { authenticateCustodian, QUORUM_AUTHENTICATE, quorumStatus } from '../../../main/quorum/quorum.ts';
import { ensureRehearsalTokens, REHEARSAL_PIN, type RehearsalTokens } from '../../../main/rehearsal/tokens.ts';
import { Secret } from '../../../main/secret.ts';
import { startCardProcess, type CardProcess } from '../../support/card-process.ts';

const isRoot = process.getuid?.() === 0;
const CLI = join(import.meta.dirname, '../../../bin/custos.mjs');
const pin = (): Secret => Secret.fromString(REHEARSAL_PIN);
const code = (c: string) => (e: unknown) => isCustosError(e) && e.code === c;

/** pcscd sees a card put back into vpcd's first slot a moment after the bridge dials again. */
async function cardBackIn(reader: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await listPcscReaders()).some((r) => r.name === reader && r.cardPresent)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${reader} shows no card`);
}

function journalKinds(home: string): { kind: string; data: Record<string, unknown> }[] {
  return readFileSync(join(home, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; data: Record<string, unknown> });
}

describe('custodians authenticating one action at a time on a CA HSM reached through pcscd', { skip: isRoot ? false : 'a private pcscd needs root' }, () => {
  let work: string;
  let set: RehearsalTokens;
  let card: CardProcess;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-quorum-pcsc-'));
    set = await ensureRehearsalTokens(join(work, 'tokens'));
    card = await startCardProcess(set.custodians[0]!, set.caHsm);
  });

  after(async () => {
    await card?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  describe('custos quorum auth', () => {
    const home = (): string => join(work, 'cli-home');
    const custos = (args: readonly string[]): { status: number | null; json: Record<string, unknown>; stderr: string } => {
      const r = spawnSync(process.execPath, [CLI, 'quorum', ...args, '--home', home(), '--pin-env', 'QUORUM_TEST_PIN', '--json'],
        { encoding: 'utf8', env: { ...process.env, QUORUM_TEST_PIN: REHEARSAL_PIN, PCSCLITE_CSOCK_NAME: card.ready.socketPath } });
      return { status: r.status, json: r.stdout.trim() === '' ? {} : JSON.parse(r.stdout) as Record<string, unknown>, stderr: r.stderr };
    };
    const error = (r: ReturnType<typeof custos>): { code?: string; message?: string } => (r.json['error'] ?? {}) as { code?: string; message?: string };

    it('names the custodian token pulled out between the challenge and its signature, counts it nowhere, and counts it once it is back', async () => {
      await card.act('pull-at-sign');
      const pulled = custos(['auth', '--token', 'CA HSM', '--custodian', 'Custodian 1']);
      assert.notEqual(pulled.status, 0);
      assert.equal(error(pulled).code, 'TOKEN_REMOVED', pulled.stderr);
      assert.match(String(error(pulled).message), /custodian token Custodian 1 \(serial \w+\) was removed before it signed the challenge of CA HSM: it is not counted\. Still 0 of 2 authenticated \(3 registered\)/);
      assert.deepEqual(journalKinds(home()).filter((e) => e.kind === QUORUM_AUTHENTICATE), [], 'no custodian journaled as authenticated');

      await card.act('insert-again');
      await cardBackIn(card.ready.readerName);
      const status = custos(['status', '--token', 'CA HSM']);
      assert.equal(status.json['summary'], '0 of 2 authenticated (3 registered)');
      const back = custos(['auth', '--token', 'CA HSM', '--custodian', 'Custodian 1']);
      assert.equal(back.status, 0, back.stderr);
      assert.equal((back.json['quorum'] as { authenticated: number }).authenticated, 1);
      assert.deepEqual(journalKinds(home()).filter((e) => e.kind === QUORUM_AUTHENTICATE).map((e) => e.data['authenticated']), [1]);
    });
  });

  describe('the core, as the Quorum screen calls it', () => {
    let core: Custos;
    const ids: Record<string, string> = {};

    before(async () => {
      core = Custos.open({ dataDir: join(work, 'core-home'), providers: [new ScHsmProvider(), new VirtualScHsmProvider(set.custodians.slice(1))] });
      for (const t of await core.tokens.list()) ids[t.info.label] = t.id;
      assert.deepEqual(Object.keys(ids).sort(), ['CA HSM', 'Custodian 1', 'Custodian 2', 'Custodian 3']);
    });

    after(async () => {
      await core?.close();
    });

    it('continues a partial quorum with a later custodian in a later action: status reads, a token list, the HSM PIN and a refused key generation in between', async () => {
      const first = await authenticateCustodian(core, ids['CA HSM']!, ids['Custodian 2']!, pin());
      assert.equal(first.summary, '1 of 2 authenticated (3 registered)');
      // What the screen does between two custodians: it reads the status and the tokens again; the operator logs the HSM in.
      assert.equal((await quorumStatus(core, ids['CA HSM']!)).summary, '1 of 2 authenticated (3 registered)');
      await core.tokens.list();
      await core.login(ids['CA HSM']!, pin());
      await assert.rejects(core.generateKey(ids['CA HSM']!, { kind: 'ec', curve: 'P-256' }, 'one custodian is not enough'), code('QUORUM_NOT_MET'));
      const status = await quorumStatus(core, ids['CA HSM']!);
      assert.equal(status.summary, '1 of 2 authenticated (3 registered)');
      assert.deepEqual(status.onCard?.map((c) => c.authenticated), [false, true, false], 'the card counts Custodian 2 (the second key registered)');
    });

    it('names a custodian token pulled out mid-signature, keeps the count at 1, completes the quorum once the token is back, and keeps it when the token leaves again', async () => {
      await card.act('pull-at-sign');
      await assert.rejects(authenticateCustodian(core, ids['CA HSM']!, ids['Custodian 1']!, pin()),
        (e) => isCustosError(e) && e.code === 'TOKEN_REMOVED' && e.details['label'] === 'Custodian 1' && /Still 1 of 2 authenticated \(3 registered\)/.test(e.message));
      assert.equal((await quorumStatus(core, ids['CA HSM']!)).summary, '1 of 2 authenticated (3 registered)');
      await card.act('insert-again');
      await cardBackIn(card.ready.readerName);
      const done = await authenticateCustodian(core, ids['CA HSM']!, ids['Custodian 1']!, pin());
      assert.equal(done.summary, '2 of 2 authenticated (3 registered)');
      // Taking the token away now lowers nothing: the count is the CA HSM's.
      await card.act('stop-bridge');
      assert.equal((await quorumStatus(core, ids['CA HSM']!)).summary, '2 of 2 authenticated (3 registered)');
      const key = await core.generateKey(ids['CA HSM']!, { kind: 'ec', curve: 'P-256' }, 'two custodians and the PIN');
      assert.ok(key.spkiSha256.length === 64);
      const generated = core.journal.read().filter((e) => e.kind === 'key.generate.done').at(-1);
      assert.deepEqual(generated?.token?.quorum?.custodians.map((c) => c.chr).sort(), done.quorum?.custodians.map((c) => c.chr).sort());
      assert.equal(done.quorum?.custodians.length, 2);
    });
  });
});
