/**
 * The token list keeps its order through pcscd and vpcd with four virtual
 * SmartCard-HSMs in four readers, as custodians see it during a ceremony:
 * logging in to a token, spending a PIN try, or pulling a card out and
 * putting it back moves no other token, and the CLI lists the same order.
 * With OpenSC's PKCS#11 module configured as well, each card is listed once,
 * under the serial and reader it shows natively.
 * The readers hold the cards in an order other than their labels', so a list
 * in reader order would fail here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Custos } from '../../../main/custos.ts';
import { isCustosError } from '../../../main/errors/index.ts';
import { ScHsmProvider } from '../../../main/hsm/sc-hsm/provider.ts';
import { Pkcs11Provider } from '../../../main/hsm/pkcs11/index.ts';
import { TokenRegistry } from '../../../main/hsm/registry.ts';
import { OPENSC_PKCS11 } from './sc-hsm/opensc-side.ts';
import { Secret } from '../../../main/secret.ts';
import { createLabelledCard, startCardProcess, type CardProcess } from '../../support/card-process.ts';

const CLI = join(import.meta.dirname, '../../../bin/custos.mjs');
const PIN = '648219';
const WRONG_PIN = '111111';
const BACK_IN_TRIES = 100;
const BACK_IN_POLL_MS = 100;
const isRoot = process.getuid?.() === 0;
/** Labels in the order of the readers the cards sit in ("… PCD 00 00", "… PCD 00 01", "… PCD 2 00 00", "… PCD 2 00 01"). */
const IN_READER_ORDER = ['Custodian 2', 'Custodian 10', 'CA HSM', 'Backup HSM'];
/** What a person expects to read, and what the list must show every time. */
const LISTED = ['Backup HSM', 'CA HSM', 'Custodian 2', 'Custodian 10'];


async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try { await p; } catch (e) { return isCustosError(e) ? e.code : `untyped: ${String(e)}`; }
  return undefined;
}

