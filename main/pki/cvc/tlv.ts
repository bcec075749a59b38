/**
 * BER-TLV as the SmartCard-HSM and CV certificates use it (ISO 7816-4 §5.2,
 * BSI TR-03110 part 3 appendix D): tags of one to three bytes, definite lengths
 * in one to four bytes. Every malformed input ends in a typed error, never an
 * out-of-range read; callers feed it bytes from cards, files and the network.
 */
import { CustosError } from '../../errors/index.ts';

export interface Tlv {
  /** The tag as a number: 0x7F21, 0x5F20, 0x42 … */
  readonly tag: number;
  readonly constructed: boolean;
  readonly value: Uint8Array;
  /** The whole TLV, header included (signatures cover the whole 7F4E TLV). */
  readonly raw: Uint8Array;
}

/** Lengths above this are refused: nothing a card or CVC carries comes close, and it bounds memory. */
const MAX_LENGTH_BYTES = 0xffffff;

function fail(code: 'TLV_MALFORMED' | 'TLV_TRUNCATED' | 'TLV_TRAILING_BYTES' | 'TLV_LENGTH_MISMATCH', what: string, offset: number): never {
  throw new CustosError(code, `Malformed TLV data: ${what} at byte ${offset}.`, { offset });
}

/** Reads one TLV starting at offset; returns it and the offset after it. */
export function readTlv(bytes: Uint8Array, offset = 0): { tlv: Tlv; next: number } {
  const start = offset;
  if (offset >= bytes.length) fail('TLV_TRUNCATED', 'missing tag', offset);
  const first = bytes[offset++]!;
  if (first === 0x00 || first === 0xff) fail('TLV_MALFORMED', `invalid tag byte ${first.toString(16)}`, start);
  let tag = first;
  if ((first & 0x1f) === 0x1f) {
    let count = 0;
    for (;;) {
      if (offset >= bytes.length) fail('TLV_TRUNCATED', 'tag cut short', offset);
      const b = bytes[offset++]!;
      tag = tag * 256 + b;
      count += 1;
      if (count > 2) fail('TLV_MALFORMED', 'tag longer than three bytes', start);
      if ((b & 0x80) === 0) break;
    }
  }
  if (offset >= bytes.length) fail('TLV_TRUNCATED', 'missing length', offset);
  let length = bytes[offset++]!;
  if (length === 0x80) fail('TLV_MALFORMED', 'indefinite length', offset - 1);
  if (length > 0x80) {
    const n = length & 0x7f;
    if (n > 3) fail('TLV_MALFORMED', `length of ${n} bytes`, offset - 1);
    if (offset + n > bytes.length) fail('TLV_TRUNCATED', 'length cut short', offset);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[offset++]!;
    if (length > MAX_LENGTH_BYTES) fail('TLV_MALFORMED', 'length too large', offset);
  }
  if (offset + length > bytes.length) fail('TLV_TRUNCATED', `value needs ${length} bytes, ${bytes.length - offset} left`, offset);
  const value = bytes.subarray(offset, offset + length);
  const next = offset + length;
  return { tlv: { tag, constructed: (first & 0x20) !== 0, value, raw: bytes.subarray(start, next) }, next };
}

/** Reads exactly one TLV that fills the whole buffer. */
export function decodeTlv(bytes: Uint8Array): Tlv {
  const { tlv, next } = readTlv(bytes, 0);
  if (next !== bytes.length) fail('TLV_TRAILING_BYTES', `${bytes.length - next} bytes after the TLV`, next);
  return tlv;
}

/** Reads a sequence of TLVs that fills the whole buffer. */
export function decodeTlvList(bytes: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const { tlv, next } = readTlv(bytes, offset);
    out.push(tlv);
    offset = next;
  }
  return out;
}

/**
 * The children of a constructed TLV. A child that runs past its parent's end
 * is TLV_LENGTH_MISMATCH, not TLV_TRUNCATED: the parent's bytes are all there,
 * and one of the two lengths lies (the input was made wrong, not cut short).
 */
export function children(tlv: Tlv): Tlv[] {
  if (!tlv.constructed) fail('TLV_MALFORMED', `tag ${tlv.tag.toString(16)} is not constructed`, 0);
  try {
    return decodeTlvList(tlv.value);
  } catch (e) {
    if (e instanceof CustosError && e.code === 'TLV_TRUNCATED') {
      throw new CustosError('TLV_LENGTH_MISMATCH', `Malformed TLV data: a field inside tag ${tlv.tag.toString(16).toUpperCase()} claims more bytes than the tag holds.`, { tag: tlv.tag.toString(16) }, { cause: e });
    }
    throw e;
  }
}

export function findTag(list: readonly Tlv[], tag: number): Tlv | undefined {
  return list.find((t) => t.tag === tag);
}

export function requireTag(list: readonly Tlv[], tag: number, where: string): Tlv {
  const t = findTag(list, tag);
  if (t === undefined) throw new CustosError('TLV_MALFORMED', `Malformed TLV data: ${where} has no tag ${tag.toString(16).toUpperCase()}.`, { tag: tag.toString(16) });
  return t;
}

function encodeTag(tag: number): number[] {
  if (tag <= 0xff) return [tag];
  if (tag <= 0xffff) return [tag >> 8, tag & 0xff];
  return [(tag >> 16) & 0xff, (tag >> 8) & 0xff, tag & 0xff];
}

function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  if (length <= 0xff) return [0x81, length];
  if (length <= 0xffff) return [0x82, length >> 8, length & 0xff];
  return [0x83, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff];
}

/** Encodes a TLV; value may be bytes or a list of already-encoded TLVs. */
export function encodeTlv(tag: number, value: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const body = value instanceof Uint8Array ? value : concatBytes(...value);
  const head = [...encodeTag(tag), ...encodeLength(body.length)];
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
