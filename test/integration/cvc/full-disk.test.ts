/**
 * A CV chain exported to a disk that fills (a real 64 KiB tmpfs in a private
 * mount namespace, one page left): the export stops with MEDIA_FULL, leaves
 * no file on the disk (no certificate without its .custos.json, nothing cut
 * short, no temporary), and the journal records the export as failed; with
 * room again, the same export writes every file.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canMountTmpfs, runOnTmpfs } from '../../support/small-tmpfs.ts';

describe('a CV chain exported to a disk that fills', { skip: !canMountTmpfs() && 'needs mount namespaces (root)' }, () => {
  let work: string;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'custos-cvc-full-'));
  });

  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('stops with MEDIA_FULL and leaves no file behind; with room, the same chain exports whole', async () => {
    const disk = join(work, 'disk');
    mkdirSync(disk);
    const run = await runOnTmpfs(disk, 64 << 10, join(process.cwd(), 'test/support/cvc-export-on-full-disk.ts'), [disk, join(work, 'home')]);
    assert.equal(run.status, 0, run.stderr);
    const seen = JSON.parse(run.stdout) as { code: string; left: { name: string; bytes: number }[]; exports: string[]; again: { name: string; bytes: number }[] };
    assert.equal(seen.code, 'MEDIA_FULL');
    assert.deepEqual(seen.left, [], 'nothing of the failed export is left on the disk');
    assert.deepEqual(seen.exports, ['cvc.export.intent', 'cvc.export.failed', 'cvc.export.intent', 'cvc.export.done']);
    assert.deepEqual(seen.again.map((f) => f.name), [
      'UTCVCA00001.cvcert', 'UTCVCA00001.cvcert.custos.json', 'UTDVFULL00001.cvcert', 'UTDVFULL00001.cvcert.custos.json',
    ]);
    assert.ok(seen.again.every((f) => f.bytes > 0));
  });
});
