/**
 * What the operating system said, read the one way: node's errors carry the
 * errno name in `code`, and only errors from the system do.
 */

/** The errno name of a system error (ENOSPC, EEXIST …); undefined for anything else. */
export function errnoOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null ? (e as NodeJS.ErrnoException).code : undefined;
}

/**
 * True while a process with this pid runs on this host. EPERM means it runs
 * under another user: alive all the same, so its lock or temporary is kept.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoOf(e) === 'EPERM';
  }
}
