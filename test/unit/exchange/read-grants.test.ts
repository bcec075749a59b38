// ↔ main/exchange/read-grants.ts: the window may have read what the person picked or what lies on removable media, and nothing else.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadGrants } from '../../../main/exchange/read-grants.ts';
import { listRemovableMedia } from '../../../main/exchange/removable-media.ts';
import { isCustosError } from '../../../main/errors/index.ts';

let dir: string;
let stick: string;
let home: string;
let grants: ReadGrants;

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try { await p; } catch (e) { if (isCustosError(e)) return { code: e.code, message: e.message }; throw e; }
  assert.fail('it was permitted');
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'custos-grants-'));
  // No USB stick can be plugged in here: a folder stands in for its mount point, named in a
  // mounts table in /proc/mounts' own format, read by the real listRemovableMedia.
  stick = join(dir, 'media', 'custodian', 'TRANSFER');
  home = join(dir, 'home');
  mkdirSync(stick, { recursive: true });
  mkdirSync(join(stick, 'inbox'));
  mkdirSync(home);
  writeFileSync(join(stick, 'web.csr'), 'request on the stick');
  writeFileSync(join(stick, 'inbox', 'mail.csr'), 'request in a folder on the stick');
  writeFileSync(join(home, 'picked.csr'), 'picked in the dialog');
  writeFileSync(join(home, 'secret.txt'), 'never for the window');
  symlinkSync(join(home, 'secret.txt'), join(stick, 'to-secret.csr'));
  symlinkSync(join(home, 'no-such-file'), join(stick, 'to-nothing.csr'));
  symlinkSync(home, join(stick, 'to-home'));
  writeFileSync(join(dir, 'mounts'), `/dev/vda / ext4 rw 0 0\n/dev/sdb1 ${stick} vfat rw,nosuid 0 0\n`);
  grants = new ReadGrants(async () => (await listRemovableMedia({ procMounts: join(dir, 'mounts'), sysBlock: join(dir, 'block'), roots: [join(dir, 'media')] })).map((m) => m.mountPoint));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('ReadGrants', () => {
  it('refuses /etc/shadow and a file that does not exist with the same code and words', async () => {
    const shadow = await refusal(grants.permitFile('/etc/shadow'));
    const missing = await refusal(grants.permitFile('/etc/shadow-no-such-file'));
    assert.equal(shadow.code, 'PATH_NOT_PERMITTED');
    assert.equal(missing.code, 'PATH_NOT_PERMITTED');
    assert.equal(shadow.message.replace('/etc/shadow', 'P'), missing.message.replace('/etc/shadow-no-such-file', 'P'), 'nothing tells one from the other');
    assert.doesNotMatch(shadow.message, /ENOENT|EACCES|not exist|not found/i);
  });

  it('refuses a file beside the picked one until it is picked, then permits it', async () => {
    assert.equal((await refusal(grants.permitFile(join(home, 'picked.csr')))).code, 'PATH_NOT_PERMITTED');
    grants.grant(join(home, 'picked.csr'));
    assert.equal(await grants.permitFile(join(home, 'picked.csr')), join(home, 'picked.csr'));
    assert.equal(await grants.permitFile(`${home}/./inbox/../picked.csr`), join(home, 'picked.csr'), 'the same file by another spelling');
    assert.equal((await refusal(grants.permitFile(join(home, 'secret.txt')))).code, 'PATH_NOT_PERMITTED');
  });

  it('permits a file on a removable medium, in its folders too', async () => {
    assert.equal(await grants.permitFile(join(stick, 'web.csr')), join(stick, 'web.csr'));
    assert.equal(await grants.permitFile(join(stick, 'inbox', 'mail.csr')), join(stick, 'inbox', 'mail.csr'));
    assert.equal(await grants.permitFolder(stick), stick);
    assert.equal(await grants.permitFolder(join(stick, 'inbox')), join(stick, 'inbox'));
  });

  it('refuses a way off the medium: .., a symbolic link to a file or a folder elsewhere, whether its target exists or not', async () => {
    for (const path of [
      `${stick}/../../../home/secret.txt`, join(stick, 'to-secret.csr'), join(stick, 'to-nothing.csr'),
      join(stick, 'to-home', 'secret.txt'), join(stick, 'to-home', 'no-such-file'),
    ]) {
      assert.equal((await refusal(grants.permitFile(path))).code, 'PATH_NOT_PERMITTED', path);
    }
    assert.equal((await refusal(grants.permitFolder(join(stick, 'to-home')))).code, 'PATH_NOT_PERMITTED');
    assert.equal((await refusal(grants.permitFolder(home))).code, 'PATH_NOT_PERMITTED');
    assert.equal((await refusal(grants.permitFolder('/etc'))).code, 'PATH_NOT_PERMITTED');
  });

  it('refuses a relative path, an empty one, one with NUL, and a mount point given as a file', async () => {
    for (const path of ['web.csr', '', `${stick}/web.csr\0.txt`, 'media/custodian/TRANSFER/web.csr']) {
      assert.equal((await refusal(grants.permitFile(path))).code, 'PATH_NOT_PERMITTED', JSON.stringify(path));
    }
    assert.equal((await refusal(grants.permitFile(stick))).code, 'PATH_NOT_PERMITTED');
  });

  it('permits nothing from a medium that is no longer mounted', async () => {
    const gone = new ReadGrants(async () => []);
    assert.equal((await refusal(gone.permitFile(join(stick, 'web.csr')))).code, 'PATH_NOT_PERMITTED');
  });
});
