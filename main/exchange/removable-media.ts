/**
 * Where exports can go: the removable media mounted now, read from what each
 * system says of its mounts.
 *
 * Linux: file systems mounted where desktops and administrators put
 * removable media (/media, /run/media by udisks, /mnt by hand), read from
 * /proc/mounts, each with what the kernel says of its disk in
 * /sys/block/<disk>/removable. USB hard disks and some sticks report
 * removable=0, so the flag is reported, not used to hide a mount.
 *
 * macOS: local file systems on a disk device mounted under /Volumes, from
 * the text `mount` prints (mount(8): "DEVICE on MOUNTPOINT (TYPE, OPTION, …)").
 * It does not say which disk is removable (an attached disk image mounts
 * there too), so removable is left undefined, as for an unknown Linux disk.
 *
 * Windows: the volumes with a drive letter that Get-Volume calls Removable,
 * or that lie on a disk whose bus is USB, SD or MMC (a USB hard disk is
 * "Fixed" to Get-Volume), as PowerShell prints them in JSON.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const MEDIA_ROOTS = ['/media', '/run/media', '/mnt'] as const;

export interface RemovableMedium {
  readonly mountPoint: string;
  /** As /proc/mounts names it, e.g. /dev/sdb1. */
  readonly device: string;
  readonly fsType: string;
  readonly readOnly: boolean;
  /** The kernel's removable flag of the disk; undefined when sysfs does not say (device-mapper, network, unknown). */
  readonly removable: boolean | undefined;
  /** Windows: the volume's label, which its drive letter does not show. */
  readonly label?: string;
}

export interface MediaSources {
  readonly procMounts?: string;
  readonly sysBlock?: string;
  readonly roots?: readonly string[];
  /** Which system's sources to read (default: this one's). */
  readonly platform?: NodeJS.Platform;
  /** Runs a tool and gives its standard output (default: the tool itself, with a time limit). */
  readonly run?: (command: string, args: readonly string[]) => Promise<string>;
}

/** A tool that does not answer in this time lists no media rather than hang the window. */
const TOOL_TIMEOUT_MS = 10_000;

function runTool(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { timeout: TOOL_TIMEOUT_MS, maxBuffer: 1 << 20, windowsHide: true }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
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
  const platform = sources.platform ?? process.platform;
  const run = sources.run ?? runTool;
  if (platform === 'darwin') return parseMacMounts(await run('/sbin/mount', []).catch(() => ''));
  if (platform === 'win32') return parseWindowsVolumes(await run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', WINDOWS_VOLUMES_SCRIPT]).catch(() => ''));
  return listLinuxMedia(sources);
}

async function listLinuxMedia(sources: MediaSources): Promise<RemovableMedium[]> {
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

/** Where macOS mounts media: /Volumes/<name>. */
export const MAC_MEDIA_ROOT = '/Volumes';

/**
 * Reads the text macOS's `mount` prints, one mount a line:
 * `/dev/disk4s1 on /Volumes/CA EXPORT (msdos, local, nodev, nosuid, noowners)`.
 * The mount point may hold spaces and brackets; the options are the last
 * bracketed group. Only local file systems on a /dev/disk device directly
 * under /Volumes are media (network shares say neither "local" nor /dev/disk).
 */
export function parseMacMounts(text: string): RemovableMedium[] {
  const media: RemovableMedium[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\/dev\/disk\S+) on (.+) \(([^()]*)\)$/.exec(line.trimEnd());
    if (!m) continue;
    const [, device, mountPoint, optionText] = m as unknown as [string, string, string, string];
    const options = optionText.split(',').map((o) => o.trim());
    const rest = mountPoint.slice(MAC_MEDIA_ROOT.length + 1);
    if (!mountPoint.startsWith(`${MAC_MEDIA_ROOT}/`) || rest === '' || rest.includes('/') || !options.includes('local')) continue;
    media.push({ mountPoint, device, fsType: options[0] ?? '', readOnly: options.includes('read-only'), removable: undefined });
  }
  return media;
}

/**
 * Every volume with a drive letter, with its disk's bus and read-only flag,
 * as JSON. Every value is made a string or a boolean in the script, since
 * Windows PowerShell 5.1 writes enums and [char] as numbers in JSON.
 */
export const WINDOWS_VOLUMES_SCRIPT = [
  '$ErrorActionPreference = "SilentlyContinue";',
  'ConvertTo-Json -Compress -InputObject @(Get-Volume | Where-Object { $_.DriveLetter } | ForEach-Object {',
  '$disk = Get-Partition -DriveLetter $_.DriveLetter | Get-Disk;',
  '[pscustomobject]@{ DriveLetter = [string]$_.DriveLetter; Label = [string]$_.FileSystemLabel; FileSystem = [string]$_.FileSystem;',
  'DriveType = [string]$_.DriveType; BusType = [string]$disk.BusType; IsReadOnly = [bool]$disk.IsReadOnly } })',
].join(' ');

const WindowsVolume = z.object({
  DriveLetter: z.string().regex(/^[A-Za-z]$/),
  Label: z.string().nullish(),
  FileSystem: z.string().nullish(),
  DriveType: z.string(),
  BusType: z.string().nullish(),
  IsReadOnly: z.boolean().nullish(),
});

/** Buses whose disks are carried about: what an air-gapped workstation exchanges files on. */
const REMOVABLE_BUSES = new Set(['USB', 'SD', 'MMC']);

/** Reads WINDOWS_VOLUMES_SCRIPT's JSON: one object or an array of them; anything else lists nothing. */
export function parseWindowsVolumes(text: string): RemovableMedium[] {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, '').trim() || '[]');
  } catch {
    return [];
  }
  const media: RemovableMedium[] = [];
  for (const item of Array.isArray(data) ? data : [data]) {
    const parsed = WindowsVolume.safeParse(item);
    if (!parsed.success) continue;
    const v = parsed.data;
    const bus = (v.BusType ?? '').toUpperCase();
    const removableType = v.DriveType === 'Removable';
    // Optical drives and network shares have drive letters too, and are no place to write a bundle.
    if (!removableType && !REMOVABLE_BUSES.has(bus)) continue;
    const letter = v.DriveLetter.toUpperCase();
    media.push({
      mountPoint: `${letter}:\\`, device: `${letter}:`, ...(v.Label ? { label: v.Label } : {}), fsType: v.FileSystem ?? '',
      readOnly: v.IsReadOnly === true, removable: removableType || REMOVABLE_BUSES.has(bus),
    });
  }
  return media;
}
