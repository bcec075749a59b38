// ↔ devhost/server.ts: the loopback host the browser tests and development use.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { COOKIE_NAME, MAX_FRAME_BYTES, MAX_MESSAGE_BYTES, startDevHost, type DevHost } from '../../../devhost/server.ts';
import { createFakeCore, type FakeCore } from '../../support/fake-handlers.ts';

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function callOver(ws: WebSocket, message: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string; details: Record<string, unknown> } }> {
  return new Promise((resolve) => {
    ws.on('message', function onMessage(data) {
      const m = JSON.parse(data.toString()) as { id?: number; result?: never };
      if (m.id === (message as { id: number }).id) { ws.off('message', onMessage); resolve(m.result!); }
    });
    ws.send(JSON.stringify(message));
  });
}

/** The next answer whose id is `id` (null for a message that carried none), after sending `raw` as it is. */
function answerTo(ws: WebSocket, raw: string | Buffer, id: number | null, binary = false): Promise<{ ok: boolean; error?: { code: string; details: Record<string, unknown> } }> {
  return new Promise((resolve) => {
    ws.on('message', function onMessage(data) {
      const m = JSON.parse(data.toString()) as { id?: number | null; result?: never };
      if (m.id === id) { ws.off('message', onMessage); resolve(m.result!); }
    });
    ws.send(raw, { binary });
  });
}

