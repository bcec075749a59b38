/**
 * The loopback dev host: serves the built renderer and the core's API over a
 * WebSocket to a browser, for development and the Playwright tests where no
 * Electron runtime exists. Never packaged.
 *
 * It listens on 127.0.0.1 only, on a random port, and every request (HTTP and
 * WebSocket) must carry the random access token: once in ?token=, after that
 * in the HttpOnly cookie set by that first request (the browser's own asset
 * requests cannot add headers), and for the socket also in its query from
 * sessionStorage. The Host and Origin headers must name the host itself, which
 * stops DNS rebinding and cross-site sockets.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, isAbsolute, join, normalize, relative } from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Handlers, Result } from '../main/api/contract.ts';
import { CONTENT_SECURITY_POLICY_HEADER } from '../electron/csp.ts';
import { dispatch, type EventSource } from '../electron/dispatch.ts';
import { isAccessToken, newAccessToken } from './access-token.ts';

export const LOOPBACK_HOST = '127.0.0.1';
export const COOKIE_NAME = 'custos_devhost';
export const BRIDGE_PATH = '/__custos/bridge.js';
export const SOCKET_PATH = '/__custos/ws';
/** A CSR import is at most 2 MiB of base64 (the contract); a little room for the envelope. */
export const MAX_MESSAGE_BYTES = 3 * 1024 * 1024;
/**
 * What ws reads of one message at most. A message above MAX_MESSAGE_BYTES but
 * within this is still read, so its call gets a MESSAGE_TOO_LARGE answer by
 * its id; above this the socket is closed with 1009 (Message Too Big, RFC 6455
 * §7.4.1) and the host goes on serving every other socket.
 */
export const MAX_FRAME_BYTES = 4 * MAX_MESSAGE_BYTES;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
  '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf', '.map': 'application/json',
};

export interface DevHostOptions {
  handlers: Handlers;
  /** The built renderer, out/renderer. */
  staticDir: string;
  events?: EventSource;
}

export interface DevHost {
  /** Open this once: it carries the access token. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

function failure(code: string, message: string, details: Record<string, unknown> = {}): Result<never> {
  return { ok: false, error: { code, message, details } };
}

function byteLength(data: RawData): number {
  return Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
}

/**
 * A call's id and the rest, or the error to answer with. A message that is
 * not a JSON object with a numeric id is answered with id null: the page has
 * no call waiting on it, but a developer watching the socket sees why.
 */
function parseMessage(data: RawData, isBinary: boolean): { id: number | null; call?: { channel: unknown; input: unknown }; error?: Result<never> } {
  if (isBinary) return { id: null, error: failure('MESSAGE_MALFORMED', 'The dev host takes text messages (JSON) only.') };
  let message: unknown;
  try {
    const text = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    message = JSON.parse(text.toString('utf8'));
  } catch {
    return { id: null, error: failure('MESSAGE_MALFORMED', 'The message is not JSON.') };
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return { id: null, error: failure('MESSAGE_MALFORMED', 'The message is not a JSON object { id, channel, input }.') };
  }
  const { id, channel, input } = message as { id?: unknown; channel?: unknown; input?: unknown };
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
    return { id: null, error: failure('MESSAGE_MALFORMED', 'The message has no numeric id.') };
  }
  return { id, call: { channel, input } };
}

