/**
 * Where exports can go: file systems mounted where Linux desktops and
 * administrators put removable media (/media, /run/media by udisks, /mnt by
 * hand), read from /proc/mounts, each with what the kernel says of its disk
 * in /sys/block/<disk>/removable. USB hard disks and some sticks report
 * removable=0, so the flag is reported, not used to hide a mount.
 * Linux only; elsewhere the list is empty.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const MEDIA_ROOTS = ['/media', '/run/media', '/mnt'] as const;

export interface RemovableMedium {
  readonly mountPoint: string;
  /** As /proc/mounts names it, e.g. /dev/sdb1. */
  readonly device: string;
  readonly fsType: string;
  readonly readOnly: boolean;
  /** The kernel's removable flag of the disk; undefined when sysfs does not say (device-mapper, network, unknown). */
  readonly removable: boolean | undefined;
}

export interface MediaSources {
  readonly procMounts?: string;
  readonly sysBlock?: string;
  readonly roots?: readonly string[];
}

/** /proc/mounts escapes space, tab, newline and backslash as octal (see getmntent(3)). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

function isUnder(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => path === root || path.startsWith(`${root}/`));
}

/** The whole-disk names a partition may belong to: sdb1 → sdb, mmcblk0p1 → mmcblk0, nvme0n1p2 → nvme0n1. */
function diskCandidates(name: string): string[] {
  const candidates = [name];
  const numbered = /^(.*\d)p\d+$/.exec(name);
  if (numbered) candidates.push(numbered[1]!);
  const lettered = /^([a-z]+)\d+$/.exec(name);
  if (lettered) candidates.push(lettered[1]!);
  return candidates;
}

async function removableFlag(device: string, sysBlock: string): Promise<boolean | undefined> {
  if (!device.startsWith('/dev/')) return undefined;
  const name = device.slice('/dev/'.length);
  if (name.includes('/')) return undefined; // /dev/mapper/…, /dev/disk/by-…: no direct sysfs disk.
  for (const disk of diskCandidates(name)) {
    try {
      const flag = (await readFile(join(sysBlock, disk, 'removable'), 'utf8')).trim();
      return flag === '1';
    } catch {
      // Not a whole disk by this name: try the next candidate.
    }
  }
  return undefined;
}

export async function listRemovableMedia(sources: MediaSources = {}): Promise<RemovableMedium[]> {
  const procMounts = sources.procMounts ?? '/proc/mounts';
  const sysBlock = sources.sysBlock ?? '/sys/block';
  const roots = sources.roots ?? MEDIA_ROOTS;
  let table: string;
  try {
    table = await readFile(procMounts, 'utf8');
  } catch {
    return [];
  }
  const media: RemovableMedium[] = [];
  for (const line of table.split('\n')) {
    const [deviceField, mountField, fsType, options] = line.split(' ');
    if (deviceField === undefined || mountField === undefined || fsType === undefined || options === undefined) continue;
    const device = unescapeMountField(deviceField);
    const mountPoint = unescapeMountField(mountField);
    // Only block devices hold media; tmpfs, fuse portals and the like under /run/media are not a place to export to.
    if (!device.startsWith('/dev/') || !isUnder(mountPoint, roots)) continue;
    media.push({
      mountPoint,
      device,
      fsType,
      readOnly: options.split(',').includes('ro'),
      removable: await removableFlag(device, sysBlock),
    });
  }
  return media;
}
