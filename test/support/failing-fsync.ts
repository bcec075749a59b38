/**
 * A failing disk for the journal's tests (named as the stand-in it is): builds
 * failing-fsync.c into a shared object that a child process loads with
 * LD_PRELOAD. While the flag file exists, every fsync() in that process fails
 * with EIO; the rest of the system is real.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'failing-fsync.c');

export interface FailingFsync {
  /** Environment for the child: LD_PRELOAD and the flag file's path. */
  readonly env: Readonly<Record<string, string>>;
  /** Create this file to make fsync fail; remove it to let fsync succeed again. */
  readonly flagFile: string;
}

/** Compiles the shim into dir, which the caller removes (cc comes with the g++ that scripts/setup.sh installs). */
export function buildFailingFsync(dir: string): FailingFsync {
  const library = join(dir, 'failing-fsync.so');
  execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', library, SOURCE, '-ldl'], { stdio: 'pipe' });
  const flagFile = join(dir, 'fail-now');
  return { env: { LD_PRELOAD: library, CUSTOS_TEST_FAIL_FSYNC: flagFile }, flagFile };
}

const WRITE_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'failing-write.c');

/** As buildFailingFsync, for failing-write.c: while the flag file exists, write() to a journal.jsonl fails with EIO. */
export function buildFailingWrite(dir: string): FailingFsync {
  const library = join(dir, 'failing-write.so');
  execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', library, WRITE_SOURCE, '-ldl'], { stdio: 'pipe' });
  const flagFile = join(dir, 'fail-write-now');
  return { env: { LD_PRELOAD: library, CUSTOS_TEST_FAIL_WRITE: flagFile }, flagFile };
}
