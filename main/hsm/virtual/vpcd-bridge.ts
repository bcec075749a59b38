/**
 * Puts the virtual card behind pcscd through vsmartcard's vpcd reader driver
 * (SC-HSM.md §10), so OpenSC and any PC/SC host see a SmartCard-HSM.
 *
 * Wire: TCP, each message framed by a 2-byte big-endian length. From vpcd, a
 * 1-byte message is a control code (00 power off, 01 power on, 02 reset,
 * 04 send ATR: only 04 is answered); anything longer is a command APDU,
 * answered with one framed response APDU. A zero-length answer would read as
 * card removal, so none is ever sent.
 *
 * Three ways to meet vpcd, none leaving the machine:
 * - 'connect' (default): vpcd listens (DEVICENAME /dev/null:0x8C7B, the
 *   Debian default, port 35963) and the bridge dials 127.0.0.1, dialling
 *   again whenever the connection drops (pcscd restarted: the card is
 *   re-inserted). vpcd itself binds every interface in this mode.
 * - 'connect' with path: the same through a Unix socket that a relay
 *   forwards to vpcd; test/support/pcscd.ts runs pcscd in its own network
 *   namespace this way, so vpcd's port is reachable from nowhere.
 * - 'listen': vpcd's "reversed mode" (DEVICENAME 127.0.0.1:<port>): the
 *   bridge listens on 127.0.0.1 and vpcd dials it. The Debian 12 vpcd
 *   (libifdvpcd 0.8) aborts pcscd when such a card is not connected, so
 *   stopping the bridge there takes pcscd down.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import { CustosError } from '../../errors/index.ts';
import { VirtualCard } from './card.ts';

export const VPCD_DEFAULT_PORT = 0x8c7b;
const LOOPBACK = '127.0.0.1';
const RECONNECT_DELAY_MS = 200;
const MAX_FRAME_BYTES = 0xffff;

const CONTROL = { POWER_OFF: 0x00, POWER_ON: 0x01, RESET: 0x02, ATR: 0x04 } as const;

/** What answers on a vpcd connection: the virtual card, or the placeholder of an unused vpcd slot. */
export interface VpcdCard {
  readonly atr: Uint8Array;
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
  powerOff(): void;
  reset(): void;
}

function frame(payload: Uint8Array): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(payload.length);
  return Buffer.concat([head, payload]);
}

/** Serves one vpcd connection until it closes. Messages are answered in order, one at a time. */
export function serveVpcdConnection(socket: Socket, card: VpcdCard): void {
  socket.setNoDelay(true);
  let pending = Buffer.alloc(0);
  let chain: Promise<void> = Promise.resolve();
  const handle = async (message: Buffer): Promise<void> => {
    if (message.length === 1) {
      const code = message[0];
      if (code === CONTROL.POWER_OFF) card.powerOff();
      else if (code === CONTROL.POWER_ON || code === CONTROL.RESET) card.reset();
      else if (code === CONTROL.ATR) socket.write(frame(card.atr));
      return;
    }
    let response: Uint8Array;
    try {
      response = await card.transmit(message);
    } catch {
      // A failure inside the card must not look like a removal: answer "no precise diagnosis".
      response = Uint8Array.of(0x6f, 0x00);
    }
    if (response.length > MAX_FRAME_BYTES) response = Uint8Array.of(0x67, 0x00);
    if (!socket.destroyed) socket.write(frame(response));
  };
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2) {
      const length = pending.readUInt16BE(0);
      if (pending.length < 2 + length) break;
      const message = Buffer.from(pending.subarray(2, 2 + length));
      pending = pending.subarray(2 + length);
      if (length === 0) continue;
      chain = chain.then(() => handle(message));
    }
  });
  socket.on('error', () => socket.destroy());
}

export interface VpcdBridgeOptions {
  /** The card to serve; or stateFile, to open one (the bridge then closes it on stop). */
  readonly card?: VpcdCard;
  readonly stateFile?: string;
  /** vpcd's port ('connect') or the port to listen on ('listen'; 0 picks a free one). Default 35963. */
  readonly port?: number;
  /** 'connect' through a Unix socket that leads to vpcd instead of TCP (test/support/pcscd.ts relays one out of pcscd's network namespace). */
  readonly path?: string;
  readonly mode?: 'connect' | 'listen';
}

/** Call it (or its stop) to end the bridge; port is where it listens or connects. */
export interface VpcdBridge {
  (): Promise<void>;
  readonly port: number;
  readonly card: VpcdCard;
  stop(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

export async function startVpcdBridge(options: VpcdBridgeOptions): Promise<VpcdBridge> {
  const ownsCard = options.card === undefined;
  let card: VpcdCard;
  if (options.card !== undefined) card = options.card;
  else if (options.stateFile !== undefined) card = await VirtualCard.open(options.stateFile);
  else throw new CustosError('INPUT_INVALID', 'The vpcd bridge needs a virtual card or its state file.', {});
  const mode = options.mode ?? 'connect';
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  let stopped = false;
  let server: Server | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let port = options.port ?? VPCD_DEFAULT_PORT;

  if (mode === 'listen') {
    server = createServer((socket) => {
      track(socket);
      serveVpcdConnection(socket, card);
    });
    port = await listen(server, port);
  } else {
    const dial = (): void => {
      if (stopped) return;
      const socket = options.path !== undefined ? connect({ path: options.path }) : connect({ host: LOOPBACK, port });
      track(socket);
      socket.on('connect', () => serveVpcdConnection(socket, card));
      socket.on('error', () => undefined);
      // pcscd restarted or not up yet: dial again, the way a re-inserted card reappears.
      socket.on('close', () => {
        if (!stopped) reconnectTimer = setTimeout(dial, RECONNECT_DELAY_MS);
      });
    };
    dial();
  }

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (reconnectTimer !== undefined) clearTimeout(reconnectTimer);
    for (const socket of sockets) socket.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server!.close(() => resolve()));
    if (ownsCard && card instanceof VirtualCard) await card.close();
  };
  return Object.assign(stop, { port, card, stop });
}

/** `node --import tsx main/hsm/virtual/vpcd-bridge.ts <state file> [port] [connect|listen]` serves a card until interrupted. */
async function main(argv: readonly string[]): Promise<void> {
  const [stateFile, portText, modeText] = argv;
  if (stateFile === undefined || !existsSync(stateFile)) {
    process.stderr.write('usage: vpcd-bridge.ts <state file> [port] [connect|listen]\n');
    process.exit(2);
  }
  const bridge = await startVpcdBridge({
    stateFile,
    port: portText === undefined ? VPCD_DEFAULT_PORT : Number(portText),
    mode: modeText === 'listen' ? 'listen' : 'connect',
  });
  process.stdout.write(`virtual SmartCard-HSM served to vpcd on ${LOOPBACK}:${bridge.port} (${modeText ?? 'connect'})\n`);
  const end = (): void => { void bridge.stop().then(() => process.exit(0)); };
  process.on('SIGINT', end);
  process.on('SIGTERM', end);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main(process.argv.slice(2));
}
