/**
 * ↔ main/hsm/pin-change.ts, on the virtual SmartCard-HSM (the real APDUs,
 * CHANGE REFERENCE DATA and RESET RETRY COUNTER, through the driver): the PIN
 * state after every attempt is the card's, a final try is never spent
 * unconfirmed, the SO-PIN's own tries are read and guarded, and no PIN
 * reaches the journal.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCustosError } from '../../../main/errors/index.ts';
import { Journal, JOURNAL_FILE } from '../../../main/journal/index.ts';
import { changeUserPin, unblockUserPin } from '../../../main/hsm/pin-change.ts';
import { cardBench, pin, PIN, SO_PIN } from './sc-hsm/fixtures.ts';

const bench = cardBench();
const dir = mkdtempSync(join(tmpdir(), 'custos-pin-change-'));
const journal = Journal.open({ dir, operator: 'tester' });
after(() => { journal.close(); bench.cleanup(); rmSync(dir, { recursive: true, force: true }); });
const code = (c: string) => (e: unknown) => isCustosError(e) && e.code === c;
const WRONG_SO = '1111222233334444';

describe('changing and unblocking the PIN on a SmartCard-HSM', () => {
  it('changes the PIN, after which the new PIN logs in', async () => {
    const token = await bench.token(await bench.card('change'));
    const info = await changeUserPin(journal, token, pin(), pin('135790'));
    // The card now answers "verified" (9000), which tells no count: nothing is low, nothing final.
    assert.deepEqual([info.pinState.locked, info.pinState.countLow, info.pinState.finalTry], [false, false, false]);
    await token.login(pin('135790'));
    assert.equal(token.info.loggedIn, true);
    await token.close();
  });

  it('shows the tries left right after a wrong current PIN, and refuses the final try until confirmed, spending nothing', async () => {
    const token = await bench.token(await bench.card('wrong'));
    await assert.rejects(changeUserPin(journal, token, pin('000000'), pin('135790')), code('PIN_INCORRECT'));
    assert.equal(token.info.pinState.triesLeft, 2, 'read again after the attempt, not the 3 from before');
    await assert.rejects(changeUserPin(journal, token, pin('000000'), pin('135790')), code('PIN_INCORRECT'));
    assert.equal(token.info.pinState.triesLeft, 1);
    assert.equal(token.info.pinState.finalTry, true);
    await assert.rejects(changeUserPin(journal, token, pin('000000'), pin('135790')), code('PIN_FINAL_TRY'));
    assert.equal((await token.refresh()).pinState.triesLeft, 1, 'no try spent without confirmation');
    await changeUserPin(journal, token, pin(PIN), pin('135790'), { confirmFinalTry: true });
    assert.deepEqual([token.info.pinState.countLow, token.info.pinState.finalTry], [false, false], 'a good PIN restores the counter');
    await token.close();
  });

  it('unblocks a blocked PIN with the SO-PIN, reading the SO-PIN tries first and after a wrong one', async () => {
    const token = await bench.token(await bench.card('blocked', { pinRetries: 1 }));
    await assert.rejects(token.login(pin('000000'), { confirmFinalTry: true }), code('PIN_BLOCKED'));
    await token.refresh();
    assert.equal(token.info.pinState.locked, true);
    assert.equal(await codeOf(changeUserPin(journal, token, pin(), pin('135790'))), 'PIN_BLOCKED');
    const soBefore = await token.soPinState!();
    assert.equal(soBefore.triesLeft, 15);
    await assert.rejects(unblockUserPin(journal, token, pin(WRONG_SO), pin('135790')), (e) => isCustosError(e) && /PIN/.test(e.code));
    assert.equal((await token.soPinState!()).triesLeft, 14, 'a wrong SO-PIN spends one of its own tries');
    assert.equal(token.info.pinState.locked, true, 'and unblocks nothing');
    const info = await unblockUserPin(journal, token, pin(SO_PIN), pin('135790'));
    assert.equal(info.pinState.locked, false, 'the chip is right at once');
    await token.login(pin('135790'), { confirmFinalTry: true });
    await token.close();
  });

  it('never spends the SO-PIN’s final try unconfirmed, and refuses a blocked SO-PIN before trying it', async () => {
    const token = await bench.token(await bench.card('so-final'));
    for (let left = 15; left > 1; left--) await assert.rejects(token.unblockPin!(pin(WRONG_SO), pin('135790')));
    assert.equal((await token.soPinState!()).triesLeft, 1);
    assert.equal(await codeOf(unblockUserPin(journal, token, pin(WRONG_SO), pin('135790'))), 'PIN_FINAL_TRY');
    assert.equal((await token.soPinState!()).triesLeft, 1, 'nothing spent');
    await assert.rejects(unblockUserPin(journal, token, pin(WRONG_SO), pin('135790'), { confirmFinalTry: true }));
    assert.equal((await token.soPinState!()).locked, true);
    assert.equal(await codeOf(unblockUserPin(journal, token, pin(SO_PIN), pin('135790'), { confirmFinalTry: true })), 'SO_PIN_BLOCKED');
    await token.close();
  });

  it('records every attempt and never a PIN', () => {
    const text = readFileSync(join(dir, JOURNAL_FILE), 'utf8');
    for (const secret of [PIN, '135790', SO_PIN, WRONG_SO]) assert.ok(!text.includes(secret), `no ${secret} in the journal`);
    const kinds = journal.read().map((e) => e.kind);
    assert.ok(kinds.includes('token.pin-change.done') && kinds.includes('token.pin-change.failed'));
    assert.ok(kinds.includes('token.pin-unblock.done') && kinds.includes('token.pin-unblock.failed'));
  });
});

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try { await p; } catch (e) { return isCustosError(e) ? e.code : `untyped: ${String(e)}`; }
  return undefined;
}
