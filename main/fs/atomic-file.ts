/**
 * Files that appear whole or not at all. Every file Custos writes is written
 * under a temporary name in its folder, flushed, then given its final name,
 * and the folder flushed: a kill or a power cut leaves the old state or the
 * new one, never an empty or half-written file under a name someone trusts
 * (a 0-byte CRL published by a script, a certificate cut short).
 *
 * The final name is taken with link(2), which fails when the name exists, so
 * a file is never overwritten, even by a writer racing us. vfat and exFAT,
 * what most removable media carry, have no hard links: there the name is
 * checked to be free and the temporary renamed onto it; only the one process
 * holding the journal lock writes Custos's outputs, so nothing races that
 * check but a person copying files onto the same stick.
 *
 * Temporaries are named `.<final name>.custos-tmp-<pid>-<random>`; one left
 * by a process that was killed is removed the next time Custos writes into
 * that folder.
 */
import { closeSync, fsyncSync, linkSync, lstatSync, openSync, readdirSync, renameSync, unlinkSync, writeSync, constants as fsConstants } from 'node:fs';
import { link, lstat, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { CustosError } from '../errors/index.ts';
import { errnoOf, isProcessAlive } from './errno.ts';

const TEMP_MARK = '.custos-tmp-';

/** What a failed write means to the person at the keyboard. */
export function fileWriteError(e: unknown, path: string): CustosError {
  if (e instanceof CustosError) return e;
  const code = errnoOf(e);
  if (code === 'EEXIST') return new CustosError('FILE_EXISTS', `${path} already exists; Custos never overwrites a file. Choose another name or folder.`, { path });
  if (code === 'ENOENT') return new CustosError('FILE_NOT_FOUND', `The folder of ${path} does not exist.`, { path });
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return new CustosError('MEDIA_READ_ONLY', `${path} cannot be written: the medium is read-only or access is denied (${code}). Check the medium's write-protect switch.`, { path, errno: code });
  if (code === 'ENOSPC' || code === 'EDQUOT') return new CustosError('MEDIA_FULL', `The medium holding ${path} is full: free space or use another medium.`, { path, errno: code });
  if (code === 'EIO') return new CustosError('MEDIA_WRITE_FAILED', `The medium holding ${path} failed to write (EIO): check it, or use another medium.`, { path, errno: code });
  return new CustosError('INTERNAL', `Writing ${path} failed: ${e instanceof Error ? e.message : String(e)}`, { path });
}

/** link(2) is refused this way by file systems without hard links (vfat, exFAT, some network shares). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

export function temporaryNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}${TEMP_MARK}${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** The pid a temporary of ours was made by, or undefined for any other name. */
function temporaryOwner(name: string): number | undefined {
  const at = name.lastIndexOf(TEMP_MARK);
  if (!name.startsWith('.') || at < 0) return undefined;
  const pid = Number(name.slice(at + TEMP_MARK.length).split('-')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

const swept = new Set<string>();

/** Removes, once per folder and process, the temporaries left there by processes that no longer run. */
export function removeLeftoverTemporaries(dir: string): void {
  if (swept.has(dir)) return;
  swept.add(dir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = temporaryOwner(name);
    if (pid !== undefined && pid !== process.pid && !isProcessAlive(pid)) {
      try { unlinkSync(join(dir, name)); } catch { /* removed by another */ }
    }
  }
}

function fsyncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    fsyncSync(fd);
  } catch (e) {
    // Some file systems (vfat on a few kernels) refuse fsync on directories; the file itself is synced.
    if (errnoOf(e) !== 'EINVAL' && errnoOf(e) !== 'EISDIR' && errnoOf(e) !== 'EPERM') throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    await handle.sync();
  } catch (e) {
    if (errnoOf(e) !== 'EINVAL' && errnoOf(e) !== 'EISDIR' && errnoOf(e) !== 'EPERM') throw e;
  } finally {
    await handle?.close();
  }
}

function writeTemporarySync(path: string, bytes: Uint8Array | string, mode: number): string {
  removeLeftoverTemporaries(dirname(path));
  const temp = temporaryNameFor(path);
  const fd = openSync(temp, 'wx', mode);
  try {
    const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    for (let done = 0; done < buffer.length;) done += writeSync(fd, buffer, done, buffer.length - done);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try { unlinkSync(temp); } catch { /* never made */ }
    throw e;
  }
  closeSync(fd);
  return temp;
}

/** Gives the flushed temporary its final name, never over an existing file; the temporary is gone afterwards. */
function publishSync(temp: string, path: string): void {
  try {
    linkSync(temp, path);
  } catch (e) {
    if (!NO_HARD_LINKS.has(errnoOf(e) ?? '')) {
      try { unlinkSync(temp); } catch { /* already gone */ }
      throw e;
    }
    let free = false;
    try {
      lstatSync(path);
    } catch (missing) {
      free = errnoOf(missing) === 'ENOENT';
    }
    if (!free) {
      try { unlinkSync(temp); } catch { /* already gone */ }
      throw Object.assign(new Error(`${path} exists`), { code: 'EEXIST' });
    }
    renameSync(temp, path);
    return;
  }
  unlinkSync(temp);
}

/**
 * Creates path with these bytes, whole or not at all, and flushes it and its
 * folder. FILE_EXISTS when anything is at path already (left untouched);
 * MEDIA_FULL, MEDIA_READ_ONLY, MEDIA_WRITE_FAILED as the medium answers.
 */
export function writeNewFileSync(path: string, bytes: Uint8Array | string, mode = 0o644): void {
  try {
    publishSync(writeTemporarySync(path, bytes, mode), path);
    fsyncDirectorySync(dirname(path));
  } catch (e) {
    throw fileWriteError(e, path);
  }
}

/**
 * Puts these bytes at path in place of what is there (the virtual card's
 * state): rename(2) replaces it in one step, so a reader sees the old file or
 * the new one.
 */
export function replaceFileSync(path: string, bytes: Uint8Array, mode: number): void {
  const temp = writeTemporarySync(path, bytes, mode);
  try {
    renameSync(temp, path);
  } catch (e) {
    try { unlinkSync(temp); } catch { /* already gone */ }
    throw e;
  }
  fsyncDirectorySync(dirname(path));
}

export interface NewFile {
  readonly path: string;
  readonly bytes: Uint8Array | string;
  readonly mode?: number;
}

async function writeTemporary(file: NewFile): Promise<string> {
  removeLeftoverTemporaries(dirname(file.path));
  const temp = temporaryNameFor(file.path);
  const handle = await open(temp, 'wx', file.mode ?? 0o644);
  try {
    await handle.writeFile(file.bytes);
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  await handle.close();
  return temp;
}

async function publish(temp: string, path: string): Promise<void> {
  try {
    await link(temp, path);
  } catch (e) {
    if (!NO_HARD_LINKS.has(errnoOf(e) ?? '')) {
      await unlink(temp).catch(() => undefined);
      throw e;
    }
    const free = await lstat(path).then(() => false, (missing: unknown) => errnoOf(missing) === 'ENOENT');
    if (!free) {
      await unlink(temp).catch(() => undefined);
      throw Object.assign(new Error(`${path} exists`), { code: 'EEXIST' });
    }
    await rename(temp, path);
    return;
  }
  await unlink(temp);
}

/**
 * Writes every file under a temporary name and flushes them all, then gives
 * them their final names in the order given, then flushes their folders. So
 * a file never appears before the ones listed ahead of it are whole (put an
 * artifact's metadata first and no artifact is ever seen without it). When
 * one fails, those already named are removed again and no temporary is left.
 */
export async function writeNewFiles(files: readonly NewFile[]): Promise<void> {
  const temps: string[] = [];
  const published: string[] = [];
  let current = files[0]?.path ?? '';
  try {
    for (const file of files) {
      current = file.path;
      temps.push(await writeTemporary(file));
    }
    for (const [i, file] of files.entries()) {
      current = file.path;
      await publish(temps[i]!, file.path);
      published.push(file.path);
    }
    for (const dir of new Set(files.map((f) => dirname(f.path)))) await fsyncDirectory(dir);
  } catch (e) {
    for (const temp of temps.slice(published.length)) await unlink(temp).catch(() => undefined);
    for (const path of published) await unlink(path).catch(() => undefined);
    throw fileWriteError(e, current);
  }
}

/** One file, as writeNewFiles writes them. */
export function writeNewFile(path: string, bytes: Uint8Array | string, mode = 0o644): Promise<void> {
  return writeNewFiles([{ path, bytes, mode }]);
}

/** The names in dir that are temporaries of a write (for tests and for a person looking at a folder). */
export async function temporariesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => temporaryOwner(name) !== undefined);
}
