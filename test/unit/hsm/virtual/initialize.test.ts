import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initialize, initializeData, login, send, SO_PIN, tempCard, tlv, USER_PIN } from './card-helpers.ts';

describe('INITIALIZE DEVICE', () => {
  it('accepts the PKCS#11 C_InitToken form: first 6 SO-PIN bytes as user PIN, no DKEK tag', async () => {
    const t = await tempCard();
    try {
      const data = Buffer.concat([tlv(0x80, Buffer.from([0x00, 0x01])), tlv(0x81, SO_PIN.subarray(0, 6)), tlv(0x82, SO_PIN), tlv(0x91, Buffer.from([3]))]);
      assert.equal((await send(t.card, 0x80, 0x50, 0x00, 0x00, data)).sw, 0x9000);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x81, SO_PIN.subarray(0, 6))).sw, 0x9000);
      assert.equal((await send(t.card, 0x80, 0x52, 0x00, 0x00, undefined, 256)).sw, 0x6d00);
    } finally { await t.cleanup(); }
  });

  it('re-initialises only with the current SO-PIN; a wrong one costs a try and keeps keys and files', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      await login(t.card);
      const { ecKeyRequest } = await import('./keygen-data.ts');
      assert.equal((await send(t.card, 0x00, 0x46, 0x01, 0x00, ecKeyRequest('P-256'), 65536)).sw, 0x9000);
      assert.equal((await send(t.card, 0x00, 0xd7, 0xcf, 0x01, Buffer.concat([Buffer.from('54020000', 'hex'), tlv(0x53, Buffer.from('data'))]))).sw, 0x9000);
      const wrong = initializeData([], USER_PIN, Buffer.alloc(8, 0x11));
      assert.equal((await send(t.card, 0x80, 0x50, 0x00, 0x00, wrong)).sw, 0x63ce);
      await login(t.card);
      assert.equal((await send(t.card, 0x80, 0x68, 0x01, 0x70, Buffer.alloc(32, 1), 512)).sw, 0x9000);
      assert.equal((await initialize(t.card)).sw, 0x9000);
      const list = await send(t.card, 0x80, 0x58, 0x00, 0x00, undefined, 65536);
      assert.equal(list.data.toString('hex'), 'cc002f02');
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x88)).sw, 0x63cf);
    } finally { await t.cleanup(); }
  });

  it('configures a random DKEK with 92 00 and public-key authentication with 93', async () => {
    const t = await tempCard();
    try {
      assert.equal((await initialize(t.card, [tlv(0x92, Buffer.from([0])), tlv(0x93, Buffer.from([3, 2]))])).sw, 0x9000);
      const dkek = await send(t.card, 0x80, 0x52, 0x00, 0x00, undefined, 256);
      assert.equal(dkek.sw, 0x9000);
      assert.deepEqual([...dkek.data.subarray(0, 2)], [0, 0]);
      assert.notEqual(dkek.data.subarray(2).toString('hex'), '0000000000000000');
      const pka = await send(t.card, 0x80, 0x54, 0x00, 0x00, undefined, 4);
      assert.deepEqual([...pka.data], [3, 3, 2, 0]);
    } finally { await t.cleanup(); }
  });

  it('refuses malformed initialisation data with 6A80', async () => {
    const t = await tempCard();
    try {
      assert.equal((await send(t.card, 0x80, 0x50, 0x00, 0x00, Buffer.concat([tlv(0x81, USER_PIN)]))).sw, 0x6a80);
      assert.equal((await send(t.card, 0x80, 0x50, 0x00, 0x00, initializeData([tlv(0x93, Buffer.from([2, 3]))]))).sw, 0x6a80);
      assert.equal((await send(t.card, 0x80, 0x50, 0x00, 0x00, Buffer.from('8102', 'hex'))).sw, 0x6a80);
    } finally { await t.cleanup(); }
  });
});
