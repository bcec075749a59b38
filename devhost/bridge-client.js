// The dev host's stand-in for the Electron preload: it gives the page the same
// `window.custos` = { call, on } over a WebSocket to the loopback dev host.
// Served as a plain script before the app's module, so the bridge exists
// before any app code runs. The access token arrives once in ?token= and is
// then kept in sessionStorage (and dropped from the address bar).
(() => {
  'use strict';
  const KEY = 'custos.devhost.token';
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    sessionStorage.setItem(KEY, fromUrl);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? `?${rest}` : '') + location.hash);
  }
  const token = sessionStorage.getItem(KEY) ?? '';
  const pending = new Map();
  const listeners = new Map();
  let nextId = 1;
  let socket;
  let opened;

  function fail(message, code = 'INTERNAL') {
    return { ok: false, error: { code, message, details: {} } };
  }

  function connect() {
    socket = new WebSocket(`ws://${location.host}/__custos/ws?token=${encodeURIComponent(token)}`);
    opened = new Promise((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('error', () => reject(new Error('The dev host refused the connection.')), { once: true });
    });
    opened.catch(() => {});
    socket.addEventListener('message', (e) => {
      let msg;
      try { msg = JSON.parse(e.data); } catch { return; }
      if (typeof msg.id === 'number' && pending.has(msg.id)) {
        pending.get(msg.id)(msg.result);
        pending.delete(msg.id);
      } else if (typeof msg.event === 'string') {
        for (const listener of listeners.get(msg.event) ?? []) {
          try { listener(msg.payload); } catch (err) { console.error(err); }
        }
      }
    });
    socket.addEventListener('close', (e) => {
      // 1009: a message above what the host reads at all; it closed this socket and serves on.
      const result = e.code === 1009
        ? fail('A message was larger than the dev host reads; it closed the connection.', 'MESSAGE_TOO_LARGE')
        : fail('The connection to the dev host closed.');
      for (const resolve of pending.values()) resolve(result);
      pending.clear();
      socket = undefined;
    });
  }

  async function call(channel, input) {
    if (!socket) connect();
    try { await opened; } catch (err) { return fail(err.message); }
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      socket.send(JSON.stringify(input === undefined ? { id, channel } : { id, channel, input }));
    });
  }

  function on(event, listener) {
    if (!socket) connect();
    if (!listeners.has(event)) listeners.set(event, new Set());
    listeners.get(event).add(listener);
    return () => { listeners.get(event)?.delete(listener); };
  }

  Object.defineProperty(window, 'custos', { value: Object.freeze({ call, on }), writable: false, configurable: false });
})();
