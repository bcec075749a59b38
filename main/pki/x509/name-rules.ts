/**
 * What the text of a name may be, checked on the bytes as they are in the DER
 * before any library decodes them: a decoder that replaces bad UTF-8 with
 * U+FFFD (5 bytes became 8) would hand the CA a name the applicant never
 * signed. Refused: invalid encodings, values over RFC 5280's upper bounds,
 * control characters (a newline that adds a fake line to a preview, an ESC
 * that drives the terminal) and the bidi controls that reorder what a person
 * reads (U+202E turns "moc.elgoog" into what looks like "google.com").
 * Used at import (csr.ts) and by lint (lint.ts), so a name typed by the
 * operator meets the same rules as one from a request.
 */
import type * as Asn1js from 'asn1js';
import { childrenOf, rawBytes, readSequence, type Asn1Block } from './der.ts';
import { SHORT_NAMES } from './names.ts';

import { UNSAFE_CHARACTER, visibleText } from '../../api/visible-text.ts';

export { UNSAFE_CHARACTER, visibleText };

const CHARACTER_NAMES: Readonly<Record<number, string>> = {
  0x00: 'NUL', 0x09: 'a tab', 0x0a: 'a line feed', 0x0d: 'a carriage return', 0x1b: 'ESC, which starts a terminal escape', 0x7f: 'DEL',
  0x2028: 'a line separator', 0x2029: 'a paragraph separator',
  0x202a: 'a left-to-right embedding', 0x202b: 'a right-to-left embedding', 0x202c: 'a pop directional formatting',
  0x202d: 'a left-to-right override', 0x202e: 'a right-to-left override',
  0x2066: 'a left-to-right isolate', 0x2067: 'a right-to-left isolate', 0x2068: 'a first strong isolate', 0x2069: 'a pop directional isolate',
};

function describeCharacter(codePoint: number): string {
  const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = CHARACTER_NAMES[codePoint] ?? (codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f) ? 'a control character' : 'a formatting character');
  return `${hex} (${name})`;
}

// RFC 5280 appendix A upper bounds, in characters, by attribute type.
const UPPER_BOUNDS: Readonly<Record<string, { readonly max: number; readonly bound: string }>> = {
  '2.5.4.3': { max: 64, bound: 'ub-common-name' },
  '2.5.4.5': { max: 64, bound: 'ub-serial-number' },
  '2.5.4.6': { max: 2, bound: 'ub-country-name-alpha-length' },
  '2.5.4.7': { max: 128, bound: 'ub-locality-name' },
  '2.5.4.8': { max: 128, bound: 'ub-state-name' },
  '2.5.4.10': { max: 64, bound: 'ub-organization-name' },
  '2.5.4.11': { max: 64, bound: 'ub-organizational-unit-name' },
  '2.5.4.12': { max: 64, bound: 'ub-title' },
  '2.5.4.17': { max: 40, bound: 'ub-postal-code' },
  '2.5.4.65': { max: 128, bound: 'ub-pseudonym' },
  '1.2.840.113549.1.9.1': { max: 255, bound: 'ub-emailaddress-length' },
};
// Types RFC 5280 leaves unbounded (or bounds at ub-name, 32768) get this: no name a person reads is longer,
// and a subject is shown on one line.
const DEFAULT_UPPER_BOUND = { max: 256, bound: 'Custos\u2019s limit for attributes RFC 5280 does not bound' };

export type NameProblemKind = 'too-long' | 'characters' | 'encoding';

export interface NameProblem {
  readonly kind: NameProblemKind;
  /** Where, as a person finds it: "subject CN", "subjectAltName dNSName #3". */
  readonly field: string;
  readonly message: string;
}

// Universal string types (X.680 §41) and how their bytes become text; undefined for bytes the type does not allow.
const UTF8_STRING = 12;
const NUMERIC_STRING = 18;
const PRINTABLE_STRING = 19;
const IA5_STRING = 22;
const VISIBLE_STRING = 26;
const UNIVERSAL_STRING = 28;
const BMP_STRING = 30;
const STRING_TYPE_NAMES: Readonly<Record<number, string>> = {
  12: 'UTF8String', 18: 'NumericString', 19: 'PrintableString', 20: 'TeletexString', 21: 'VideotexString', 22: 'IA5String',
  25: 'GraphicString', 26: 'VisibleString', 27: 'GeneralString', 28: 'UniversalString', 30: 'BMPString',
};

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const PRINTABLE_BYTES = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function isStringType(tag: number): boolean {
  return STRING_TYPE_NAMES[tag] !== undefined;
}

