import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listRemovableMedia } from '../../../main/exchange/removable-media.ts';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'custos-media-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

// No removable medium can be plugged in here: the kernel's files are stood in for by copies in their exact formats.
function sysDisk(name: string, removable: '0' | '1'): void {
  mkdirSync(join(dir, 'block', name), { recursive: true });
  writeFileSync(join(dir, 'block', name, 'removable'), `${removable}\n`);
}

describe('listRemovableMedia', () => {
  it('lists block-device mounts under /media, /run/media and /mnt with the kernel\'s removable flag', async () => {
    sysDisk('sdb', '1');
    sysDisk('mmcblk0', '1');
    sysDisk('sdc', '0');
    writeFileSync(join(dir, 'mounts'), [
      '/dev/vda / ext4 rw,relatime 0 0',
      '/dev/sdb1 /media/custodian/CA\\040EXPORT vfat rw,nosuid,nodev,relatime,uid=1000 0 0',
      '/dev/mmcblk0p1 /run/media/custodian/SD ext4 ro,nosuid,nodev 0 0',
      '/dev/sdc1 /mnt exfat rw,relatime 0 0',
      '/dev/mapper/luks-1234 /media/custodian/secure ext4 rw 0 0',
      'tmpfs /run/media tmpfs rw 0 0',
      '/dev/sdd1 /mediafiles ext4 rw 0 0',
      '',
    ].join('\n'));
    const media = await listRemovableMedia({ procMounts: join(dir, 'mounts'), sysBlock: join(dir, 'block') });
    assert.deepEqual(media, [
      { mountPoint: '/media/custodian/CA EXPORT', device: '/dev/sdb1', fsType: 'vfat', readOnly: false, removable: true },
      { mountPoint: '/run/media/custodian/SD', device: '/dev/mmcblk0p1', fsType: 'ext4', readOnly: true, removable: true },
      { mountPoint: '/mnt', device: '/dev/sdc1', fsType: 'exfat', readOnly: false, removable: false },
      { mountPoint: '/media/custodian/secure', device: '/dev/mapper/luks-1234', fsType: 'ext4', readOnly: false, removable: undefined },
    ]);
  });

  it('reads this machine\'s real /proc/mounts and /sys/block: its root disk is there and not removable', async () => {
    const root = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')).find((f) => f[1] === '/' && f[0]?.startsWith('/dev/'));
    if (root === undefined) return; // root is not a block device here (container overlay): nothing real to compare.
    const media = await listRemovableMedia({ roots: ['/'] });
    const listed = media.find((m) => m.mountPoint === '/');
    assert.equal(listed?.device, root[0]);
    let flag: string | undefined;
    try { flag = readFileSync(`/sys/block/${root[0]!.slice('/dev/'.length)}/removable`, 'utf8').trim(); } catch { flag = undefined; }
    assert.equal(listed?.removable, flag === undefined ? undefined : flag === '1');
  });

  it('gives an empty list where there is no /proc/mounts', async () => {
    assert.deepEqual(await listRemovableMedia({ procMounts: join(dir, 'absent') }), []);
  });
});
