/**
 * asn1js's fromBER, made total. asn1js throws a plain Error from inside some
 * value decoders (a GeneralizedTime or UTCTime whose text is not a time)
 * instead of reporting it in its result; every reader of untrusted bytes goes
 * through here, so such input is "malformed" like any other, never an
 * untyped exception.
 */
import * as asn1js from 'asn1js';

export type BerResult = ReturnType<typeof asn1js.fromBER>;

export function fromBerSafely(bytes: BufferSource): BerResult {
  try {
    return asn1js.fromBER(bytes);
  } catch {
    return { offset: -1, result: new asn1js.Any() } as unknown as BerResult;
  }
}
