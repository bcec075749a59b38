/**
 * A plain, JSON-able description of exactly what will be signed (or was):
 * the UI and the CLI show it before the token is asked for a signature.
 */
import { createHash } from 'node:crypto';
import type { Hex } from '../../hsm/token.ts';
import { decodeExtension, type DecodedExtension } from './extensions.ts';
import { describeKeySpec, publicKeyFromSpki, publicKeySpec, sha256Hex, type PublicKeySpec } from './keys.ts';
import { formatName, nameAttributes, type NameAttribute } from './names.ts';
import { describeSignatureAlgorithm } from './signature.ts';
import { readCertificate, readTbs, type ReadTbs } from './tbs-reader.ts';

export interface NameDescription {
  readonly text: string;
  readonly rdns: readonly (readonly NameAttribute[])[];
}

export interface TbsDescription {
  /** 1, 2 or 3, as people say it (the DER holds 0, 1, 2). */
  readonly version: number;
  readonly serialHex: Hex;
  readonly signatureAlgorithm: { readonly oid: string; readonly name: string };
  readonly issuer: NameDescription;
  readonly subject: NameDescription;
  readonly validity: { readonly notBefore: string; readonly notAfter: string; readonly days: number };
  readonly subjectPublicKey: { readonly spec: PublicKeySpec; readonly description: string; readonly spkiSha256: Hex };
  readonly extensions: readonly DecodedExtension[];
}

export interface CertificateDescription extends TbsDescription {
  readonly sha256: Hex;
  readonly sha1: Hex;
}

const DAY_MS = 86_400_000;

/** Describes an already read TBS (issue.ts reuses lint's parse rather than reading the bytes twice). */
export function describeReadTbs(read: Pick<ReadTbs, 'tbs' | 'spkiDer'>, knownKeySpec?: PublicKeySpec): TbsDescription {
  const { tbs } = read;
  const notBefore = tbs.validity.notBefore.getTime();
  const notAfter = tbs.validity.notAfter.getTime();
  let spec: PublicKeySpec;
  try {
    spec = knownKeySpec ?? publicKeySpec(publicKeyFromSpki(read.spkiDer));
  } catch {
    spec = { kind: 'other', type: tbs.subjectPublicKeyInfo.algorithm.algorithm };
  }
  return {
    version: tbs.version + 1,
    serialHex: Buffer.from(tbs.serialNumber).toString('hex'),
    signatureAlgorithm: { oid: tbs.signature.algorithm, name: describeSignatureAlgorithm(tbs.signature) },
    issuer: { text: formatName(tbs.issuer), rdns: nameAttributes(tbs.issuer) },
    subject: { text: formatName(tbs.subject), rdns: nameAttributes(tbs.subject) },
    validity: {
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
      // notAfter is inclusive: a period ending one second before N×24 h is N days.
      days: Math.round((notAfter.getTime() - notBefore.getTime() + 1000) / DAY_MS),
    },
    subjectPublicKey: { spec, description: describeKeySpec(spec), spkiSha256: sha256Hex(read.spkiDer) },
    extensions: Array.from(tbs.extensions ?? [], (ext) => decodeExtension(ext)),
  };
}

export function describeTbs(tbsDer: Uint8Array): TbsDescription {
  return describeReadTbs(readTbs(tbsDer));
}

/**
 * The description of a certificate just made from a planned TBS: the plan's
 * preview (of the exact bytes signed) and the certificate's digests, with no
 * second parse.
 */
export function describeSigned(preview: TbsDescription, certDer: Uint8Array): CertificateDescription {
  return {
    ...preview,
    sha256: createHash('sha256').update(certDer).digest('hex'),
    sha1: createHash('sha1').update(certDer).digest('hex'),
  };
}

export function describeCertificate(certDer: Uint8Array): CertificateDescription {
  return {
    ...describeReadTbs(readCertificate(certDer)),
    sha256: createHash('sha256').update(certDer).digest('hex'),
    sha1: createHash('sha1').update(certDer).digest('hex'),
  };
}
