import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeLeftoverTemporaries, replaceFileSync, temporariesIn, writeNewFile, writeNewFiles, writeNewFileSync } from '../../../main/fs/atomic-file.ts';
import { isCustosError } from '../../../main/errors/index.ts';

// Above the kernel's pid_max (2^22 at most): never a running process.
const DEAD_PID = 2 ** 22 + 777;

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try { await (typeof p === 'function' ? p() : p); } catch (e) { return isCustosError(e) ? e.code : `untyped: ${String(e)}`; }
  return undefined;
}

describe('atomic files', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'custos-atomic-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a new file whole with its mode, and refuses to overwrite one, leaving it untouched and no temporary behind', async () => {
    await writeNewFile(join(dir, 'a.crl'), 'first');
    writeNewFileSync(join(dir, 'b.key'), 'secret', 0o600);
    assert.equal(statSync(join(dir, 'b.key')).mode & 0o777, 0o600);
    assert.equal(await codeOf(writeNewFile(join(dir, 'a.crl'), 'second')), 'FILE_EXISTS');
    assert.equal(await codeOf(() => writeNewFileSync(join(dir, 'b.key'), 'other')), 'FILE_EXISTS');
    assert.equal(readFileSync(join(dir, 'a.crl'), 'utf8'), 'first');
    assert.equal(readFileSync(join(dir, 'b.key'), 'utf8'), 'secret');
    assert.deepEqual(readdirSync(dir).sort(), ['a.crl', 'b.key']);
  });

  it('names files in the order given and, when a later name is taken, removes the earlier ones again', async () => {
    writeFileSync(join(dir, 'leaf.pem'), 'someone else\'s');
    assert.equal(await codeOf(writeNewFiles([{ path: join(dir, 'leaf.pem.custos.json'), bytes: '{}' }, { path: join(dir, 'leaf.pem'), bytes: 'cert' }])), 'FILE_EXISTS');
    assert.deepEqual(readdirSync(dir), ['leaf.pem']);
    assert.equal(readFileSync(join(dir, 'leaf.pem'), 'utf8'), 'someone else\'s');
  });

  it('removes the temporaries a killed process left at the next write into the folder, and keeps those of a live one', async () => {
    const dead = `.x.crl.custos-tmp-${DEAD_PID}-abcdef`;
    const live = `.y.crl.custos-tmp-${process.ppid}-abcdef`;
    writeFileSync(join(dir, dead), '');
    writeFileSync(join(dir, live), '');
    removeLeftoverTemporaries(dir);
    assert.deepEqual(await temporariesIn(dir), [live]);
  });

  it('replaces a state file in one step', () => {
    const path = join(dir, 'card.state');
    replaceFileSync(path, Buffer.from('old'), 0o600);
    replaceFileSync(path, Buffer.from('new'), 0o600);
    assert.equal(readFileSync(path, 'utf8'), 'new');
    assert.deepEqual(readdirSync(dir), ['card.state']);
  });
});
