import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTlv, decodeTlvList } from '../../../../main/pki/cvc/tlv.ts';
import { SC_HSM_AID } from '../../../../main/hsm/virtual/select.ts';
import { initialize, login, selectApplet, send, tempCard } from './card-helpers.ts';

describe('SELECT', () => {
  it('answers the applet AID with an FCP whose tag 85 holds options, type and version 3.5, session-PIN bit clear', async () => {
    const t = await tempCard();
    try {
      // Option 0004 (session PIN) requested at initialisation must still not be advertised.
      const { initializeData } = await import('./card-helpers.ts');
      const data = initializeData();
      data[2] = 0x00; data[3] = 0x05;
      assert.equal((await send(t.card, 0x80, 0x50, 0x00, 0x00, data)).sw, 0x9000);
      for (const p2 of [0x00, 0x04]) {
        const answer = await send(t.card, 0x00, 0xa4, 0x04, p2, SC_HSM_AID, 256);
        assert.equal(answer.sw, 0x9000);
        const fcp = decodeTlv(answer.data);
        assert.equal(fcp.tag, 0x62);
        const tag85 = decodeTlvList(fcp.value).find((x) => x.tag === 0x85)!;
        assert.deepEqual([...tag85.value], [0x00, 0x01, 0xff, 0x03, 0x05]);
      }
    } finally { await t.cleanup(); }
  });

  it('answers 6A82 to AIDs of other applets', async () => {
    const t = await tempCard();
    try {
      assert.equal((await send(t.card, 0x00, 0xa4, 0x04, 0x00, Buffer.from('A000000063504B43532D3135', 'hex'), 256)).sw, 0x6a82);
      assert.equal((await send(t.card, 0x00, 0xa4, 0x04, 0x00, Buffer.from('627601FF000000', 'hex'), 256)).sw, 0x6a82);
    } finally { await t.cleanup(); }
  });

  it('selects an EF by FID with its size in tag 81, and answers 6A82 for a missing one', async () => {
    const t = await tempCard();
    try {
      const answer = await send(t.card, 0x00, 0xa4, 0x00, 0x00, Buffer.from('2F02', 'hex'), 256);
      assert.equal(answer.sw, 0x9000);
      const size = decodeTlvList(decodeTlv(answer.data).value).find((x) => x.tag === 0x81)!;
      const read = await send(t.card, 0x00, 0xb1, 0x00, 0x00, Buffer.from('54020000', 'hex'), 65536);
      assert.equal(Buffer.from(size.value).readUInt16BE(0), read.data.length);
      assert.equal((await send(t.card, 0x00, 0xa4, 0x00, 0x00, Buffer.from('CE07', 'hex'), 256)).sw, 0x6a82);
    } finally { await t.cleanup(); }
  });

  it('logs the user out when the applet is selected again', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      assert.equal((await login(t.card)).sw, 0x9000);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x81)).sw, 0x9000);
      await selectApplet(t.card);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x81)).sw, 0x63c3);
    } finally { await t.cleanup(); }
  });
});
