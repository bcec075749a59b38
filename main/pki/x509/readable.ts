/**
 * A certificate, or the TBS about to be signed, as a custodian reads it aloud:
 * the names in the order they were typed (most significant first, as the DER
 * holds them; RFC 4514 strings print them the other way round), the key and
 * its fingerprint, the validity as dates and a duration, key usage and
 * extended key usage in words, the alternative names, whether it is a CA.
 * Pure: it reads a TbsDescription the core already made, nothing else.
 */
import type { Hex } from '../../hsm/token.ts';
import { OID } from '../oids.ts';
import type { DecodedExtension, ExtensionValue, GeneralNameType, GeneralNameValue } from './extensions.ts';
import type { NameAttribute } from './names.ts';
import type { TbsDescription } from './preview.ts';

export interface ReadableNamePart {
  /** The attribute in words: "Common name", "Organization", or its OID when it has no name. */
  readonly label: string;
  /** The short name (CN, O, C …) or the dotted OID. */
  readonly type: string;
  readonly value: string;
}

export interface ReadableGeneralName {
  /** "DNS name", "IP address", "E-mail address", "URI" … */
  readonly kind: string;
  readonly type: GeneralNameType;
  readonly value: string;
}

export interface ReadableExtension {
  readonly name: string;
  readonly oid: string;
  readonly critical: boolean;
  /** Custos knows what it means (an unknown one is shown by its OID and bytes). */
  readonly known: boolean;
  /** The value in one line of words. */
  readonly text: string;
}

export interface ReadableTbs {
  readonly subject: readonly ReadableNamePart[];
  readonly issuer: readonly ReadableNamePart[];
  readonly serialHex: Hex;
  readonly signatureAlgorithm: string;
  readonly key: { readonly description: string; readonly spkiSha256: Hex };
  readonly validity: { readonly notBefore: string; readonly notAfter: string; readonly days: number; readonly duration: string };
  readonly keyUsage?: { readonly critical: boolean; readonly usages: readonly string[] };
  readonly extendedKeyUsage?: { readonly critical: boolean; readonly purposes: readonly string[] };
  readonly subjectAltNames: readonly ReadableGeneralName[];
  readonly basicConstraints?: { readonly critical: boolean; readonly ca: boolean; readonly pathLen?: number; readonly text: string };
  /** Every extension not shown above, in the order the certificate holds them. */
  readonly otherExtensions: readonly ReadableExtension[];
}

const ATTRIBUTE_LABELS: Readonly<Record<string, string>> = {
  '2.5.4.6': 'Country', '2.5.4.8': 'State or province', '2.5.4.7': 'Locality', '2.5.4.10': 'Organization',
  '2.5.4.11': 'Organizational unit', '2.5.4.3': 'Common name', '2.5.4.5': 'Serial number', '2.5.4.4': 'Surname',
  '2.5.4.42': 'Given name', '2.5.4.12': 'Title', '2.5.4.9': 'Street', '2.5.4.17': 'Postal code',
  '2.5.4.46': 'DN qualifier', '2.5.4.97': 'Organization identifier', '0.9.2342.19200300.100.1.25': 'Domain component',
  '0.9.2342.19200300.100.1.1': 'User ID', '1.2.840.113549.1.9.1': 'E-mail address',
};

/** RFC 5280 §4.2.1.3 bit names, in words. */
export const KEY_USAGE_WORDS: Readonly<Record<string, string>> = {
  digitalSignature: 'Digital signature', nonRepudiation: 'Non-repudiation (content commitment)', keyEncipherment: 'Key encipherment',
  dataEncipherment: 'Data encipherment', keyAgreement: 'Key agreement', keyCertSign: 'Certificate signing', cRLSign: 'CRL signing',
  encipherOnly: 'Encipher only', decipherOnly: 'Decipher only',
};
// @peculiar/asn1-x509's KeyUsage.toJSON spells bit 6 'crlSign'; either spelling reads the same.
const KEY_USAGE_ALIASES: Readonly<Record<string, string>> = { crlSign: 'cRLSign' };
/** Bit order (RFC 5280 §4.2.1.3), so the words come in the order every viewer lists them. */
const KEY_USAGE_ORDER = Object.keys(KEY_USAGE_WORDS);

