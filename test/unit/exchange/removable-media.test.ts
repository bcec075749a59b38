import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listRemovableMedia, parseMacMounts, parseWindowsVolumes, WINDOWS_VOLUMES_SCRIPT } from '../../../main/exchange/removable-media.ts';

// Sample outputs in the formats macOS's mount and the PowerShell script print (test/fixtures/removable-media/README.md).
const SAMPLES = join(import.meta.dirname, '../../fixtures/removable-media');
const macSample = (): string => readFileSync(join(SAMPLES, 'macos-mount.sample.txt'), 'utf8');
const windowsSample = (): string => readFileSync(join(SAMPLES, 'windows-volumes.sample.json'), 'utf8');

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

describe('macOS media from mount\'s output (sample)', () => {
  it('lists local disks mounted directly under /Volumes, names with spaces and brackets whole, read-only as said', () => {
    assert.deepEqual(parseMacMounts(macSample()), [
      { mountPoint: '/Volumes/TRANSFER', device: '/dev/disk4s1', fsType: 'msdos', readOnly: false, removable: undefined },
      { mountPoint: '/Volumes/CA EXPORT (2)', device: '/dev/disk5s1', fsType: 'exfat', readOnly: true, removable: undefined },
    ]);
  });

  it('leaves out the system volumes, a network share and a mount nested in a folder of /Volumes', () => {
    const points = parseMacMounts(macSample()).map((m) => m.mountPoint);
    for (const absent of ['/', '/System/Volumes/Data', '/Volumes/share', '/Volumes/Backup/nested']) assert.ok(!points.includes(absent), absent);
  });

  it('is chosen on darwin, runs /sbin/mount, and lists nothing when mount cannot run', async () => {
    const asked: string[] = [];
    const media = await listRemovableMedia({ platform: 'darwin', run: async (command) => { asked.push(command); return macSample(); } });
    assert.deepEqual(asked, ['/sbin/mount']);
    assert.equal(media.length, 2);
    assert.deepEqual(await listRemovableMedia({ platform: 'darwin', run: async () => { throw new Error('ENOENT'); } }), []);
  });
});

describe('Windows media from Get-Volume and Get-Disk (sample)', () => {
  it('lists Removable volumes and volumes on a USB or SD disk, with drive letter, label and read-only flag', () => {
    assert.deepEqual(parseWindowsVolumes(windowsSample()), [
      { mountPoint: 'D:\\', device: 'D:', label: 'TRANSFER', fsType: 'FAT32', readOnly: false, removable: true },
      { mountPoint: 'E:\\', device: 'E:', label: 'CA BACKUP', fsType: 'exFAT', readOnly: false, removable: true },
      { mountPoint: 'F:\\', device: 'F:', fsType: 'FAT32', readOnly: false, removable: true },
      { mountPoint: 'H:\\', device: 'H:', label: 'LOCKED', fsType: 'FAT32', readOnly: true, removable: true },
    ]);
  });

  it('reads one volume printed as an object, not an array, and a byte-order mark before it', () => {
    const one = JSON.stringify({ DriveLetter: 'D', Label: 'TRANSFER', FileSystem: 'FAT32', DriveType: 'Removable', BusType: 'USB', IsReadOnly: false });
    assert.equal(parseWindowsVolumes(`\uFEFF${one}\r\n`)[0]?.mountPoint, 'D:\\');
  });

  it('lists nothing from empty, broken or foreign output, and skips an entry with no drive letter', () => {
    assert.deepEqual(parseWindowsVolumes(''), []);
    assert.deepEqual(parseWindowsVolumes('Get-Volume : The term is not recognized'), []);
    assert.deepEqual(parseWindowsVolumes('[{"DriveLetter":"","DriveType":"Removable"},{"DriveLetter":"..","DriveType":"Removable"}]'), []);
  });

  it('is chosen on win32, asks PowerShell without a profile for the script, and lists nothing when it cannot run', async () => {
    const asked: string[][] = [];
    const media = await listRemovableMedia({ platform: 'win32', run: async (command, args) => { asked.push([command, ...args]); return windowsSample(); } });
    assert.deepEqual(asked, [['powershell.exe', '-NoProfile', '-NonInteractive', '-Command', WINDOWS_VOLUMES_SCRIPT]]);
    assert.equal(media.length, 4);
    assert.deepEqual(await listRemovableMedia({ platform: 'win32', run: async () => { throw new Error('ENOENT'); } }), []);
  });
});
