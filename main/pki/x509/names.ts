/**
 * Distinguished names: building them from what a person types, and printing
 * them as RFC 4514 strings. Encoding goes through @peculiar/asn1-x509 only.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { CustosError } from '../../errors/index.ts';

/** One attribute of an RDN, as shown to a person: type as a dotted OID, with its short name when it has one. */
export interface NameAttribute {
  readonly type: string;
  readonly name?: string;
  readonly value: string;
}

/** What a caller gives to build a subject: type as a short name (CN, O, C …) or a dotted OID. */
export interface NameAttributeInput {
  readonly type: string;
  readonly value: string;
}

export const SHORT_NAMES: Readonly<Record<string, string>> = {
  // RFC 4514 §3 table
  '2.5.4.3': 'CN', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C',
  '2.5.4.9': 'STREET', '0.9.2342.19200300.100.1.25': 'DC', '0.9.2342.19200300.100.1.1': 'UID',
  // common beyond the table, spelled as OpenSSL prints them
  '2.5.4.5': 'serialNumber', '2.5.4.4': 'SN', '2.5.4.42': 'GN', '2.5.4.12': 'title', '2.5.4.46': 'dnQualifier',
  '2.5.4.97': 'organizationIdentifier', '2.5.4.17': 'postalCode', '1.2.840.113549.1.9.1': 'emailAddress',
};
const OID_BY_SHORT_NAME: ReadonlyMap<string, string> = new Map(Object.entries(SHORT_NAMES).map(([oid, n]) => [n.toLowerCase(), oid]));

// RFC 5280 §4.1.2.4 and its appendix A: these attributes are PrintableString or IA5String; everything else UTF8String.
const PRINTABLE_TYPES = new Set(['2.5.4.6', '2.5.4.5', '2.5.4.46']);
const IA5_TYPES = new Set(['0.9.2342.19200300.100.1.25', '1.2.840.113549.1.9.1']);
const OID_PATTERN = /^[0-2](\.(0|[1-9][0-9]*))+$/;
const PRINTABLE_PATTERN = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

export function attributeTypeOid(type: string): string {
  if (OID_PATTERN.test(type)) return type;
  const oid = OID_BY_SHORT_NAME.get(type.toLowerCase());
  if (!oid) throw new CustosError('INPUT_INVALID', `Unknown name attribute "${type}": use CN, O, OU, C, L, ST, DC, emailAddress … or a dotted OID.`, { field: 'subject', type });
  return oid;
}

function attributeValue(oid: string, value: string): AttributeValue {
  if (value.length === 0) throw new CustosError('INPUT_INVALID', `The name attribute ${SHORT_NAMES[oid] ?? oid} is empty.`, { field: 'subject', type: oid });
  if (PRINTABLE_TYPES.has(oid)) {
    if (!PRINTABLE_PATTERN.test(value)) throw new CustosError('INPUT_INVALID', `${SHORT_NAMES[oid] ?? oid} may hold only letters, digits and simple punctuation.`, { field: 'subject', type: oid });
    if (oid === '2.5.4.6' && !/^[A-Z]{2}$/.test(value)) throw new CustosError('INPUT_INVALID', 'C must be a two-letter ISO 3166 country code in capitals.', { field: 'subject', type: oid });
    return new AttributeValue({ printableString: value });
  }
  if (IA5_TYPES.has(oid)) {
    // eslint-disable-next-line no-control-regex
    if (!/^[\x00-\x7f]*$/.test(value)) throw new CustosError('INPUT_INVALID', `${SHORT_NAMES[oid] ?? oid} may hold only ASCII characters.`, { field: 'subject', type: oid });
    return new AttributeValue({ ia5String: value });
  }
  return new AttributeValue({ utf8String: value });
}

/** Builds a Name from RDNs in X.500 order (most significant first, e.g. C then O then CN); an inner array is a multi-valued RDN. */
export function nameFromAttributes(rdns: readonly (NameAttributeInput | readonly NameAttributeInput[])[]): Name {
  return new Name(rdns.map((rdn) => {
    const attributes = Array.isArray(rdn) ? (rdn as readonly NameAttributeInput[]) : [rdn as NameAttributeInput];
    const atvs = attributes.map(({ type, value }) => {
      const oid = attributeTypeOid(type);
      return new AttributeTypeAndValue({ type: oid, value: attributeValue(oid, value) });
    });
    // X.690 §11.6: DER orders a SET OF by the encodings of its elements.
    if (atvs.length > 1) {
      const keyed = atvs.map((atv) => ({ atv, der: Buffer.from(AsnConvert.serialize(atv)) }));
      keyed.sort((a, b) => Buffer.compare(a.der, b.der));
      return new RelativeDistinguishedName(keyed.map((k) => k.atv));
    }
    return new RelativeDistinguishedName(atvs);
  }));
}

function valueText(value: AttributeValue): string {
  if (value.anyValue) return `#${Buffer.from(value.anyValue).toString('hex')}`;
  return value.toString();
}

/** The RDNs as plain data, in encoded (X.500) order. */
export function nameAttributes(name: Name): NameAttribute[][] {
  return Array.from(name, (rdn) => Array.from(rdn, (atv) => {
    const short = SHORT_NAMES[atv.type];
    return short ? { type: atv.type, name: short, value: valueText(atv.value) } : { type: atv.type, value: valueText(atv.value) };
  }));
}

// RFC 4514 §2.4: escape specials anywhere, a leading space or '#', a trailing space.
function escapeValue(value: string): string {
  let out = value.replace(/["+,;<>\\]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** RFC 4514 string: RDNs in reverse of their encoded order (CN first), multi-valued RDNs joined by '+'. */
export function formatName(name: Name): string {
  return Array.from(name, (rdn) => Array.from(rdn, (atv) => {
    // A value of a type we cannot read as a string is written as # and its DER in hex (RFC 4514 §2.4), unescaped.
    const value = atv.value.anyValue ? valueText(atv.value) : escapeValue(valueText(atv.value));
    return `${SHORT_NAMES[atv.type] ?? atv.type}=${value}`;
  }).join('+')).reverse().join(',');
}
