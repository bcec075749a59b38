import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { exportArtifacts, readBoundedFile, writeNewFile } from '../../../main/exchange/files.ts';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'custos-files-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

/** A small tmpfs stands in for a write-protected or full USB stick; mounting needs root. */
function mountTmpfs(path: string, options: string): boolean {
  return spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'custos-test', path], { stdio: 'ignore' }).status === 0;
}

function unmount(path: string): void {
  spawnSync('umount', [path], { stdio: 'ignore' });
}

function fresh(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  return d;
}

describe('writeNewFile', () => {
  it('creates the file with exactly the bytes given', async () => {
    const path = join(fresh('write'), 'root.cer');
    await writeNewFile(path, Uint8Array.of(0x30, 0x03, 1, 2, 3));
    assert.deepEqual([...readFileSync(path)], [0x30, 0x03, 1, 2, 3]);
  });

  it('refuses to overwrite with FILE_EXISTS naming the path, and leaves the old file intact', async () => {
    const path = join(fresh('exists'), 'root.crl');
    writeFileSync(path, 'the previous CRL');
    await assert.rejects(writeNewFile(path, 'a new CRL'), (e: { code: string; message: string; details: { path: string } }) => {
      assert.equal(e.code, 'FILE_EXISTS');
      assert.ok(e.message.includes(path));
      assert.equal(e.details.path, path);
      return true;
    });
    assert.equal(readFileSync(path, 'utf8'), 'the previous CRL');
  });

  it('refuses to write through a symbolic link that points elsewhere', async () => {
    const d = fresh('link');
    writeFileSync(join(d, 'target'), 'keep');
    symlinkSync(join(d, 'target'), join(d, 'export.pem'));
    await assert.rejects(writeNewFile(join(d, 'export.pem'), 'x'), { code: 'FILE_EXISTS' });
    assert.equal(readFileSync(join(d, 'target'), 'utf8'), 'keep');
  });

  it('reports a missing folder as FILE_NOT_FOUND', async () => {
    await assert.rejects(writeNewFile(join(dir, 'no-such-folder', 'a.cer'), 'x'), { code: 'FILE_NOT_FOUND' });
  });

  it('reports a read-only medium as MEDIA_READ_ONLY', async (t) => {
    const d = fresh('ro');
    if (process.getuid?.() !== 0) {
      chmodSync(d, 0o555);
    } else if (!mountTmpfs(d, 'ro,size=64k')) {
      t.skip('cannot mount a read-only tmpfs here');
      return;
    }
    try {
      await assert.rejects(writeNewFile(join(d, 'a.cer'), 'x'), { code: 'MEDIA_READ_ONLY' });
    } finally {
      unmount(d);
    }
  });

  it('reports a full medium as MEDIA_FULL and leaves no partial file', async (t) => {
    const d = fresh('full');
    if (!mountTmpfs(d, 'size=16k')) {
      t.skip('cannot mount a small tmpfs here (needs root)');
      return;
    }
    try {
      await assert.rejects(writeNewFile(join(d, 'big.crl'), Buffer.alloc(1 << 20)), { code: 'MEDIA_FULL' });
      assert.deepEqual(readdirSync(d), []);
    } finally {
      unmount(d);
    }
  });
});

describe('readBoundedFile', () => {
  it('reads a file up to and including the bound', async () => {
    const path = join(fresh('read'), 'ok.csr');
    writeFileSync(path, Buffer.alloc(1024, 7));
    assert.equal((await readBoundedFile(path, 1024)).length, 1024);
  });

  it('refuses a file over the bound with FILE_TOO_LARGE', async () => {
    const path = join(fresh('big'), 'big.csr');
    writeFileSync(path, Buffer.alloc(1025));
    await assert.rejects(readBoundedFile(path, 1024), { code: 'FILE_TOO_LARGE', message: /at most 1024 bytes/ });
  });

  it('refuses a missing file with FILE_NOT_FOUND naming it', async () => {
    const path = join(dir, 'missing.csr');
    await assert.rejects(readBoundedFile(path, 10), { code: 'FILE_NOT_FOUND', message: new RegExp(path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')) });
  });

  it('refuses a folder, a symbolic link and a device', async () => {
    const d = fresh('kinds');
    symlinkSync('/etc/hostname', join(d, 'link'));
    await assert.rejects(readBoundedFile(d, 10), { code: 'INPUT_INVALID' });
    await assert.rejects(readBoundedFile(join(d, 'link'), 10), { code: 'INPUT_INVALID', message: /symbolic link/ });
    await assert.rejects(readBoundedFile('/dev/zero', 10), { code: 'INPUT_INVALID' });
  });
});

describe('exportArtifacts', () => {
  it('writes every item and returns their paths', async () => {
    const d = fresh('export');
    const paths = await exportArtifacts(d, [{ fileName: 'root.cer', bytes: Uint8Array.of(1) }, { fileName: 'root.crl', bytes: Uint8Array.of(2) }]);
    assert.deepEqual(paths, [join(d, 'root.cer'), join(d, 'root.crl')]);
    assert.deepEqual(readdirSync(d).sort(), ['root.cer', 'root.crl']);
  });

  it('writes nothing when one name is already taken, and names every taken file', async () => {
    const d = fresh('all-or-nothing');
    writeFileSync(join(d, 'root.crl'), 'old');
    await assert.rejects(exportArtifacts(d, [{ fileName: 'root.cer', bytes: 'a' }, { fileName: 'root.crl', bytes: 'b' }]), { code: 'FILE_EXISTS', message: /root\.crl; nothing was written/ });
    assert.deepEqual(readdirSync(d), ['root.crl']);
    assert.equal(readFileSync(join(d, 'root.crl'), 'utf8'), 'old');
  });

  it('removes what it wrote when a later write fails', async () => {
    const d = fresh('rollback');
    // A folder where the second file would go makes that write fail after the first succeeded.
    const items = [{ fileName: 'a.cer', bytes: 'a' }, { fileName: 'b.cer', bytes: 'b' }];
    const failing = { fileName: 'c.cer', get bytes(): string { mkdirSync(join(d, 'c.cer')); return 'c'; } };
    await assert.rejects(exportArtifacts(d, [...items, failing]), { code: 'FILE_EXISTS' });
    assert.deepEqual(readdirSync(d), ['c.cer']);
  });

  it('refuses names with folders, traversal or repeats before writing anything', async () => {
    const d = fresh('names');
    for (const fileName of ['../escape.cer', 'sub/x.cer', '..', '', 'a\\b.cer']) {
      await assert.rejects(exportArtifacts(d, [{ fileName, bytes: 'x' }]), { code: 'INPUT_INVALID' }, fileName);
    }
    await assert.rejects(exportArtifacts(d, [{ fileName: 'Root.cer', bytes: 'x' }, { fileName: 'root.CER', bytes: 'y' }]), { code: 'INPUT_INVALID', message: /twice/ });
    assert.deepEqual(readdirSync(d), []);
  });
});
