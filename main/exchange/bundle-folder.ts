/**
 * Writing a bundle's folder on a medium so that it is never seen whole
 * before it is: a new folder, every file whole under its name first
 * (atomic files, main/fs/atomic-file.ts), the signed manifest last. A
 * folder cut off at any moment (a full medium, a pulled stick, a kill) has
 * no manifest and so reads as incomplete, never as a bundle with a file
 * missing or short; what this process wrote before a failure is removed
 * when the medium still lets it.
 */
import { constants } from 'node:fs';
import { access, mkdir, rm, stat, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CustosError } from '../errors/index.ts';
import { fileWriteError, writeNewFile, writeNewFiles } from '../fs/atomic-file.ts';
import { errnoOf } from '../fs/errno.ts';
import { MANIFEST_FILE, type BundleFile } from './bundle-manifest.ts';

/** Room for what a file system spends beside the bytes (clusters, directory entries): a cluster per file and some. */
const CLUSTER_BYTES = 64 * 1024;

/**
 * Refuses before anything is signed when the bundle cannot be written at
 * target: the medium's folder missing (FILE_NOT_FOUND), the bundle there
 * already (FILE_EXISTS), a medium mounted read-only (MEDIA_READ_ONLY), or
 * too little room for the files and the manifest (MEDIA_FULL).
 */
export async function checkBundleTarget(target: string, totalBytes: number, fileCount: number): Promise<void> {
  const parent = dirname(target);
  const info = await stat(parent).catch((e: unknown) => {
    throw errnoOf(e) === 'ENOENT'
      ? new CustosError('FILE_NOT_FOUND', `The folder ${parent} does not exist: is the medium mounted?`, { path: parent })
      : fileWriteError(e, parent);
  });
  if (!info.isDirectory()) throw new CustosError('INPUT_INVALID', `${parent} is not a folder.`, { path: parent });
  if (await stat(target).then(() => true, () => false)) {
    throw new CustosError('FILE_EXISTS', `${target} exists already: a bundle is written into a new folder. Choose another name or medium.`, { path: target });
  }
  const fs = await statfs(parent);
  if (await isReadOnly(parent)) {
    throw new CustosError('MEDIA_READ_ONLY', `The medium holding ${parent} is read-only: slide its write-protect switch off, or use another medium.`, { path: parent });
  }
  const needed = totalBytes + (fileCount + 2) * CLUSTER_BYTES;
  const free = Number(fs.bavail) * Number(fs.bsize);
  if (free < needed) {
    throw new CustosError('MEDIA_FULL', `The medium holding ${parent} has ${free} bytes free; the bundle needs about ${needed}. Free space or use another medium; nothing was signed.`, { path: parent, freeBytes: free, neededBytes: needed });
  }
}

/**
 * access(2) answers EROFS for a file system mounted read-only (a stick's
 * write-protect switch, a ro mount), and EACCES for a folder this user may
 * not write; nothing is written to ask.
 */
async function isReadOnly(dir: string): Promise<boolean> {
  try {
    await access(dir, constants.W_OK);
    return false;
  } catch (e) {
    const code = errnoOf(e);
    return code === 'EROFS' || code === 'EACCES' || code === 'EPERM';
  }
}

/** A write that failed because the medium went away, told apart from one it refused. */
async function removedOrWriteError(e: unknown, target: string, made: boolean): Promise<CustosError> {
  const gone = async (path: string): Promise<boolean> => stat(path).then(() => false, (s: unknown) => errnoOf(s) === 'ENOENT' || errnoOf(s) === 'ENODEV' || errnoOf(s) === 'EIO');
  const code = errnoOf(e) ?? (e instanceof CustosError ? String(e.details.errno ?? '') : '');
  // The folder this write made is gone from under it: the medium was pulled (or unmounted) mid-write.
  if (code === 'ENODEV' || code === 'ENXIO' || code === 'ESHUTDOWN' || await gone(dirname(target)) || (made && await gone(target))) {
    return new CustosError('MEDIA_REMOVED', `The medium was removed while the bundle was written to ${target}. What reached it has no manifest and does not verify as a bundle; insert the medium and write the bundle again.`, { path: target });
  }
  return fileWriteError(e, target);
}

/**
 * Creates target (which must not exist) and writes files, then manifestDer
 * as MANIFEST_FILE, last. Throws MEDIA_FULL, MEDIA_READ_ONLY,
 * MEDIA_WRITE_FAILED, MEDIA_REMOVED or FILE_EXISTS, after removing what it
 * wrote where it can.
 */
export async function writeBundleFolder(target: string, files: readonly BundleFile[], manifestDer: Uint8Array): Promise<void> {
  try {
    await mkdir(target);
  } catch (e) {
    throw await removedOrWriteError(e, target, false);
  }
  try {
    await writeNewFiles(files.map((f) => ({ path: join(target, f.name), bytes: f.bytes })));
    await writeNewFile(join(target, MANIFEST_FILE), manifestDer);
  } catch (e) {
    const error = await removedOrWriteError(e, target, true);
    // Not whole, so not left looking like a bundle: no manifest was named, and the rest goes where it can.
    await rm(target, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
}
