/**
 * The CVC public key (7F49, TR-03110 part 3 §D.3) and its conversions to DER
 * SubjectPublicKeyInfo and node:crypto KeyObjects. SPKI goes through
 * @peculiar/asn1-x509 / asn1-rsa / asn1-ecc; only the CVC tags are written here.
 */
import { createPublicKey, ECDH, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { RSAPublicKey } from '@peculiar/asn1-rsa';
import { ECParameters } from '@peculiar/asn1-ecc';
import { CustosError } from '../../errors/index.ts';
import { OID } from '../oids.ts';
import type { CvcCurve, CvcPublicKey } from './types.ts';
import { cvcAlgorithm } from './oids.ts';
import { DOMAIN_PARAMETERS, curveByNamedOid, identifyCurve, sameBasePoint } from './domain-parameters.ts';
import { bigintFromBytes, stripLeadingZeros } from './bytes.ts';
import { oidFromContent, oidToContent } from './object-identifier.ts';
import { children, encodeTlv, type Tlv } from './tlv.ts';

function malformed(what: string, details: Record<string, string | number> = {}): never {
  throw new CustosError('CVC_MALFORMED', `The CV certificate's public key is malformed: ${what}.`, details);
}

const EC_TAGS = [0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87] as const;

/** Decodes the 7F49 TLV. EC domain parameters, when present, must be a known curve's, value for value. */
export function decodeCvcPublicKey(tlv: Tlv): CvcPublicKey {
  if (tlv.tag !== 0x7f49) malformed('tag is not 7F49');
  const list = children(tlv);
  const [first, ...rest] = list;
  if (first === undefined || first.tag !== 0x06) malformed('it does not start with an algorithm OID');
  const oid = oidFromContent(first.value);
  const algorithm = cvcAlgorithm(oid);
  if (algorithm === undefined) {
    throw new CustosError('CVC_OID_UNKNOWN', `The CV certificate's public key names ${oid}, which is not a TR-03110 signature algorithm.`, { oid });
  }
  const byTag = new Map<number, Uint8Array>();
  for (const t of rest) {
    if (byTag.has(t.tag)) malformed(`tag ${t.tag.toString(16)} appears twice`);
    byTag.set(t.tag, t.value);
  }
  if (algorithm.kind === 'rsa') {
    const modulus = byTag.get(0x81);
    const exponent = byTag.get(0x82);
    if (byTag.size !== 2 || modulus === undefined || exponent === undefined) malformed('an RSA key needs exactly a modulus (81) and an exponent (82)');
    if (modulus.length < 64 || (modulus[0] === 0 && modulus.length > 1) || exponent.length === 0 || exponent.length > 8) malformed('RSA modulus or exponent has an impossible length');
    return { kind: 'rsa', oid, modulus: Uint8Array.from(modulus), exponent: Uint8Array.from(exponent) };
  }
  for (const tag of byTag.keys()) if (!(EC_TAGS as readonly number[]).includes(tag)) malformed(`unexpected tag ${tag.toString(16)} in an EC key`);
  const point = byTag.get(0x86);
  if (point === undefined) malformed('an EC key needs its public point (86)');
  if (byTag.size === 1) {
    if (point.length < 3 || point.length % 2 === 0 || point[0] !== 0x04) malformed('the public point is not uncompressed 04||X||Y');
    return { kind: 'ec', oid, publicPoint: Uint8Array.from(point), withDomainParameters: false };
  }
  const p = byTag.get(0x81); const a = byTag.get(0x82); const b = byTag.get(0x83);
  const g = byTag.get(0x84); const n = byTag.get(0x85); const h = byTag.get(0x87);
  if (!p || !a || !b || !g || !n) malformed('EC domain parameters are incomplete (81 to 85 are required together)');
  const curve = identifyCurve(p, a);
  if (curve === undefined) malformed('the EC domain parameters name no supported curve');
  const d = DOMAIN_PARAMETERS[curve];
  if (bigintFromBytes(b) !== bigintFromBytes(d.b) || !sameBasePoint(g, curve) || bigintFromBytes(n) !== bigintFromBytes(d.order)
    || (h !== undefined && bigintFromBytes(h) !== bigintFromBytes(d.cofactor))) {
    malformed(`the EC domain parameters differ from ${curve}`, { curve });
  }
  if (point.length !== 1 + 2 * d.fieldBytes || point[0] !== 0x04) malformed(`the public point is not an uncompressed ${curve} point`, { curve });
  return { kind: 'ec', oid, curve, publicPoint: Uint8Array.from(point), withDomainParameters: true };
}

/**
 * How EC domain parameters are written: 'full', every value at its field
 * length, as CardContact's cards and OpenSC (which matches p and a byte for
 * byte) need; or 'mbedtls', as a card built on mbedtls writes them
 * (mbedtls_mpi_write_binary at mbedtls_mpi_size): minimal lengths, an a of −3
 * left empty (mbedtls keeps A unset for those curves) and an a of 0 as one 00
 * byte (pico-hsm's `asn1_cvc_public_key_ecdsa`).
 */
export type DomainParameterEncoding = 'full' | 'mbedtls';

function mbedtlsCoefficientA(curve: CvcCurve): Uint8Array {
  const d = DOMAIN_PARAMETERS[curve];
  const a = bigintFromBytes(d.a);
  if (a === bigintFromBytes(d.p) - 3n) return new Uint8Array(0);
  return a === 0n ? Uint8Array.of(0) : stripLeadingZeros(d.a);
}

/** Encodes 7F49 in card order: RSA 06 81 82; EC 06 81 82 83 84 85 86 87, or 06 86 without domain parameters. */
export function encodeCvcPublicKey(pk: CvcPublicKey, encoding: DomainParameterEncoding = 'full'): Uint8Array {
  const oid = encodeTlv(0x06, oidToContent(pk.oid));
  if (pk.kind === 'rsa') {
    return encodeTlv(0x7f49, [oid, encodeTlv(0x81, stripLeadingZeros(pk.modulus)), encodeTlv(0x82, stripLeadingZeros(pk.exponent))]);
  }
  const point = encodeTlv(0x86, pk.publicPoint);
  if (!pk.withDomainParameters) return encodeTlv(0x7f49, [oid, point]);
  if (pk.curve === undefined) {
    throw new CustosError('INPUT_INVALID', 'An EC public key with domain parameters needs its curve.', {});
  }
  const d = DOMAIN_PARAMETERS[pk.curve];
  const minimal = encoding === 'mbedtls';
  return encodeTlv(0x7f49, [
    oid, encodeTlv(0x81, minimal ? stripLeadingZeros(d.p) : d.p), encodeTlv(0x82, minimal ? mbedtlsCoefficientA(pk.curve) : d.a),
    encodeTlv(0x83, minimal ? stripLeadingZeros(d.b) : d.b), encodeTlv(0x84, d.g),
    encodeTlv(0x85, minimal ? stripLeadingZeros(d.order) : d.order), point, encodeTlv(0x87, d.cofactor),
  ]);
}

/** An unsigned big-endian integer as DER INTEGER content: a leading 00 when the top bit is set. */
function asUnsignedInteger(bytes: Uint8Array): ArrayBuffer {
  const v = stripLeadingZeros(bytes);
  const out = (v[0]! & 0x80) !== 0 ? Uint8Array.of(0, ...v) : Uint8Array.from(v);
  return out.buffer;
}

/** DER SubjectPublicKeyInfo of a CVC key. An EC key must know its curve (inherit it from the issuer first). */
export function spkiFromCvcPublicKey(pk: CvcPublicKey): Uint8Array {
  if (pk.kind === 'rsa') {
    const rsa = new RSAPublicKey({ modulus: asUnsignedInteger(pk.modulus), publicExponent: asUnsignedInteger(pk.exponent) });
    const spki = new SubjectPublicKeyInfo({
      algorithm: new AlgorithmIdentifier({ algorithm: OID.rsaEncryption, parameters: null }),
      subjectPublicKey: AsnConvert.serialize(rsa),
    });
    return new Uint8Array(AsnConvert.serialize(spki));
  }
  if (pk.curve === undefined) {
    throw new CustosError('CVC_MALFORMED', 'This EC key carries no domain parameters: its curve comes from the issuer certificate.', {});
  }
  const spki = new SubjectPublicKeyInfo({
    algorithm: new AlgorithmIdentifier({
      algorithm: OID.ecPublicKey,
      parameters: AsnConvert.serialize(new ECParameters({ namedCurve: DOMAIN_PARAMETERS[pk.curve].namedCurveOid })),
    }),
    subjectPublicKey: Uint8Array.from(pk.publicPoint).buffer,
  });
  return new Uint8Array(AsnConvert.serialize(spki));
}

/** A CVC key for the given TA algorithm OID from a DER SubjectPublicKeyInfo. */
export function cvcPublicKeyFromSpki(spkiDer: Uint8Array, oid: string, withDomainParameters = true): CvcPublicKey {
  const algorithm = cvcAlgorithm(oid);
  if (algorithm === undefined) throw new CustosError('INPUT_INVALID', `${oid} is not a TR-03110 signature algorithm.`, { oid });
  let spki: SubjectPublicKeyInfo;
  try {
    spki = AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
  } catch (e) {
    throw new CustosError('INPUT_INVALID', 'The public key is not a DER SubjectPublicKeyInfo.', {}, { cause: e });
  }
  const keyAlgorithm = spki.algorithm.algorithm;
  if (algorithm.kind === 'rsa') {
    if (keyAlgorithm !== OID.rsaEncryption) throw new CustosError('INPUT_INVALID', `${oid} needs an RSA key.`, { oid });
    const rsa = AsnConvert.parse(spki.subjectPublicKey, RSAPublicKey);
    return { kind: 'rsa', oid, modulus: Uint8Array.from(stripLeadingZeros(new Uint8Array(rsa.modulus))), exponent: Uint8Array.from(stripLeadingZeros(new Uint8Array(rsa.publicExponent))) };
  }
  if (keyAlgorithm !== OID.ecPublicKey || !spki.algorithm.parameters) throw new CustosError('INPUT_INVALID', `${oid} needs an EC key.`, { oid });
  const namedCurve = AsnConvert.parse(spki.algorithm.parameters, ECParameters).namedCurve;
  const curve = namedCurve === undefined ? undefined : curveByNamedOid(namedCurve);
  if (curve === undefined) throw new CustosError('KEY_SPEC_UNSUPPORTED', 'The EC key is on a curve CV certificates here do not support.', { namedCurve: namedCurve ?? 'explicit' });
  let point = new Uint8Array(spki.subjectPublicKey);
  if (point[0] !== 0x04) {
    // Compressed points (02/03) are expanded: the CVC 86 field is always 04||X||Y.
    point = new Uint8Array(ECDH.convertKey(point, DOMAIN_PARAMETERS[curve].nodeCurve, undefined, undefined, 'uncompressed') as Buffer);
  }
  return { kind: 'ec', oid, curve, publicPoint: point, withDomainParameters };
}

export function cvcPublicKeyFromKeyObject(key: KeyObject, oid: string, withDomainParameters: boolean): CvcPublicKey {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return cvcPublicKeyFromSpki(new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })), oid, withDomainParameters);
}

/** The node:crypto key for a CVC key; a point off its curve or a broken modulus is CVC_MALFORMED. */
export function keyObjectFromCvcPublicKey(pk: CvcPublicKey): KeyObject {
  const der = spkiFromCvcPublicKey(pk);
  try {
    return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch (e) {
    throw new CustosError('CVC_MALFORMED', 'The CV certificate\'s public key is not a valid key (point off the curve or bad modulus).', {}, { cause: e });
  }
}

/** The same key with its curve taken from the issuer's, for certificates that carry only the point. */
export function withInheritedCurve(pk: CvcPublicKey, issuerCurve: CvcCurve | undefined): CvcPublicKey {
  if (pk.kind !== 'ec' || pk.curve !== undefined || issuerCurve === undefined) return pk;
  if (pk.publicPoint.length !== 1 + 2 * DOMAIN_PARAMETERS[issuerCurve].fieldBytes) malformed(`the public point does not fit the issuer's curve ${issuerCurve}`);
  return { ...pk, curve: issuerCurve };
}

