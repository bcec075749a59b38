/**
 * One holder at a time, by a lock file beside what it guards. Two processes
 * appending to the same journal could interleave lines and break the chain;
 * two holders of a virtual card's state file would overwrite each other's
 * changes. The second is refused. A lock left by a process that no longer
 * runs on this host is taken over.
 */
import { openSync, writeSync, closeSync, readFileSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { CustosError } from '../errors/index.ts';

export interface LockHolder { readonly pid: number; readonly host: string; readonly since: string }

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock file at path and returns what lets it go, or throws the
 * error refused(holder) makes: the guarded thing names itself and its holder.
 */
export function acquireLock(path: string, refused: (holder: LockHolder | undefined) => CustosError): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      const owner: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
      writeSync(fd, JSON.stringify(owner));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try { unlinkSync(path); } catch { /* already gone */ }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readOwner(path);
      const stale = owner !== undefined && owner.host === hostname() && owner.pid !== process.pid && !isAlive(owner.pid);
      if (stale && attempt === 0) {
        unlinkSync(path);
        continue;
      }
      throw refused(owner);
    }
  }
  // A stale lock was removed but another process took the file first.
  throw refused(readOwner(path));
}
