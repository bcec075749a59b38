/**
 * CPU time of this process's main thread, read from /proc/self/task/<pid>/stat
 * (utime + stime, in clock ticks of 10 ms on Linux): with the process's total,
 * it shows whether a batch waits on the main thread or on the other threads
 * (the token's signing on libuv's pool, signature checks, fsync, V8's helpers).
 * Undefined where /proc is not there.
 */
import { readFileSync } from 'node:fs';

const TICK_MS = 10;

export function mainThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the whole line.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}
