/**
 * The PKCS#15 private-key directory entry (PrKD) the SmartCard-HSM keeps in
 * EF C4<id> for each key (PKCS #15 v1.1 §6.4.1, ISO/IEC 7816-15). OpenSC reads
 * it to show the key's label and size; the card itself never looks at it.
 *
 *   PrivateKeyType ::= CHOICE { privateRSAKey PrivateKeyObject {PrivateRSAKeyAttributes},
 *                               privateECKey [0] PrivateKeyObject {PrivateECKeyAttributes}, … }
 *   PKCS15Object ::= SEQUENCE { commonObjectAttributes, classAttributes (CommonKeyAttributes),
 *                               subClassAttributes [0] OPTIONAL, typeAttributes [1] }
 *
 * The module is IMPLICIT TAGS: privateECKey [0] replaces the SEQUENCE tag,
 * while typeAttributes [1] wraps its SEQUENCE (how OpenSC encodes it too).
 * Built with asn1js rather than decorated schema classes, so the module loads
 * under any TypeScript transform (the CLI's tsx and the app bundle do not enable
 * legacy decorators).
 */
import * as asn1js from 'asn1js';
import { CustosError } from '../../errors/index.ts';
import { fromBerSafely } from '../../pki/ber.ts';

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

/** CommonObjectFlags ::= BIT STRING { private(0), modifiable(1) } */
const FLAG_PRIVATE = 0;
const FLAG_MODIFIABLE = 1;
/** KeyUsageFlags ::= BIT STRING { encrypt(0), decrypt(1), sign(2), …, nonRepudiation(9) } */
const USAGE_SIGN = 2;
const USAGE_NON_REPUDIATION = 9;
/** KeyAccessFlags ::= BIT STRING { sensitive(0), extractable(1), alwaysSensitive(2), neverExtractable(3), local(4) } */
const ACCESS_SENSITIVE = 0;
const ACCESS_ALWAYS_SENSITIVE = 2;
const ACCESS_NEVER_EXTRACTABLE = 3;
const ACCESS_LOCAL = 4;
/** OpenSC's sc-hsm emulation names the user PIN auth id 01. */
const USER_PIN_AUTH_ID = 0x01;
const CONTEXT = 3;

/** A BIT STRING with named bits set, trailing zero bits removed (X.690 §11.2.2). */
function namedBits(bits: readonly number[]): asn1js.BitString {
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
  return new asn1js.BitString({ valueHex: bytes.buffer, unusedBits: 7 - (highest & 7) });
}

/** DER of the PrKD entry for a key on the card. */
export function encodePrivateKeyDescription(d: PrivateKeyDescription): Uint8Array {
  const common = new asn1js.Sequence({ value: [
    new asn1js.Utf8String({ value: d.label }),
    namedBits([FLAG_PRIVATE, FLAG_MODIFIABLE]),
    new asn1js.OctetString({ valueHex: Uint8Array.of(USER_PIN_AUTH_ID).buffer }),
  ] });
  const key = new asn1js.Sequence({ value: [
    new asn1js.OctetString({ valueHex: Uint8Array.from(d.id).buffer }),
    namedBits([USAGE_SIGN, USAGE_NON_REPUDIATION]),
    namedBits([ACCESS_SENSITIVE, ACCESS_ALWAYS_SENSITIVE, ACCESS_NEVER_EXTRACTABLE, ACCESS_LOCAL]),
    new asn1js.Integer({ value: d.keyReference }),
  ] });
  // The key is found by its key reference, so the Path stays empty (as OpenSC leaves it).
  const path = new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: new ArrayBuffer(0) })] });
  const typeAttributes = new asn1js.Constructed({
    idBlock: { tagClass: CONTEXT, tagNumber: 1 },
    value: [new asn1js.Sequence({ value: [path, new asn1js.Integer({ value: d.sizeBits })] })],
  });
  const members = [common, key, typeAttributes];
  const object = d.kind === 'rsa'
    ? new asn1js.Sequence({ value: members })
    : new asn1js.Constructed({ idBlock: { tagClass: CONTEXT, tagNumber: 0 }, value: members });
  return new Uint8Array(object.toBER());
}

function unreadable(what: string): never {
  throw new CustosError('FORMAT_UNKNOWN', `The key description (PKCS#15 PrKD) on the SmartCard-HSM cannot be read (${what}); the key is listed without a label.`, {});
}

function childrenOf(block: asn1js.AsnType | undefined): asn1js.AsnType[] {
  if (!(block instanceof asn1js.Constructed)) unreadable('a structure is not constructed');
  return block.valueBlock.value;
}

/** Reads a PrKD entry as OpenSC or this driver wrote it. */
export function decodePrivateKeyDescription(der: Uint8Array): PrivateKeyDescription {
  const parsed = fromBerSafely(Uint8Array.from(der));
  if (parsed.offset === -1 || parsed.offset !== der.length) unreadable('not one DER value');
  const root = parsed.result;
  const id = root.idBlock;
  const kind = id.tagClass === 1 && id.tagNumber === 16 ? 'rsa' : id.tagClass === CONTEXT && id.tagNumber === 0 ? 'ec' : unreadable('neither an RSA nor an EC key');
  const [common, keyAttributes, ...rest] = childrenOf(root);
  const label = childrenOf(common).find((b): b is asn1js.Utf8String => b instanceof asn1js.Utf8String)?.valueBlock.value ?? '';
  const keyFields = childrenOf(keyAttributes);
  const keyId = keyFields[0] instanceof asn1js.OctetString ? new Uint8Array(keyFields[0].valueBlock.valueHexView) : unreadable('no key iD');
  const reference = keyFields.find((b): b is asn1js.Integer => b instanceof asn1js.Integer);
  const typeAttributes = rest.find((b) => b.idBlock.tagClass === CONTEXT && b.idBlock.tagNumber === 1);
  const size = childrenOf(childrenOf(typeAttributes)[0]).find((b): b is asn1js.Integer => b instanceof asn1js.Integer);
  return {
    kind,
    label,
    id: keyId,
    keyReference: reference?.valueBlock.valueDec ?? -1,
    sizeBits: size?.valueBlock.valueDec ?? 0,
  };
}
