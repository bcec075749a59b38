/**
 * DER, and nothing else, for every structure that comes from outside (requests,
 * certificates, CRLs). X.690 §10 allows one encoding per value; BER allows many
 * (indefinite lengths, lengths with leading zeros, strings cut into
 * constructed pieces), so two parsers may read the same BER bytes differently
 * and a signature over one reading says nothing about the other.
 *
 * Why a walker of our own: asn1js (and @peculiar/asn1-schema, which parses
 * through it) only has fromBER and accepts every BER form; pkijs reads through
 * asn1js too; node:crypto's X509Certificate hands bytes to OpenSSL's d2i,
 * which accepts indefinite lengths as well. None offers a DER-only mode. So
 * this walks tag and length headers only (no values are decoded here, the
 * libraries still do that) and reports the first thing DER does not allow.
 */

/** Why bytes are not one DER value, with the offset of the header at fault. */
export type DerViolation =
  | { readonly kind: 'indefinite-length'; readonly offset: number }
  | { readonly kind: 'non-minimal-length'; readonly offset: number }
  | { readonly kind: 'non-minimal-tag'; readonly offset: number }
  | { readonly kind: 'constructed-string'; readonly offset: number; readonly tag: number }
  | { readonly kind: 'boolean-not-ff'; readonly offset: number }
  /** The input ends before a value it declares (the file is cut short). */
  | { readonly kind: 'truncated'; readonly offset: number; readonly declaredEnd: number; readonly available: number }
  /** A value runs past the end of the value that contains it (a container's length is too short). */
  | { readonly kind: 'overruns-container'; readonly offset: number; readonly containerOffset: number }
  /** Bytes follow the one outer value. */
  | { readonly kind: 'trailing-bytes'; readonly offset: number; readonly trailingBytes: number }
  | { readonly kind: 'malformed'; readonly offset: number; readonly what: string };

/** The BER-only forms: bytes a DER reader must refuse though a BER reader reads them. */
export function isBerOnly(v: DerViolation): boolean {
  return v.kind === 'indefinite-length' || v.kind === 'non-minimal-length' || v.kind === 'non-minimal-tag'
    || v.kind === 'constructed-string' || v.kind === 'boolean-not-ff';
}

const UNIVERSAL = 0x00;
const CONSTRUCTED = 0x20;
// Universal types X.690 §10.2 and §8 encode primitive only in DER (strings, BIT/OCTET STRING, times …).
const PRIMITIVE_ONLY = new Set([1, 2, 3, 4, 5, 6, 9, 10, 12, 13, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 30]);
const SEQUENCE_TAG = 16;
const SET_TAG = 17;
const BOOLEAN_TAG = 1;
// Deeper than any certificate or request nests; a deeper input is refused rather than walked.
const MAX_DEPTH = 64;
// Four length octets address 4 GiB, beyond any file Custos reads.
const MAX_LENGTH_OCTETS = 4;

interface Header {
  readonly tagClass: number;
  readonly constructed: boolean;
  readonly tagNumber: number;
  readonly contentStart: number;
  readonly end: number;
}

/** One header at offset within [offset, limit); a violation when it is not DER. inputEnd tells a cut file from a short container. */
function readHeader(bytes: Uint8Array, offset: number, limit: number, inputEnd: number, containerOffset: number): Header | DerViolation {
  const cut = (declaredEnd: number): DerViolation => limit === inputEnd
    ? { kind: 'truncated', offset, declaredEnd, available: inputEnd }
    : { kind: 'overruns-container', offset, containerOffset };
  if (offset + 2 > limit) return cut(offset + 2);
  const first = bytes[offset]!;
  let at = offset + 1;
  let tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) {
    // High tag number form (X.690 §8.1.2.4): base 128, no leading 0x80, and only for numbers above 30.
    if (bytes[at] === 0x80) return { kind: 'non-minimal-tag', offset };
    tagNumber = 0;
    for (let n = 0; ; n++) {
      if (at >= limit) return cut(at + 1);
      if (n === 4) return { kind: 'malformed', offset, what: 'a tag number too large' };
      const b = bytes[at++]!;
      tagNumber = tagNumber * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
    if (tagNumber < 0x1f) return { kind: 'non-minimal-tag', offset };
    if (at >= limit) return cut(at + 1);
  }
  const lengthByte = bytes[at++]!;
  let length = lengthByte;
  if (lengthByte === 0x80) return { kind: 'indefinite-length', offset };
  if (lengthByte === 0xff) return { kind: 'malformed', offset, what: 'the reserved length octet 0xFF' };
  if (lengthByte > 0x80) {
    const n = lengthByte & 0x7f;
    if (n > MAX_LENGTH_OCTETS) return { kind: 'malformed', offset, what: `a length of ${n} octets` };
    if (at + n > limit) return cut(at + n);
    if (bytes[at] === 0) return { kind: 'non-minimal-length', offset };
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[at++]!;
    if (length < 0x80) return { kind: 'non-minimal-length', offset };
  }
  if (at + length > limit) return cut(at + length);
  return { tagClass: first & 0xc0, constructed: (first & CONSTRUCTED) !== 0, tagNumber, contentStart: at, end: at + length };
}

