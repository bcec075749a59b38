import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, verify } from 'node:crypto';
import { combineShares, kcv } from '../../../../main/keydomain/dkek.ts';
import { unwrapKey, wrapKey } from '../../../../main/keydomain/key-blob.ts';
import { decodeCvRequest, keyObjectFromCvcPublicKey } from '../../../../main/pki/cvc/cvc.ts';
import { initialize, login, send, tempCard, tlv } from './card-helpers.ts';
import { ecKeyRequest, rsaKeyRequest } from './keygen-data.ts';

const shareA = randomBytes(32);
const shareB = randomBytes(32);

async function cardWithDkek(shares: number) {
  const t = await tempCard();
  await initialize(t.card, [tlv(0x92, Buffer.from([shares]))]);
  await login(t.card);
  return t;
}

describe('DKEK shares', () => {
  it('reports total, outstanding and the KCV of the combined shares', async () => {
    const t = await cardWithDkek(2);
    try {
      const query = await send(t.card, 0x80, 0x52, 0x00, 0x00, undefined, 256);
      assert.deepEqual([...query.data.subarray(0, 2)], [2, 2]);
      const first = await send(t.card, 0x80, 0x52, 0x00, 0x00, shareA, 256);
      assert.deepEqual([...first.data.subarray(0, 2)], [2, 1]);
      const second = await send(t.card, 0x80, 0x52, 0x00, 0x00, shareB, 256);
      assert.equal(second.sw, 0x9000);
      assert.deepEqual([...second.data.subarray(0, 2)], [2, 0]);
      assert.equal(second.data.subarray(2).toString('hex'), Buffer.from(kcv(combineShares([shareA, shareB]))).toString('hex'));
      assert.equal((await send(t.card, 0x80, 0x52, 0x00, 0x00, shareA, 256)).sw, 0x6986);
      assert.equal((await send(t.card, 0x80, 0x52, 0x00, 0x00, shareA.subarray(0, 16), 256)).sw, 0x6700);
    } finally { await t.cleanup(); }
  });

  it('answers 6D00 when no DKEK was configured and 6A88 to WRAP before the DKEK is complete', async () => {
    const none = await tempCard();
    try {
      await initialize(none.card);
      await login(none.card);
      assert.equal((await send(none.card, 0x80, 0x52, 0x00, 0x00, undefined, 256)).sw, 0x6d00);
      await send(none.card, 0x00, 0x46, 0x01, 0x00, ecKeyRequest('P-256'), 65536);
      assert.equal((await send(none.card, 0x80, 0x72, 0x01, 0x92, undefined, 65536)).sw, 0x6d00);
    } finally { await none.cleanup(); }
    const partial = await cardWithDkek(2);
    try {
      await send(partial.card, 0x80, 0x52, 0x00, 0x00, shareA, 256);
      await send(partial.card, 0x00, 0x46, 0x01, 0x00, ecKeyRequest('P-256'), 65536);
      assert.equal((await send(partial.card, 0x80, 0x72, 0x01, 0x92, undefined, 65536)).sw, 0x6a88);
    } finally { await partial.cleanup(); }
  });
});

describe('WRAP KEY and UNWRAP KEY', () => {
  it('wraps a key into a blob the key domain code opens with the same DKEK, and unwraps it into another slot', async () => {
    const t = await cardWithDkek(1);
    try {
      await send(t.card, 0x80, 0x52, 0x00, 0x00, shareA, 256);
      for (const [id, request] of [[1, ecKeyRequest('P-256')], [2, rsaKeyRequest(2048)]] as const) {
        const generated = await send(t.card, 0x00, 0x46, id, 0x00, request, 65536);
        const publicKey = keyObjectFromCvcPublicKey(decodeCvRequest(generated.data).inner.body.publicKey);
        const blob = await send(t.card, 0x80, 0x72, id, 0x92, undefined, 65536);
        assert.equal(blob.sw, 0x9000);
        assert.equal(blob.data.subarray(0, 8).toString('hex'), Buffer.from(kcv(shareA)).toString('hex'));
        const opened = unwrapKey(blob.data, shareA);
        assert.equal(opened.keyObject?.asymmetricKeyType, publicKey.asymmetricKeyType);
        assert.equal((await send(t.card, 0x80, 0x74, id + 10, 0x93, blob.data)).sw, 0x9000);
        const message = Buffer.from('restored key signs');
        const signed = await send(t.card, 0x80, 0x68, id + 10, id === 1 ? 0x73 : 0x33, message, 512);
        assert.equal(signed.sw, 0x9000);
        assert.ok(verify('sha256', message, publicKey, signed.data));
      }
    } finally { await t.cleanup(); }
  });

  it('unwraps a blob left in EF 2F10 when UNWRAP carries no data (OpenSC 0.24 style)', async () => {
    const t = await cardWithDkek(1);
    try {
      await send(t.card, 0x80, 0x52, 0x00, 0x00, shareA, 256);
      const { generateKeyPairSync } = await import('node:crypto');
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const blob = wrapKey({ dkek: shareA, key: privateKey });
      for (let offset = 0; offset < blob.length; offset += 100) {
        const chunk = blob.subarray(offset, offset + 100);
        const data = Buffer.concat([Buffer.from([0x54, 0x02, offset >> 8, offset & 0xff]), tlv(0x53, chunk)]);
        assert.equal((await send(t.card, 0x00, 0xd7, 0x2f, 0x10, data)).sw, 0x9000);
      }
      assert.equal((await send(t.card, 0x80, 0x74, 0x07, 0x93)).sw, 0x9000);
      const message = Buffer.from('imported');
      const signed = await send(t.card, 0x80, 0x68, 0x07, 0x73, message, 512);
      assert.ok(verify('sha256', message, publicKey, signed.data));
    } finally { await t.cleanup(); }
  });

  it('refuses a blob of another key domain (foreign KCV) and a tampered blob with 6A80', async () => {
    const t = await cardWithDkek(1);
    try {
      await send(t.card, 0x80, 0x52, 0x00, 0x00, shareA, 256);
      const { generateKeyPairSync } = await import('node:crypto');
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      assert.equal((await send(t.card, 0x80, 0x74, 0x03, 0x93, wrapKey({ dkek: shareB, key: privateKey }))).sw, 0x6a80);
      const tampered = wrapKey({ dkek: shareA, key: privateKey });
      tampered[tampered.length - 20]! ^= 0x01;
      assert.equal((await send(t.card, 0x80, 0x74, 0x03, 0x93, tampered)).sw, 0x6a80);
      const list = await send(t.card, 0x80, 0x58, 0x00, 0x00, undefined, 65536);
      assert.ok(!list.data.toString('hex').includes('cc03'));
    } finally { await t.cleanup(); }
  });
});
