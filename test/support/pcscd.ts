/**
 * A private pcscd with one vsmartcard vpcd reader, for integration tests that
 * reach the virtual SmartCard-HSM the way OpenSC and PC/SC hosts reach a real
 * card. Nothing is reachable from any network interface, nothing touches a
 * system pcscd:
 *
 * - pcscd runs in its own network and mount namespaces (unshare, as root).
 *   Its network namespace holds only loopback, so vpcd's server socket —
 *   vpcd binds INADDR_ANY, port 35963 and 35964 for its two slots — is
 *   reachable from nowhere outside it.
 * - A small relay started inside that network namespace (nsenter) listens on
 *   a Unix socket in the temp dir and forwards each connection to vpcd on
 *   127.0.0.1:35963; the vpcd bridge dials that Unix socket. Closing the
 *   bridge is a card removal, dialling again an insertion, as in vpcd's
 *   normal mode. (vpcd's "reversed mode", where vpcd dials the card on
 *   127.0.0.1, would avoid the relay, but the Debian 12 vpcd (libifdvpcd 0.8)
 *   aborts pcscd as soon as a reversed-mode card is not connected.)
 * - pcscd 1.9.9 has its socket path compiled in (/run/pcscd/pcscd.comm) and
 *   ignores PCSCLITE_CSOCK_NAME, while its clients honour it: the mount
 *   namespace binds a temp dir over /run/pcscd, so the socket appears in the
 *   temp dir. Clients find it through PCSCLITE_CSOCK_NAME (see env /
 *   socketPath); several harnesses can run at once. Without the rights to
 *   unshare, the harness refuses rather than stop a system pcscd.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, mkdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startVpcdBridge, VPCD_DEFAULT_PORT, type VpcdBridge, type VpcdCard } from '../../main/hsm/virtual/vpcd-bridge.ts';

const execFileAsync = promisify(execFile);
const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
const FRIENDLY_NAME = 'Custos Virtual PCD';
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
const POLL_MS = 100;

/** Runs inside pcscd's network namespace: Unix socket in, vpcd's TCP port out, one TCP connection per client. */
const RELAY_SCRIPT = `
const net = require('node:net');
const [path, port] = process.argv.slice(1);
net.createServer((client) => {
  const vpcd = net.connect({ host: '127.0.0.1', port: Number(port) });
  const end = () => { client.destroy(); vpcd.destroy(); };
  client.pipe(vpcd); vpcd.pipe(client);
  for (const s of [client, vpcd]) { s.on('error', end); s.on('close', end); }
}).listen(path);
`;

export interface Pcscd {
  /** The PC/SC reader that holds the virtual card. */
  readonly readerName: string;
  /** vpcd's TCP port inside pcscd's own network namespace. */
  readonly port: number;
  /** pcscd's socket: set PCSCLITE_CSOCK_NAME to it before a PC/SC client connects. */
  readonly socketPath: string;
  /** process.env plus PCSCLITE_CSOCK_NAME, for spawning OpenSC tools. */
  readonly env: NodeJS.ProcessEnv;
  /** Stopping it pulls the card out of the reader. */
  readonly bridge: VpcdBridge;
  /** With a second card: its reader (vpcd's second slot), its bridge (stopping it pulls that card). */
  readonly second?: { readonly readerName: string; readonly bridge: VpcdBridge };
  /** The further cards (PcscdOptions.moreCards), each in a slot of its own: pull(i) takes card i out, insert(i) puts it back. */
  readonly more: readonly { readonly readerName: string; pull(): Promise<void>; insert(): Promise<void> }[];
  /** Puts the first card back into its reader after its bridge was stopped (a card pulled out and inserted again). */
  insertAgain(): Promise<VpcdBridge>;
  /** Stops pcscd, the relay and the bridge, and removes the temp dir. */
  stop(): Promise<void>;
}

