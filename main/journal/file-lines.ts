/**
 * The lines of a journal file, read a chunk at a time. A CA's journal
 * outgrows the longest string V8 can hold (about 512 MiB, some hundred
 * thousand certificates) long before it outgrows the disk, so it is never
 * read into one string.
 */
import { fstatSync, readSync } from 'node:fs';

export interface FileLine {
  readonly text: string;
  /** Byte offset of the line's first byte in the file. */
  readonly offset: number;
  /** False for a last line with no newline after it (a write cut short). */
  readonly ended: boolean;
}

const CHUNK_BYTES = 4 << 20;

/** Every line of the file open on fd, from byte 0. A newline byte never occurs inside a UTF-8 character, so lines are split on it before decoding. */
export function* fileLines(fd: number, chunkBytes = CHUNK_BYTES): Generator<FileLine> {
  // No bigger than the file (a short journal is verified often, by tests thousands of times), and at
  // least 64 KiB, should the file grow while it is read.
  const chunk = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(fstatSync(fd).size, 64 << 10)));
  // The part of the last chunk after its last newline, and where it starts in the file.
  let carry = Buffer.alloc(0);
  let carryOffset = 0;
  let position = 0;
  for (;;) {
    const read = readSync(fd, chunk, 0, chunk.length, position);
    if (read === 0) break;
    const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, read)]) : chunk.subarray(0, read);
    const base = carry.length > 0 ? carryOffset : position;
    position += read;
    let start = 0;
    for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
      yield { text: data.toString('utf8', start, nl), offset: base + start, ended: true };
      start = nl + 1;
    }
    // Copied: the chunk buffer is read into again.
    carry = Buffer.from(data.subarray(start));
    carryOffset = base + start;
  }
  if (carry.length > 0) yield { text: carry.toString('utf8'), offset: carryOffset, ended: false };
}

/** Reads exactly length bytes at position (a regular file may return fewer per call). */
export function readRange(fd: number, position: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? out : out.subarray(0, done);
}
