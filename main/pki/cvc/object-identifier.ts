/**
 * OIDs as the card writes them: CVC tag 06 and the key blob's algorithm field both
 * carry the OID's content octets. The content is converted by asn1js (wrapped in a
 * universal 06 header for it), never by hand.
 */
import * as asn1js from 'asn1js';
import { CustosError, type ErrorCode } from '../../errors/index.ts';
import { encodeTlv } from './tlv.ts';

/** Dotted form of OID content octets; malformed content is the given error code. */
export function oidFromContent(content: Uint8Array, code: ErrorCode = 'CVC_MALFORMED'): string {
  const bad = (): never => { throw new CustosError(code, 'An object identifier is malformed.', {}); };
  if (content.length === 0 || (content[content.length - 1]! & 0x80) !== 0) bad();
  // X.690 §8.19.2: a subidentifier never starts with 0x80 (asn1js would accept it).
  for (let i = 0, start = true; i < content.length; i++) {
    if (start && content[i] === 0x80) bad();
    start = (content[i]! & 0x80) === 0;
  }
  const der = encodeTlv(0x06, content);
  let parsed: ReturnType<typeof asn1js.fromBER>;
  try {
    parsed = asn1js.fromBER(der);
  } catch {
    return bad();
  }
  if (parsed.offset !== der.length || !(parsed.result instanceof asn1js.ObjectIdentifier) || parsed.result.valueBlock.error) bad();
  const dotted = (parsed.result as asn1js.ObjectIdentifier).getValue();
  if (!/^\d+(\.\d+)+$/.test(dotted)) bad();
  return dotted;
}

/** Content octets (no tag, no length) of a dotted OID. */
export function oidToContent(dotted: string): Uint8Array {
  const der = new Uint8Array(new asn1js.ObjectIdentifier({ value: dotted }).toBER());
  // A short-form header: OIDs here are far below 128 content bytes.
  return der.subarray(2);
}
