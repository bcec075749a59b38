/**
 * Hot-plug reaches the window: with a private pcscd and a virtual card behind
 * vpcd (its own process), the core's event source reports tokens.changed
 * when the card is pulled out, and an act on the removed card fails with
 * TOKEN_REMOVED rather than hanging or crashing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtualCard } from '../../../main/hsm/virtual/card.ts';
import { InProcessTransport } from '../../../main/hsm/sc-hsm/inprocess-transport.ts';
import { ScHsmCard } from '../../../main/hsm/sc-hsm/card.ts';
import { Secret } from '../../../main/hsm/secret.ts';
import { openAppCore, type AppCore } from '../../../electron/core.ts';
import type { CardProcessReady } from '../hsm/sc-hsm/pcscd-card-process.ts';

const PIN = '648219';
const isRoot = process.getuid?.() === 0;

describe('token changes reach the window', { skip: isRoot ? false : 'a private pcscd needs root' }, () => {
  let work: string;
  let child: ChildProcess;
  let core: AppCore;

  async function cardProcess(op: 'stop-bridge'): Promise<void> {
    const done = new Promise<void>((resolve) => {
      const on = (m: { done?: string }): void => { if (m.done === op) { child.off('message', on); resolve(); } };
      child.on('message', on);
    });
    child.send({ op });
    await done;
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-events-'));
    const stateFile = join(work, 'card.vsc');
    const vc = await VirtualCard.create(stateFile);
    const card = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
    await card.initialize({ soPin: Secret.fromString('3537363231383830'), pin: Secret.fromString(PIN) });
    await card.close();
    await vc.close();
    child = fork(fileURLToPath(new URL('../hsm/sc-hsm/pcscd-card-process.ts', import.meta.url)), [stateFile], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
    const ready = await new Promise<CardProcessReady>((resolve, reject) => {
      child.once('message', (m) => resolve(m as CardProcessReady));
      child.once('exit', (c) => reject(new Error(`the card process ended with ${c}`)));
    });
    process.env['PCSCLITE_CSOCK_NAME'] = ready.socketPath;
    core = await openAppCore({ dataDir: join(work, 'home') });
  });

  after(async () => {
    await core?.close();
    if (child?.connected) await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.disconnect(); });
    rmSync(work, { recursive: true, force: true });
  });

  it('offers the card in the reader, not the rehearsal tokens, and reports its removal', async () => {
    const info = await core.handlers['app.info']();
    assert.equal(info.rehearsal, false, 'a card in a reader means this is not a rehearsal set-up');
    const tokens = await core.handlers['token.list']();
    const card = tokens.find((t) => t.backend === 'sc-hsm');
    assert.ok(card, tokens.map((t) => t.label).join(', '));
    await core.handlers['token.login']({ tokenId: card.id, pin: PIN });

    // The watcher first reports what is plugged in now; only a change after the card is pulled counts.
    let pulled = false;
    const changed = new Promise<void>((resolve) => {
      const unsubscribe = core.events.subscribe((name) => { if (name === 'tokens.changed' && pulled) { unsubscribe(); resolve(); } });
    });
    await new Promise((r) => setTimeout(r, 500));
    pulled = true;
    await cardProcess('stop-bridge');
    await Promise.race([changed, new Promise((_, reject) => setTimeout(() => reject(new Error('no tokens.changed within 15 s')), 15_000))]);

    await assert.rejects(core.handlers['token.generateKey']({ tokenId: card.id, spec: { kind: 'ec', curve: 'P-256' }, label: 'after removal' }),
      (e: unknown) => (e as { code?: string }).code === 'TOKEN_REMOVED');
    const after = await core.handlers['token.list']();
    assert.equal(after.some((t) => t.id === card.id), false, 'the removed card is no longer listed');
  });
});
