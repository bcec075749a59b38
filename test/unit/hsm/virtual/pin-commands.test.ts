import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initialize, initializeData, login, send, SO_PIN, tempCard, USER_PIN } from './card-helpers.ts';

const WRONG_PIN = Buffer.from('000000', 'ascii');

describe('PIN commands', () => {
  it('answers VERIFY status queries with 6A88 before initialisation, and 6A88 for references 85 and 86', async () => {
    const t = await tempCard();
    try {
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x81)).sw, 0x6a88);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x88)).sw, 0x6a88);
      await initialize(t.card);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x85)).sw, 0x6a88);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x86)).sw, 0x6a88);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x88)).sw, 0x63cf);
    } finally { await t.cleanup(); }
  });

  it('counts wrong PINs down with 63Cx, blocks with 6983 at zero, and then refuses the right PIN', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x81, WRONG_PIN)).sw, 0x63c2);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x81)).sw, 0x63c2);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x81, WRONG_PIN)).sw, 0x63c1);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x81, WRONG_PIN)).sw, 0x6983);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x81)).sw, 0x6983);
      assert.equal((await login(t.card)).sw, 0x6983);
    } finally { await t.cleanup(); }
  });

  it('restores the counter when the right PIN follows a wrong one', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      await send(t.card, 0x00, 0x20, 0x00, 0x81, WRONG_PIN);
      assert.equal((await login(t.card)).sw, 0x9000);
      t.card.reset();
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x81)).sw, 0x63c3);
    } finally { await t.cleanup(); }
  });

  it('refuses PINs shorter than 6 or longer than 16 bytes with 6700, without spending a try', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x81, Buffer.from('12345'))).sw, 0x6700);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x81, Buffer.alloc(17, 0x31))).sw, 0x6700);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x81)).sw, 0x63c3);
    } finally { await t.cleanup(); }
  });

  it('changes the user PIN with old || new and the SO-PIN with 8 + 8 bytes', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      const newPin = Buffer.from('12345678');
      assert.equal((await send(t.card, 0x00, 0x24, 0x00, 0x81, Buffer.concat([WRONG_PIN, newPin]))).sw, 0x63c2);
      assert.equal((await send(t.card, 0x00, 0x24, 0x00, 0x81, Buffer.concat([USER_PIN, newPin]))).sw, 0x9000);
      assert.equal((await login(t.card)).sw, 0x63c2);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x81, newPin)).sw, 0x9000);
      const newSo = Buffer.from('0102030405060708', 'hex');
      assert.equal((await send(t.card, 0x00, 0x24, 0x00, 0x88, Buffer.concat([SO_PIN, newSo]))).sw, 0x9000);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x88, newSo)).sw, 0x9000);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x88, SO_PIN)).sw, 0x63ce);
    } finally { await t.cleanup(); }
  });

  it('unblocks the user PIN with RESET RETRY COUNTER: P1 00 sets a new PIN, P1 01 keeps the old one', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      for (let i = 0; i < 3; i++) await send(t.card, 0x00, 0x20, 0x00, 0x81, WRONG_PIN);
      assert.equal((await login(t.card)).sw, 0x6983);
      assert.equal((await send(t.card, 0x00, 0x2c, 0x01, 0x81, SO_PIN)).sw, 0x9000);
      assert.equal((await login(t.card)).sw, 0x9000);
      const newPin = Buffer.from('246810');
      assert.equal((await send(t.card, 0x00, 0x2c, 0x00, 0x81, Buffer.concat([SO_PIN, newPin]))).sw, 0x9000);
      assert.equal((await send(t.card, 0x00, 0x20, 0x00, 0x81, newPin)).sw, 0x9000);
      const wrongSo = Buffer.from('0000000000000000', 'hex');
      assert.equal((await send(t.card, 0x00, 0x2c, 0x01, 0x81, wrongSo)).sw, 0x63ce);
    } finally { await t.cleanup(); }
  });

  it('refuses RESET RETRY COUNTER with 6986 when the device option does not allow it', async () => {
    const t = await tempCard();
    try {
      const data = initializeData();
      data[3] = 0x00;
      assert.equal((await send(t.card, 0x80, 0x50, 0x00, 0x00, data)).sw, 0x9000);
      assert.equal((await send(t.card, 0x00, 0x2c, 0x00, 0x81, Buffer.concat([SO_PIN, USER_PIN]))).sw, 0x6986);
    } finally { await t.cleanup(); }
  });

  it('blocks the SO-PIN after 15 wrong values', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      const wrongSo = Buffer.alloc(8);
      let sw = 0;
      for (let i = 0; i < 15; i++) sw = (await send(t.card, 0x00, 0x20, 0x00, 0x88, wrongSo)).sw;
      assert.equal(sw, 0x6983);
      assert.equal((await send(t.card, 0x00, 0x2c, 0x01, 0x81, SO_PIN)).sw, 0x6983);
      // Re-initialisation needs the SO-PIN too, so a blocked SO-PIN locks the card's configuration.
      assert.equal((await send(t.card, 0x80, 0x50, 0x00, 0x00, initializeData())).sw, 0x6983);
    } finally { await t.cleanup(); }
  });
});
