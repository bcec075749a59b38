/**
 * Where Custos writes and walks DER by hand: the revokedCertificates list of
 * a CRL (RFC 5280 §5.1.2.6) and the TLV headers around it. (der-join.ts uses
 * the same header writer to join library-encoded parts of a certificate.)
 *
 * Why by hand: every ASN.1 library at hand builds one object per entry and
 * one buffer per node, then concatenates. Measured here, @peculiar/x509's
 * X509CrlGenerator is quadratic in the entry count (100,000 entries took 18
 * minutes) and asn1-schema or pkijs object lists run 20-36x slower than
 * OpenSSL and exhaust Node's default heap at 1,000,000 entries. Entries are
 * tiny and regular (serial, time, at most two fixed extensions), so they are
 * sized first and written once into one preallocated buffer: linear time,
 * one allocation. Everything else in a CRL goes through @peculiar/asn1-x509.
 * test/unit/pki/x509/crl-der.test.ts proves the bytes equal the library's.
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CRLReason, Extension, InvalidityDate } from '@peculiar/asn1-x509';
import { CustosError } from '../../errors/index.ts';
import { OID } from '../oids.ts';
import { CRL_REASON_CODES, CRL_REASONS, type CrlReason, type RevokedEntry } from './revocation.ts';

const TAG_INTEGER = 0x02;
const TAG_SEQUENCE = 0x30;
const TAG_UTC_TIME = 0x17;
const TAG_GENERALIZED_TIME = 0x18;

/** RFC 5280 §4.1.2.2: conforming serials are at most 20 octets. */
export const MAX_SERIAL_OCTETS = 20;

/** Bytes a DER definite length takes (X.690 §8.1.3): short form below 128, else 0x80|n then n octets. */
export function derLengthSize(length: number): number {
  if (length < 0x80) return 1;
  let n = 0;
  for (let l = length; l > 0; l = Math.floor(l / 256)) n += 1;
  return 1 + n;
}

/** Writes a tag and a DER length; returns the offset after them. */
export function writeDerHeader(out: Uint8Array, offset: number, tag: number, length: number): number {
  out[offset++] = tag;
  if (length < 0x80) {
    out[offset++] = length;
    return offset;
  }
  const n = derLengthSize(length) - 1;
  out[offset++] = 0x80 | n;
  for (let i = n - 1; i >= 0; i--) out[offset++] = Math.floor(length / 256 ** i) & 0xff;
  return offset;
}

export interface DerHeader {
  /** The single-byte tag (every tag this module walks is low-tag-number form). */
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  /** Offset of the first content byte. */
  readonly contentStart: number;
  /** Offset after the last content byte. */
  readonly end: number;
}

function malformed(what: string, offset: number): never {
  throw new CustosError('CRL_INVALID', `This CRL is not valid DER: ${what} at byte ${offset}.`, { offset });
}

/** Reads one TLV header at offset within [offset, limit), refusing anything but DER definite lengths. */
export function readDerHeader(bytes: Uint8Array, offset = 0, limit = bytes.length): DerHeader {
  if (offset + 2 > limit) malformed('a tag and length are cut short', offset);
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) malformed('an unexpected high tag number', offset);
  let at = offset + 1;
  const first = bytes[at++]!;
  let length = first;
  if (first === 0x80) malformed('an indefinite length', offset);
  if (first > 0x80) {
    const n = first & 0x7f;
    // Six length octets already exceed any buffer Node can hold.
    if (n > 6 || at + n > limit) malformed('a length that is cut short or too long', offset);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[at++]!;
    if (length < 0x80 || bytes[offset + 2] === 0) malformed('a length not in its shortest form', offset);
  }
  if (at + length > limit) malformed(`content of ${length} bytes runs past its container`, offset);
  return { tag, start: offset, contentStart: at, end: at + length };
}