export interface PcscdOptions {
  /** Serve this card (tests keep a handle on it) … */
  readonly card?: VpcdCard;
  /** … or open the card in this state file. */
  readonly stateFile?: string;
  /** A second card, in vpcd's second slot (port + 1): two HSMs in two readers, as a backup ceremony has them. */
  readonly secondCard?: VpcdCard;
  /**
   * More cards, after the second: each vpcd reader has two slots, so every
   * two of them get one more vpcd reader (the next two ports), "Custos
   * Virtual PCD 2 00 00" and "… 00 01", then "Custos Virtual PCD 3 …". Each
   * reader has a name of its own (pcscd 1.9.9 gave two entries of one name
   * the same reader names) and a copy of the driver of its own: vpcd keeps
   * its connections in one static array indexed by slot, so two readers of
   * one loaded driver would answer each other's cards.
   */
  readonly moreCards?: readonly VpcdCard[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function listReaders(env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileAsync('opensc-tool', ['-l'], { env, timeout: 5_000 });
    return stdout;
  } catch {
    return '';
  }
}

function pcscdNet(child: ChildProcess): string | undefined {
  try {
    return readlinkSync(`/proc/${child.pid}/ns/net`);
  } catch {
    return undefined;
  }
}

function hasEnded(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function end(child: ChildProcess): Promise<void> {
  const exited = (ms: number): Promise<boolean> => hasEnded(child) ? Promise.resolve(true) : new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => { clearTimeout(timer); resolve(true); });
  });
  if (hasEnded(child)) return;
  child.kill('SIGTERM');
  if (!(await exited(STOP_TIMEOUT_MS))) {
    child.kill('SIGKILL');
    await exited(STOP_TIMEOUT_MS);
  }
}

