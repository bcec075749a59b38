/**
 * ↔ main/work/progress-hub.ts, the one hub long work reports into: each
 * listener hears each report, a cancel reaches only the operation it names
 * and only while it runs and stopping is safe (else CANCEL_UNSAFE with the
 * reason), one operation of a kind runs at a time, and a cancel aborts the
 * work's signal for work that runs on a worker.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressHub, type Progress } from '../../../main/work/progress-hub.ts';
import { CustosError } from '../../../main/errors/index.ts';

const code = (c: string) => (e: unknown) => e instanceof CustosError && e.code === c;

describe('ProgressHub', () => {
  it('tells every listener how far the work has got, and no longer once a listener leaves', () => {
    const hub = new ProgressHub();
    const heard: Progress[] = [];
    const stop = hub.on((p) => heard.push(p));
    const work = hub.begin('request.signBatch');
    work.report(1, 4, 'Signed 1 of 4 certificates');
    stop();
    work.report(2, 4, 'Signed 2 of 4 certificates');
    work.end();
    assert.equal(heard.length, 1);
    const [p] = heard;
    assert.deepEqual([p!.operation, p!.label, p!.done, p!.total, p!.cancellable], ['request.signBatch', 'Signed 1 of 4 certificates', 1, 4, true]);
    assert.equal(p!.notCancellable, undefined);
    assert.ok(Math.abs(p!.startedAtMs - Date.now()) < 5_000);
  });

  it('a cancel reaches the running operation it names and nothing else, and aborts its signal', () => {
    const hub = new ProgressHub();
    assert.equal(hub.cancel('request.signBatch'), false, 'nothing running: nothing to cancel');
    const batch = hub.begin('request.signBatch');
    const other = hub.begin('crl.issue');
    assert.equal(hub.cancel('request.signBatch'), true);
    assert.equal(batch.cancelled, true);
    assert.equal(batch.signal.aborted, true, 'a worker listening to the signal stops at once');
    assert.equal(other.cancelled, false);
    assert.equal(other.signal.aborted, false);
    batch.end();
    other.end();
  });

  it('a cancel asked before a batch starts does not stop the next one', () => {
    const hub = new ProgressHub();
    hub.cancel('request.signBatch');
    const work = hub.begin('request.signBatch');
    assert.equal(work.cancelled, false);
    work.end();
  });

  it('refuses a second operation of the same kind while the first runs, and allows it after', () => {
    const hub = new ProgressHub();
    const first = hub.begin('request.signBatch');
    assert.throws(() => hub.begin('request.signBatch'), code('OPERATION_IN_PROGRESS'));
    first.end();
    hub.begin('request.signBatch').end();
  });

  it('never stops work that is not safe to stop: CANCEL_UNSAFE with the reason, the work goes on, and the window is told why', () => {
    const hub = new ProgressHub();
    const heard: Progress[] = [];
    hub.on((p) => heard.push(p));
    const reason = 'the token is generating the key; stopping now could leave a half-made key on it.';
    const keygen = hub.begin('key.generate', { notCancellable: reason, estimatedMs: 60_000 });
    keygen.report(0, 4, 'The token is generating the RSA 4096 key');
    assert.throws(() => hub.cancel('key.generate'), (e: unknown) => code('CANCEL_UNSAFE')(e) && (e as Error).message.includes('half-made key'));
    assert.equal(keygen.cancelled, false);
    assert.equal(keygen.signal.aborted, false);
    assert.deepEqual([heard[0]!.cancellable, heard[0]!.notCancellable, heard[0]!.estimatedMs], [false, reason, 60_000]);
    keygen.end();
  });

  it('follows a step that makes stopping unsafe and one that makes it safe again', () => {
    const hub = new ProgressHub();
    const heard: Progress[] = [];
    hub.on((p) => heard.push(p));
    const crl = hub.begin('crl.issue');
    crl.report(5_000, 10_000, 'Read 5000 of 10000 revocations for the CRL');
    crl.report(10_000, 10_000, 'Signing CRL 7 on the token', 'the token is signing the CRL.');
    assert.throws(() => hub.cancel('crl.issue'), code('CANCEL_UNSAFE'));
    crl.report(10_000, 10_000, 'Recorded', null);
    assert.deepEqual(heard.map((p) => p.cancellable), [true, false, true]);
    assert.equal(hub.cancel('crl.issue'), true);
    crl.end();
  });

  it('a listener that throws does not stop the work or the other listeners', () => {
    const hub = new ProgressHub();
    const heard: number[] = [];
    hub.on(() => { throw new Error('window gone'); });
    hub.on((p) => heard.push(p.done));
    const work = hub.begin('request.signBatch');
    assert.doesNotThrow(() => work.report(1, 2, 'Signed 1 of 2 certificates'));
    work.end();
    assert.deepEqual(heard, [1]);
  });
});