/** Lower-case hex without leading zero octets, even length; "00" for zero. Refuses non-hex and serials over 20 octets. */
export function normalizeSerialHex(serialHex: string): string {
  if (!/^[0-9a-fA-F]+$/.test(serialHex)) {
    throw new CustosError('INPUT_INVALID', `Serial number "${serialHex.slice(0, 50)}" is not hexadecimal.`, { serialHex: serialHex.slice(0, 50) });
  }
  let hex = serialHex.toLowerCase();
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let i = 0;
  while (i < hex.length - 2 && hex[i] === '0' && hex[i + 1] === '0') i += 2;
  hex = hex.slice(i);
  if (hex.length / 2 > MAX_SERIAL_OCTETS) {
    throw new CustosError('INPUT_INVALID', `Serial number ${hex} is longer than ${MAX_SERIAL_OCTETS} octets (RFC 5280 §4.1.2.2).`, { serialHex: hex });
  }
  return hex;
}

// The fixed parts of the two entry extensions come from the ASN.1 library
// once, at load: only the reason's value and the invalidity date's digits vary.
const REASON_EXTENSION_DER = new Map<CrlReason, Uint8Array>(CRL_REASONS.map((reason) => [reason, new Uint8Array(AsnConvert.serialize(new Extension({
  extnID: OID.crlReason,
  extnValue: new OctetString(AsnConvert.serialize(new CRLReason(CRL_REASON_CODES[reason]))),
})))]));

const GENERALIZED_TIME_DIGITS = 15; // YYYYMMDDHHMMSSZ
const UTC_TIME_DIGITS = 13; // YYMMDDHHMMSSZ

const INVALIDITY_PREFIX_DER: Uint8Array = (() => {
  const sample = new Uint8Array(AsnConvert.serialize(new Extension({
    extnID: OID.invalidityDate,
    extnValue: new OctetString(AsnConvert.serialize(new InvalidityDate(new Date(Date.UTC(2000, 0, 1))))),
  })));
  const prefix = sample.subarray(0, sample.length - GENERALIZED_TIME_DIGITS);
  // RFC 5280 §5.3.2: invalidityDate is always GeneralizedTime; the prefix must end in its header.
  if (prefix[prefix.length - 2] !== TAG_GENERALIZED_TIME || prefix[prefix.length - 1] !== GENERALIZED_TIME_DIGITS) {
    throw new CustosError('INTERNAL', 'The invalidityDate extension template is not what RFC 5280 §5.3.2 describes.');
  }
  return prefix;
})();
const INVALIDITY_EXTENSION_SIZE = INVALIDITY_PREFIX_DER.length + GENERALIZED_TIME_DIGITS;

/** RFC 5280 §4.1.2.5 and §5.1.2.4: UTCTime through 2049, GeneralizedTime from 2050 (and before 1950). */
export function usesUtcTime(date: Date): boolean {
  const year = date.getUTCFullYear();
  return year >= 1950 && year <= 2049;
}

/** Encoded size of a Time CHOICE (tag, length, digits). */
export function timeSize(date: Date): number {
  return 2 + (usesUtcTime(date) ? UTC_TIME_DIGITS : GENERALIZED_TIME_DIGITS);
}

function writeDigits(out: Uint8Array, offset: number, value: number, width: number): number {
  for (let i = width - 1; i >= 0; i--) {
    out[offset + i] = 0x30 + (value % 10);
    value = Math.floor(value / 10);
  }
  return offset + width;
}

/** Writes the digits of a UTCTime or GeneralizedTime, seconds precision, 'Z' (RFC 5280 §4.1.2.5.1-2). */
function writeTimeDigits(out: Uint8Array, offset: number, date: Date, generalized: boolean): number {
  offset = generalized ? writeDigits(out, offset, date.getUTCFullYear(), 4) : writeDigits(out, offset, date.getUTCFullYear() % 100, 2);
  offset = writeDigits(out, offset, date.getUTCMonth() + 1, 2);
  offset = writeDigits(out, offset, date.getUTCDate(), 2);
  offset = writeDigits(out, offset, date.getUTCHours(), 2);
  offset = writeDigits(out, offset, date.getUTCMinutes(), 2);
  offset = writeDigits(out, offset, date.getUTCSeconds(), 2);
  out[offset++] = 0x5a; // 'Z'
  return offset;
}

