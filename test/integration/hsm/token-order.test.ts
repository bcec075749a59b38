/**
 * The token list's order on real SoftHSM2 tokens and virtual SmartCard-HSMs,
 * one of which cannot be opened: SoftHSM2 numbers its slots after each
 * token's serial, so its own listing follows no order a person knows, and a
 * token initialised later can slip in front of tokens listed before. The
 * registry lists by label within each backend, and a card that cannot be
 * opened after the cards that can.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pkcs11Provider } from '../../../main/hsm/pkcs11/index.ts';
import { VirtualScHsmProvider } from '../../../main/hsm/sc-hsm/provider.ts';
import { TokenRegistry } from '../../../main/hsm/registry.ts';
import { Secret } from '../../../main/secret.ts';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';
import { createLabelledCard } from '../../support/card-process.ts';

const PIN = '246813';
const SO_PIN = '97531864';


describe('the token list order on SoftHSM2 and virtual SmartCard-HSMs', () => {
  let dir: string;
  let hsm: SoftHsm;
  let cards: string[];
  let registry: TokenRegistry;
  const open = (): TokenRegistry => new TokenRegistry([new Pkcs11Provider({ modulePath: hsm.modulePath, virtual: true }), new VirtualScHsmProvider(cards)]);
  const shown = async (): Promise<string[]> => (await registry.list()).map((t) => `${t.info.backend} ${t.info.label}`);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-token-order-'));
    hsm = await createSoftHsm();
    for (const label of ['Custodian 3', 'CA HSM', 'Custodian 1', 'Backup HSM', 'Custodian 2']) await hsm.initToken(label, SO_PIN, PIN);
    cards = ['zulu.vsc', 'broken.vsc', 'alpha.vsc'].map((f) => join(dir, f));
    await createLabelledCard(cards[0]!, PIN, 'Zulu');
    await createLabelledCard(cards[2]!, PIN, 'Alpha');
    // A card whose open fails: its state file is there, its key file is not a key.
    copyFileSync(cards[0]!, cards[1]!);
    writeFileSync(`${cards[1]!}.secret`, 'short');
    registry = open();
  });

  after(async () => {
    await registry?.closeAll();
    await hsm?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists SmartCard-HSMs by label with the unopenable card last, then the SoftHSM2 tokens by label', async () => {
    const tokens = await registry.list();
    assert.deepEqual(tokens.map((t) => `${t.info.backend} ${t.info.label}`), [
      'sc-hsm Alpha', 'sc-hsm Zulu', 'sc-hsm Card in Virtual SmartCard-HSM (broken.vsc)',
      'pkcs11 Backup HSM', 'pkcs11 CA HSM', 'pkcs11 Custodian 1', 'pkcs11 Custodian 2', 'pkcs11 Custodian 3',
    ]);
    assert.equal(tokens[2]!.info.error?.code, 'FORMAT_MISMATCH');
  });

  it('keeps the order after a login to the last token and to a virtual card', async () => {
    const before = await shown();
    const tokens = await registry.list();
    await (await registry.open(tokens.at(-1)!.id)).login(Secret.fromString(PIN));
    await (await registry.open(tokens[1]!.id)).login(Secret.fromString(PIN));
    const listed = await registry.list();
    assert.deepEqual(listed.map((t) => `${t.info.backend} ${t.info.label}`), before);
    assert.deepEqual(listed.map((t) => t.info.loggedIn), [false, true, false, false, false, false, false, true]);
  });

  it('puts a SoftHSM2 token initialised later at its label’s place, the others keeping theirs', async () => {
    await registry.closeAll();
    // SoftHSM reads its tokens at C_Initialize: the new token is seen once the module is loaded again.
    await hsm.initToken('Custodian 0', SO_PIN, PIN);
    registry = open();
    assert.deepEqual((await shown()).slice(3), [
      'pkcs11 Backup HSM', 'pkcs11 CA HSM', 'pkcs11 Custodian 0', 'pkcs11 Custodian 1', 'pkcs11 Custodian 2', 'pkcs11 Custodian 3',
    ]);
  });
});
