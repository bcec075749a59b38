import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCvcChain } from '../../../../main/pki/cvc/cvc.ts';
import { decodeTlv } from '../../../../main/pki/cvc/tlv.ts';
import { VIRTUAL_SRCA_CHR } from '../../../../main/hsm/virtual/attestation.ts';
import type { VirtualCard } from '../../../../main/hsm/virtual/card.ts';
import { initialize, login, selectApplet, send, tempCard, tlv, type TempCard } from './card-helpers.ts';
import { createCustodian, type Custodian } from './custodian.ts';

const mse = (chr: string): Buffer => tlv(0x83, Buffer.from(chr, 'latin1'));

/** What sc-hsm-tool --register-public-key sends: the custodian device chain through PSO, then the request. */
async function register(card: VirtualCard, custodian: Custodian): Promise<{ sw: number; data: Buffer }> {
  const [device, dica] = decodeCvcChain(custodian.deviceCertificates);
  for (const cert of [dica!, device!]) {
    if ((await send(card, 0x00, 0x22, 0x81, 0xb6, mse(cert.body.chr))).sw === 0x9000) continue;
    assert.equal((await send(card, 0x00, 0x22, 0x81, 0xb6, mse(cert.body.car!))).sw, 0x9000);
    assert.equal((await send(card, 0x00, 0x2a, 0x00, 0xbe, decodeTlv(cert.raw).value)).sw, 0x9000);
  }
  return send(card, 0x80, 0x54, 0x00, 0x00, decodeTlv(custodian.request).value, 4);
}

async function authenticate(card: VirtualCard, custodian: Custodian): Promise<number> {
  const challenge = await send(card, 0x00, 0x84, 0x00, 0x00, undefined, 8);
  assert.equal(challenge.data.length, 8);
  const chosen = await send(card, 0x00, 0x22, 0x81, 0xa4, mse(custodian.chr));
  if (chosen.sw !== 0x9000) return chosen.sw;
  return (await send(card, 0x00, 0x82, 0x00, 0x00, await custodian.authenticate(card.deviceChr, challenge.data))).sw;
}

describe('public-key authentication', () => {
  let dir: string;
  let hsm: TempCard;
  const custodians: Custodian[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-pka-'));
    for (const name of ['alice', 'bob', 'carol']) custodians.push(await createCustodian(dir, name));
    hsm = await tempCard();
    await initialize(hsm.card, [tlv(0x93, Buffer.from([2, 2]))]);
  });

  after(async () => {
    for (const c of custodians) await c.card.close();
    await hsm.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('knows the virtual SRCA as trust anchor and no other CHR before PSO', async () => {
    assert.equal((await send(hsm.card, 0x00, 0x22, 0x81, 0xb6, mse(VIRTUAL_SRCA_CHR))).sw, 0x9000);
    assert.equal((await send(hsm.card, 0x00, 0x22, 0x81, 0xb6, mse('UTUNKNOWN00001'))).sw, 0x6a88);
  });

  it('refuses a key request whose custodian device chain was not verified first', async () => {
    await selectApplet(hsm.card);
    assert.equal((await send(hsm.card, 0x80, 0x54, 0x00, 0x00, decodeTlv(custodians[0]!.request).value, 4)).sw, 0x6a88);
  });

  it('registers custodian keys after verifying their device chains, and reports N, missing, M, authenticated', async () => {
    const first = await register(hsm.card, custodians[0]!);
    assert.equal(first.sw, 0x9000);
    assert.deepEqual([...first.data], [2, 1, 2, 0]);
    assert.equal((await register(hsm.card, custodians[0]!)).sw, 0x6985);
    const second = await register(hsm.card, custodians[1]!);
    assert.deepEqual([...second.data], [2, 0, 2, 0]);
    // All registered: a further key needs the user and then finds no room.
    assert.equal((await register(hsm.card, custodians[2]!)).sw, 0x6982);
  });

  it('authenticates the user once two distinct registered keys signed the challenge', async () => {
    await selectApplet(hsm.card);
    assert.equal((await send(hsm.card, 0x80, 0x58, 0x00, 0x00, undefined, 65536)).sw, 0x9000);
    assert.equal((await send(hsm.card, 0x00, 0xd7, 0xcf, 0x01, Buffer.concat([Buffer.from('54020000', 'hex'), tlv(0x53, Buffer.from('x'))]))).sw, 0x6982);
    assert.equal(await authenticate(hsm.card, custodians[0]!), 0x9000);
    assert.deepEqual([...(await send(hsm.card, 0x80, 0x54, 0x00, 0x00, undefined, 4)).data], [2, 0, 2, 1]);
    assert.equal((await send(hsm.card, 0x00, 0xd7, 0xcf, 0x01, Buffer.concat([Buffer.from('54020000', 'hex'), tlv(0x53, Buffer.from('x'))]))).sw, 0x6982);
    // The same key twice does not count twice.
    assert.equal(await authenticate(hsm.card, custodians[0]!), 0x6985);
    assert.equal(await authenticate(hsm.card, custodians[1]!), 0x9000);
    assert.equal((await send(hsm.card, 0x00, 0xd7, 0xcf, 0x01, Buffer.concat([Buffer.from('54020000', 'hex'), tlv(0x53, Buffer.from('x'))]))).sw, 0x9000);
  });

  it('loses the key authentication on SELECT', async () => {
    await selectApplet(hsm.card);
    assert.deepEqual([...(await send(hsm.card, 0x80, 0x54, 0x00, 0x00, undefined, 4)).data], [2, 0, 2, 0]);
    assert.equal((await send(hsm.card, 0x00, 0xe4, 0x02, 0x00, Buffer.from('CF01', 'hex'))).sw, 0x6982);
  });

  it('refuses a signature by an unregistered key, a wrong signature and a missing challenge', async () => {
    await selectApplet(hsm.card);
    assert.equal(await authenticate(hsm.card, custodians[2]!), 0x6a88);
    await send(hsm.card, 0x00, 0x84, 0x00, 0x00, undefined, 8);
    assert.equal((await send(hsm.card, 0x00, 0x22, 0x81, 0xa4, mse(custodians[0]!.chr))).sw, 0x9000);
    assert.equal((await send(hsm.card, 0x00, 0x82, 0x00, 0x00, Buffer.alloc(64, 1))).sw, 0x6985);
    await selectApplet(hsm.card);
    assert.equal((await send(hsm.card, 0x00, 0x22, 0x81, 0xa4, mse(custodians[0]!.chr))).sw, 0x9000);
    assert.equal((await send(hsm.card, 0x00, 0x82, 0x00, 0x00, Buffer.alloc(64, 1))).sw, 0x6985);
  });

  it('keeps the PIN as the other way in, and answers 6D00 to PKA commands on a card without PKA', async () => {
    await selectApplet(hsm.card);
    assert.equal((await login(hsm.card)).sw, 0x9000);
    assert.equal((await send(hsm.card, 0x00, 0xe4, 0x02, 0x00, Buffer.from('CF01', 'hex'))).sw, 0x9000);
    const plain = await tempCard();
    try {
      await initialize(plain.card);
      assert.equal((await send(plain.card, 0x80, 0x54, 0x00, 0x00, undefined, 4)).sw, 0x6d00);
    } finally { await plain.cleanup(); }
  });
});
