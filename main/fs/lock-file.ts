/**
 * One holder at a time, by a lock file beside what it guards. Two processes
 * appending to the same journal could interleave lines and break the chain;
 * two holders of a virtual card's state file would overwrite each other's
 * changes. The second is refused. A lock left by a process that no longer
 * runs on this host is taken over.
 *
 * The lock file appears whole: its content is written and flushed under a
 * temporary name, then hard-linked to the lock's name (link(2) fails when the
 * name is taken, as O_EXCL does), so nobody reads a half-written holder.
 *
 * Taking over a stale lock is where two processes could both end up holders:
 * each sees the dead holder, one removes the file and makes its own, and the
 * other, still acting on what it read, removes that new one. So a stale lock
 * is removed only by the one process that first claims it by name: the claim
 * is itself a lock, `<lock>.takeover-<token>`, named for that one stale
 * holder's token, and its owner removes the lock only after reading that
 * token in it again. No one else ever removes a lock they do not hold. A
 * claim left by a process killed while taking over is stale in its turn and
 * is taken over the same way, one level deeper.
 */
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { hostname } from 'node:os';
import { CustosError } from '../errors/index.ts';
import { errnoOf, isProcessAlive } from './errno.ts';

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
  /** Names this one holding: a later holder in the same pid is another token. Absent in locks written before it was kept. */
  readonly token?: string;
}

/** How many times a lock that changes under our eyes (removed, taken over) is looked at again before refusing. */
const MAX_ATTEMPTS = 50;
/** Claims within claims, each left by a process killed while taking over: past this many, a person looks. */
const MAX_TAKEOVER_DEPTH = 4;

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Waits ms without returning to the event loop: taking a lock is synchronous, and the wait is a few milliseconds at most. */
function pause(ms: number): void {
  Atomics.wait(sleeper, 0, 0, Math.min(ms, 20));
}

type Observed = { readonly kind: 'absent' } | { readonly kind: 'unreadable' } | { readonly kind: 'held'; readonly holder: LockHolder };

function observe(path: string): Observed {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return { kind: 'absent' };
    return { kind: 'unreadable' };
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    if (typeof holder === 'object' && holder !== null && typeof holder.pid === 'number' && typeof holder.host === 'string') return { kind: 'held', holder };
  } catch {
    // A lock written whole by an older version that was killed mid-write: not ours to judge.
  }
  return { kind: 'unreadable' };
}

function isStale(holder: LockHolder): boolean {
  return holder.host === hostname() && holder.pid !== process.pid && !isProcessAlive(holder.pid);
}

const sameHolding = (a: LockHolder, b: LockHolder): boolean => a.pid === b.pid && a.host === b.host && a.since === b.since && a.token === b.token;

/** The temporary a lock's content is written under before it is linked: `.<lock name>.<pid>.<random>.tmp`, beside it. */
function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Removes the temporaries of processes that died between writing one and linking it. */
function removeDeadTemporaries(path: string): void {
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isProcessAlive(pid)) {
      try { unlinkSync(join(dirname(path), name)); } catch { /* another process removed it */ }
    }
  }
}

/** Links a whole, flushed lock file naming this process to path; false when path is taken. */
function createWhole(path: string, holder: LockHolder): boolean {
  const temp = temporaryName(path);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(holder));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
    return true;
  } catch (e) {
    if (errnoOf(e) === 'EEXIST') return false;
    throw e;
  } finally {
    try { unlinkSync(temp); } catch { /* already gone */ }
  }
}

type Attempt = { readonly held: true } | { readonly held: false; readonly holder: LockHolder | undefined };

/**
 * Takes path for holder: created whole when free, or taken over when its
 * holder is dead (through the claim named for that holder). Refuses (held:
 * false) when a live process holds it.
 */
function take(path: string, holder: LockHolder, depth: number): Attempt {
  let lastSeen: LockHolder | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (createWhole(path, holder)) return { held: true };
    const seen = observe(path);
    // Let go between our link and our read: look again.
    if (seen.kind === 'absent') continue;
    if (seen.kind === 'unreadable') return { held: false, holder: undefined };
    lastSeen = seen.holder;
    if (!isStale(seen.holder) || depth >= MAX_TAKEOVER_DEPTH) return { held: false, holder: seen.holder };
    const claimPath = `${path}.takeover-${seen.holder.token ?? `${seen.holder.pid}-${seen.holder.since.replace(/[^0-9A-Za-z]/g, '')}`}`;
    const claim = take(claimPath, { ...holder, token: randomBytes(12).toString('hex') }, depth + 1);
    if (!claim.held) {
      // Another process is taking this stale lock over: it will hold it, or let it go for us to take.
      pause(1 + attempt);
      continue;
    }
    try {
      const now = observe(path);
      // Only the claim's owner removes a lock with this holder in it, and only after reading it there again.
      if (now.kind === 'held' && sameHolding(now.holder, seen.holder)) unlinkSync(path);
    } finally {
      try { unlinkSync(claimPath); } catch { /* already gone */ }
    }
  }
  return { held: false, holder: lastSeen };
}

/**
 * Takes the lock file at path and returns what lets it go, or throws the
 * error refused(holder) makes: the guarded thing names itself and its holder.
 * Every refusal, however the lock changed while we looked, is that error; a
 * folder that cannot be written is MEDIA_READ_ONLY or MEDIA_FULL.
 */
export function acquireLock(path: string, refused: (holder: LockHolder | undefined) => CustosError): () => void {
  const holder: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token: randomBytes(12).toString('hex') };
  let attempt: Attempt;
  try {
    removeDeadTemporaries(path);
    attempt = take(path, holder, 0);
  } catch (e) {
    const errno = errnoOf(e);
    if (errno === 'EROFS' || errno === 'EACCES' || errno === 'EPERM') {
      throw new CustosError('MEDIA_READ_ONLY', `The lock ${path} cannot be written (${errno}): the folder is read-only or access is denied.`, { path, errno });
    }
    if (errno === 'ENOSPC' || errno === 'EDQUOT') throw new CustosError('MEDIA_FULL', `The lock ${path} cannot be written: the disk is full. Free space first.`, { path, errno });
    if (errno === 'ENOENT') throw new CustosError('FILE_NOT_FOUND', `The folder of ${path} does not exist.`, { path });
    throw e;
  }
  if (!attempt.held) throw refused(attempt.holder);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    // Ours only if it still names this holding: a lock a person removed and another process took is left alone.
    const now = observe(path);
    if (now.kind === 'held' && sameHolding(now.holder, holder)) {
      try { unlinkSync(path); } catch { /* already gone */ }
    }
  };
}