/** The text of a string value's content bytes, or a reason they are not valid for the type. */
function decodeString(tag: number, bytes: Uint8Array): { text: string } | { invalid: string } {
  const latin1 = (): string => Buffer.from(bytes).toString('latin1');
  switch (tag) {
    case UTF8_STRING:
      try {
        return { text: utf8.decode(bytes) };
      } catch {
        return { invalid: 'bytes that are not valid UTF-8' };
      }
    case PRINTABLE_STRING:
      return PRINTABLE_BYTES.test(latin1()) ? { text: latin1() } : { invalid: 'characters PrintableString does not allow' };
    case NUMERIC_STRING:
      return /^[0-9 ]*$/.test(latin1()) ? { text: latin1() } : { invalid: 'characters NumericString does not allow' };
    case IA5_STRING:
      return bytes.every((b) => b < 0x80) ? { text: latin1() } : { invalid: 'bytes above 0x7F, which IA5String (ASCII) does not have' };
    case VISIBLE_STRING:
      return bytes.every((b) => b >= 0x20 && b < 0x7f) ? { text: latin1() } : { invalid: 'bytes VisibleString does not allow' };
    case BMP_STRING: {
      if (bytes.length % 2 !== 0) return { invalid: 'an odd number of bytes, which BMPString (UCS-2) cannot have' };
      let text = '';
      for (let i = 0; i < bytes.length; i += 2) text += String.fromCharCode(bytes[i]! * 256 + bytes[i + 1]!);
      return LONE_SURROGATE.test(text) ? { invalid: 'a lone surrogate, which is no character' } : { text };
    }
    case UNIVERSAL_STRING: {
      if (bytes.length % 4 !== 0) return { invalid: 'a length that is not a multiple of 4, which UniversalString (UCS-4) needs' };
      const points: number[] = [];
      for (let i = 0; i < bytes.length; i += 4) points.push(((bytes[i]! << 24) >>> 0) + (bytes[i + 1]! << 16) + (bytes[i + 2]! << 8) + bytes[i + 3]!);
      if (points.some((p) => p > 0x10ffff || (p >= 0xd800 && p <= 0xdfff))) return { invalid: 'a value that is no Unicode character' };
      return { text: String.fromCodePoint(...points) };
    }
    default:
      // TeletexString and its kin: readers disagree on their character set (T.61 or Latin-1), so two people could read two names.
      return { invalid: 'text in a character set readers disagree on (T.61 or Latin-1), so ask for UTF8String or PrintableString' };
  }
}

/** The content bytes of a primitive value (DER: the raw TLV's tail). */
function contentOf(block: Asn1Block): Uint8Array {
  const raw = rawBytes(block);
  return raw.subarray(raw.length - block.lenBlock.length);
}

function textProblems(field: string, text: string, bound: { max: number; bound: string } | undefined): NameProblem[] {
  const problems: NameProblem[] = [];
  let index = 0;
  for (const c of text) {
    if (UNSAFE_CHARACTER.test(c)) {
      problems.push({ kind: 'characters', field, message: `The ${field} holds ${describeCharacter(c.codePointAt(0)!)} at character ${index + 1}; names may not hold control or bidi formatting characters.` });
      break;
    }
    index += 1;
  }
  const length = [...text].length;
  if (bound && length > bound.max) problems.push({ kind: 'too-long', field, message: `The ${field} has ${length} characters; at most ${bound.max} are allowed (RFC 5280 ${bound.bound}).` });
  return problems;
}

/** Problems of one string value (tag and content as in the DER); none for a value that is not a string. */
function stringValueProblems(field: string, block: Asn1Block, bound: { max: number; bound: string } | undefined): NameProblem[] {
  const tag = block.idBlock.tagNumber;
  if (block.idBlock.tagClass !== 1 || !isStringType(tag)) return [];
  const decoded = decodeString(tag, contentOf(block));
  if ('invalid' in decoded) return [{ kind: 'encoding', field, message: `The ${field} is a ${STRING_TYPE_NAMES[tag]} holding ${decoded.invalid}; it is refused as it is, not re-encoded.` }];
  return textProblems(field, decoded.text, bound);
}

function oidOf(block: Asn1Block | undefined): string {
  return (block as Asn1js.ObjectIdentifier | undefined)?.valueBlock?.toString?.() ?? '';
}