function writeTime(out: Uint8Array, offset: number, date: Date): number {
  const utc = usesUtcTime(date);
  out[offset++] = utc ? TAG_UTC_TIME : TAG_GENERALIZED_TIME;
  out[offset++] = utc ? UTC_TIME_DIGITS : GENERALIZED_TIME_DIGITS;
  return writeTimeDigits(out, offset, date, !utc);
}

function checkDate(date: unknown, field: string, serialHex: string): void {
  if (!(date instanceof Date) || Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999) {
    throw new CustosError('INPUT_INVALID', `The ${field} of serial ${serialHex} is not a valid date.`, { serialHex, field });
  }
}

const HEX_VALUE = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < 16; i++) table['0123456789abcdef'.charCodeAt(i)] = i;
  return table;
})();

/** The revokedCertificates list, sized and sorted, ready to be written into a larger buffer. */
export interface RevokedCertificatesDer {
  readonly entryCount: number;
  /** Bytes of the whole SEQUENCE OF (header included); 0 when there are no entries and the field must be absent (RFC 5280 §5.1.2.6). */
  readonly byteLength: number;
  /** Writes the SEQUENCE OF at offset; returns the offset after it. */
  writeTo(out: Uint8Array, offset: number): number;
}

/**
 * Sizes the revokedCertificates SEQUENCE OF for these entries, sorted by
 * serial number ascending as OpenSSL sorts them (X509_CRL_sort), so equal
 * inputs always give equal bytes. Refuses a serial listed twice,
 * removeFromCRL (only for delta CRLs, RFC 5280 §5.3.1) and invalid dates.
 * Entry extensions: reasonCode (omitted for unspecified, as RFC 5280 §5.3.1
 * recommends), then invalidityDate.
 */
