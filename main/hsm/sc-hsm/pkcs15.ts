/**
 * The PKCS#15 private-key directory entry (PrKD) the SmartCard-HSM keeps in
 * EF C4<id> for each key (PKCS #15 v1.1 §6.4.1, ISO/IEC 7816-15). OpenSC reads
 * it to show the key's label and size; the card itself never looks at it.
 * The module is IMPLICIT TAGS: privateECKey [0] replaces the SEQUENCE tag,
 * while typeAttributes [1] wraps its SEQUENCE (how OpenSC encodes it too).
 */
import { AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, BitString, OctetString } from '@peculiar/asn1-schema';
import { CustosError } from '../../errors/index.ts';

/** Path ::= SEQUENCE { path OCTET STRING, … } — the key is found by its key reference, so the path stays empty. */
class Pkcs15Path {
  @AsnProp({ type: OctetString }) path = new OctetString();
}

class CommonObjectAttributes {
  @AsnProp({ type: AsnPropTypes.Utf8String, optional: true }) label?: string;
  /** CommonObjectFlags ::= BIT STRING { private(0), modifiable(1) } */
  @AsnProp({ type: BitString, optional: true }) flags?: BitString;
  @AsnProp({ type: OctetString, optional: true }) authId?: OctetString;
}

class CommonKeyAttributes {
  @AsnProp({ type: OctetString }) iD = new OctetString();
  /** KeyUsageFlags ::= BIT STRING { encrypt(0), decrypt(1), sign(2), signRecover(3), wrap(4), unwrap(5), verify(6), verifyRecover(7), derive(8), nonRepudiation(9) } */
  @AsnProp({ type: BitString }) usage = new BitString();
  @AsnProp({ type: AsnPropTypes.Boolean, optional: true }) native?: boolean;
  /** KeyAccessFlags ::= BIT STRING { sensitive(0), extractable(1), alwaysSensitive(2), neverExtractable(3), local(4) } */
  @AsnProp({ type: BitString, optional: true }) accessFlags?: BitString;
  @AsnProp({ type: AsnPropTypes.Integer, optional: true }) keyReference?: number;
}

class PrivateRsaKeyAttributes {
  @AsnProp({ type: Pkcs15Path }) value = new Pkcs15Path();
  @AsnProp({ type: AsnPropTypes.Integer }) modulusLength = 0;
}

/** fieldSize is OpenSC's extension to ISO 7816-15 (pkcs15-prkey.c), needed by OpenSC to size buffers. */
class PrivateEcKeyAttributes {
  @AsnProp({ type: Pkcs15Path }) value = new Pkcs15Path();
  @AsnProp({ type: AsnPropTypes.Integer, optional: true }) fieldSize?: number;
}

class RsaTypeAttributes {
  @AsnProp({ type: PrivateRsaKeyAttributes }) attributes = new PrivateRsaKeyAttributes();
}

class EcTypeAttributes {
  @AsnProp({ type: PrivateEcKeyAttributes }) attributes = new PrivateEcKeyAttributes();
}

@AsnType({ type: AsnTypeTypes.Sequence })
class PrivateRsaKeyObject {
  @AsnProp({ type: CommonObjectAttributes }) commonObjectAttributes = new CommonObjectAttributes();
  @AsnProp({ type: CommonKeyAttributes }) classAttributes = new CommonKeyAttributes();
  @AsnProp({ type: AsnPropTypes.Any, context: 0, implicit: true, optional: true }) subClassAttributes?: ArrayBuffer;
  @AsnProp({ type: RsaTypeAttributes, context: 1, implicit: true }) typeAttributes = new RsaTypeAttributes();
}

@AsnType({ type: AsnTypeTypes.Sequence })
class PrivateEcKeyObject {
  @AsnProp({ type: CommonObjectAttributes }) commonObjectAttributes = new CommonObjectAttributes();
  @AsnProp({ type: CommonKeyAttributes }) classAttributes = new CommonKeyAttributes();
  @AsnProp({ type: AsnPropTypes.Any, context: 0, implicit: true, optional: true }) subClassAttributes?: ArrayBuffer;
  @AsnProp({ type: EcTypeAttributes, context: 1, implicit: true }) typeAttributes = new EcTypeAttributes();
}