function keyUsageWords(value: ExtensionValue): string[] {
  const names = (Array.isArray(value) ? (value as readonly ExtensionValue[]) : []).map((v) => KEY_USAGE_ALIASES[String(v)] ?? String(v));
  const rank = (n: string) => { const i = KEY_USAGE_ORDER.indexOf(n); return i < 0 ? KEY_USAGE_ORDER.length : i; };
  return names.sort((a, b) => rank(a) - rank(b)).map((n) => KEY_USAGE_WORDS[n] ?? n);
}

/** RFC 5280 §4.2.1.12 and RFC 6960 key purposes, in words. */
export const KEY_PURPOSE_WORDS: Readonly<Record<string, string>> = {
  serverAuth: 'TLS server authentication', clientAuth: 'TLS client authentication', codeSigning: 'Code signing',
  emailProtection: 'E-mail protection', timeStamping: 'Time stamping', OCSPSigning: 'OCSP signing', anyExtendedKeyUsage: 'Any purpose',
};

const GENERAL_NAME_KINDS: Readonly<Record<GeneralNameType, string>> = {
  dns: 'DNS name', ip: 'IP address', email: 'E-mail address', uri: 'URI', dirName: 'Directory name',
  registeredId: 'Registered ID', otherName: 'Other name', other: 'Name',
};

export function readableName(rdns: readonly (readonly NameAttribute[])[]): ReadableNamePart[] {
  return rdns.flatMap((rdn) => rdn.map((a) => ({ label: ATTRIBUTE_LABELS[a.type] ?? a.type, type: a.name ?? a.type, value: a.value })));
}

function asGeneralName(v: ExtensionValue): GeneralNameValue | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const { type, value } = v as Record<string, ExtensionValue>;
  return typeof type === 'string' && type in GENERAL_NAME_KINDS && typeof value === 'string' ? { type: type as GeneralNameType, value } : undefined;
}

export function readableGeneralNames(value: ExtensionValue): ReadableGeneralName[] {
  if (!Array.isArray(value)) return [];
  return (value as readonly ExtensionValue[]).map(asGeneralName).filter((n) => n !== undefined).map((n) => ({ kind: GENERAL_NAME_KINDS[n.type], type: n.type, value: n.value }));
}

const words = (value: ExtensionValue, table: Readonly<Record<string, string>>): string[] =>
  (Array.isArray(value) ? (value as readonly ExtensionValue[]) : []).map((v) => table[String(v)] ?? String(v));

function basicConstraintsText(ca: boolean, pathLen: number | undefined): string {
  if (!ca) return 'Not a CA';
  if (pathLen === undefined) return 'CA, no limit on the CAs below it';
  if (pathLen === 0) return 'CA that may sign end-entity certificates only (path length 0)';
  return `CA with at most ${pathLen} CA${pathLen === 1 ? '' : 's'} below it (path length ${pathLen})`;
}

function compact(value: ExtensionValue): string {
  if (value === null) return 'present';
  if (Array.isArray(value)) return (value as readonly ExtensionValue[]).map(compact).join(', ');
  if (typeof value === 'object') {
    const name = asGeneralName(value);
    if (name) return `${GENERAL_NAME_KINDS[name.type]} ${name.value}`;
    return Object.entries(value).map(([k, v]) => `${k}: ${compact(v)}`).join('; ');
  }
  return String(value);
}

/** One extension's value in one line of words, as the review and the asked/issued comparison show it. */
export function extensionText(ext: DecodedExtension): string {
  const v = ext.value;
  switch (ext.oid) {
    case OID.keyUsage: return keyUsageWords(v).join(', ');
    case OID.extKeyUsage: return words(v, KEY_PURPOSE_WORDS).join(', ');
    case OID.basicConstraints: {
      const bc = (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {}) as Record<string, ExtensionValue>;
      return basicConstraintsText(bc.ca === true, typeof bc.pathLenConstraint === 'number' ? bc.pathLenConstraint : undefined);
    }
    case OID.subjectAltName:
    case OID.issuerAltName: return readableGeneralNames(v).map((n) => `${n.kind} ${n.value}`).join(', ');
    default: return compact(v);
  }
}