export async function startPcscd(options: PcscdOptions): Promise<Pcscd> {
  if (process.getuid?.() !== 0) {
    throw new Error('startPcscd needs root to give pcscd private namespaces (pcscd 1.9.9 ignores PCSCLITE_CSOCK_NAME)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'custos-pcscd-'));
  const confDir = join(dir, 'reader.conf.d');
  const runDir = join(dir, 'run');
  mkdirSync(confDir);
  mkdirSync(runDir);
  const port = VPCD_DEFAULT_PORT;
  const moreCards = options.moreCards ?? [];
  if (moreCards.length > 0 && options.secondCard === undefined) throw new Error('startPcscd: moreCards come after a secondCard');
  const readerPorts = Array.from({ length: 1 + Math.ceil(moreCards.length / 2) }, (_, i) => port + 2 * i);
  const friendlyName = (reader: number): string => reader === 0 ? FRIENDLY_NAME : `${FRIENDLY_NAME} ${reader + 1}`;
  const driverOf = (reader: number): string => {
    if (reader === 0) return VPCD_DRIVER;
    const copy = join(dir, `libifdvpcd-${reader + 1}.so`);
    copyFileSync(VPCD_DRIVER, copy);
    return copy;
  };
  writeFileSync(join(confDir, 'vpcd'), readerPorts.flatMap((readerPort, reader) => [
    `FRIENDLYNAME "${friendlyName(reader)}"`,
    `DEVICENAME   /dev/null:${readerPort}`,
    `LIBPATH      ${driverOf(reader)}`,
    `CHANNELID    ${readerPort}`,
    '',
  ]).join('\n'));
  const socketPath = join(runDir, 'pcscd.comm');
  const relayPath = join(dir, 'vpcd.sock');
  const env = { ...process.env, PCSCLITE_CSOCK_NAME: socketPath };
  const log: string[] = [];
  const collect = (child: ChildProcess): void => {
    child.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
  };
  const pcscd = spawn('unshare', ['--net', '--mount', '--propagation', 'private', 'sh', '-c',
    // /run/pcscd exists only once the host's pcscd has run; an empty one is made for the bind mount.
    'ip link set lo up && mkdir -p /run/pcscd && mount --bind "$1" /run/pcscd && exec pcscd --foreground --config "$2"', 'pcscd-ns', runDir, confDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  collect(pcscd);
  // nsenter must not run before unshare has made the namespace, or the relay would dial the host's loopback.
  const hostNet = readlinkSync('/proc/self/ns/net');
  const namespaceDeadline = Date.now() + READY_TIMEOUT_MS;
  while (pcscdNet(pcscd) === hostNet || pcscdNet(pcscd) === undefined) {
    if (hasEnded(pcscd) || Date.now() > namespaceDeadline) {
      await end(pcscd);
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`pcscd's network namespace did not appear: ${log.join('').slice(-2000)}`);
    }
    await sleep(10);
  }
  const relay = spawn('nsenter', [`--net=/proc/${pcscd.pid}/ns/net`, process.execPath, '-e', RELAY_SCRIPT, relayPath, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  collect(relay);
  const secondRelayPath = join(dir, 'vpcd-2.sock');
  const secondRelay = options.secondCard === undefined ? undefined
    : spawn('nsenter', [`--net=/proc/${pcscd.pid}/ns/net`, process.execPath, '-e', RELAY_SCRIPT, secondRelayPath, String(port + 1)], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (secondRelay) collect(secondRelay);
  const moreRelays = moreCards.map((_, i) => {
    const path = join(dir, `vpcd-${i + 3}.sock`);
    const child = spawn('nsenter', [`--net=/proc/${pcscd.pid}/ns/net`, process.execPath, '-e', RELAY_SCRIPT, path, String(port + 2 + i)], { stdio: ['ignore', 'pipe', 'pipe'] });
    collect(child);
    return { path, child };
  });
  const moreBridges: (VpcdBridge | undefined)[] = moreCards.map(() => undefined);
  let bridge: VpcdBridge | undefined;
  let secondBridge: VpcdBridge | undefined;

  let stopped = false;
  // A test process that ends without stop() (crash, runner timeout) must not leave pcscd or the temp dir behind.
  const cleanUpAtExit = (): void => {
    for (const child of [relay, ...(secondRelay ? [secondRelay] : []), ...moreRelays.map((r) => r.child), pcscd]) if (!hasEnded(child)) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanUpAtExit);
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.off('exit', cleanUpAtExit);
    await bridge?.stop();
    await secondBridge?.stop();
    for (const b of moreBridges) await b?.stop();
    await end(relay);
    if (secondRelay) await end(secondRelay);
    for (const r of moreRelays) await end(r.child);
    await end(pcscd);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    bridge = await startVpcdBridge({ ...(options.card ? { card: options.card } : {}), ...(options.stateFile ? { stateFile: options.stateFile } : {}), mode: 'connect', path: relayPath });
    const readerName = `${FRIENDLY_NAME} 00 00`;
    const secondReaderName = `${FRIENDLY_NAME} 00 01`;
    // The relay's socket appears once its process runs inside the namespace; the bridge dials until it does.
    const dial = async (card: VpcdCard, path: string): Promise<VpcdBridge> => {
      for (let tries = 0; ; tries++) {
        try {
          return await startVpcdBridge({ card, mode: 'connect', path });
        } catch (e) {
          if (tries > 50) throw e;
          await sleep(POLL_MS);
        }
      }
    };
    if (options.secondCard) secondBridge = await dial(options.secondCard, secondRelayPath);
    for (const [i, card] of moreCards.entries()) moreBridges[i] = await dial(card, moreRelays[i]!.path);
    const moreReaderNames = moreCards.map((_, i) => `${friendlyName(Math.floor((i + 2) / 2))} 00 0${(i + 2) % 2}`);
    const wanted = options.secondCard ? [readerName, secondReaderName, ...moreReaderNames] : [readerName];
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (hasEnded(pcscd) || hasEnded(relay)) throw new Error('pcscd or its vpcd relay ended before the reader appeared');
      const lines = (await listReaders(env)).split('\n');
      if (wanted.every((name) => lines.some((line) => line.includes(name) && /\bYes\b/.test(line)))) break;
      if (Date.now() > deadline) throw new Error(`pcscd did not show ${wanted.join(', ')} with a card within ${READY_TIMEOUT_MS} ms`);
      await sleep(POLL_MS);
    }
    const firstCard = bridge.card;
    const insertAgain = async (): Promise<VpcdBridge> => {
      await bridge?.stop();
      bridge = await startVpcdBridge({ card: firstCard, mode: 'connect', path: relayPath });
      return bridge;
    };
    const more = moreCards.map((card, i) => ({
      readerName: moreReaderNames[i]!,
      pull: async () => { await moreBridges[i]?.stop(); moreBridges[i] = undefined; },
      insert: async () => { await moreBridges[i]?.stop(); moreBridges[i] = await dial(card, moreRelays[i]!.path); },
    }));
    return {
      readerName, port, socketPath, env, bridge, ...(secondBridge ? { second: { readerName: secondReaderName, bridge: secondBridge } } : {}), more, insertAgain, stop,
    };
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}: ${log.join('').slice(-2000)}`, { cause: e });
  }
}