function refuse(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

export async function startDevHost({ handlers, staticDir, events }: DevHostOptions): Promise<DevHost> {
  const token = newAccessToken();
  const bridgeScript = await readFile(new URL('./bridge-client.js', import.meta.url));
  let port = 0;
  const ownHost = () => `${LOOPBACK_HOST}:${port}`;
  const ownOrigin = () => `http://${ownHost()}`;

  function requestToken(req: IncomingMessage, url: URL): { ok: boolean; fromQuery: boolean } {
    const fromQuery = url.searchParams.get('token');
    if (fromQuery !== null) return { ok: isAccessToken(fromQuery, token), fromQuery: true };
    return { ok: isAccessToken(cookieValue(req, COOKIE_NAME), token), fromQuery: false };
  }

  async function serveStatic(res: ServerResponse, pathname: string, setCookie: boolean): Promise<void> {
    const wanted = pathname === '/' ? '/index.html' : decodeURIComponent(pathname);
    const path = normalize(join(staticDir, wanted));
    const inside = relative(staticDir, path);
    if (inside.startsWith('..') || isAbsolute(inside)) return refuse(res, 404, 'Not found');
    let body: Buffer;
    try { body = await readFile(path); } catch { return refuse(res, 404, 'Not found'); }
    const type = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
    if (type.startsWith('text/html')) {
      // The bridge must run before the app's module script, so it goes first in <head>.
      body = Buffer.from(body.toString('utf8').replace(/<head>/i, `<head><script src="${BRIDGE_PATH}"></script>`));
    }
    const headers: Record<string, string | string[]> = {
      'Content-Type': type,
      'Content-Security-Policy': CONTENT_SECURITY_POLICY_HEADER,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
    };
    if (setCookie) headers['Set-Cookie'] = `${COOKIE_NAME}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    res.writeHead(200, headers);
    res.end(body);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    if (req.headers.host !== ownHost()) return refuse(res, 403, 'Wrong host');
    const auth = requestToken(req, url);
    if (!auth.ok) return refuse(res, 401, 'The dev host needs its access token.');
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Method not allowed');
    if (url.pathname === BRIDGE_PATH) {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
      res.end(bridgeScript);
      return;
    }
    serveStatic(res, url.pathname, auth.fromQuery).catch(() => refuse(res, 500, 'Internal error'));
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  // Without these, one bad socket's error (an oversized frame, a broken handshake) is thrown
  // from an EventEmitter and ends the process, leaving the journal's lock behind.
  sockets.on('error', () => undefined);
  server.on('clientError', (_err, socket) => { socket.destroy(); });
  server.on('upgrade', (req, socket, head) => {
    // Node hands an upgrading socket over without its error listener: a peer that resets it
    // while the refusal below is written would otherwise end the process.
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const origin = req.headers.origin;
    const allowed = url.pathname === SOCKET_PATH
      && req.headers.host === ownHost()
      && (origin === undefined || origin === ownOrigin())
      && requestToken(req, url).ok;
    if (!allowed) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => sockets.emit('connection', ws));
  });

  sockets.on('connection', (ws: WebSocket) => {
    const answer = (id: number | null, result: Result<unknown>): void => {
      if (ws.readyState !== ws.OPEN) return;
      let text: string;
      try {
        text = JSON.stringify({ id, result });
      } catch {
        text = JSON.stringify({ id, result: failure('INTERNAL', 'The answer could not be encoded as JSON.') });
      }
      ws.send(text, () => undefined);
    };
    // ws closes the socket itself (1009 for a frame above MAX_FRAME_BYTES, 1002/1007 for a
    // broken one); listening is what keeps the error from ending the process.
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => {
      const bytes = byteLength(data);
      const { id, call, error } = parseMessage(data, isBinary);
      if (bytes > MAX_MESSAGE_BYTES) {
        answer(id, failure('MESSAGE_TOO_LARGE', `The message is ${bytes} bytes; the dev host takes at most ${MAX_MESSAGE_BYTES}.`, { bytes, maxBytes: MAX_MESSAGE_BYTES }));
        return;
      }
      if (error !== undefined || call === undefined) {
        answer(id, error ?? failure('MESSAGE_MALFORMED', 'The message is not a call.'));
        return;
      }
      dispatch(handlers, call.channel, call.input)
        .then((result) => answer(id, result))
        .catch(() => answer(id, failure('INTERNAL', 'The call failed inside the dev host.')));
    });
  });

  const unsubscribe = events?.subscribe((name, payload) => {
    const text = JSON.stringify({ event: name, payload });
    for (const ws of sockets.clients) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK_HOST, () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `${ownOrigin()}/?token=${token}`,
    port,
    token,
    close: async () => {
      unsubscribe?.();
      for (const ws of sockets.clients) ws.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