describe('the token list through pcscd with four cards', { skip: isRoot ? false : 'a private pcscd needs root' }, () => {
  let work: string;
  let cards: CardProcess;
  let custos: Custos;
  const labels = async (): Promise<string[]> => (await custos.tokens.list()).map((t) => t.info.label);
  /**
   * Lists until pcscd shows the card put back (it polls the reader): every
   * list seen meanwhile must hold the other cards in their order. The card
   * put back may be listed for a moment as a card that cannot be read yet
   * (powered up, not answering): that row is in its own place, and the list
   * is asked again; what it said is in the message if the card never comes back.
   */
  const untilBack = async (label: string): Promise<string[]> => {
    const notYet: string[] = [];
    for (let tries = 0; tries < BACK_IN_TRIES; tries++) {
      const listed = await custos.tokens.list();
      const seen = listed.map((t) => t.info.label);
      if (seen.includes(label)) return seen;
      const waking = listed.filter((t) => t.info.flags.includes('unopenable'));
      notYet.push(...waking.map((t) => `${t.info.reader}: ${t.info.error?.code ?? '?'} ${t.info.error?.message ?? ''}`));
      assert.deepEqual(listed.filter((t) => !waking.includes(t)).map((t) => t.info.label), LISTED.filter((l) => l !== label), 'while the card is out, the others keep their order');
      await new Promise((resolve) => setTimeout(resolve, BACK_IN_POLL_MS));
    }
    throw new Error(`${label} is not listed again; meanwhile listed as not readable: ${[...new Set(notYet)].join('; ') || 'never'}`);
  };
  const idOf = async (label: string): Promise<string> => {
    const found = (await custos.tokens.list()).find((t) => t.info.label === label);
    assert.ok(found, `${label} is listed`);
    return found.id;
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-token-order-'));
    const files = IN_READER_ORDER.map((_, i) => join(work, `card-${i}.vsc`));
    for (const [i, file] of files.entries()) await createLabelledCard(file, PIN, IN_READER_ORDER[i]!);
    cards = await startCardProcess(files[0]!, files[1]!, files.slice(2));
    custos = Custos.open({ dataDir: join(work, 'home'), operator: 'tester', providers: [new ScHsmProvider()] });
  });

  after(async () => {
    await custos?.close();
    await cards?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('lists the cards by label, not in the order their readers report them', async () => {
    const tokens = await custos.tokens.list();
    assert.deepEqual(tokens.map((t) => t.info.reader), [cards.ready.more[1]!.readerName, cards.ready.more[0]!.readerName, cards.ready.readerName, cards.ready.second!.readerName]);
    assert.deepEqual(tokens.map((t) => t.info.label), LISTED);
  });

  it('lists the same order through the CLI, `custos tokens`', () => {
    const r = spawnSync(process.execPath, [CLI, 'tokens', '--json'], {
      encoding: 'utf8', cwd: work, timeout: 120_000,
      env: { ...process.env, ...cards.ready.env, CUSTOS_HOME: join(work, 'cli-home'), CUSTOS_OPERATOR: 'tester' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { label: string }[]).map((t) => t.label), LISTED);
  });

  it('keeps every card at its place after a wrong PIN and a login to the last one', async () => {
    const last = await idOf('Custodian 10');
    assert.equal(await codeOf(custos.login(last, Secret.fromString(WRONG_PIN))), 'PIN_INCORRECT');
    const afterWrong = await custos.tokens.list();
    assert.deepEqual(afterWrong.map((t) => t.info.label), LISTED);
    assert.equal(afterWrong[3]!.info.pinState.triesLeft, 2, 'the tries left show on the same row');

    await custos.login(last, Secret.fromString(PIN));
    const listed = await custos.tokens.list();
    assert.deepEqual(listed.map((t) => t.info.label), LISTED);
    assert.deepEqual(listed.map((t) => t.info.loggedIn), [false, false, false, true]);
  });

  it('puts a card pulled out and inserted again back at its place, the others not moving meanwhile', async () => {
    await cards.act('pull-more', 0);
    assert.deepEqual(await labels(), ['Backup HSM', 'Custodian 2', 'Custodian 10']);
    await cards.act('insert-more', 0);
    assert.deepEqual(await untilBack('CA HSM'), LISTED);
    const listed = await custos.tokens.list();
    assert.deepEqual(listed.map((t) => t.info.label), LISTED);
    assert.equal(listed[3]!.info.loggedIn, true, 'the logged-in card kept its session and its place');
  });

  it('puts the first reader’s card back at its place too, after it was out while another card was logged in', async () => {
    await cards.act('stop-bridge');
    assert.deepEqual(await labels(), ['Backup HSM', 'CA HSM', 'Custodian 10']);
    await cards.act('insert-again');
    assert.deepEqual(await untilBack('Custodian 2'), LISTED);
  });

  it('puts a logged-in card taken out and put back at its place, shown as not logged in (the card was reset), and it logs in again', async () => {
    const id = await idOf('Custodian 2');
    await custos.login(id, Secret.fromString(PIN));
    assert.equal((await custos.tokens.list())[2]!.info.loggedIn, true);
    await cards.act('stop-bridge');
    const whileOut = (await custos.tokens.list()).find((t) => t.info.label === 'Custodian 2');
    assert.notEqual(whileOut?.info.loggedIn, true, 'a card taken out is never shown logged in');
    await cards.act('insert-again');
    assert.deepEqual(await untilBack('Custodian 2'), LISTED);
    const back = await custos.tokens.list();
    assert.deepEqual(back.map((t) => t.info.loggedIn), [false, false, false, true], 'the card put back is not logged in; the others keep their state');
    await custos.login(id, Secret.fromString(PIN));
    assert.equal((await custos.tokens.list())[2]!.info.loggedIn, true);
  });

  it('lists each card once, under its own serial and reader, when OpenSC’s PKCS#11 module reaches the cards too', async () => {
    const native = new Map((await custos.tokens.list()).map((t) => [t.info.serial, t.info.reader]));
    await custos.tokens.closeAll();
    // As Custos.open orders them: the configured modules first, then the SmartCard-HSMs in PC/SC readers.
    // OpenSC's module keeps each card connected while it is loaded, so the native listing finds them busy.
    const registry = new TokenRegistry([new Pkcs11Provider({ modulePath: OPENSC_PKCS11 }), new ScHsmProvider()]);
    try {
      const first = await registry.list();
      assert.deepEqual(first.map((t) => t.info.backend), ['pkcs11', 'pkcs11', 'pkcs11', 'pkcs11']);
      assert.deepEqual(new Map(first.map((t) => [t.info.serial, t.info.reader])), native, 'the serial and reader a person compares are the card’s own');
      assert.deepEqual((await registry.list()).map((t) => t.id), first.map((t) => t.id), 'listed again, the same rows in the same order');
    } finally {
      await registry.closeAll();
    }
  });
});
