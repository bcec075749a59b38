/**
 * Choosing a token on the command line when two cards show one serial (every
 * card of one open-source implementation does): --token, --token-serial and
 * --token-id must name exactly one card, and the card opened is the one named.
 * Real virtual cards, provisioned as such foreign cards, through the core.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { Custos } from '../../../main/custos.ts';
import { findTokenId } from '../../../main/cli/commands.ts';
import { isCustosError } from '../../../main/errors/index.ts';
import { VirtualScHsmProvider } from '../../../main/hsm/sc-hsm/provider.ts';
import { InProcessTransport } from '../../../main/hsm/sc-hsm/inprocess-transport.ts';
import { ScHsmCard } from '../../../main/hsm/sc-hsm/card.ts';
import { VirtualCard } from '../../../main/hsm/virtual/card.ts';
import { Secret } from '../../../main/secret.ts';
import { TEST_SO_PIN } from '../../support/card-process.ts';

const PIN = '648219';

/** PKCS#15 TokenInfo (PKCS #15 v1.1 §6.9) carrying only what the label needs: version, serial, label [0]. */
function tokenInfo(label: string): Uint8Array {
  return new Uint8Array(new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 0 }),
      new asn1js.OctetString({ valueHex: new TextEncoder().encode('ESPICOHSMTR') }),
      new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: new TextEncoder().encode(label) }),
    ],
  }).toBER());
}

async function foreignCard(file: string, label: string): Promise<void> {
  const vc = await VirtualCard.create(file, { foreign: {} });
  const card = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
  await card.initialize({ soPin: Secret.fromString(TEST_SO_PIN), pin: Secret.fromString(PIN) });
  await card.verifyPin(Secret.fromString(PIN));
  await card.writeFile(0x2f03, tokenInfo(label));
  await card.close();
  await vc.close();
}

describe('token selection with two cards of one serial', () => {
  let dir: string;
  let custos: Custos;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-selection-'));
    await foreignCard(join(dir, 'first.vsc'), 'First');
    await foreignCard(join(dir, 'second.vsc'), 'Second');
    custos = Custos.open({ dataDir: join(dir, 'home'), pcsc: false, providers: [new VirtualScHsmProvider([join(dir, 'first.vsc'), join(dir, 'second.vsc')])] });
  });

  after(async () => {
    await custos.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens the card the label names, not the other card of that serial', async () => {
    const listed = await custos.tokens.list();
    const second = listed.find((t) => t.info.label === 'Second')!;
    assert.equal(listed.find((t) => t.info.label === 'First')!.info.serial, second.info.serial);
    const id = await findTokenId(custos, { token: 'Second' });
    const token = await custos.tokens.open(id);
    assert.equal(token.info.label, 'Second');
    assert.equal(token.info.deviceKeySha256, second.info.deviceKeySha256);
  });

  it('refuses --token-serial that matches both, naming their ids, and takes --token-id', async () => {
    const listed = await custos.tokens.list();
    await assert.rejects(findTokenId(custos, { 'token-serial': 'ESPICOHSMTR' }), (e) => isCustosError(e) && e.code === 'TOKEN_AMBIGUOUS'
      && listed.every((t) => e.message.includes(t.id)));
    const first = listed.find((t) => t.info.label === 'First')!;
    assert.equal(await findTokenId(custos, { 'token-serial': 'ESPICOHSMTR', 'token-id': first.id }), first.id);
    assert.equal((await custos.tokens.open(first.id)).info.deviceKeySha256, first.info.deviceKeySha256);
  });
});
