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
import { WebSocketServer, type WebSocket } from 'ws';
import type { Handlers } from '../main/api/contract.ts';
import { CONTENT_SECURITY_POLICY_HEADER } from '../electron/csp.ts';
import { dispatch, type EventSource } from '../electron/dispatch.ts';
import { isAccessToken, newAccessToken } from './access-token.ts';

export const LOOPBACK_HOST = '127.0.0.1';
export const COOKIE_NAME = 'custos_devhost';
export const BRIDGE_PATH = '/__custos/bridge.js';
export const SOCKET_PATH = '/__custos/ws';
/** A CSR import is at most 2 MiB of base64 (the contract); a little room for the envelope. */
export const MAX_MESSAGE_BYTES = 3 * 1024 * 1024;

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

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
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
    ws.on('message', (data) => {
      let message: unknown;
      try { message = JSON.parse(data.toString()); } catch { return; }
      if (typeof message !== 'object' || message === null) return;
      const { id, channel, input } = message as { id?: unknown; channel?: unknown; input?: unknown };
      if (typeof id !== 'number') return;
      void dispatch(handlers, channel, input).then((result) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, result }));
      });
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
