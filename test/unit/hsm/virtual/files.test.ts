import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initialize, login, selectApplet, send, tempCard, tlv } from './card-helpers.ts';

function update(offset: number, data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([0x54, 0x02, offset >> 8, offset & 0xff]), tlv(0x53, data)]);
}
const AT_START = Buffer.from('54020000', 'hex');

describe('files', () => {
  it('needs the user for UPDATE BINARY and DELETE FILE', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      assert.equal((await send(t.card, 0x00, 0xd7, 0x2f, 0x03, update(0, Buffer.from('x')))).sw, 0x6982);
      await login(t.card);
      assert.equal((await send(t.card, 0x00, 0xd7, 0x2f, 0x03, update(0, Buffer.from('x')))).sw, 0x9000);
      await selectApplet(t.card);
      assert.equal((await send(t.card, 0x00, 0xe4, 0x02, 0x00, Buffer.from('2F03', 'hex'))).sw, 0x6982);
    } finally { await t.cleanup(); }
  });

  it('creates an EF on first write, replaces it at offset 0 and writes into it at later offsets', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      await login(t.card);
      assert.equal((await send(t.card, 0x00, 0xd7, 0xcf, 0x02, update(0, Buffer.from('hello world')))).sw, 0x9000);
      assert.equal((await send(t.card, 0x00, 0xd7, 0xcf, 0x02, update(6, Buffer.from('there, friend')))).sw, 0x9000);
      assert.equal((await send(t.card, 0x00, 0xb1, 0xcf, 0x02, AT_START, 65536)).data.toString(), 'hello there, friend');
      assert.equal((await send(t.card, 0x00, 0xd7, 0xcf, 0x02, update(0, Buffer.from('new')))).sw, 0x9000);
      assert.equal((await send(t.card, 0x00, 0xb1, 0xcf, 0x02, AT_START, 65536)).data.toString(), 'new');
      // 53 with length 0 creates an empty EF, OpenSC's create_file.
      assert.equal((await send(t.card, 0x00, 0xd7, 0xc4, 0x09, update(0, new Uint8Array(0)))).sw, 0x9000);
      const fcp = await send(t.card, 0x00, 0xa4, 0x00, 0x00, Buffer.from('C409', 'hex'), 256);
      assert.equal(fcp.sw, 0x9000);
    } finally { await t.cleanup(); }
  });

  it('reads by FID or the current EF from an offset, and gives an empty answer past the end', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      await login(t.card);
      await send(t.card, 0x00, 0xd7, 0xce, 0x03, update(0, Buffer.from('0123456789')));
      await send(t.card, 0x00, 0xa4, 0x00, 0x00, Buffer.from('CE03', 'hex'), 256);
      const read = await send(t.card, 0x00, 0xb1, 0x00, 0x00, Buffer.from('54020004', 'hex'), 3);
      assert.equal(read.data.toString(), '456');
      const end = await send(t.card, 0x00, 0xb1, 0x00, 0x00, Buffer.from('5402000a', 'hex'), 256);
      assert.equal(end.sw, 0x9000);
      assert.equal(end.data.length, 0);
    } finally { await t.cleanup(); }
  });

  it('never reads a key, reads CD objects only after login, and keeps 2F02 read-only', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      await login(t.card);
      const { ecKeyRequest } = await import('./keygen-data.ts');
      await send(t.card, 0x00, 0x46, 0x01, 0x00, ecKeyRequest('P-256'), 65536);
      await send(t.card, 0x00, 0xd7, 0xcd, 0x01, update(0, Buffer.from('secret note')));
      assert.equal((await send(t.card, 0x00, 0xb1, 0xcc, 0x01, AT_START, 256)).sw, 0x6982);
      assert.equal((await send(t.card, 0x00, 0xd7, 0x2f, 0x02, update(0, Buffer.from('x')))).sw, 0x6982);
      assert.equal((await send(t.card, 0x00, 0xe4, 0x02, 0x00, Buffer.from('2F02', 'hex'))).sw, 0x6982);
      await selectApplet(t.card);
      assert.equal((await send(t.card, 0x00, 0xb1, 0xcd, 0x01, AT_START, 256)).sw, 0x6982);
      assert.equal((await send(t.card, 0x00, 0xb1, 0xce, 0x01, AT_START, 65536)).data[0], 0x67);
    } finally { await t.cleanup(); }
  });

  it('lists every key and EF in ENUMERATE OBJECTS and forgets deleted ones', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      await login(t.card);
      const { ecKeyRequest } = await import('./keygen-data.ts');
      await send(t.card, 0x00, 0x46, 0x03, 0x00, ecKeyRequest('P-256'), 65536);
      for (const fid of ['C403', 'CA01', 'C801', 'C901', 'CF01', 'CD01']) {
        await send(t.card, 0x00, 0xd7, Number.parseInt(fid.slice(0, 2), 16), Number.parseInt(fid.slice(2), 16), update(0, Buffer.from(fid)));
      }
      const listed = async (): Promise<string[]> => {
        const data = (await send(t.card, 0x80, 0x58, 0x00, 0x00, undefined, 65536)).data;
        const out: string[] = [];
        for (let i = 0; i < data.length; i += 2) out.push(data.subarray(i, i + 2).toString('hex').toUpperCase());
        return out.sort();
      };
      assert.deepEqual(await listed(), ['2F02', 'C403', 'C801', 'C901', 'CA01', 'CC00', 'CC03', 'CD01', 'CE03', 'CF01']);
      assert.equal((await send(t.card, 0x00, 0xe4, 0x02, 0x00, Buffer.from('CC03', 'hex'))).sw, 0x9000);
      assert.equal((await send(t.card, 0x00, 0xe4, 0x02, 0x00, Buffer.from('CA01', 'hex'))).sw, 0x9000);
      assert.equal((await send(t.card, 0x00, 0xe4, 0x02, 0x00, Buffer.from('CA01', 'hex'))).sw, 0x6a82);
      assert.deepEqual(await listed(), ['2F02', 'C403', 'C801', 'C901', 'CC00', 'CD01', 'CE03', 'CF01']);
    } finally { await t.cleanup(); }
  });

  it('sends a long answer to a short Le in pieces with 61xx and GET RESPONSE', async () => {
    const t = await tempCard();
    try {
      await initialize(t.card);
      await login(t.card);
      for (let id = 1; id <= 3; id++) await send(t.card, 0x00, 0xd7, 0xcf, id, update(0, Buffer.from('x')));
      const whole = await send(t.card, 0x80, 0x58, 0x00, 0x00, undefined, 65536);
      assert.equal(whole.data.length, 10);
      const first = await send(t.card, 0x80, 0x58, 0x00, 0x00, undefined, 4);
      assert.equal(first.sw, 0x6106);
      assert.equal(first.data.length, 4);
      const second = await send(t.card, 0x00, 0xc0, 0x00, 0x00, undefined, 4);
      assert.equal(second.sw, 0x6102);
      const third = await send(t.card, 0x00, 0xc0, 0x00, 0x00, undefined, 2);
      assert.equal(third.sw, 0x9000);
      assert.equal(Buffer.concat([first.data, second.data, third.data]).toString('hex'), whole.data.toString('hex'));
      assert.equal((await send(t.card, 0x00, 0xc0, 0x00, 0x00, undefined, 16)).sw, 0x6985);
    } finally { await t.cleanup(); }
  });
});