const isViolation = (h: Header | DerViolation): h is DerViolation => 'kind' in h;

/**
 * The first thing in bytes that is not exactly one DER value, or undefined
 * when they are. Headers are walked depth first into every constructed value;
 * contents of primitive values (an OCTET STRING's extension value, a BIT
 * STRING's key) are checked where they are decoded, with this same function.
 */
export function findDerViolation(bytes: Uint8Array): DerViolation | undefined {
  const inputEnd = bytes.length;
  if (inputEnd === 0) return { kind: 'truncated', offset: 0, declaredEnd: 2, available: 0 };
  const outer = readHeader(bytes, 0, inputEnd, inputEnd, 0);
  if (isViolation(outer)) return outer;
  if (outer.end < inputEnd) {
    // The outer value ends early. If what it holds runs past that end, its length is short, not the file long.
    const inner = walk(bytes, outer, 0, inputEnd);
    if (inner) return inner;
    return { kind: 'trailing-bytes', offset: outer.end, trailingBytes: inputEnd - outer.end };
  }
  return walk(bytes, outer, 0, inputEnd);
}

function walk(bytes: Uint8Array, start: Header, startOffset: number, inputEnd: number): DerViolation | undefined {
  // An explicit stack: hostile nesting must not reach the call stack's limit.
  const stack: { header: Header; offset: number; at: number; depth: number }[] = [];
  const enter = (header: Header, offset: number, depth: number): DerViolation | undefined => {
    const v = checkValue(bytes, header, offset);
    if (v) return v;
    if (header.constructed) {
      if (depth >= MAX_DEPTH) return { kind: 'malformed', offset, what: `values nested more than ${MAX_DEPTH} deep` };
      stack.push({ header, offset, at: header.contentStart, depth });
    }
    return undefined;
  };
  const first = enter(start, startOffset, 0);
  if (first) return first;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.at >= top.header.end) {
      stack.pop();
      continue;
    }
    // A child may not run past its container: past the input's end the file is cut short, else the container's length is.
    const child = readHeader(bytes, top.at, top.header.end, inputEnd, top.offset);
    if (isViolation(child)) return child;
    const childOffset = top.at;
    top.at = child.end;
    const v = enter(child, childOffset, top.depth + 1);
    if (v) return v;
  }
  return undefined;
}

/**
 * The few value rules X.690 §10-§11 sets that a header walk can see. An
 * INTEGER's minimal form is left to its readers: OpenSSL refuses padded key
 * numbers, and lint names a padded serial (serial.not_minimal).
 */
function checkValue(bytes: Uint8Array, h: Header, offset: number): DerViolation | undefined {
  if (h.tagClass !== UNIVERSAL) return undefined;
  if (h.constructed && PRIMITIVE_ONLY.has(h.tagNumber)) return { kind: 'constructed-string', offset, tag: h.tagNumber };
  if (!h.constructed && (h.tagNumber === SEQUENCE_TAG || h.tagNumber === SET_TAG)) return { kind: 'malformed', offset, what: 'a SEQUENCE or SET in primitive form' };
  const length = h.end - h.contentStart;
  if (h.tagNumber === BOOLEAN_TAG) {
    if (length !== 1) return { kind: 'malformed', offset, what: 'a BOOLEAN that is not one octet' };
    // X.690 §11.1: DER writes TRUE as FF only.
    const v = bytes[h.contentStart]!;
    if (v !== 0x00 && v !== 0xff) return { kind: 'boolean-not-ff', offset };
  }
  return undefined;
}

/** A person's words for a violation: what was found and where. */
export function describeDerViolation(v: DerViolation): string {
  switch (v.kind) {
    case 'indefinite-length': return `an indefinite length (BER, not DER) at byte ${v.offset}`;
    case 'non-minimal-length': return `a length not in its shortest form (BER, not DER) at byte ${v.offset}`;
    case 'non-minimal-tag': return `a tag not in its shortest form (BER, not DER) at byte ${v.offset}`;
    case 'constructed-string': return `a string of universal type ${v.tag} cut into constructed pieces (BER, not DER) at byte ${v.offset}`;
    case 'boolean-not-ff': return `a BOOLEAN TRUE not written as FF (BER, not DER) at byte ${v.offset}`;
    case 'truncated': return `a value at byte ${v.offset} that needs ${v.declaredEnd} bytes where the file has ${v.available}`;
    case 'overruns-container': return `a value at byte ${v.offset} that runs past the end of the value at byte ${v.containerOffset} holding it`;
    case 'trailing-bytes': return `${v.trailingBytes} bytes after the end of the value, from byte ${v.offset}`;
    case 'malformed': return `${v.what} at byte ${v.offset}`;
  }
}
