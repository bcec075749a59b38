/**
 * The `.wky` file of `sc-hsm-tool --wrap-key` / `--unwrap-key` (SC-HSM.md §7,
 * OpenSC sc-hsm-tool.c `wrap_key`, `unwrap_key`):
 *
 *   30 { 04 <key blob>, <content of EF C4<id>: the key's PKCS#15 PrKD>?,
 *        <content of EF CE<id>: its X.509 certificate or CV request>? }
 *
 * sc-hsm-tool takes each element's length from its own TLV header and ignores
 * whatever follows; Custos reads the same layout strictly, so a file cut short
 * (WKY_TRUNCATED), with bytes after it (WKY_TRAILING_BYTES) or with an element
 * that is not what it should be (WKY_MALFORMED) is refused before any card is
 * asked. The blob inside is only checked by its CMAC, which needs the DKEK:
 * the card does that at UNWRAP KEY.
 */
import * as asn1js from 'asn1js';
import { CustosError, isCustosError } from '../errors/index.ts';
import { readTlv, type Tlv } from '../pki/cvc/tlv.ts';

export interface WkyFile {
  readonly blob: Uint8Array;
  /** The PKCS#15 private key description TLV (A0 EC, 30 RSA, A8 AES), if the file has one. */
  readonly prkd?: Uint8Array;
  /** The certificate TLV: X.509 (30) or the card's CV request (67, or a bare 7F21), if the file has one. */
  readonly certificate?: Uint8Array;
}

const TAG_SEQUENCE = 0x30;
const TAG_OCTET_STRING = 0x04;
/** privateRSAKey (SEQUENCE), privateECKey [0], secretKey [8] in PKCS#15's PrivateKeyType / SecretKeyType. */
const PRKD_TAGS = new Set([0x30, 0xa0, 0xa8]);
/** X.509 Certificate, CV request (authenticated 67 or bare 7F21). */
const CERTIFICATE_TAGS = new Set([0x30, 0x67, 0x7f21]);

function malformed(what: string): never {
  throw new CustosError('WKY_MALFORMED', `This is not a wrapped-key (.wky) file as sc-hsm-tool writes it: ${what}.`, {});
}

/** One TLV at offset; a length that runs past the end is a file cut short. */
function element(bytes: Uint8Array, offset: number, what: string): { tlv: Tlv; next: number } {
  try {
    return readTlv(bytes, offset);
  } catch (e) {
    if (isCustosError(e) && e.code === 'TLV_TRUNCATED') {
      throw new CustosError('WKY_TRUNCATED', `This .wky file is cut short (${bytes.length} bytes; ${what} runs past the end): copy it again from the backup medium.`, { bytes: bytes.length });
    }
    if (isCustosError(e)) malformed(`${what} is not a valid TLV`);
    throw e;
  }
}

/** The element must also be one well-formed BER value inside, as OpenSC's decoders will read it. */
function checkBer(tlv: Tlv, what: string): void {
  let parsed: ReturnType<typeof asn1js.fromBER>;
  try {
    parsed = asn1js.fromBER(Uint8Array.from(tlv.raw));
  } catch {
    malformed(`${what} is not valid BER`);
  }
  if (parsed.offset !== tlv.raw.length || parsed.result.error) malformed(`${what} is not one BER value`);
}

export function decodeWky(bytes: Uint8Array): WkyFile {
  if (bytes.length === 0) throw new CustosError('WKY_TRUNCATED', 'This .wky file is empty: copy it again from the backup medium.', { bytes: 0 });
  const { tlv: outer, next } = element(bytes, 0, 'the outer SEQUENCE');
  if (outer.tag !== TAG_SEQUENCE || !outer.constructed) malformed('it does not start with a SEQUENCE');
  if (next !== bytes.length) {
    throw new CustosError('WKY_TRAILING_BYTES', `This .wky file has ${bytes.length - next} bytes after its end: it is not the file sc-hsm-tool or Custos wrote.`, { trailingBytes: bytes.length - next });
  }
  const inner = outer.value;
  const items: Tlv[] = [];
  for (let offset = 0; offset < inner.length;) {
    if (items.length === 3) malformed('it holds more than a key blob, a key description and a certificate');
    const read = element(inner, offset, `element ${items.length + 1}`);
    items.push(read.tlv);
    offset = read.next;
  }
  const [blob, prkd, certificate] = items;
  if (blob === undefined || blob.tag !== TAG_OCTET_STRING || blob.constructed) malformed('its first element is not an OCTET STRING holding the key blob');
  if (blob.value.length === 0) malformed('its key blob is empty');
  if (prkd !== undefined) {
    if (!PRKD_TAGS.has(prkd.tag)) malformed(`its second element (tag ${prkd.tag.toString(16)}) is not a PKCS#15 private key description`);
    checkBer(prkd, 'its key description');
  }
  if (certificate !== undefined) {
    if (!CERTIFICATE_TAGS.has(certificate.tag)) malformed(`its third element (tag ${certificate.tag.toString(16)}) is neither an X.509 certificate nor a CV request`);
    checkBer(certificate, 'its certificate');
  }
  return {
    blob: Uint8Array.from(blob.value),
    ...(prkd && { prkd: Uint8Array.from(prkd.raw) }),
    ...(certificate && { certificate: Uint8Array.from(certificate.raw) }),
  };
}

/** Writes the file as sc-hsm-tool does: definite lengths, elements in order, nothing after them. */
export function encodeWky(file: WkyFile): Uint8Array {
  if (file.certificate !== undefined && file.prkd === undefined) {
    throw new CustosError('INPUT_INVALID', 'A .wky file carries a certificate only after a PrKD.', {});
  }
  const value: asn1js.AsnType[] = [new asn1js.OctetString({ valueHex: file.blob })];
  for (const [what, item] of [['PrKD', file.prkd], ['certificate', file.certificate]] as const) {
    if (item === undefined) continue;
    const parsed = asn1js.fromBER(Uint8Array.from(item));
    if (parsed.offset !== item.length || parsed.result.error) throw new CustosError('INPUT_INVALID', `The ${what} for the .wky file is not one BER value.`, {});
    value.push(parsed.result);
  }
  return new Uint8Array(new asn1js.Sequence({ value }).toBER());
}
