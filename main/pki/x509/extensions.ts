/**
 * Reading certificate extensions into plain, JSON-able values: what the
 * preview shows and what a CSR asked for. Decoding goes through the
 * @peculiar/asn1-x509 schemas; an extension we do not know is shown as hex.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies, CRLDistributionPoints,
  ExtendedKeyUsage, GeneralName, GeneralNames, KeyUsage, NameConstraints, SubjectKeyIdentifier, type Extension,
  type GeneralSubtrees,
} from '@peculiar/asn1-x509';
import { OID } from '../oids.ts';
import { formatName } from './names.ts';

export type GeneralNameType = 'dns' | 'ip' | 'email' | 'uri' | 'dirName' | 'registeredId' | 'otherName' | 'other';
export interface GeneralNameValue { readonly type: GeneralNameType; readonly value: string }

export type ExtensionValue = null | boolean | number | string | readonly ExtensionValue[] | { readonly [key: string]: ExtensionValue };

export interface DecodedExtension {
  readonly oid: string;
  /** RFC 5280 name, or the OID when unknown. */
  readonly name: string;
  readonly critical: boolean;
  /** Decoded value, or { der: hex } for an extension Custos does not know. */
  readonly value: ExtensionValue;
}

export const EXTENSION_NAMES: Readonly<Record<string, string>> = {
  [OID.basicConstraints]: 'basicConstraints', [OID.keyUsage]: 'keyUsage', [OID.extKeyUsage]: 'extKeyUsage',
  [OID.subjectKeyIdentifier]: 'subjectKeyIdentifier', [OID.authorityKeyIdentifier]: 'authorityKeyIdentifier',
  [OID.subjectAltName]: 'subjectAltName', [OID.issuerAltName]: 'issuerAltName',
  [OID.crlDistributionPoints]: 'crlDistributionPoints', [OID.authorityInfoAccess]: 'authorityInfoAccess',
  [OID.certificatePolicies]: 'certificatePolicies', [OID.nameConstraints]: 'nameConstraints',
  [OID.ocspNoCheck]: 'ocspNoCheck', [OID.policyConstraints]: 'policyConstraints',
};

export const KEY_PURPOSE_NAMES: Readonly<Record<string, string>> = {
  [OID.kpServerAuth]: 'serverAuth', [OID.kpClientAuth]: 'clientAuth', [OID.kpCodeSigning]: 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection', '1.3.6.1.5.5.7.3.8': 'timeStamping', [OID.kpOcspSigning]: 'OCSPSigning',
  [OID.kpDocumentSigning]: 'documentSigning',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
};

const hex = (bytes: ArrayBuffer | Uint8Array): string => Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('hex');

export function generalNameValue(name: GeneralName): GeneralNameValue {
  if (name.dNSName !== undefined) return { type: 'dns', value: name.dNSName };
  if (name.iPAddress !== undefined) return { type: 'ip', value: name.iPAddress };
  if (name.rfc822Name !== undefined) return { type: 'email', value: name.rfc822Name };
  if (name.uniformResourceIdentifier !== undefined) return { type: 'uri', value: name.uniformResourceIdentifier };
  if (name.directoryName !== undefined) return { type: 'dirName', value: formatName(name.directoryName) };
  if (name.registeredID !== undefined) return { type: 'registeredId', value: name.registeredID };
  if (name.otherName !== undefined) return { type: 'otherName', value: `${name.otherName.typeId}:${hex(name.otherName.value)}` };
  return { type: 'other', value: hex(AsnConvert.serialize(name)) };
}

// Array.from, not .map: the schema arrays are AsnArray subclasses and .map would keep that class.
const generalNames = (names: readonly GeneralName[]): ExtensionValue => Array.from(names, (n) => ({ ...generalNameValue(n) }));

function subtrees(trees: GeneralSubtrees | undefined): ExtensionValue {
  return Array.from(trees ?? [], (t) => ({ ...generalNameValue(t.base) }));
}

