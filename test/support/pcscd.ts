/**
 * A private pcscd with one vsmartcard vpcd reader, for integration tests that
 * reach the virtual SmartCard-HSM the way OpenSC and PC/SC hosts reach a real
 * card. Everything stays on loopback and in a temp dir:
 *
 * - vpcd runs in "reversed mode" (DEVICENAME 127.0.0.1:<port>): vpcd connects
 *   out to the card, and the card (the vpcd bridge) listens on 127.0.0.1.
 *   vpcd's default mode (/dev/null:0x8C7B) would listen on all interfaces.
 * - The vpcd of Debian 12 (libifdvpcd 0.8) aborts pcscd when a reversed-mode
 *   slot is not connected (it calls FD_SET on an invalid server socket), and
 *   it always opens two slots, port and port+1. So the harness keeps a
 *   placeholder card on port+1 (ATR 3B 00, answers 6A82 to everything) and
 *   must be stopped before the bridge. The placeholder shows as a second
 *   PC/SC reader with an unsupported card; the OPENSC_CONF in env tells
 *   OpenSC to ignore that reader.
 * - pcscd 1.9.9 has its socket path compiled in (/run/pcscd/pcscd.comm) and
 *   ignores PCSCLITE_CSOCK_NAME, while its clients honour it. The harness
 *   therefore starts pcscd in its own mount namespace (unshare, as root) with
 *   a temp dir bound over /run/pcscd: the socket appears in the temp dir, no
 *   system pcscd is disturbed, and several harnesses can run at once. Clients
 *   find it through PCSCLITE_CSOCK_NAME (see env / socketPath). Without the
 *   rights to unshare, the harness refuses rather than stop a system pcscd.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { serveVpcdConnection, startVpcdBridge, type VpcdBridge, type VpcdCard } from '../../main/hsm/virtual/vpcd-bridge.ts';

const execFileAsync = promisify(execFile);
const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
const FRIENDLY_NAME = 'Custos Virtual PCD';
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
const POLL_MS = 100;

export interface Pcscd {
  /** The PC/SC reader that holds the virtual card. */
  readonly readerName: string;
  /** The loopback port vpcd connects to (the bridge listens there). */
  readonly port: number;
  /** pcscd's socket: set PCSCLITE_CSOCK_NAME to it before a PC/SC client connects. */
  readonly socketPath: string;
  /** process.env plus PCSCLITE_CSOCK_NAME and an OPENSC_CONF that hides the placeholder slot, for spawning OpenSC tools. */
  readonly env: NodeJS.ProcessEnv;
  readonly bridge: VpcdBridge;
  /** Stops pcscd, then the bridge and placeholder, and removes the temp dir. */
  stop(): Promise<void>;
}

export interface PcscdOptions {
  /** Serve this card (tests keep a handle on it) … */
  readonly card?: VpcdCard;
  /** … or open the card in this state file. */
  readonly stateFile?: string;
}

/** The card of a vpcd slot nobody uses: present (vpcd 0.8 needs that) but answering nothing useful. */
const PLACEHOLDER: VpcdCard = {
  atr: Uint8Array.of(0x3b, 0x00),
  transmit: async () => Uint8Array.of(0x6a, 0x82),
  powerOff: () => undefined,
  reset: () => undefined,
};

function listenOn(server: Server, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A bridge on port P and the placeholder on P+1, P chosen at random until both are free. */
async function bindSlots(options: PcscdOptions): Promise<{ bridge: VpcdBridge; placeholder: Server }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const placeholder = createServer((socket) => serveVpcdConnection(socket, PLACEHOLDER));
    if (!(await listenOn(placeholder, port + 1))) continue;
    try {
      const bridge = await startVpcdBridge({ ...options, mode: 'listen', port });
      return { bridge, placeholder };
    } catch {
      await new Promise<void>((resolve) => placeholder.close(() => resolve()));
    }
  }
  throw new Error('no free loopback port pair for vpcd');
}

async function listReaders(env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileAsync('opensc-tool', ['-l'], { env, timeout: 5_000 });
    return stdout;
  } catch {
    return '';
  }
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => { clearTimeout(timer); resolve(true); });
  });
}

export async function startPcscd(options: PcscdOptions): Promise<Pcscd> {
  if (process.getuid?.() !== 0) {
    throw new Error('startPcscd needs root to give pcscd a private /run/pcscd (pcscd 1.9.9 ignores PCSCLITE_CSOCK_NAME)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'custos-pcscd-'));
  const confDir = join(dir, 'reader.conf.d');
  const runDir = join(dir, 'run');
  mkdirSync(confDir);
  mkdirSync(runDir);
  const { bridge, placeholder } = await bindSlots(options);
  writeFileSync(join(confDir, 'vpcd'), [
    `FRIENDLYNAME "${FRIENDLY_NAME}"`,
    `DEVICENAME   127.0.0.1:${bridge.port}`,
    `LIBPATH      ${VPCD_DRIVER}`,
    `CHANNELID    ${bridge.port}`,
    '',
  ].join('\n'));
  const socketPath = join(runDir, 'pcscd.comm');
  // OpenSC would probe the placeholder slot with every driver on each run (seconds per tool call): hide it.
  const openscConf = join(dir, 'opensc.conf');
  writeFileSync(openscConf, `app default {\n  ignored_readers = "${FRIENDLY_NAME} 00 01";\n}\n`);
  const env = { ...process.env, PCSCLITE_CSOCK_NAME: socketPath, OPENSC_CONF: openscConf };
  const log: string[] = [];
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
    'mount --bind "$1" /run/pcscd && exec pcscd --foreground --config "$2"', 'pcscd-ns', runDir, confDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // pcscd first: vpcd 0.8 aborts pcscd if the card side closes while it runs.
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await exited(child, STOP_TIMEOUT_MS))) {
        child.kill('SIGKILL');
        await exited(child, STOP_TIMEOUT_MS);
      }
    }
    await bridge.stop();
    await new Promise<void>((resolve) => placeholder.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  };

  const readerName = `${FRIENDLY_NAME} 00 00`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`pcscd ended before its reader appeared: ${log.join('').slice(-2000)}`);
    }
    const readers = await listReaders(env);
    if (readers.split('\n').some((line) => line.includes(readerName) && /\bYes\b/.test(line))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`pcscd did not show ${readerName} with a card within ${READY_TIMEOUT_MS} ms: ${log.join('').slice(-2000)}`);
    }
    await sleep(POLL_MS);
  }
  return { readerName, port: bridge.port, socketPath, env, bridge, stop };
}
