/**
 * CV certificates (7F21 {7F4E body, 5F37 signature}) and the SmartCard-HSM's
 * key-generation requests (plain 7F21, or authenticated 67 {7F21, 42 outer CAR,
 * 5F37 outer signature}), after BSI TR-03110 part 3 appendix C and OpenSC
 * `pkcs15-sc-hsm.c`. Decoders take bytes from cards and files: anything they do
 * not fully understand is a typed error (TLV_* or CVC_MALFORMED), never a partial result.
 */
import { CustosError } from '../../errors/index.ts';
import type { CvCertificate, CvcBody, CvcChat, CvRequest } from './types.ts';
import { children, concatBytes, decodeTlv, decodeTlvList, encodeTlv, type Tlv } from './tlv.ts';
import { decodeCvcPublicKey, encodeCvcPublicKey, type DomainParameterEncoding } from './public-key.ts';
import { decodeHolderReference, encodeHolderReference } from './holder-reference.ts';
import { decodeCvcDate, encodeCvcDate } from './cvc-date.ts';
import { oidFromContent, oidToContent } from './object-identifier.ts';

function malformed(what: string, details: Record<string, string | number> = {}): never {
  throw new CustosError('CVC_MALFORMED', `Malformed CV certificate: ${what}.`, details);
}

/** Tags of the body in the order the card writes them (TR-03110 part 3 table C.1). */
const BODY_TAGS = [0x5f29, 0x42, 0x7f49, 0x5f20, 0x7f4c, 0x5f25, 0x5f24, 0x65] as const;

function hex(tag: number): string {
  return tag.toString(16).toUpperCase();
}

/** The fields of a 7F4E TLV, each at most once and in card order. */
function bodyFields(bodyTlv: Tlv): Map<number, Tlv> {
  if (bodyTlv.tag !== 0x7f4e) malformed(`body tag is ${hex(bodyTlv.tag)}, not 7F4E`);
  const fields = new Map<number, Tlv>();
  let lastIndex = -1;
  for (const t of children(bodyTlv)) {
    const index = (BODY_TAGS as readonly number[]).indexOf(t.tag);
    if (index < 0) malformed(`unexpected tag ${hex(t.tag)} in the body`, { tag: hex(t.tag) });
    if (index <= lastIndex) malformed(`tag ${hex(t.tag)} is repeated or out of order`, { tag: hex(t.tag) });
    lastIndex = index;
    fields.set(t.tag, t);
  }
  return fields;
}

function decodeChat(tlv: Tlv): CvcChat {
  const list = children(tlv);
  if (list.length !== 2 || list[0]!.tag !== 0x06 || list[1]!.tag !== 0x53) malformed('the CHAT (7F4C) must hold a role OID (06) and its bits (53)');
  if (list[1]!.value.length === 0) malformed('the CHAT bits (53) are empty');
  return { roleOid: oidFromContent(list[0]!.value), bits: Uint8Array.from(list[1]!.value) };
}

export function decodeCvcBody(bodyTlv: Tlv): CvcBody {
  const f = bodyFields(bodyTlv);
  const cpi = f.get(0x5f29);
  const publicKey = f.get(0x7f49);
  const chr = f.get(0x5f20);
  if (cpi === undefined || publicKey === undefined || chr === undefined) malformed('the body needs a profile identifier (5F29), a public key (7F49) and a CHR (5F20)');
  if (cpi.value.length !== 1 || cpi.value[0] !== 0) malformed('the certificate profile identifier must be 00');
  if (cpi.constructed || chr.constructed || !publicKey.constructed) malformed('a primitive field is constructed or the reverse');
  const car = f.get(0x42);
  const chat = f.get(0x7f4c);
  const effective = f.get(0x5f25);
  const expiration = f.get(0x5f24);
  const extensions = f.get(0x65);
  if (chat !== undefined && !chat.constructed) malformed('the CHAT (7F4C) is not constructed');
  if ((effective === undefined) !== (expiration === undefined)) malformed('the effective and expiration dates come as a pair');
  if (extensions !== undefined) children(extensions);
  const effectiveDate = effective && decodeCvcDate(effective.value, 'effectiveDate');
  const expirationDate = expiration && decodeCvcDate(expiration.value, 'expirationDate');
  if (effectiveDate && expirationDate && expirationDate < effectiveDate) malformed('it expires before it takes effect');
  return {
    cpi: 0,
    ...(car && { car: decodeHolderReference(car.value, 'CAR') }),
    publicKey: decodeCvcPublicKey(publicKey),
    chr: decodeHolderReference(chr.value, 'CHR'),
    ...(chat && { chat: decodeChat(chat) }),
    ...(effectiveDate && { effectiveDate }),
    ...(expirationDate && { expirationDate }),
    ...(extensions && { extensions: Uint8Array.from(extensions.value) }),
  };
}