/** The value of one known extension; throws when its DER does not match its schema. */
export function decodeExtensionValue(oid: string, der: ArrayBuffer): ExtensionValue {
  switch (oid) {
    case OID.basicConstraints: {
      const bc = AsnConvert.parse(der, BasicConstraints);
      return bc.pathLenConstraint === undefined ? { ca: bc.cA } : { ca: bc.cA, pathLenConstraint: bc.pathLenConstraint };
    }
    case OID.keyUsage: return AsnConvert.parse(der, KeyUsage).toJSON();
    case OID.extKeyUsage: return Array.from(AsnConvert.parse(der, ExtendedKeyUsage), (p) => KEY_PURPOSE_NAMES[p] ?? p);
    case OID.subjectKeyIdentifier: return hex(AsnConvert.parse(der, SubjectKeyIdentifier).buffer);
    case OID.authorityKeyIdentifier: {
      const aki = AsnConvert.parse(der, AuthorityKeyIdentifier);
      const out: Record<string, ExtensionValue> = {};
      if (aki.keyIdentifier) out.keyIdentifier = hex(aki.keyIdentifier.buffer);
      if (aki.authorityCertIssuer) out.authorityCertIssuer = generalNames(aki.authorityCertIssuer);
      if (aki.authorityCertSerialNumber) out.authorityCertSerialNumber = hex(aki.authorityCertSerialNumber);
      return out;
    }
    case OID.subjectAltName:
    case OID.issuerAltName: return generalNames(AsnConvert.parse(der, GeneralNames));
    case OID.crlDistributionPoints:
      return Array.from(AsnConvert.parse(der, CRLDistributionPoints), (dp) => ({
        fullName: generalNames(dp.distributionPoint?.fullName ?? []),
        ...(dp.reasons ? { reasons: dp.reasons.toJSON() } : {}),
        ...(dp.cRLIssuer ? { cRLIssuer: generalNames(dp.cRLIssuer) } : {}),
      }));
    case OID.authorityInfoAccess:
      return Array.from(AsnConvert.parse(der, AuthorityInfoAccessSyntax), (ad) => ({
        method: ad.accessMethod === OID.idAdOcsp ? 'ocsp' : ad.accessMethod === OID.idAdCaIssuers ? 'caIssuers' : ad.accessMethod,
        location: { ...generalNameValue(ad.accessLocation) },
      }));
    case OID.certificatePolicies:
      return Array.from(AsnConvert.parse(der, CertificatePolicies), (p) => ({
        policyIdentifier: p.policyIdentifier,
        ...(p.policyQualifiers ? { qualifiers: p.policyQualifiers.map((q) => q.policyQualifierId) } : {}),
      }));
    case OID.nameConstraints: {
      const nc = AsnConvert.parse(der, NameConstraints);
      return { permitted: subtrees(nc.permittedSubtrees), excluded: subtrees(nc.excludedSubtrees) };
    }
    case OID.ocspNoCheck: return null;
    default: return { der: hex(der) };
  }
}

const decodedCache = new WeakMap<Extension, DecodedExtension>();

/** Decodes once per parsed Extension object: lint and preview read the same parse. */
export function decodeExtension(ext: Extension): DecodedExtension {
  const cached = decodedCache.get(ext);
  if (cached) return cached;
  const der = ext.extnValue.buffer;
  let value: ExtensionValue;
  try {
    value = decodeExtensionValue(ext.extnID, der);
  } catch {
    value = { undecodable: hex(der) };
  }
  const decoded = { oid: ext.extnID, name: EXTENSION_NAMES[ext.extnID] ?? ext.extnID, critical: ext.critical, value };
  decodedCache.set(ext, decoded);
  return decoded;
}

/** True when a known extension's DER did not match its schema. */
export function isUndecodable(ext: DecodedExtension): boolean {
  return typeof ext.value === 'object' && ext.value !== null && !Array.isArray(ext.value) && 'undecodable' in ext.value;
}
