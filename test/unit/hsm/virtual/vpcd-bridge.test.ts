import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { SC_HSM_AID } from '../../../../main/hsm/virtual/select.ts';
import { encodeCommandApdu } from '../../../../main/hsm/sc-hsm/apdu.ts';
import { startVpcdBridge } from '../../../../main/hsm/virtual/vpcd-bridge.ts';
import { initialize, login, tempCard } from './card-helpers.ts';

/** vpcd's side of the wire: framed messages out, framed answers in. */
function vpcdPeer(socket: Socket) {
  let buffer = Buffer.alloc(0);
  const waiting: Array<(b: Buffer) => void> = [];
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0) && waiting.length > 0) {
      const length = buffer.readUInt16BE(0);
      const message = buffer.subarray(2, 2 + length);
      buffer = buffer.subarray(2 + length);
      waiting.shift()!(Buffer.from(message));
    }
  });
  const write = (payload: Uint8Array): void => {
    const head = Buffer.alloc(2);
    head.writeUInt16BE(payload.length);
    socket.write(Buffer.concat([head, payload]));
  };
  return {
    control(code: number): void { write(Uint8Array.of(code)); },
    exchange(payload: Uint8Array): Promise<Buffer> {
      const answer = new Promise<Buffer>((resolve) => waiting.push(resolve));
      write(payload);
      socket.emit('data', Buffer.alloc(0));
      return answer;
    },
  };
}

describe('vpcd bridge', () => {
  it('listens on loopback, answers the ATR request and APDUs in vpcd framing, and resets the card on power on', async () => {
    const t = await tempCard();
    const bridge = await startVpcdBridge({ card: t.card, mode: 'listen', port: 0 });
    const socket = connect({ host: '127.0.0.1', port: bridge.port });
    try {
      await new Promise((resolve) => socket.once('connect', resolve));
      const peer = vpcdPeer(socket);
      const atr = await peer.exchange(Uint8Array.of(0x04));
      assert.equal(atr.toString('hex'), Buffer.from(t.card.atr).toString('hex'));
      const selected = await peer.exchange(encodeCommandApdu({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: SC_HSM_AID, ne: 256 }));
      assert.equal(selected.subarray(-2).toString('hex'), '9000');
      assert.equal(selected[0], 0x62);
      await initialize(t.card);
      await login(t.card);
      peer.control(0x01);
      const status = await peer.exchange(Uint8Array.of(0x00, 0x20, 0x00, 0x81));
      assert.equal(status.toString('hex'), '63c3');
    } finally {
      socket.destroy();
      await bridge();
      await t.cleanup();
    }
  });

  it('dials vpcd on 127.0.0.1 and dials again after vpcd drops the connection', async () => {
    const t = await tempCard();
    const connections: Socket[] = [];
    const server = createServer((socket) => connections.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const bridge = await startVpcdBridge({ card: t.card, port });
    try {
      const waitFor = async (count: number): Promise<Socket> => {
        const deadline = Date.now() + 5_000;
        while (connections.length < count) {
          if (Date.now() > deadline) throw new Error(`no connection #${count}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        return connections[count - 1]!;
      };
      const first = await waitFor(1);
      assert.equal(first.remoteAddress, '127.0.0.1');
      const atr = await vpcdPeer(first).exchange(Uint8Array.of(0x04));
      assert.equal(atr.toString('hex'), Buffer.from(t.card.atr).toString('hex'));
      first.destroy();
      const second = await waitFor(2);
      const answer = await vpcdPeer(second).exchange(Uint8Array.of(0x00, 0x20, 0x00, 0x81));
      assert.equal(answer.toString('hex'), '6a88');
    } finally {
      await bridge.stop();
      for (const s of connections) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await t.cleanup();
    }
  });

  it('dials vpcd through a Unix socket when given a path', async () => {
    const t = await tempCard();
    const path = join(t.dir, 'vpcd.sock');
    const accepted = new Promise<Socket>((resolve) => {
      const server = createServer((socket) => { server.close(); resolve(socket); });
      server.listen(path);
    });
    const bridge = await startVpcdBridge({ card: t.card, path });
    try {
      const socket = await accepted;
      const atr = await vpcdPeer(socket).exchange(Uint8Array.of(0x04));
      assert.equal(atr.toString('hex'), Buffer.from(t.card.atr).toString('hex'));
      socket.destroy();
    } finally {
      await bridge.stop();
      await t.cleanup();
    }
  });
});
