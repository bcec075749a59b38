/**
 * What issuing under a CA certificate needs to know about it, read once from
 * its DER: exact subject and SPKI bytes, key identifier, constraints, validity.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicConstraints, type Certificate, KeyUsage, KeyUsageFlags, SubjectKeyIdentifier, Version, type Name } from '@peculiar/asn1-x509';
import { CustosError } from '../../errors/index.ts';
import { OID } from '../oids.ts';
import { readCertificate, type ReadCertificate } from './tbs-reader.ts';
import { publicKeyFromSpki, publicKeySpec, sha1, sha256Hex, type PublicKeySpec } from './keys.ts';
import { remember } from '../../bounded-cache.ts';

export interface IssuerInfo {
  readonly certDer: Uint8Array;
  readonly certificate: Certificate;
  readonly subject: Name;
  /** The subject Name's exact DER: an issued certificate's issuer field must carry the same bytes. */
  readonly subjectDer: Uint8Array;
  readonly spki: Uint8Array;
  readonly keySpec: PublicKeySpec;
  /** The issuer's subjectKeyIdentifier, or undefined when its certificate has none. */
  readonly subjectKeyIdentifier?: Uint8Array;
  readonly isCa: boolean;
  readonly pathLenConstraint?: number;
  /** keyUsage allows keyCertSign (true when the certificate has no keyUsage extension). */
  readonly keyCertSign: boolean;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

function bad(message: string): never {
  throw new CustosError('INPUT_INVALID', `The issuer certificate cannot be used: ${message}.`, { field: 'issuerCertDer' });
}

/** SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280 §4.2.1.2, method 1). */
export function keyIdentifierOf(subjectPublicKey: ArrayBuffer): Uint8Array {
  return sha1(subjectPublicKey);
}

// A CA issues many certificates under one issuer certificate: remember the last few reads.
const CACHE_ENTRIES = 16;
const cache = new Map<string, IssuerInfo>();

/** Reads an issuer certificate (cached by its SHA-256); INPUT_INVALID when it is not one DER certificate. */
export function readIssuer(certDer: Uint8Array): IssuerInfo {
  const key = sha256Hex(certDer);
  const hit = cache.get(key);
  if (hit) return hit;
  return remember(cache, key, Object.freeze(parseIssuer(certDer.slice())), CACHE_ENTRIES);
}

function parseIssuer(certDer: Uint8Array): IssuerInfo {
  let read: ReadCertificate;
  try {
    read = readCertificate(certDer);
  } catch {
    bad('it is not one DER X.509 certificate');
  }
  const { certificate, tbs, subjectDer, spkiDer: spki } = read;
  let keySpec: PublicKeySpec;
  try {
    keySpec = publicKeySpec(publicKeyFromSpki(spki));
  } catch {
    bad('its public key cannot be read');
  }
  let isCa = false;
  let pathLenConstraint: number | undefined;
  let keyCertSign = true;
  let subjectKeyIdentifier: Uint8Array | undefined;
  for (const ext of tbs.extensions ?? []) {
    if (ext.extnID === OID.basicConstraints) {
      const bc = AsnConvert.parse(ext.extnValue.buffer, BasicConstraints);
      isCa = bc.cA;
      pathLenConstraint = bc.pathLenConstraint;
    } else if (ext.extnID === OID.keyUsage) {
      keyCertSign = (AsnConvert.parse(ext.extnValue.buffer, KeyUsage).toNumber() & KeyUsageFlags.keyCertSign) !== 0;
    } else if (ext.extnID === OID.subjectKeyIdentifier) {
      subjectKeyIdentifier = new Uint8Array(AsnConvert.parse(ext.extnValue.buffer, SubjectKeyIdentifier).buffer);
    }
  }
  // RFC 5280 §6.1.4 (k): a v1/v2 certificate is not a CA for path building.
  if (tbs.version !== Version.v3) isCa = false;
  return {
    certDer, certificate, subject: tbs.subject, subjectDer, spki, keySpec, isCa, keyCertSign,
    ...(pathLenConstraint === undefined ? {} : { pathLenConstraint }),
    ...(subjectKeyIdentifier === undefined ? {} : { subjectKeyIdentifier }),
    notBefore: tbs.validity.notBefore.getTime(), notAfter: tbs.validity.notAfter.getTime(),
  };
}
