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

type LockOwner = LockHolder;


function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}


/**
 * Takes the lock file at path, or throws: refused(holder) says who holds it
 * (the journal's words when not given).
 */
export function acquireLock(path: string, refused?: (holder: LockHolder | undefined) => CustosError): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
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
      if (refused) throw refused(owner);
      throw new CustosError('JOURNAL_LOCKED',
        `The journal is in use by another Custos process${owner ? ` (pid ${owner.pid} on ${owner.host} since ${owner.since})` : ''}. Close it first; if no Custos runs, remove ${path}.`,
        { lockFile: path, pid: owner?.pid ?? null });
    }
  }
  throw new CustosError('JOURNAL_LOCKED', `The journal lock ${path} could not be taken.`, { lockFile: path });
}
