/**
 * A rehearsal started from the window while a real HSM is attached (SoftHSM2
 * named as a production PKCS#11 module, so the core is not a rehearsal): the
 * core is swapped for the virtual SmartCard-HSMs with a journal of their own
 * under <data dir>/rehearsal, the real journal is left byte for byte as it
 * was, and the window's event subscription follows the new core.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAppCore, type AppCore } from '../../../electron/core.ts';
import { JOURNAL_FILE } from '../../../main/journal/index.ts';
import { createSoftHsm, type SoftHsm } from '../../support/softhsm.ts';

describe('starting a rehearsal from the window', () => {
  let work: string;
  let hsm: SoftHsm;
  let core: AppCore;
  let dataDir: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-rehearsal-switch-'));
    hsm = await createSoftHsm();
    await hsm.initToken('Production HSM', '12345678', '123456');
    dataDir = join(work, 'home');
    core = await openAppCore({ dataDir, pkcs11Modules: [hsm.modulePath], operator: 'switch-test' });
  });

  after(async () => {
    await core?.close();
    await hsm?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('swaps an HSM-backed core for the virtual SmartCard-HSMs, leaving the real journal as it was', async () => {
    const before = await core.handlers['app.info']();
    assert.equal(before.rehearsal, false);
    const realTokens = await core.handlers['token.list']();
    assert.ok(realTokens.some((t) => t.label === 'Production HSM' && !t.virtual));
    const journalFile = join(dataDir, JOURNAL_FILE);
    assert.ok(existsSync(journalFile), 'the real core keeps a journal');
    const realJournal = readFileSync(journalFile);

    const seen: string[] = [];
    const unsubscribe = core.events.subscribe((name) => seen.push(name));
    const info = await core.handlers['app.startRehearsal']();
    assert.equal(info.rehearsal, true);
    assert.equal(info.dataDir, join(dataDir, 'rehearsal'));
    assert.ok(seen.includes('tokens.changed'), 'the window is told its tokens changed');

    const tokens = await core.handlers['token.list']();
    assert.deepEqual(tokens.map((t) => t.label).sort(), ['Backup HSM', 'CA HSM', 'Custodian 1', 'Custodian 2', 'Custodian 3']);
    assert.ok(tokens.every((t) => t.virtual), 'every token of a rehearsal is VIRTUAL');

    // An act in the rehearsal reaches the window through the same subscription, and only the rehearsal's journal.
    const ca = tokens.find((t) => t.label === 'CA HSM')!;
    await core.handlers['token.login']({ tokenId: ca.id, pin: '123456' }).catch(() => undefined);
    await core.handlers['request.import']({ fileName: 'none.csr', contentBase64: '' }).catch(() => undefined);
    const appended = seen.filter((n) => n === 'journal.appended').length;
    assert.ok(appended > 0, `the rehearsal's journal entries reach the window (${seen.join(', ')})`);
    unsubscribe();
    assert.deepEqual(readFileSync(journalFile), realJournal, 'the real journal is untouched');
    assert.ok(existsSync(join(dataDir, 'rehearsal', JOURNAL_FILE)), 'the rehearsal writes a journal of its own');

    // A second start keeps the rehearsal running.
    const again = await core.handlers['app.startRehearsal']();
    assert.equal(again.dataDir, info.dataDir);
  });
});