/** Every problem of a Name's attribute values (RFC 5280 §4.1.2.4), read from its DER. */
export function nameProblems(nameDer: Uint8Array, where = 'subject'): NameProblem[] {
  const read = readSequence(nameDer);
  if ('failure' in read) return [{ kind: 'encoding', field: where, message: `The ${where} is not one DER Name${read.found ? `: ${read.found}` : ''}.` }];
  return nameTreeProblems(read.sequence, where);
}

function nameTreeProblems(name: Asn1Block, where: string): NameProblem[] {
  const problems: NameProblem[] = [];
  for (const rdn of childrenOf(name)) {
    for (const atv of childrenOf(rdn)) {
      const [type, value] = childrenOf(atv);
      if (!value) continue;
      const oid = oidOf(type);
      const field = `${where} ${SHORT_NAMES[oid] ?? oid}`;
      problems.push(...stringValueProblems(field, value, UPPER_BOUNDS[oid] ?? DEFAULT_UPPER_BOUND));
    }
  }
  return problems;
}

const GENERAL_NAME_TAGS: Readonly<Record<number, string>> = { 0: 'otherName', 1: 'rfc822Name', 2: 'dNSName', 4: 'directoryName', 6: 'uniformResourceIdentifier' };
// RFC 5280 appendix A gives these IA5String forms no bound; DNS names stop at 253 (RFC 1034 §3.1), and no URI or address a person reads is longer than 255.
const GENERAL_NAME_BOUND = { max: 255, bound: 'Custos\u2019s limit for names in subjectAltName' };

/**
 * Every problem of a GeneralNames value (the content of a subjectAltName's
 * extnValue, RFC 5280 §4.2.1.6): the IA5String names' bytes, a directoryName's
 * attributes, and an otherName's string value.
 */
export function generalNamesProblems(generalNamesDer: Uint8Array, where = 'subjectAltName'): NameProblem[] {
  const read = readSequence(generalNamesDer);
  if ('failure' in read) return [{ kind: 'encoding', field: where, message: `The ${where} is not DER GeneralNames${read.found ? `: ${read.found}` : ''}.` }];
  const problems: NameProblem[] = [];
  read.items.forEach((item, i) => {
    if (item.idBlock.tagClass !== 3) return;
    const tag = item.idBlock.tagNumber;
    const field = `${where} ${GENERAL_NAME_TAGS[tag] ?? `[${tag}]`} #${i + 1}`;
    if (tag === 1 || tag === 2 || tag === 6) {
      // [n] IMPLICIT IA5String: the bytes are the string's.
      const bytes = contentOf(item);
      if (!bytes.every((b) => b < 0x80)) problems.push({ kind: 'encoding', field, message: `The ${field} holds bytes above 0x7F, which IA5String (ASCII) does not have; it is refused as it is, not re-encoded.` });
      else problems.push(...textProblems(field, Buffer.from(bytes).toString('latin1'), GENERAL_NAME_BOUND));
    } else if (tag === 4) {
      // directoryName [4] EXPLICIT Name (tags are explicit in the module, RFC 5280 appendix A.2).
      const name = childrenOf(item)[0];
      if (name) problems.push(...nameTreeProblems(name, `${field} (directoryName)`));
    } else if (tag === 0) {
      // otherName: type-id, [0] EXPLICIT value; a string value (a UPN is a UTF8String) is held to the same rules.
      const value = childrenOf(childrenOf(item)[1])[0];
      if (value) problems.push(...stringValueProblems(field, value, GENERAL_NAME_BOUND));
    }
  });
  return problems;
}

/**
 * The most names one request may ask for in its subjectAltName. The CA/Browser
 * Forum sets no number, but public CAs stop far below it (Let's Encrypt at 100):
 * every relying party checks each name against each name constraint of the
 * chain (Go caps that work at 250,000 comparisons, then refuses the chain), and
 * a certificate of thousands of names passes 64 KiB, where TLS stacks and
 * hardware start to refuse it. A request asking for more is a mistake or an
 * attack on those relying parties; it is refused with this limit named, not
 * half read.
 */
export const MAX_SUBJECT_ALT_NAMES = 1000;

/** How many names a GeneralNames value holds, counted on its DER without decoding them. */
export function generalNamesCount(generalNamesDer: Uint8Array): number | undefined {
  const read = readSequence(generalNamesDer);
  return 'failure' in read ? undefined : read.items.length;
}
