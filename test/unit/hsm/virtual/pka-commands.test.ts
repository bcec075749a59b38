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

  it('stores a key request whose device it cannot verify unchecked, as pico-hsm does, and refuses one a verified device did not sign', async () => {
    const other = await tempCard();
    try {
      await initialize(other.card, [tlv(0x93, Buffer.from([2, 2]))]);
      const unchecked = await send(other.card, 0x80, 0x54, 0x00, 0x00, decodeTlv(custodians[0]!.request).value, 4);
      assert.equal(unchecked.sw, 0x9000);
      assert.deepEqual([...unchecked.data], [2, 1, 2, 0]);
      // Verify bob's device chain, then present his request with its outer signature spoilt.
      const forged = Buffer.from(custodians[1]!.request);
      forged[forged.length - 1]! ^= 0x01;
      const [device, dica] = decodeCvcChain(custodians[1]!.deviceCertificates);
      for (const cert of [dica!, device!]) {
        assert.equal((await send(other.card, 0x00, 0x22, 0x81, 0xb6, mse(cert.body.car!))).sw, 0x9000);
        assert.equal((await send(other.card, 0x00, 0x2a, 0x00, 0xbe, decodeTlv(cert.raw).value)).sw, 0x9000);
      }
      assert.equal((await send(other.card, 0x80, 0x54, 0x00, 0x00, decodeTlv(forged).value, 4)).sw, 0x6a80);
    } finally { await other.cleanup(); }
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

describe('the protecting mode (device options 0011: PIN and quorum)', () => {
  let dir: string;
  let hsm: TempCard;
  const custodians: Custodian[] = [];
  const writeProtected = (card: VirtualCard) => send(card, 0x00, 0xd7, 0xcf, 0x01, Buffer.concat([Buffer.from('54020000', 'hex'), tlv(0x53, Buffer.from('x'))]));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-pka-and-pin-'));
    for (const name of ['dora', 'emil']) custodians.push(await createCustodian(dir, name));
    hsm = await tempCard();
    await initialize(hsm.card, [tlv(0x80, Buffer.from([0x00, 0x11])), tlv(0x93, Buffer.from([2, 2]))]);
    for (const c of custodians) assert.equal((await register(hsm.card, c)).sw, 0x9000);
  });

  after(async () => {
    for (const c of custodians) await c.card.close();
    await hsm.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('states the options in the SELECT answer (tag 85) for hosts to read the mode', async () => {
    const fcp = await selectApplet(hsm.card);
    assert.equal(fcp.sw, 0x9000);
    assert.match(fcp.data.toString('hex'), /8505001[01]/);
  });

  it('refuses the PIN alone and the PIN with one custodian', async () => {
    await selectApplet(hsm.card);
    assert.equal((await login(hsm.card)).sw, 0x9000);
    assert.equal((await writeProtected(hsm.card)).sw, 0x6982);
    assert.equal(await authenticate(hsm.card, custodians[0]!), 0x9000);
    assert.equal((await writeProtected(hsm.card)).sw, 0x6982);
  });

  it('refuses the quorum without the PIN', async () => {
    await selectApplet(hsm.card);
    assert.equal(await authenticate(hsm.card, custodians[0]!), 0x9000);
    assert.equal(await authenticate(hsm.card, custodians[1]!), 0x9000);
    assert.deepEqual([...(await send(hsm.card, 0x80, 0x54, 0x00, 0x00, undefined, 4)).data], [2, 0, 2, 2]);
    assert.equal((await writeProtected(hsm.card)).sw, 0x6982);
  });

  it('lists the registered keys by CHR, 9001 for those authenticated in this session, 6A88 past the last (MANAGE PKA 02)', async () => {
    await selectApplet(hsm.card);
    assert.equal(await authenticate(hsm.card, custodians[1]!), 0x9000);
    const first = await send(hsm.card, 0x80, 0x54, 0x02, 0x00, undefined, 256);
    assert.deepEqual([first.data.toString('latin1'), first.sw], [custodians[0]!.chr, 0x9000]);
    const second = await send(hsm.card, 0x80, 0x54, 0x02, 0x01, undefined, 256);
    assert.deepEqual([second.data.toString('latin1'), second.sw], [custodians[1]!.chr, 0x9001]);
    assert.equal((await send(hsm.card, 0x80, 0x54, 0x02, 0x02, undefined, 256)).sw, 0x6a88);
  });

  it('lets the PIN and the quorum together in, in either order', async () => {
    await selectApplet(hsm.card);
    assert.equal(await authenticate(hsm.card, custodians[1]!), 0x9000);
    assert.equal((await login(hsm.card)).sw, 0x9000);
    assert.equal(await authenticate(hsm.card, custodians[0]!), 0x9000);
    assert.equal((await writeProtected(hsm.card)).sw, 0x9000);
  });
});
