/**
 * A last line torn by a crash or a power cut. The journal writes each entry
 * with its newline in one write(2), so a write the machine did not finish
 * leaves a last line with no newline, and nothing after it. That is an
 * accident, not an edit: the bytes are set aside in a file beside the
 * journal (so nothing is lost and a person can look at them), the journal is
 * cut back to its last whole entry, and the open says so. An edited line
 * still has its newline and still fails verification as JOURNAL_TAMPERED.
 */
import { fstatSync, fsyncSync, ftruncateSync } from 'node:fs';
import { readRange } from './file-lines.ts';
import { writeNewFileSync } from '../fs/atomic-file.ts';

export interface TornTail {
  /** Where the torn line began in the journal: its length once cut back. */
  readonly offset: number;
  readonly bytes: number;
  /** The file beside the journal that holds the torn bytes as they were. */
  readonly sideFile: string;
}

const BACKWARD_CHUNK_BYTES = 64 << 10;

/** Byte offset just past the last newline in the file open on fd (0 when it has none). */
function endOfLastLine(fd: number, size: number): number {
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - BACKWARD_CHUNK_BYTES);
    const nl = readRange(fd, start, end - start).lastIndexOf(0x0a);
    if (nl >= 0) return start + nl + 1;
    end = start;
  }
  return 0;
}

/**
 * Sets a torn last line of the journal open on fd (read and write) aside
 * into `<path>.torn-<offset>` and cuts the journal back before it; returns
 * what was done, or undefined when the journal ends with a whole line.
 */
export function setTornTailAside(fd: number, path: string): TornTail | undefined {
  const size = fstatSync(fd).size;
  const offset = endOfLastLine(fd, size);
  if (offset === size) return undefined;
  const sideFile = `${path}.torn-${offset}`;
  // Written and flushed before the journal is cut: a crash in between leaves both copies, never neither.
  // A side file from an earlier open at the same offset holds other bytes: the new one takes a free name.
  let name = sideFile;
  for (let n = 2; ; n++) {
    try {
      writeNewFileSync(name, readRange(fd, offset, size - offset), 0o600);
      break;
    } catch (e) {
      if ((e as { code?: string }).code !== 'FILE_EXISTS' || n > 100) throw e;
      name = `${sideFile}.${n}`;
    }
  }
  ftruncateSync(fd, offset);
  fsyncSync(fd);
  return { offset, bytes: size - offset, sideFile: name };
}
