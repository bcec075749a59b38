/**
 * Space set aside for what a token signs, before it signs. A certificate or
 * CRL exists once the token has signed it: if its result then cannot be
 * written (the disk filled while the token worked), it must not be lost. So
 * an act reserves room for its result in this file before asking the token,
 * and a full disk refuses the act then, while nothing is signed; the signed
 * bytes are written into room already allocated, which needs no new space.
 * A result stays here until the journal entry that holds it is on disk; the
 * next open records the ones whose entry never made it as recovered.
 *
 * The file is a row of slots of SLOT_BYTES. A kept result is one write:
 * a header (MAGIC, the intent's seq, the length, the SHA-256) and the bytes,
 * over one or more slots; the hash tells a whole record from one a power cut
 * tore. The file is emptied at each open, once what it held is recorded.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants as fsConstants, fstatSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { readRange } from './file-lines.ts';
import { CustosError } from '../errors/index.ts';
import { fileWriteError } from '../fs/atomic-file.ts';

export const SLOT_BYTES = 4096;
/** Slots added at a time: a batch keeps about BATCH_WINDOW results outstanding, plus those awaiting one fsync. */
const GROW_SLOTS = 8;
const MAGIC = Buffer.from('CUSTOSR1');
const HEADER_BYTES = 64;

export interface KeptResult {
  readonly intentSeq: number;
  readonly bytes: Uint8Array;
  readonly sha256: string;
}

export interface Reservation {
  readonly intentSeq: number;
  firstSlot: number;
  slots: number;
  kept: boolean;
}

const slotsFor = (maxBytes: number): number => Math.ceil((HEADER_BYTES + maxBytes) / SLOT_BYTES);

export class PendingResults {
  readonly path: string;
  readonly #fd: number;
  #slots: number;
  readonly #free: number[] = [];

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
    this.#slots = Math.floor(fstatSync(fd).size / SLOT_BYTES);
  }

  /** Opens (or creates) the file; what it keeps is read by kept(). */
  static open(path: string): PendingResults {
    // Not O_APPEND: Linux appends every pwrite on such a descriptor, whatever its position.
    return new PendingResults(path, openSync(path, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o600));
  }

  /** Every whole result the file holds, in the order of their slots. */
  kept(): KeptResult[] {
    const found: KeptResult[] = [];
    const size = fstatSync(this.#fd).size;
    for (let slot = 0; slot * SLOT_BYTES + HEADER_BYTES <= size;) {
      const at = slot * SLOT_BYTES;
      const header = readRange(this.#fd, at, HEADER_BYTES);
      if (header.length === HEADER_BYTES && header.subarray(0, MAGIC.length).equals(MAGIC)) {
        const intentSeq = Number(header.readBigUInt64BE(8));
        const length = header.readUInt32BE(16);
        const sha256 = header.subarray(20, 52).toString('hex');
        if (at + HEADER_BYTES + length <= size) {
          const bytes = readRange(this.#fd, at + HEADER_BYTES, length);
          if (createHash('sha256').update(bytes).digest('hex') === sha256) {
            found.push({ intentSeq, bytes: new Uint8Array(bytes), sha256 });
            slot += slotsFor(length);
            continue;
          }
        }
      }
      slot += 1;
    }
    return found;
  }

  /** Empties the file: what it held is recorded in the journal. */
  clear(): void {
    ftruncateSync(this.#fd, 0);
    fsyncSync(this.#fd);
    this.#slots = 0;
    this.#free.length = 0;
  }

  /**
   * Sets room for a result of at most maxBytes aside on disk (flushed) for
   * the intent; MEDIA_FULL (or MEDIA_WRITE_FAILED) when the disk has none,
   * before anything is signed.
   */
  reserve(intentSeq: number, maxBytes: number): Reservation {
    const slots = slotsFor(maxBytes);
    if (slots === 1 && this.#free.length > 0) return { intentSeq, firstSlot: this.#free.pop()!, slots, kept: false };
    const firstSlot = this.#slots;
    this.#grow(slots === 1 ? GROW_SLOTS : slots);
    // A single slot takes the first of the new ones; the rest wait in the free list.
    if (slots === 1) for (let s = this.#slots - 1; s > firstSlot; s--) this.#free.push(s);
    return { intentSeq, firstSlot, slots, kept: false };
  }

  #grow(slots: number): void {
    const from = this.#slots * SLOT_BYTES;
    const zeros = Buffer.alloc(slots * SLOT_BYTES);
    try {
      for (let done = 0; done < zeros.length;) done += writeSync(this.#fd, zeros, done, zeros.length - done, from + done);
      fsyncSync(this.#fd);
    } catch (e) {
      try { ftruncateSync(this.#fd, from); } catch { /* the next open reads only whole records */ }
      const error = fileWriteError(e, this.path);
      throw error.code === 'MEDIA_FULL'
        ? new CustosError('MEDIA_FULL', `The disk holding the journal is full: no room is left to keep what the token would sign, so nothing was signed. Free space and try again.`, { path: this.path })
        : error;
    }
    this.#slots += slots;
  }

  /** Writes the signed bytes into the intent's reserved room (one write, into space already allocated). */
  keep(reservation: Reservation, bytes: Uint8Array): void {
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header, 0);
    header.writeBigUInt64BE(BigInt(reservation.intentSeq), 8);
    header.writeUInt32BE(bytes.length, 16);
    createHash('sha256').update(bytes).digest().copy(header, 20);
    const record = Buffer.concat([header, bytes]);
    if (record.length > reservation.slots * SLOT_BYTES) {
      // Larger than reserved (not expected: room is reserved for the largest signature): new room at the end, which may fail.
      const slots = Math.ceil(record.length / SLOT_BYTES);
      for (let s = 0; s < reservation.slots; s++) this.#free.push(reservation.firstSlot + s);
      reservation.firstSlot = this.#slots;
      reservation.slots = slots;
      this.#grow(slots);
    }
    const at = reservation.firstSlot * SLOT_BYTES;
    try {
      for (let done = 0; done < record.length;) done += writeSync(this.#fd, record, done, record.length - done, at + done);
    } catch (e) {
      throw fileWriteError(e, this.path);
    }
    reservation.kept = true;
  }

  /** The result is in the journal on disk (or there is none): its room is free for the next. */
  release(reservation: Reservation): void {
    if (reservation.kept) {
      // Its header no longer names a result: a later open does not record it a second time.
      try { writeSync(this.#fd, Buffer.alloc(MAGIC.length), 0, MAGIC.length, reservation.firstSlot * SLOT_BYTES); } catch { /* recorded twice at worst */ }
    }
    for (let s = 0; s < reservation.slots; s++) this.#free.push(reservation.firstSlot + s);
  }

  close(): void {
    closeSync(this.#fd);
  }
}