/** The 7F4E TLV, fields in card order: 5F29, 42, 7F49, 5F20, 7F4C, 5F25, 5F24, 65. */
export function encodeCvcBody(body: CvcBody, encoding: DomainParameterEncoding = 'full'): Uint8Array {
  if (body.cpi !== 0) throw new CustosError('INPUT_INVALID', 'The certificate profile identifier must be 0.', {});
  const parts: Uint8Array[] = [encodeTlv(0x5f29, Uint8Array.of(0))];
  if (body.car !== undefined) parts.push(encodeTlv(0x42, encodeHolderReference(body.car, 'CAR')));
  parts.push(encodeCvcPublicKey(body.publicKey, encoding));
  parts.push(encodeTlv(0x5f20, encodeHolderReference(body.chr, 'CHR')));
  if (body.chat !== undefined) parts.push(encodeTlv(0x7f4c, [encodeTlv(0x06, oidToContent(body.chat.roleOid)), encodeTlv(0x53, body.chat.bits)]));
  if ((body.effectiveDate === undefined) !== (body.expirationDate === undefined)) {
    throw new CustosError('INPUT_INVALID', 'A CV certificate has both an effective and an expiration date, or neither.', {});
  }
  if (body.effectiveDate !== undefined) parts.push(encodeTlv(0x5f25, encodeCvcDate(body.effectiveDate)));
  if (body.expirationDate !== undefined) parts.push(encodeTlv(0x5f24, encodeCvcDate(body.expirationDate)));
  if (body.extensions !== undefined) parts.push(encodeTlv(0x65, body.extensions));
  return encodeTlv(0x7f4e, parts);
}

function certificateFromTlv(tlv: Tlv): CvCertificate {
  if (tlv.tag !== 0x7f21) malformed(`outer tag is ${hex(tlv.tag)}, not 7F21`);
  const list = children(tlv);
  if (list.length !== 2 || list[0]!.tag !== 0x7f4e || list[1]!.tag !== 0x5f37) malformed('7F21 must hold exactly a body (7F4E) and a signature (5F37)');
  const [bodyTlv, signatureTlv] = list as [Tlv, Tlv];
  if (signatureTlv.value.length === 0) malformed('the signature is empty');
  return {
    body: decodeCvcBody(bodyTlv),
    bodyRaw: Uint8Array.from(bodyTlv.raw),
    signature: Uint8Array.from(signatureTlv.value),
    raw: Uint8Array.from(tlv.raw),
  };
}

/** One 7F21 certificate that fills the whole input. */
export function decodeCvCertificate(bytes: Uint8Array): CvCertificate {
  return certificateFromTlv(decodeTlv(bytes));
}

/** A plain (7F21) or authenticated (67) key-generation request that fills the whole input. */
export function decodeCvRequest(bytes: Uint8Array): CvRequest {
  const tlv = decodeTlv(bytes);
  if (tlv.tag === 0x7f21) return { inner: certificateFromTlv(tlv), raw: Uint8Array.from(tlv.raw) };
  if (tlv.tag !== 0x67) malformed(`a request starts with 7F21 or 67, not ${hex(tlv.tag)}`);
  const list = children(tlv);
  if (list.length !== 3 || list[0]!.tag !== 0x7f21 || list[1]!.tag !== 0x42 || list[2]!.tag !== 0x5f37) {
    malformed('an authenticated request (67) must hold 7F21, 42 and 5F37');
  }
  const [inner, car, signature] = list as [Tlv, Tlv, Tlv];
  if (signature.value.length === 0) malformed('the outer signature is empty');
  return {
    inner: certificateFromTlv(inner),
    outerCar: decodeHolderReference(car.value, 'CAR'),
    outerSignature: Uint8Array.from(signature.value),
    outerSignedRaw: concatBytes(inner.raw, car.raw),
    raw: Uint8Array.from(tlv.raw),
  };
}

/** EF 2F02 (C_DevAut): the device certificate followed by its issuer's (DICA), concatenated without a wrapper. */
export function decodeCvcChain(bytes: Uint8Array): CvCertificate[] {
  const list = decodeTlvList(bytes);
  if (list.length === 0) malformed('no certificate');
  return list.map(certificateFromTlv);
}

/** 7F21 { 7F4E body, 5F37 signature }. */
export function encodeCvCertificate(bodyRaw: Uint8Array, signature: Uint8Array): Uint8Array {
  return encodeTlv(0x7f21, [bodyRaw, encodeTlv(0x5f37, signature)]);
}

/** What the outer signature of an authenticated request covers: the inner 7F21 TLV || the 42 TLV of the outer CAR. */
export function outerSignedBytes(innerRaw: Uint8Array, outerCar: string): Uint8Array {
  return concatBytes(innerRaw, encodeTlv(0x42, encodeHolderReference(outerCar, 'CAR')));
}

/** 67 { inner 7F21, 42 outer CAR, 5F37 outer signature }. */
export function encodeAuthenticatedRequest(innerRaw: Uint8Array, outerCar: string, outerSignature: Uint8Array): Uint8Array {
  return encodeTlv(0x67, [outerSignedBytes(innerRaw, outerCar), encodeTlv(0x5f37, outerSignature)]);
}
