/**
 * ↔ main/cli/custodian-commands.ts (custos pin status|change|unblock), on a
 * virtual SmartCard-HSM in a reader behind a private pcscd, as an operator
 * at a terminal meets it: the tries left are those after the last attempt,
 * the final try is spent only with --confirm-final-try, the SO-PIN's own
 * tries are shown with the warning that a blocked SO-PIN cannot be reset,
 * and no PIN reaches the output or the journal.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInitializedCard, startCardProcess, TEST_SO_PIN, type CardProcess } from '../../support/card-process.ts';

const CLI = join(import.meta.dirname, '../../../bin/custos.mjs');
const PIN = '648219';
const NEW_PIN = '135790';
const WRONG = '402871';
const WRONG_SO = '1111222233334444';
// The card's token-info label, as the CLI lists it.
const LABEL = 'SmartCard-HSM';
const isRoot = process.getuid?.() === 0;

interface PinStateOut { triesLeft?: number; finalTry: boolean; locked: boolean }

describe('custos pin on a SmartCard-HSM through pcscd', { skip: isRoot ? false : 'a private pcscd needs root' }, () => {
  let work: string;
  let card: CardProcess;
  let env: NodeJS.ProcessEnv;
  const seen: string[] = [];

  /** Runs the CLI with the PINs given in the environment only, as the CLI asks. */
  function custos(args: string[], pins: Record<string, string>, expectStatus = 0): { stdout: string; json: any } {
    const r = spawnSync(process.execPath, [CLI, ...args, '--token', LABEL, '--json'], { encoding: 'utf8', env: { ...env, ...pins }, cwd: work, timeout: 120_000 });
    seen.push(r.stdout, r.stderr);
    assert.equal(r.status === 0 ? 0 : 'failed', expectStatus === 0 ? 0 : 'failed', `custos ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    return { stdout: r.stdout, json: JSON.parse(r.stdout) };
  }
  const status = () => custos(['pin', 'status'], {}).json as { pin: PinStateOut; soPin: PinStateOut };
  const change = (current: string, extra: string[] = [], expect = 0) =>
    custos(['pin', 'change', '--pin-env', 'CUR', '--new-pin-env', 'NEW', ...extra], { CUR: current, NEW: NEW_PIN }, expect).json;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'custos-cli-pin-'));
    const stateFile = join(work, 'card.vsc');
    await createInitializedCard(stateFile, PIN);
    card = await startCardProcess(stateFile);
    env = { ...process.env, ...card.ready.env, CUSTOS_HOME: join(work, 'home'), CUSTOS_OPERATOR: 'tester' };
  });

  after(async () => {
    await card?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('shows the PIN and the SO-PIN tries, with the warning that a blocked SO-PIN cannot be reset', () => {
    const s = status();
    assert.equal(s.pin.triesLeft, 3);
    assert.equal(s.soPin.triesLeft, 15);
    const text = spawnSync(process.execPath, [CLI, 'pin', 'status', '--token', LABEL], { encoding: 'utf8', env, cwd: work, timeout: 120_000 });
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /SO-PIN ok \(15 tries left\)/);
    assert.match(text.stdout, /blocked SO-PIN cannot be reset/);
  });

  it('shows the tries left after each wrong PIN, and refuses the final try without --confirm-final-try, spending nothing', () => {
    assert.equal(change(WRONG, [], 1).error.code, 'PIN_INCORRECT');
    assert.equal(status().pin.triesLeft, 2, 'the next run reads the card, not the 3 from before');
    assert.equal(change(WRONG, [], 1).error.code, 'PIN_INCORRECT');
    assert.equal(status().pin.triesLeft, 1);
    assert.equal(change(PIN, [], 1).error.code, 'PIN_FINAL_TRY', 'even the right PIN is not sent unconfirmed on the last try');
    assert.equal(status().pin.triesLeft, 1, 'no try spent without confirmation');
    const changed = change(PIN, ['--confirm-final-try']);
    assert.equal(changed.pin.locked, false);
    assert.equal(status().pin.finalTry, false, 'the right PIN restored the counter');
  });

  it('the new PIN is the one that works: the old one is now wrong', () => {
    const again = custos(['pin', 'change', '--pin-env', 'CUR', '--new-pin-env', 'NEW'], { CUR: NEW_PIN, NEW: PIN }).json;
    assert.equal(again.pin.locked, false);
    assert.equal(custos(['pin', 'change', '--pin-env', 'CUR', '--new-pin-env', 'NEW'], { CUR: NEW_PIN, NEW: PIN }, 1).json.error.code, 'PIN_INCORRECT');
  });

  it('unblocks a blocked PIN with the SO-PIN; a wrong SO-PIN spends one of its own tries and unblocks nothing', () => {
    assert.equal(change(WRONG, [], 1).error.code, 'PIN_INCORRECT');
    assert.equal(change(WRONG, ['--confirm-final-try'], 1).error.code, 'PIN_BLOCKED');
    assert.equal(status().pin.locked, true);
    assert.equal(change(PIN, ['--confirm-final-try'], 1).error.code, 'PIN_BLOCKED', 'a blocked PIN is refused before it is tried');

    const unblock = (so: string, expect = 0) =>
      custos(['pin', 'unblock', '--so-pin-env', 'SO', '--new-pin-env', 'NEW'], { SO: so, NEW: NEW_PIN }, expect).json;
    assert.match(unblock(WRONG_SO, 1).error.code, /PIN/);
    const after = status();
    assert.deepEqual([after.soPin.triesLeft, after.pin.locked], [14, true]);
    const done = unblock(TEST_SO_PIN);
    assert.equal(done.pin.locked, false);
    assert.equal(status().pin.triesLeft, 3);
    assert.equal(change(NEW_PIN).pin.locked, false, 'the PIN set by the unblock logs in');
  });

  it('puts no PIN or SO-PIN in any output or in the journal, and records every attempt', () => {
    const journal = readFileSync(join(work, 'home', 'journal.jsonl'), 'utf8');
    for (const secret of [PIN, NEW_PIN, WRONG, WRONG_SO, TEST_SO_PIN]) {
      assert.ok(!journal.includes(secret), `journal holds ${secret}`);
      assert.ok(!seen.some((s) => s.includes(secret)), `output holds ${secret}`);
    }
    const kinds = journal.trim().split('\n').map((l) => (JSON.parse(l) as { kind: string }).kind);
    for (const k of ['token.pin-change.done', 'token.pin-change.failed', 'token.pin-unblock.done', 'token.pin-unblock.failed']) {
      assert.ok(kinds.includes(k), `${k} missing from ${kinds.join(',')}`);
    }
  });
});
