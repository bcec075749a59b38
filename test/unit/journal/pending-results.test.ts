import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PendingResults, SLOT_BYTES } from '../../../main/journal/pending-results.ts';

describe('pending results', () => {
  let dir: string;
  let path: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'custos-pending-')); path = join(dir, 'journal.jsonl.pending-results'); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps each result in room reserved before it, found again by a later open, and no longer once released', () => {
    const store = PendingResults.open(path);
    const a = store.reserve(7, 1500);
    const b = store.reserve(9, 1500);
    const big = store.reserve(11, 3 * SLOT_BYTES);
    const reservedBytes = statSync(path).size;
    store.keep(a, Buffer.from('certificate for #7'));
    store.keep(b, Buffer.from('certificate for #9'));
    store.keep(big, Buffer.alloc(3 * SLOT_BYTES - 100, 0x42));
    // The signed bytes went into room already on disk.
    assert.equal(statSync(path).size, reservedBytes);
    store.release(a);
    store.close();
    const again = PendingResults.open(path);
    assert.deepEqual(again.kept().map((k) => [k.intentSeq, k.bytes.length]), [[9, 18], [11, 3 * SLOT_BYTES - 100]]);
    again.clear();
    assert.deepEqual(again.kept(), []);
    again.close();
  });

  it('reuses the room of released results instead of growing', () => {
    const store = PendingResults.open(path);
    const first = store.reserve(1, 1000);
    const size = statSync(path).size;
    store.keep(first, Buffer.from('one'));
    store.release(first);
    for (let seq = 2; seq < 40; seq++) {
      const r = store.reserve(seq, 1000);
      store.keep(r, Buffer.from(`result ${seq}`));
      store.release(r);
    }
    assert.equal(statSync(path).size, size);
    store.close();
  });

  it('ignores a record a power cut tore (its hash does not match its bytes)', () => {
    const store = PendingResults.open(path);
    const r = store.reserve(5, 1000);
    store.keep(r, Buffer.from('a whole certificate'));
    store.close();
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from('XX'), 0, 2, 64 + 3);
    closeSync(fd);
    const again = PendingResults.open(path);
    assert.deepEqual(again.kept(), []);
    again.close();
  });

  it('keeps a result larger than its reservation in new room, not over another reservation', () => {
    const store = PendingResults.open(path);
    const small = store.reserve(1, 100);
    const neighbour = store.reserve(2, 100);
    store.keep(neighbour, Buffer.from('neighbour'));
    store.keep(small, Buffer.alloc(SLOT_BYTES * 2, 0x41));
    store.close();
    const again = PendingResults.open(path);
    assert.deepEqual(again.kept().map((k) => [k.intentSeq, k.bytes.length]), [[2, 9], [1, SLOT_BYTES * 2]]);
    again.close();
  });
});
