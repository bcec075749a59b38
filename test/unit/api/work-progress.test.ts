/**
 * The hub long work reports into: each listener hears each report, a cancel
 * reaches only the operation it names and only while it runs, and one
 * operation of a kind runs at a time.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkProgress, type Progress } from '../../../main/api/work-progress.ts';
import { CustosError } from '../../../main/errors/index.ts';

describe('WorkProgress', () => {
  it('tells every listener how far the work has got, and no longer once a listener leaves', () => {
    const hub = new WorkProgress();
    const heard: Progress[] = [];
    const stop = hub.on((p) => heard.push(p));
    const work = hub.begin('request.signBatch');
    work.report(1, 4, 'Signed 1 of 4 certificates');
    stop();
    work.report(2, 4, 'Signed 2 of 4 certificates');
    work.end();
    assert.deepEqual(heard, [{ operation: 'request.signBatch', label: 'Signed 1 of 4 certificates', done: 1, total: 4 }]);
  });

  it('a cancel reaches the running operation it names and nothing else', () => {
    const hub = new WorkProgress();
    assert.equal(hub.cancel('request.signBatch'), false, 'nothing running: nothing to cancel');
    const batch = hub.begin('request.signBatch');
    const other = hub.begin('crl.issue');
    assert.equal(hub.cancel('request.signBatch'), true);
    assert.equal(batch.cancelled, true);
    assert.equal(other.cancelled, false);
    batch.end();
    other.end();
  });

  it('a cancel asked before a batch starts does not stop the next one', () => {
    const hub = new WorkProgress();
    hub.cancel('request.signBatch');
    const work = hub.begin('request.signBatch');
    assert.equal(work.cancelled, false);
    work.end();
  });

  it('refuses a second operation of the same kind while the first runs, and allows it after', () => {
    const hub = new WorkProgress();
    const first = hub.begin('request.signBatch');
    assert.throws(() => hub.begin('request.signBatch'), (e: unknown) => e instanceof CustosError && e.code === 'OPERATION_IN_PROGRESS');
    first.end();
    hub.begin('request.signBatch').end();
  });
});
