/**
 * The `.wky` file of `sc-hsm-tool --wrap-key` / `--unwrap-key` (SC-HSM.md §7):
 * SEQUENCE { OCTET STRING key blob, PrKD (content of C4xx, any tag)?,
 * certificate or CV request (content of CExx)? }, written and read with asn1js.
 */
import * as asn1js from 'asn1js';
import { CustosError } from '../errors/index.ts';

export interface WkyFile {
  readonly blob: Uint8Array;
  /** The PKCS#15 private key description TLV (A0 EC, 30 RSA, A8 AES), if the file has one. */
  readonly prkd?: Uint8Array;
  /** The certificate TLV: X.509 (30) or the card's CV request (67), if the file has one. */
  readonly certificate?: Uint8Array;
}

function invalid(what: string): never {
  throw new CustosError('KEY_BLOB_INVALID', `This is not a wrapped-key (.wky) file: ${what}.`, {});
}

function parseOne(bytes: Uint8Array, what: string): asn1js.AsnType {
  let parsed: ReturnType<typeof asn1js.fromBER>;
  try {
    parsed = asn1js.fromBER(bytes);
  } catch {
    // asn1js throws on some malformed content (a GeneralizedTime that is not a time, for one).
    invalid(`${what} is not valid BER`);
  }
  if (parsed.offset !== bytes.length || parsed.result.error) invalid(`${what} is not one BER element`);
  return parsed.result;
}

export function decodeWky(bytes: Uint8Array): WkyFile {
  const outer = parseOne(bytes, 'the file');
  if (!(outer instanceof asn1js.Sequence)) invalid('it does not start with a SEQUENCE');
  const items = outer.valueBlock.value;
  // sc-hsm-tool takes every length from its TLV header: indefinite lengths are not its format.
  if ([outer, ...items].some((item) => item.lenBlock.isIndefiniteForm)) invalid('it uses an indefinite length');
  if (items.length < 1 || items.length > 3) invalid(`it holds ${items.length} elements, not 1 to 3`);
  const [blob, prkd, certificate] = items;
  if (!(blob instanceof asn1js.OctetString) || blob.idBlock.isConstructed) invalid('its first element is not an OCTET STRING');
  if (blob.valueBlock.valueHexView.length === 0) invalid('its key blob is empty');
  const raw = (item: asn1js.AsnType): Uint8Array => Uint8Array.from(item.valueBeforeDecodeView);
  return {
    blob: Uint8Array.from(blob.valueBlock.valueHexView),
    ...(prkd && { prkd: raw(prkd) }),
    ...(certificate && { certificate: raw(certificate) }),
  };
}

export function encodeWky(file: WkyFile): Uint8Array {
  if (file.certificate !== undefined && file.prkd === undefined) {
    throw new CustosError('INPUT_INVALID', 'A .wky file carries a certificate only after a PrKD.', {});
  }
  const value: asn1js.AsnType[] = [new asn1js.OctetString({ valueHex: file.blob })];
  for (const [what, item] of [['PrKD', file.prkd], ['certificate', file.certificate]] as const) {
    if (item !== undefined) value.push(parseOne(item, `the ${what}`));
  }
  return new Uint8Array(new asn1js.Sequence({ value }).toBER());
}
