/**
 * The driver over real PC/SC: a private pcscd with vsmartcard's vpcd reader
 * serving the virtual SmartCard-HSM (test/support/pcscd.ts), OpenSC's
 * opensc-tool as the "other program". Needs root for pcscd's private socket.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { VirtualCard } from '../../../../main/hsm/virtual/card.ts';
import type { CardProcessReady } from './pcscd-card-process.ts';
import { isCustosError } from '../../../../main/errors/index.ts';
import { listPcscReaders, PcscTransport, watchReaders, type ReaderEvent } from '../../../../main/hsm/sc-hsm/pcsc-transport.ts';
import { ScHsmCard } from '../../../../main/hsm/sc-hsm/card.ts';
import { ScHsmProvider } from '../../../../main/hsm/sc-hsm/provider.ts';
import { ScHsmToken } from '../../../../main/hsm/sc-hsm/token.ts';
import { verifiesWith } from '../../../../main/hsm/sc-hsm/signing.ts';
import { Secret } from '../../../../main/secret.ts';
import { cardBench, pin, SO_PIN } from './fixtures.ts';

const run = promisify(execFile);
const SELECT_SC_HSM = '00A4040C0BE82B0601040181C31F0201';
const message = new TextEncoder().encode('CRL to be signed');
const code = (c: string) => (e: unknown) => isCustosError(e) && e.code === c;
const isRoot = process.getuid?.() === 0;

describe('SmartCard-HSM over PC/SC (pcscd + vpcd)', { skip: isRoot ? false : 'pcscd with a private socket needs root' }, () => {
  const bench = cardBench();
  let pcscd: CardProcessReady;
  let child: ChildProcess;
  const vc = { serial: '', atr: new Uint8Array() };

  /** Asks the card's process to act (reset the card, pull it out, stop) and waits until it has. */
  async function cardProcess(op: 'reset' | 'stop-bridge' | 'stop'): Promise<void> {
    const done = new Promise<void>((resolve) => {
      const on = (m: { done?: string }): void => { if (m.done === op) { child.off('message', on); resolve(); } };
      child.on('message', on);
    });
    child.send({ op });
    await done;
  }

  before(async () => {
    const stateFile = join(bench.dir, 'pcsc.card');
    await (await VirtualCard.create(stateFile)).close();
    child = fork(fileURLToPath(new URL('./pcscd-card-process.ts', import.meta.url)), [stateFile], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
    pcscd = await new Promise<CardProcessReady>((resolve, reject) => {
      child.once('message', (m) => resolve(m as CardProcessReady));
      child.once('exit', (c) => reject(new Error(`the card process ended with ${c}`)));
    });
    vc.serial = pcscd.serial;
    vc.atr = Uint8Array.from(Buffer.from(pcscd.atrHex, 'hex'));
    // pcsc-lite reads the socket name once per process, so it is set before the first PC/SC call.
    process.env['PCSCLITE_CSOCK_NAME'] = pcscd.socketPath;
  });
  after(async () => {
    if (child?.connected) await cardProcess('stop');
    bench.cleanup();
  });

  async function otherProgramSelects(): Promise<string> {
    try {
      const r = await run('opensc-tool', ['-r', pcscd.readerName, '-s', SELECT_SC_HSM], { env: pcscd.env, timeout: 20_000 });
      return r.stdout + r.stderr;
    } catch (e) {
      const x = e as { stdout?: string; stderr?: string };
      return `failed: ${x.stdout ?? ''}${x.stderr ?? ''}`;
    }
  }

  it('lists the reader with its card and reports it through the reader watcher', async () => {
    const readers = await listPcscReaders();
    const reader = readers.find((r) => r.name === pcscd.readerName);
    assert.equal(reader?.cardPresent, true);
    assert.deepEqual(reader?.atr, vc.atr);
    const watcher = watchReaders();
    try {
      const seen = new Set<string>();
      const done = new Promise<void>((resolve) => {
        const note = (e: ReaderEvent): void => {
          if (e.reader === pcscd.readerName) seen.add(e.type);
          if (seen.has('reader-added') && seen.has('card-inserted')) resolve();
        };
        watcher.on('reader-added', note);
        watcher.on('card-inserted', note);
      });
      await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`only saw ${[...seen].join(', ')}`)), 10_000))]);
    } finally {
      watcher.stop();
    }
  });

  it('initializes, generates EC and RSA-4096 keys and signs verifiably through the reader', async () => {
    const card = await ScHsmCard.open(await PcscTransport.connect(pcscd.readerName));
    await card.initialize({ soPin: Secret.fromString(SO_PIN), pin: pin(), dkekShares: 1 });
    await card.close();

    const provider = new ScHsmProvider();
    const listed = await provider.list();
    assert.deepEqual(listed.map((i) => [i.serial, i.reader, i.virtual]), [[vc.serial, pcscd.readerName, true]]);
    const token = await provider.openScHsm({ serial: vc.serial });
    await token.login(pin());
    const ec = await token.generateKeyPair({ kind: 'ec', curve: 'P-384' }, 'Root EC');
    const rsa = await token.generateKeyPair({ kind: 'rsa', bits: 4096 }, 'Root RSA');
    for (const [key, algorithm] of [[ec, { scheme: 'ecdsa', hash: 'SHA-384' }], [rsa, { scheme: 'rsa-pkcs1', hash: 'SHA-512' }], [rsa, { scheme: 'rsa-pss', hash: 'SHA-256', saltLengthBytes: 32 }]] as const) {
      const signature = await token.signer(key).sign(message, algorithm);
      assert.ok(verifiesWith(key.spki, algorithm, message, signature), `${key.label} ${algorithm.scheme}`);
    }
    await token.labelKey(ec, 'Root EC 2026');
    assert.deepEqual((await token.listKeys()).map((k) => k.label).sort(), ['Root EC 2026', 'Root RSA']);
    await token.deleteKey(ec);
    assert.deepEqual((await token.listKeys()).map((k) => k.label), ['Root RSA']);
    await provider.close();
  });

  it('writes key descriptions OpenSC reads: pkcs15-tool lists the key with its label, size and key reference', async () => {
    const { stdout } = await run('pkcs15-tool', ['-r', pcscd.readerName, '--list-keys'], { env: pcscd.env, timeout: 60_000 });
    assert.match(stdout, /Private RSA Key \[Root RSA\][\s\S]*ModLength\s*: 4096[\s\S]*Key ref\s*: 2 \(0x02\)/);
    assert.doesNotMatch(stdout, /Root EC/, 'the deleted key left no description behind');
  });

  it('holds the card exclusively: another program cannot select it, and the login survives', async () => {
    const token = await ScHsmToken.open(await PcscTransport.connect(pcscd.readerName));
    await token.login(pin());
    const output = await otherProgramSelects();
    assert.match(output, /failed|in use|sharing/i);
    const [key] = await token.listKeys();
    assert.ok(verifiesWith(key!.spki, { scheme: 'rsa-pkcs1', hash: 'SHA-256' }, message, await token.signer(key!).sign(message, { scheme: 'rsa-pkcs1', hash: 'SHA-256' })));
    await token.close();
    assert.match(await otherProgramSelects(), /SW1=0x90/, 'after close the card is free again');
  });

  it('reports AUTH_STATE_LOST when another program selects a shared card mid-operation, and works after a new login', async () => {
    const token = await ScHsmToken.open(await PcscTransport.connect(pcscd.readerName, { shareMode: 'shared' }));
    await token.login(pin());
    const [key] = await token.listKeys();
    assert.match(await otherProgramSelects(), /SW1=0x90/);
    await assert.rejects(token.signer(key!).sign(message, { scheme: 'rsa-pkcs1', hash: 'SHA-256' }), code('AUTH_STATE_LOST'));
    await token.login(pin());
    assert.equal((await token.listKeys()).length, 1);
    assert.ok(verifiesWith(key!.spki, { scheme: 'rsa-pkcs1', hash: 'SHA-256' }, message, await token.signer(key!).sign(message, { scheme: 'rsa-pkcs1', hash: 'SHA-256' })));
    await token.close();
  });

  it('reports AUTH_STATE_LOST when the card itself loses its state under an exclusive connection', async () => {
    const token = await ScHsmToken.open(await PcscTransport.connect(pcscd.readerName));
    await token.login(pin());
    await cardProcess('reset');
    await assert.rejects(token.generateKeyPair({ kind: 'ec', curve: 'P-256' }, 'After reset'), code('AUTH_STATE_LOST'));
    assert.equal((await token.listKeys()).length, 1, 'nothing half-written');
    await token.close();
  });

  it('reports TOKEN_REMOVED when the card goes away mid-session, and closes cleanly', async () => {
    const token = await ScHsmToken.open(await PcscTransport.connect(pcscd.readerName));
    await token.login(pin());
    const [key] = await token.listKeys();
    const watcher = watchReaders();
    const removed = new Promise<string>((resolve) => watcher.on('card-removed', (e: ReaderEvent) => { if (e.reader === pcscd.readerName) resolve(e.reader); }));
    watcher.on('error', () => undefined);
    try {
      await cardProcess('stop-bridge');
      await assert.rejects(token.signer(key!).sign(message, { scheme: 'rsa-pkcs1', hash: 'SHA-256' }), code('TOKEN_REMOVED'));
      assert.equal(await Promise.race([removed, new Promise((resolve) => setTimeout(() => resolve('no event'), 10_000))]), pcscd.readerName);
    } finally {
      watcher.stop();
    }
    await token.close();
  });
});
