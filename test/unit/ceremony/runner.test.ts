/**
 * The runner's own rules (main/ceremony/runner.ts), on a real core and
 * journal with no token: a script of checks that need none. A step counts
 * only once run and confirmed by its performer and as many distinct
 * witnesses as it asks; a ceremony completes only with every step recorded;
 * one interrupted ceremony at a time, resumed only with its own script.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Custos } from '../../../main/custos.ts';
import { isCustosError } from '../../../main/errors/index.ts';
import { ceremonyScriptFromBytes, CeremonyRunner } from '../../../main/ceremony/runner.ts';
import type { CeremonyHands } from '../../../main/ceremony/step-acts.ts';
import { SCRIPT_FORMAT } from '../../../main/ceremony/script-schema.ts';

const work = mkdtempSync(join(tmpdir(), 'custos-ceremony-runner-'));
let core: Custos;

const checkStep = (id: string, witnesses: number) => ({
  id, performer: 'administrator', instructions: 'Verify the journal.', action: { act: 'check', params: { check: 'journal.verify' } },
  checks: ['It verifies.'], quorum: false, witnesses,
});
const scriptText = JSON.stringify({
  format: SCRIPT_FORMAT, id: 'checks', title: 'Checks', version: 1,
  roles: [{ role: 'administrator', people: 1 }, { role: 'witness', people: 2 }],
  steps: [checkStep('first', 2), checkStep('second', 0)],
});
const loaded = ceremonyScriptFromBytes(new TextEncoder().encode(scriptText), 'checks.json');
const noHands: CeremonyHands = {
  hsmPin: () => { throw new Error('no PIN is asked for a check'); },
  custodian: () => { throw new Error('no custodian is asked for a check'); },
  share: () => { throw new Error('no share is asked for a check'); },
};
const code = (fn: () => unknown): string | undefined => {
  try { fn(); } catch (e) { return isCustosError(e) ? e.code : String(e); }
  return undefined;
};
const kinds = (): string[] => core.journal.read().map((e) => e.kind);

before(() => { core = Custos.open({ dataDir: join(work, 'home'), providers: [], operator: 'runner-test' }); });
after(async () => { await core.close(); rmSync(work, { recursive: true, force: true }); });

describe('a ceremony run', () => {
  let runner: CeremonyRunner;

  it('begins with the script\'s hash and the head before it, after a pre-flight with no findings', async () => {
    runner = await CeremonyRunner.start(core, loaded, {});
    const begin = core.journal.read().find((e) => e.kind === 'ceremony.begin')!;
    assert.equal(begin.data['scriptSha256'], loaded.sha256);
    assert.deepEqual(begin.data['headBefore'], { seq: 0, hash: '0'.repeat(64) });
    assert.equal(runner.nextIndex, 0);
  });

  it('refuses to confirm a step that has not run', () => {
    assert.equal(code(() => runner.confirm('Ada', ['Wanda', 'Will'])), 'CEREMONY_STEP_NOT_RUN');
  });

  it('refuses a step confirmed by the same witness twice, or by a nameless performer, and records nothing', async () => {
    const outcome = await runner.runNext(noHands);
    assert.ok(outcome.shown.some((l) => l.startsWith('journal head ')));
    assert.equal(code(() => runner.confirm('Ada', ['Wanda', ' wanda '])), 'CEREMONY_WITNESSES_MISSING');
    assert.equal(code(() => runner.confirm('   ', ['Wanda', 'Will'])), 'CEREMONY_WITNESSES_MISSING');
    assert.equal(kinds().filter((k) => k === 'ceremony.step').length, 0);
  });

  it('records the step with each name and time once confirmed, and goes on to the next', () => {
    const entry = runner.confirm(' Ada ', ['Wanda', 'Will']);
    assert.equal((entry.data['performer'] as { name: string }).name, 'Ada');
    assert.deepEqual((entry.data['witnesses'] as { name: string; role: string }[]).map((w) => [w.name, w.role]), [['Wanda', 'witness'], ['Will', 'witness']]);
    assert.equal(runner.nextIndex, 1);
  });

  it('cannot be completed before its last step is recorded', () => {
    assert.equal(code(() => runner.complete()), 'CEREMONY_STEP_NOT_RUN');
  });

  it('is the one interrupted ceremony: another cannot begin, and it resumes only with the bytes it began with', async () => {
    await assert.rejects(CeremonyRunner.start(core, loaded, {}), (e) => isCustosError(e) && e.code === 'CEREMONY_IN_PROGRESS');
    const edited = ceremonyScriptFromBytes(new TextEncoder().encode(`${scriptText} `), 'checks.json');
    assert.equal(code(() => CeremonyRunner.resume(core, edited, {})), 'CEREMONY_SCRIPT_CHANGED');
    const resumed = CeremonyRunner.resume(core, loaded, {});
    assert.equal(resumed.id, runner.id);
    assert.equal(resumed.nextIndex, 1);
    runner = resumed;
  });

  it('completes once every step is recorded, with the head after its last step', async () => {
    await runner.runNext(noHands);
    const step = runner.confirm('Ada', []);
    const end = runner.complete();
    assert.deepEqual(end.data['headAfter'], { seq: step.seq, hash: step.hash });
    assert.equal(end.data['outcome'], 'completed');
    assert.equal(code(() => runner.abandon('too late')), 'CEREMONY_ENDED');
  });

  it('is abandoned only with a reason, which the journal keeps', async () => {
    const next = await CeremonyRunner.start(core, loaded, {});
    assert.notEqual(next.id, runner.id);
    assert.equal(code(() => next.abandon('  ')), 'INPUT_INVALID');
    assert.equal(next.abandon('the witnesses left').data['reason'], 'the witnesses left');
  });
});
