/**
 * Parsing DER once for both the schema object and the exact bytes of its
 * parts. Uses the asn1js instance that @peculiar/asn1-schema itself uses (its
 * converters check `instanceof` against their own asn1js), so the tree read
 * here can go straight to AsnParser.fromASN without a second parse.
 */
import { createRequire } from 'node:module';
import type * as Asn1js from 'asn1js';
import { AsnParser, BitString } from '@peculiar/asn1-schema';
import { describeDerViolation, findDerViolation, isBerOnly, type DerViolation } from '../formats/strict-der.ts';

const requireHere = createRequire(import.meta.url);
const asn1js = createRequire(requireHere.resolve('@peculiar/asn1-schema'))('asn1js') as typeof Asn1js;

// Should a bundler ever give the schema library its own copy of asn1js, hand it
// bytes instead of our tree: slower (a second parse), never wrong.
const sharesAsn1js = ((): boolean => {
  try {
    new BitString().fromASN(asn1js.fromBER(Uint8Array.of(0x03, 0x01, 0x00)).result as never);
    return true;
  } catch {
    return false;
  }
})();

export type Asn1Block = Asn1js.AsnType;

export interface DerSequence {
  readonly sequence: Asn1js.Sequence;
  /** Children of the SEQUENCE. */
  readonly items: readonly Asn1js.AsnType[];
}

export type DerReadFailure = 'malformed' | 'trailing' | 'not-der' | 'truncated';

export interface DerReadError {
  readonly failure: DerReadFailure;
  /** Bytes after the value, when failure is 'trailing'. */
  readonly trailingBytes?: number;
  /** What was found instead of DER, in a person's words (every failure but a plain 'malformed' has one). */
  readonly found?: string;
  readonly violation?: DerViolation;
}

/**
 * One DER SEQUENCE filling all of bytes, or why not. DER only (strict-der.ts):
 * BER forms, a value cut short, a container whose length is short and bytes
 * after the value each give their own failure, before any value is decoded.
 */
export function readSequence(bytes: Uint8Array): DerSequence | DerReadError {
  const violation = findDerViolation(bytes);
  if (violation) {
    const found = describeDerViolation(violation);
    if (violation.kind === 'trailing-bytes') return { failure: 'trailing', trailingBytes: violation.trailingBytes, found, violation };
    if (violation.kind === 'truncated') return { failure: 'truncated', found, violation };
    return { failure: isBerOnly(violation) ? 'not-der' : 'malformed', found, violation };
  }
  let parsed: ReturnType<typeof asn1js.fromBER>;
  try {
    // asn1js stops at 10,000 nodes by default, which a valid request with many names exceeds. The walk above
    // bounds the input instead: every node takes two bytes or more, and OCTET STRING contents are not parsed here.
    parsed = asn1js.fromBER(bytes, { maxNodes: bytes.byteLength, parseEmbedded: false });
  } catch {
    // asn1js throws a plain Error from some value decoders (a GeneralizedTime that is not a time): that is malformed input too.
    return { failure: 'malformed' };
  }
  if (parsed.offset === -1 || parsed.result.error || !(parsed.result instanceof asn1js.Sequence)) return { failure: 'malformed' };
  if (parsed.offset !== bytes.byteLength) return { failure: 'trailing', trailingBytes: bytes.byteLength - parsed.offset };
  return { sequence: parsed.result, items: parsed.result.valueBlock.value };
}

/** The exact encoding of a parsed element, copied. */
export function rawBytes(block: Asn1js.AsnType | undefined): Uint8Array {
  return block ? new Uint8Array(block.valueBeforeDecodeView) : new Uint8Array(0);
}

/** True when the element is a context-specific [n] tag (TBSCertificate's optional version is [0]). */
export function isContextTag(block: Asn1js.AsnType | undefined, n: number): boolean {
  return block !== undefined && block.idBlock.tagClass === 3 && block.idBlock.tagNumber === n;
}

/** The children of a constructed element (SEQUENCE, SET, [n] EXPLICIT). */
export function childrenOf(block: Asn1js.AsnType | undefined): readonly Asn1js.AsnType[] {
  const value = (block?.valueBlock as { value?: unknown } | undefined)?.value;
  return Array.isArray(value) ? value : [];
}

export function fromAsn<T>(block: Asn1js.AsnType, type: new () => T): T {
  return sharesAsn1js ? AsnParser.fromASN(block as never, type) : AsnParser.parse(rawBytes(block), type);
}

/** The bytes of a BIT STRING with no unused bits (a signature value), or undefined. */
export function bitStringBytes(block: Asn1js.AsnType | undefined): Uint8Array | undefined {
  if (!(block instanceof asn1js.BitString) || block.valueBlock.unusedBits !== 0) return undefined;
  return new Uint8Array(block.valueBlock.valueHexView);
}