export function isKnownExtension(ext: DecodedExtension): boolean {
  return ext.name !== ext.oid;
}

const utcParts = (d: Date): [number, number, number] => [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];

/**
 * The validity in calendar words, "1 year, 1 month and 2 days", counted from
 * notBefore to the second after notAfter (notAfter is inclusive, RFC 5280 §4.1.2.5).
 */
export function durationWords(notBefore: string, notAfter: string): string {
  const from = new Date(notBefore);
  const to = new Date(new Date(notAfter).getTime() + 1000);
  if (!(to > from)) return 'no time at all';
  const [y1, m1, d1] = utcParts(from);
  const [y2, m2] = utcParts(to);
  let months = (y2 - y1) * 12 + (m2 - m1);
  const shifted = (n: number) => new Date(Date.UTC(y1, m1 + n, d1, from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds()));
  if (shifted(months) > to) months -= 1;
  const days = Math.floor((to.getTime() - shifted(months).getTime()) / 86_400_000);
  const parts: string[] = [];
  const years = Math.floor(months / 12);
  const rest = months % 12;
  if (years) parts.push(`${years} year${years === 1 ? '' : 's'}`);
  if (rest) parts.push(`${rest} month${rest === 1 ? '' : 's'}`);
  if (days || parts.length === 0) parts.push(`${days} day${days === 1 ? '' : 's'}`);
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** The hash in groups of four characters, for two people to read aloud and compare. */
export function readAloudGroups(hex: string, groupChars = 4): string[] {
  return hex.match(new RegExp(`.{1,${groupChars}}`, 'g')) ?? [];
}

export function readableTbs(tbs: TbsDescription): ReadableTbs {
  let keyUsage: ReadableTbs['keyUsage'];
  let extendedKeyUsage: ReadableTbs['extendedKeyUsage'];
  let basicConstraints: ReadableTbs['basicConstraints'];
  let subjectAltNames: ReadableGeneralName[] = [];
  const otherExtensions: ReadableExtension[] = [];
  for (const ext of tbs.extensions) {
    switch (ext.oid) {
      case OID.keyUsage: keyUsage = { critical: ext.critical, usages: keyUsageWords(ext.value) }; break;
      case OID.extKeyUsage: extendedKeyUsage = { critical: ext.critical, purposes: words(ext.value, KEY_PURPOSE_WORDS) }; break;
      case OID.subjectAltName: subjectAltNames = readableGeneralNames(ext.value); break;
      case OID.basicConstraints: {
        const bc = ext.value as Record<string, ExtensionValue>;
        const ca = bc.ca === true;
        const pathLen = typeof bc.pathLenConstraint === 'number' ? bc.pathLenConstraint : undefined;
        basicConstraints = { critical: ext.critical, ca, ...(pathLen === undefined ? {} : { pathLen }), text: basicConstraintsText(ca, pathLen) };
        break;
      }
      default: otherExtensions.push({ name: ext.name, oid: ext.oid, critical: ext.critical, known: isKnownExtension(ext), text: extensionText(ext) });
    }
  }
  return {
    subject: readableName(tbs.subject.rdns),
    issuer: readableName(tbs.issuer.rdns),
    serialHex: tbs.serialHex,
    signatureAlgorithm: tbs.signatureAlgorithm.name,
    key: { description: tbs.subjectPublicKey.description, spkiSha256: tbs.subjectPublicKey.spkiSha256 },
    validity: { ...tbs.validity, duration: durationWords(tbs.validity.notBefore, tbs.validity.notAfter) },
    ...(keyUsage ? { keyUsage } : {}),
    ...(extendedKeyUsage ? { extendedKeyUsage } : {}),
    subjectAltNames,
    ...(basicConstraints ? { basicConstraints } : {}),
    otherExtensions,
  };
}