describe('dev host', () => {
  let dir: string;
  let host: DevHost;
  let fake: FakeCore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'custos-devhost-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><html><head><title>t</title></head><body></body></html>');
    writeFileSync(join(dir, 'app.js'), 'console.log(1)');
    fake = createFakeCore();
    host = await startDevHost({ handlers: fake.handlers, events: fake.events, staticDir: dir });
  });
  after(async () => { await host.close(); rmSync(dir, { recursive: true, force: true }); });

  it('listens on 127.0.0.1 only, on a random port', async () => {
    assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    assert.notEqual(host.port, 0);
    // ::1 is loopback too, but not the address bound: it must refuse as well.
    await assert.rejects(new Promise((resolve, reject) => {
      const s = connect({ host: '::1', port: host.port }, () => { s.destroy(); resolve(undefined); });
      s.once('error', reject);
    }), /ECONNREFUSED|EADDRNOTAVAIL|ENETUNREACH/);
    const others = Object.values(networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal).map((a) => a!.address);
    for (const address of others) {
      await assert.rejects(new Promise((resolve, reject) => {
        const s = connect({ host: address, port: host.port }, () => { s.destroy(); resolve(undefined); });
        s.once('error', reject);
      }), /ECONNREFUSED/, `not reachable on ${address}`);
    }
  });

  it('refuses a request without the token, or with a wrong one', async () => {
    assert.equal((await get(host.port, '/')).status, 401);
    assert.equal((await get(host.port, '/app.js')).status, 401);
    assert.equal((await get(host.port, `/?token=${host.token.slice(0, -1)}x`)).status, 401);
    assert.equal((await get(host.port, '/app.js', { cookie: `${COOKIE_NAME}=nope` })).status, 401);
  });

  it('refuses a request naming another host (DNS rebinding)', async () => {
    assert.equal((await get(host.port, `/?token=${host.token}`, { host: 'attacker.example' })).status, 403);
  });

  it('serves the page with the token once, sets the cookie, injects the bridge and sends the CSP', async () => {
    const first = await get(host.port, `/?token=${host.token}`);
    assert.equal(first.status, 200);
    assert.match(first.body, /<head><script src="\/__custos\/bridge\.js"><\/script>/);
    assert.match(String(first.headers['content-security-policy']), /script-src 'self';/);
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    assert.match(String(first.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
    const asset = await get(host.port, '/app.js', { cookie });
    assert.equal(asset.status, 200);
    assert.equal(asset.body, 'console.log(1)');
    assert.equal((await get(host.port, '/__custos/bridge.js', { cookie })).status, 200);
  });

  it('does not serve files outside the renderer directory', async () => {
    const r = await get(host.port, `/..%2f..%2fetc%2fpasswd?token=${host.token}`);
    assert.equal(r.status, 404);
  });

  it('refuses a WebSocket without the token, or from another origin', async () => {
    const base = `ws://127.0.0.1:${host.port}/__custos/ws`;
    await assert.rejects(openSocket(base), /401/);
    await assert.rejects(openSocket(`${base}?token=wrong`), /401/);
    await assert.rejects(openSocket(`${base}?token=${host.token}`, { origin: 'http://evil.example' }), /401/);
  });

  it('answers calls over the WebSocket with the contract, and INPUT_INVALID for bad input', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${host.port}/__custos/ws?token=${host.token}`, { origin: `http://127.0.0.1:${host.port}` });
    try {
      const info = await callOver(ws, { id: 1, channel: 'app.info' });
      assert.equal(info.ok, true);
      const tokens = await callOver(ws, { id: 2, channel: 'token.list' });
      assert.equal((tokens.value as unknown[]).length, 2);
      const bad = await callOver(ws, { id: 3, channel: 'token.generateKey', input: { tokenId: 't', spec: { kind: 'rsa', bits: 1024 }, label: 'k' } });
      assert.equal(bad.ok, false);
      assert.equal(bad.error!.code, 'INPUT_INVALID');
      assert.deepEqual(bad.error!.details['fields'], ['spec.bits']);
      const unknown = await callOver(ws, { id: 4, channel: 'shell.exec', input: {} });
      assert.equal(unknown.error!.code, 'INPUT_INVALID');
      assert.equal(fake.calls.includes('token.generateKey'), false);
    } finally { ws.close(); }
  });

  it('answers a 4 MiB message with MESSAGE_TOO_LARGE by its id and serves the next call', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${host.port}/__custos/ws?token=${host.token}`);
    try {
      const big = JSON.stringify({ id: 41, channel: 'request.import', input: { fileName: 'big.csr', contentBase64: 'A'.repeat(4 * 1024 * 1024) } });
      const answer = await answerTo(ws, big, 41);
      assert.equal(answer.ok, false);
      assert.equal(answer.error!.code, 'MESSAGE_TOO_LARGE');
      assert.equal(answer.error!.details['maxBytes'], MAX_MESSAGE_BYTES);
      assert.equal(fake.calls.includes('request.import'), false, 'the handler never saw it');
      assert.equal((await callOver(ws, { id: 42, channel: 'app.info' })).ok, true);
    } finally { ws.close(); }
  });

  it('closes a socket whose message is above what it reads at all (1009) and serves the others', async () => {
    const other = await openSocket(`ws://127.0.0.1:${host.port}/__custos/ws?token=${host.token}`);
    const ws = await openSocket(`ws://127.0.0.1:${host.port}/__custos/ws?token=${host.token}`);
    try {
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      ws.on('error', () => undefined);
      ws.send(Buffer.alloc(MAX_FRAME_BYTES + 1, 0x20));
      assert.equal(await closed, 1009);
      assert.equal((await callOver(other, { id: 43, channel: 'app.info' })).ok, true);
      const again = await openSocket(`ws://127.0.0.1:${host.port}/__custos/ws?token=${host.token}`);
      try { assert.equal((await callOver(again, { id: 44, channel: 'app.info' })).ok, true); } finally { again.close(); }
    } finally { other.close(); }
  });

  it('answers a message that is not JSON, not an object, has no id or is binary with MESSAGE_MALFORMED', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${host.port}/__custos/ws?token=${host.token}`);
    try {
      for (const raw of ['{"id": 1, "channel": ', '[1, 2]', 'null', '{"channel": "app.info"}', '{"id": "1", "channel": "app.info"}']) {
        const answer = await answerTo(ws, raw, null);
        assert.equal(answer.error?.code, 'MESSAGE_MALFORMED', raw);
      }
      assert.equal((await answerTo(ws, Buffer.from('{"id": 5, "channel": "app.info"}'), null, true)).error?.code, 'MESSAGE_MALFORMED');
      assert.equal((await callOver(ws, { id: 45, channel: 'app.info' })).ok, true);
    } finally { ws.close(); }
  });

  it('stays up when a client resets its connection while a socket without the token is refused', async () => {
    for (let i = 0; i < 100; i++) {
      await new Promise<void>((resolve) => {
        const s = connect({ host: '127.0.0.1', port: host.port }, () => {
          s.write(`GET /__custos/ws HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
            + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
          // A TCP reset while the 401 is being written: the write fails with ECONNRESET or EPIPE.
          setImmediate(() => { s.resetAndDestroy(); resolve(); });
        });
        s.on('error', () => resolve());
      });
    }
    const ws = await openSocket(`ws://127.0.0.1:${host.port}/__custos/ws?token=${host.token}`);
    try { assert.equal((await callOver(ws, { id: 46, channel: 'app.info' })).ok, true); } finally { ws.close(); }
  });

  it('pushes the core events to connected pages', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${host.port}/__custos/ws?token=${host.token}`);
    try {
      const event = new Promise<{ event: string; payload: { seq: number } }>((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))));
      const login = await callOver(ws, { id: 9, channel: 'token.login', input: { tokenId: 'virtual:VS0001:Rehearsal', pin: '123456' } });
      assert.equal(login.ok, true);
      const first = await event;
      assert.equal(first.event, 'journal.appended');
      assert.equal(typeof first.payload.seq, 'number');
    } finally { ws.close(); }
  });
});
