/**
 * Hot-plug reaches the window: with a private pcscd and a virtual card behind
 * vpcd (its own process), the core's event source reports tokens.changed
 * when the card is pulled out, and an act on the removed card fails with
 * TOKEN_REMOVED rather than hanging or crashing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAppCore, type AppCore } from '../../../electron/core.ts';
import { createInitializedCard, startCardProcess, type CardProcess } from '../../support/card-process.ts';

const PIN = '648219';
const isRoot = process.getuid?.() === 0;

describe('token changes reach the window', { skip: isRoot ? false : 'a private pcscd needs root' }, () => {
  let work: string;
  let cardProcess: CardProcess;
  let core: AppCore;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-events-'));
    const stateFile = join(work, 'card.vsc');
    await createInitializedCard(stateFile, PIN);
    cardProcess = await startCardProcess(stateFile);
    core = await openAppCore({ dataDir: join(work, 'home') });
  });

  after(async () => {
    await core?.close();
    await cardProcess?.stop();
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
    await cardProcess.act('stop-bridge');
    await Promise.race([changed, new Promise((_, reject) => setTimeout(() => reject(new Error('no tokens.changed within 15 s')), 15_000))]);

    await assert.rejects(core.handlers['token.generateKey']({ tokenId: card.id, spec: { kind: 'ec', curve: 'P-256' }, label: 'after removal' }),
      (e: unknown) => (e as { code?: string }).code === 'TOKEN_REMOVED');
    const after = await core.handlers['token.list']();
    assert.equal(after.some((t) => t.id === card.id), false, 'the removed card is no longer listed');
  });
});