@AsnType({ type: AsnTypeTypes.Choice })
class PrivateKeyType {
  @AsnProp({ type: PrivateRsaKeyObject }) privateRSAKey?: PrivateRsaKeyObject;
  @AsnProp({ type: PrivateEcKeyObject, context: 0, implicit: true }) privateECKey?: PrivateEcKeyObject;
}

export interface PrivateKeyDescription {
  readonly kind: 'rsa' | 'ec';
  readonly label: string;
  /** CommonKeyAttributes.iD: the PKCS#11 CKA_ID OpenSC shows. */
  readonly id: Uint8Array;
  /** The card's key reference (the <id> of CC<id>). */
  readonly keyReference: number;
  /** RSA modulus bits or EC field bits. */
  readonly sizeBits: number;
}

const USAGE_SIGN = 1 << 2;
const USAGE_NON_REPUDIATION = 1 << 9;
const ACCESS_SENSITIVE = 1 << 0;
const ACCESS_ALWAYS_SENSITIVE = 1 << 2;
const ACCESS_NEVER_EXTRACTABLE = 1 << 3;
const ACCESS_LOCAL = 1 << 4;
const FLAG_PRIVATE = 1 << 0;
const FLAG_MODIFIABLE = 1 << 1;
/** OpenSC's sc-hsm emulation names the user PIN auth id 01. */
const USER_PIN_AUTH_ID = 0x01;

/** DER of the PrKD entry for a key generated on the card. */
export function encodePrivateKeyDescription(d: PrivateKeyDescription): Uint8Array {
  const common = new CommonObjectAttributes();
  common.label = d.label;
  common.flags = new BitString(FLAG_PRIVATE | FLAG_MODIFIABLE);
  common.authId = new OctetString(Uint8Array.of(USER_PIN_AUTH_ID));
  const key = new CommonKeyAttributes();
  key.iD = new OctetString(d.id);
  key.usage = new BitString(USAGE_SIGN | USAGE_NON_REPUDIATION);
  key.accessFlags = new BitString(ACCESS_SENSITIVE | ACCESS_ALWAYS_SENSITIVE | ACCESS_NEVER_EXTRACTABLE | ACCESS_LOCAL);
  key.keyReference = d.keyReference;
  const choice = new PrivateKeyType();
  if (d.kind === 'rsa') {
    const o = new PrivateRsaKeyObject();
    o.commonObjectAttributes = common;
    o.classAttributes = key;
    o.typeAttributes.attributes.modulusLength = d.sizeBits;
    choice.privateRSAKey = o;
  } else {
    const o = new PrivateEcKeyObject();
    o.commonObjectAttributes = common;
    o.classAttributes = key;
    o.typeAttributes.attributes.fieldSize = d.sizeBits;
    choice.privateECKey = o;
  }
  return new Uint8Array(AsnConvert.serialize(choice));
}

/** Reads a PrKD entry as OpenSC or this driver wrote it. */
export function decodePrivateKeyDescription(der: Uint8Array): PrivateKeyDescription {
  let choice: PrivateKeyType;
  try {
    choice = AsnConvert.parse(der, PrivateKeyType);
  } catch (e) {
    throw new CustosError('FORMAT_UNKNOWN', 'The key description (PKCS#15 PrKD) on the SmartCard-HSM cannot be read; the key is listed without a label.', {}, { cause: e });
  }
  const rsa = choice.privateRSAKey;
  const o = rsa ?? choice.privateECKey;
  if (o === undefined) throw new CustosError('FORMAT_UNKNOWN', 'The key description (PKCS#15 PrKD) on the SmartCard-HSM names no RSA or EC key.', {});
  const sizeBits = rsa !== undefined ? rsa.typeAttributes.attributes.modulusLength : (choice.privateECKey!.typeAttributes.attributes.fieldSize ?? 0);
  return {
    kind: rsa !== undefined ? 'rsa' : 'ec',
    label: o.commonObjectAttributes.label ?? '',
    id: new Uint8Array(o.classAttributes.iD.buffer),
    keyReference: o.classAttributes.keyReference ?? -1,
    sizeBits,
  };
}