export function prepareRevokedCertificates(entries: readonly RevokedEntry[]): RevokedCertificatesDer {
  const count = entries.length;
  const serials = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const entry = entries[i]!;
    const serial = normalizeSerialHex(entry.serialHex);
    serials[i] = serial;
    checkDate(entry.revocationDate, 'revocationDate', serial);
    if (entry.invalidityDate !== undefined) checkDate(entry.invalidityDate, 'invalidityDate', serial);
    if (entry.reason !== undefined && !REASON_EXTENSION_DER.has(entry.reason)) {
      throw new CustosError('INPUT_INVALID', `"${String(entry.reason).slice(0, 40)}" is not an RFC 5280 CRL reason (serial ${serial}).`, { serialHex: serial });
    }
    if (entry.reason === 'removeFromCRL') {
      throw new CustosError('INPUT_INVALID', `removeFromCRL belongs only in delta CRLs (RFC 5280 §5.3.1); serial ${serial} cannot carry it in a full CRL.`, { serialHex: serial });
    }
  }
  // Normalized serials compare as numbers by length first, then as strings.
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const sorted = Array.from(order).sort((a, b) => {
    const x = serials[a]!;
    const y = serials[b]!;
    return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
  });
  for (let i = 1; i < count; i++) {
    if (serials[sorted[i]!] === serials[sorted[i - 1]!]) {
      throw new CustosError('INPUT_INVALID', `Serial ${serials[sorted[i]!]} is listed twice; a CRL lists each certificate once.`, { serialHex: serials[sorted[i]!]! });
    }
  }

  // Pass 1, in input order: the size and place of every entry.
  const entryStarts = new Uint32Array(count + 1);
  const entryBodies = new Uint16Array(count);
  let contentLength = 0;
  for (let i = 0; i < count; i++) {
    const entry = entries[i]!;
    const serial = serials[i]!;
    const serialOctets = serial.length / 2 + ((HEX_VALUE[serial.charCodeAt(0)]! & 0x8) !== 0 ? 1 : 0);
    let extensions = 0;
    if (entry.reason !== undefined && entry.reason !== 'unspecified') extensions += REASON_EXTENSION_DER.get(entry.reason)!.length;
    if (entry.invalidityDate !== undefined) extensions += INVALIDITY_EXTENSION_SIZE;
    let body = 1 + derLengthSize(serialOctets) + serialOctets + timeSize(entry.revocationDate);
    if (extensions > 0) body += 1 + derLengthSize(extensions) + extensions;
    entryBodies[i] = body;
    entryStarts[i] = contentLength;
    contentLength += 1 + derLengthSize(body) + body;
  }
  // Far beyond any real CRL (a million entries take about 50 MB); keeps offsets in 32 bits.
  if (contentLength > 0x7fffffff) throw new CustosError('INPUT_INVALID', `${count} entries make a CRL over 2 GiB; split the CA's revocations over several CRLs.`, { count });
  entryStarts[count] = contentLength;

  // Pass 2, in input order: each entry's DER into one staging buffer. Reading the
  // entry objects in sorted order instead scatters reads over the heap; copying
  // the small encoded entries in sorted order (writeTo) touches one flat buffer.
  const staging = Buffer.allocUnsafe(contentLength);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const entry = entries[i]!;
    const serial = serials[i]!;
    const pad = (HEX_VALUE[serial.charCodeAt(0)]! & 0x8) !== 0;
    const serialOctets = serial.length / 2 + (pad ? 1 : 0);
    const reasonDer = entry.reason !== undefined && entry.reason !== 'unspecified' ? REASON_EXTENSION_DER.get(entry.reason)! : undefined;
    const extensions = (reasonDer?.length ?? 0) + (entry.invalidityDate !== undefined ? INVALIDITY_EXTENSION_SIZE : 0);
    at = writeDerHeader(staging, at, TAG_SEQUENCE, entryBodies[i]!);
    // userCertificate INTEGER: positive, so a leading 0x00 when the high bit is set (X.690 §8.3.3).
    at = writeDerHeader(staging, at, TAG_INTEGER, serialOctets);
    if (pad) staging[at++] = 0x00;
    for (let c = 0; c < serial.length; c += 2) {
      staging[at++] = (HEX_VALUE[serial.charCodeAt(c)]! << 4) | HEX_VALUE[serial.charCodeAt(c + 1)]!;
    }
    at = writeTime(staging, at, entry.revocationDate);
    if (extensions > 0) {
      at = writeDerHeader(staging, at, TAG_SEQUENCE, extensions);
      if (reasonDer !== undefined) { staging.set(reasonDer, at); at += reasonDer.length; }
      if (entry.invalidityDate !== undefined) {
        staging.set(INVALIDITY_PREFIX_DER, at);
        at = writeTimeDigits(staging, at + INVALIDITY_PREFIX_DER.length, entry.invalidityDate, true);
      }
    }
    if (at !== entryStarts[i + 1]) throw new CustosError('INTERNAL', `CRL entry for serial ${serial} was sized ${entryStarts[i + 1]! - entryStarts[i]!} bytes but took ${at - entryStarts[i]!}.`);
  }

  const byteLength = count === 0 ? 0 : 1 + derLengthSize(contentLength) + contentLength;
  return {
    entryCount: count,
    byteLength,
    writeTo(out: Uint8Array, offset: number): number {
      if (count === 0) return offset;
      offset = writeDerHeader(out, offset, TAG_SEQUENCE, contentLength);
      for (let k = 0; k < count; k++) {
        const i = sorted[k]!;
        const end = entryStarts[i + 1]!;
        for (let b = entryStarts[i]!; b < end; b++) out[offset++] = staging[b]!;
      }
      return offset;
    },
  };
}
