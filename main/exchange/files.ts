/**
 * Files crossing the air gap: written once and never over an existing file
 * (an export must not destroy the previous one, as boulder's ceremony tool
 * refuses with checkOutputFile), flushed to the medium before success is
 * reported (removable media are pulled right after), read with a size bound
 * (an imported file may be hostile or simply the wrong one).
 */
import { constants, type FileHandle } from 'node:fs/promises';
import { lstat, open } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CustosError } from '../errors/index.ts';
import { writeNewFiles } from '../fs/atomic-file.ts';
import { errnoOf } from '../fs/errno.ts';

// Creates a file whole or not at all, never over another (main/fs/atomic-file.ts).
export { writeNewFile } from '../fs/atomic-file.ts';

/**
 * Reads a whole file of at most maxBytes. FILE_NOT_FOUND when absent,
 * FILE_TOO_LARGE when bigger (checked before reading and again while reading,
 * for a file that grows), INPUT_INVALID for a folder or device.
 */
export async function readBoundedFile(path: string, maxBytes: number): Promise<Uint8Array> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') throw new CustosError('FILE_NOT_FOUND', `${path} does not exist.`, { path });
    if (errnoOf(e) === 'ELOOP') throw new CustosError('INPUT_INVALID', `${path} is a symbolic link; choose the file itself.`, { path });
    throw new CustosError('INPUT_INVALID', `${path} cannot be read (${errnoOf(e) ?? 'error'}).`, { path });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new CustosError('INPUT_INVALID', `${path} is not a regular file.`, { path });
    if (info.size > maxBytes) throw tooLarge(path, maxBytes, info.size);
    // One byte more than allowed tells a file that grew since stat from one that fits exactly.
    const buffer = Buffer.alloc(Math.min(maxBytes, info.size) + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled > maxBytes) throw tooLarge(path, maxBytes, filled);
      if (filled === buffer.length) break;
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, filled);
  } finally {
    await handle.close();
  }
}

function tooLarge(path: string, maxBytes: number, size: number): CustosError {
  return new CustosError('FILE_TOO_LARGE', `${path} is ${size} bytes or more; at most ${maxBytes} bytes are read from such a file. Check it is the right file.`, { path, maxBytes, size });
}

export interface ExportItem {
  /** A plain file name (use exportFileName): no folder part. */
  readonly fileName: string;
  readonly bytes: Uint8Array | string;
}

/**
 * Writes every item into dir, or none: refuses before writing anything when a
 * name is unsafe, repeated or already taken (FILE_EXISTS lists them all), and
 * removes the files it named if a later one fails. Returns the paths written.
 */
export async function exportArtifacts(dir: string, items: readonly ExportItem[]): Promise<string[]> {
  const seen = new Set<string>();
  for (const item of items) {
    if (item.fileName === '' || basename(item.fileName) !== item.fileName || item.fileName === '.' || item.fileName === '..' || item.fileName.includes('\\') || item.fileName.includes('\0')) {
      throw new CustosError('INPUT_INVALID', `"${item.fileName.slice(0, 100)}" is not a plain file name.`, { fileName: item.fileName.slice(0, 100) });
    }
    if (seen.has(item.fileName.toLowerCase())) {
      // Case-insensitive: FAT and exFAT sticks would make the second overwrite or fail.
      throw new CustosError('INPUT_INVALID', `"${item.fileName}" is given twice in one export.`, { fileName: item.fileName });
    }
    seen.add(item.fileName.toLowerCase());
  }
  try {
    const info = await lstat(dir);
    if (!info.isDirectory()) throw new CustosError('INPUT_INVALID', `${dir} is not a folder.`, { path: dir });
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') throw new CustosError('FILE_NOT_FOUND', `The folder ${dir} does not exist.`, { path: dir });
    throw e;
  }
  const taken: string[] = [];
  for (const item of items) {
    try {
      await lstat(join(dir, item.fileName));
      taken.push(item.fileName);
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw e;
    }
  }
  if (taken.length > 0) {
    throw new CustosError('FILE_EXISTS', `${dir} already holds ${taken.join(', ')}; nothing was written. Choose another folder or remove them.`, { path: dir, files: taken });
  }
  // Every file is whole on the medium before any of them is given its name.
  const files = items.map((item) => ({ path: join(dir, item.fileName), bytes: item.bytes }));
  await writeNewFiles(files);
  return files.map((f) => f.path);
}
