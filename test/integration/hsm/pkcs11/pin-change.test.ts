/**
 * Change PIN (C_SetPIN) and unblock with the SO-PIN (C_Login as SO, then
 * C_InitPIN) on a real SoftHSM2 token, through the window's channels: a wrong
 * SO-PIN is refused with the count the token now reports for it, nothing
 * changes, and the journal records the attempt without any PIN; the right
 * SO-PIN sets the new PIN, with which the token then logs in. (A token's final
 * try cannot be reached on SoftHSM2, which counts wrong PINs but never blocks:
 * test/unit/hsm/pkcs11/token.test.ts proves it is never spent unconfirmed.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appCoreOf, type AppCore } from '../../../../electron/core.ts';
import { dispatch } from '../../../../electron/dispatch.ts';
import { Custos } from '../../../../main/custos.ts';
import { createSoftHsm, type SoftHsm } from '../../../support/softhsm.ts';

const SO_PIN = '87654321';
const PIN = '246810';

describe('PIN change and unblock on a PKCS#11 token (SoftHSM2)', () => {
  let work: string;
  let hsm: SoftHsm;
  let core: AppCore;
  let tokenId: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-p11-pin-'));
    hsm = await createSoftHsm();
    await hsm.initToken('PIN HSM', SO_PIN, PIN);
    core = appCoreOf(Custos.open({ dataDir: join(work, 'home'), rehearsalModules: [hsm.modulePath], operator: 'pins', pcsc: false }));
    tokenId = (await core.handlers['token.list']())[0]!.id;
  });
  after(async () => {
    await core?.close();
    await hsm?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('shows the SO-PIN\'s state before any try', async () => {
    const status = await core.handlers['token.pinStatus']({ tokenId });
    assert.deepEqual(status.soPin, { initialized: true, countLow: false, finalTry: false, locked: false });
  });

  it('changes the user PIN with the current one, and the token logs in with the new one only', async () => {
    const wrong = await dispatch(core.handlers, 'token.changePin', { tokenId, pin: '000000', newPin: '112233' });
    assert.equal(!wrong.ok && wrong.error.code, 'PIN_INCORRECT');
    assert.equal((await core.handlers['token.pinStatus']({ tokenId })).token.pinState.countLow, true, 'the wrong PIN is counted, and shown at once');
    await core.handlers['token.changePin']({ tokenId, pin: PIN, newPin: '112233' });
    const old = await dispatch(core.handlers, 'token.login', { tokenId, pin: PIN });
    assert.equal(!old.ok && old.error.code, 'PIN_INCORRECT');
    await core.handlers['token.login']({ tokenId, pin: '112233' });
    await core.handlers['token.logout']({ tokenId });
  });

  it('refuses a wrong SO-PIN with the SO-PIN\'s count the token now reports, and changes nothing', async () => {
    const wrong = await dispatch(core.handlers, 'token.unblockPin', { tokenId, soPin: '11111111', newPin: '998877' });
    assert.equal(wrong.ok, false);
    assert.equal(!wrong.ok && wrong.error.code, 'PIN_INCORRECT');
    assert.match(!wrong.ok ? wrong.error.message : '', /SO-PIN is wrong.*counted wrong SO-PINs/);
    const status = await core.handlers['token.pinStatus']({ tokenId });
    assert.equal(status.soPin?.countLow, true, 'the SO-PIN\'s own count is shown');
    const still = await dispatch(core.handlers, 'token.login', { tokenId, pin: '998877' });
    assert.equal(!still.ok && still.error.code, 'PIN_INCORRECT', 'the PIN was not reset');
  });

  it('unblocks with the right SO-PIN (C_Login as SO, C_InitPIN), then logs in with the new PIN, no PIN in the journal', async () => {
    await core.handlers['token.unblockPin']({ tokenId, soPin: SO_PIN, newPin: '998877' });
    assert.equal((await core.handlers['token.pinStatus']({ tokenId })).soPin?.countLow, false, 'a good SO login clears its count');
    const token = await core.handlers['token.login']({ tokenId, pin: '998877' });
    assert.equal(token.loggedIn, true);
    const journal = readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8');
    assert.match(journal, /token\.pin-unblock\.done/);
    assert.match(journal, /token\.pin-change\.done/);
    for (const secret of [SO_PIN, PIN, '112233', '998877', '11111111', '000000']) assert.ok(!journal.includes(`"${secret}"`), `no PIN in the journal: ${secret}`);
  });
});
