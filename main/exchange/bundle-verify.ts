/**
 * Checking a bundle where it arrives, on an online machine with no token:
 * the manifest's CMS signature; that its signer is a bundle signer the
 * manifest's CA certified (not the CA key itself, not any other key); the
 * CA's chain, up to the root the person gives (--root) when they give one;
 * and each file in the folder against the manifest, none missing, none
 * extra. Every finding is reported, each with its own code; the first one
 * is the error a caller throws.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import 'reflect-metadata';
import { BasicConstraintsExtension, ExtendedKeyUsageExtension, KeyUsageFlags, KeyUsagesExtension, X509Certificate as PeculiarCertificate } from '@peculiar/x509';
import { CustosError, type ErrorCode } from '../errors/index.ts';
import { errnoOf } from '../fs/errno.ts';
import { OID } from '../pki/oids.ts';
import { readBoundedFile } from './files.ts';
import { MAX_MANIFEST_BYTES, readSignedManifest } from './bundle-cms.ts';
import { decodeManifest, MANIFEST_FILE, type Manifest } from './bundle-manifest.ts';

/** The SignedData adds certificates and a signature to the manifest's bytes. */
const MAX_SIGNED_MANIFEST_BYTES = MAX_MANIFEST_BYTES + 256 * 1024;
const MANIFEST_TEMPORARY = `.${MANIFEST_FILE}.custos-tmp-`;
/** Deeper than any CA hierarchy Custos makes; a loop in a hostile chain ends here. */
const MAX_CHAIN_LENGTH = 8;

export interface BundleProblem {
  readonly code: ErrorCode;
  readonly message: string;
  readonly file?: string;
}

export interface FileCheck {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly status: 'ok' | 'tampered' | 'missing';
}

export interface BundleReport {
  readonly ok: boolean;
  readonly directory: string;
  readonly rehearsal: boolean;
  readonly createdAt?: string;
  readonly operator?: string;
  readonly journalHead?: string;
  readonly ca?: { readonly name: string; readonly subject: string; readonly sha256: string };
  readonly signer?: { readonly subject: string; readonly serialHex: string; readonly sha256: string };
  /** The self-signed certificate the CA's chain ends at, by SHA-256: compare it with the root you trust (or give it with --root). */
  readonly rootSha256?: string;
  /** True when the chain was checked to end at the root the caller gave. */
  readonly rootGiven: boolean;
  readonly files: readonly FileCheck[];
  readonly extra: readonly string[];
  readonly problems: readonly BundleProblem[];
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function hashFile(path: string): Promise<{ bytes: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    createReadStream(path)
      .on('data', (chunk: Buffer | string) => { bytes += chunk.length; hash.update(chunk); })
      .on('error', reject)
      .on('end', () => resolve({ bytes, sha256: hash.digest('hex') }));
  });
}

/** Whether the file at path holds exactly these bytes; false for anything that cannot be read as a file. */
async function sameBytes(path: string, bytes: Uint8Array): Promise<boolean> {
  try {
    return Buffer.from(await readBoundedFile(path, bytes.byteLength)).equals(bytes);
  } catch {
    return false;
  }
}

function isSelfSigned(cert: X509Certificate): boolean {
  return cert.checkIssued(cert) && cert.verify(cert.publicKey);
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/** What a signer certificate fails as a bundle signer, or undefined when it is one. */
function signerPurposeProblem(der: Uint8Array<ArrayBuffer>, signingTime: Date | undefined): string | undefined {
  const cert = new PeculiarCertificate(der);
  const eku = cert.getExtension(ExtendedKeyUsageExtension);
  if (!eku || !eku.usages.map(String).includes(OID.kpDocumentSigning)) return 'its certificate is not for signing bundles (no extended key usage id-kp-documentSigning)';
  const ku = cert.getExtension(KeyUsagesExtension);
  if (ku && (ku.usages & KeyUsageFlags.digitalSignature) === 0) return 'its certificate\'s key usage does not allow digitalSignature';
  if (signingTime && (signingTime < cert.notBefore || signingTime > cert.notAfter)) {
    return `its certificate was not valid when the manifest was signed (${signingTime.toISOString()}, certificate valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()})`;
  }
  return undefined;
}

function isCaCertificate(der: Uint8Array<ArrayBuffer>): boolean {
  return new PeculiarCertificate(der).getExtension(BasicConstraintsExtension)?.ca === true;
}

/**
 * The CA certificate's chain up to a self-signed root, through the
 * certificates the SignedData carries and the root given; the path found
 * (CA first), or a problem.
 */
function chainOf(ca: X509Certificate, carried: readonly X509Certificate[], root: X509Certificate | undefined): { path: X509Certificate[] } | { problem: BundleProblem } {
  const path = [ca];
  const candidates = root ? [root, ...carried] : [...carried];
  for (let current = ca; path.length <= MAX_CHAIN_LENGTH;) {
    if (root && current.raw.equals(root.raw)) return { path };
    if (isSelfSigned(current)) {
      if (root) {
        return { problem: { code: 'BUNDLE_ROOT_MISMATCH', message: `The bundle's CA chains to the root ${current.subject.replaceAll('\n', ', ')} (SHA-256 ${sha256(current.raw)}), not to the root given with --root (SHA-256 ${sha256(root.raw)}).` } };
      }
      return { path };
    }
    const issuer = candidates.find((c) => !c.raw.equals(current.raw) && issuedBy(current, c));
    if (!issuer) {
      return {
        problem: root
          ? { code: 'BUNDLE_ROOT_MISMATCH', message: `The bundle's CA ${current.subject.replaceAll('\n', ', ')} does not chain to the root given with --root (SHA-256 ${sha256(root.raw)}).` }
          : { code: 'BUNDLE_SIGNER_UNKNOWN', message: `The chain of the bundle's CA stops at ${current.subject.replaceAll('\n', ', ')}: its issuer is not in the bundle. Give the root with --root.` },
      };
    }
    path.push(issuer);
    current = issuer;
  }
  return { problem: { code: 'BUNDLE_SIGNER_UNKNOWN', message: `The bundle's CA chain is longer than ${MAX_CHAIN_LENGTH} certificates.` } };
}

export interface VerifyOptions {
  /** The root the person trusts (DER): the CA must chain to it. */
  readonly rootDer?: Uint8Array;
}

/**
 * Checks the bundle in dir. Never throws for what is wrong with the bundle:
 * every finding is in `problems`. Throws only for a folder that cannot be
 * read at all (FILE_NOT_FOUND, INPUT_INVALID).
 */
export async function verifyBundle(dir: string, options: VerifyOptions = {}): Promise<BundleReport> {
  const problems: BundleProblem[] = [];
  const base = { ok: false, directory: dir, rootGiven: options.rootDer !== undefined, files: [], extra: [] };
  let names: string[];
  try {
    const info = await lstat(dir);
    if (!info.isDirectory()) throw new CustosError('INPUT_INVALID', `${dir} is not a folder: give the bundle's folder.`, { path: dir });
    names = await readdir(dir);
  } catch (e) {
    if (e instanceof CustosError) throw e;
    if (errnoOf(e) === 'ENOENT') throw new CustosError('FILE_NOT_FOUND', `There is no folder ${dir}.`, { path: dir });
    throw new CustosError('INPUT_INVALID', `${dir} cannot be read (${errnoOf(e) ?? 'error'}).`, { path: dir });
  }
  if (!names.includes(MANIFEST_FILE)) {
    return {
      ...base, rehearsal: false, extra: names,
      problems: [{ code: 'BUNDLE_MANIFEST_MISSING', message: `${dir} holds no ${MANIFEST_FILE}: it is not a bundle, or its writing was cut off (the manifest is written last). Write the bundle again.` }],
    };
  }
  let signed;
  let manifest: Manifest;
  let manifestBytes: Uint8Array;
  try {
    manifestBytes = await readBoundedFile(join(dir, MANIFEST_FILE), MAX_SIGNED_MANIFEST_BYTES);
    signed = await readSignedManifest(manifestBytes);
    // Nothing the manifest says is read before its signature holds.
    if (!signed.signatureValid) {
      return {
        ...base, rehearsal: false,
        problems: [signed.signerCertificate
          ? { code: 'BUNDLE_SIGNATURE_INVALID', message: `The manifest's signature does not verify (${signed.signatureProblem ?? 'invalid'}): the manifest was altered after it was signed. Do not use the bundle.` }
          : { code: 'BUNDLE_SIGNER_UNKNOWN', message: 'The manifest\'s signer certificate is not in the bundle: the signer is unknown. Refuse the bundle.' }],
      };
    }
    manifest = decodeManifest(signed.content);
  } catch (e) {
    if (!(e instanceof CustosError)) throw e;
    const code = e.code === 'FILE_TOO_LARGE' || e.code === 'INPUT_INVALID' ? 'BUNDLE_MANIFEST_MALFORMED' : e.code;
    return { ...base, rehearsal: false, problems: [{ code, message: e.message }] };
  }
  const rehearsal = manifest.rehearsal;
  const caDer = new Uint8Array(Buffer.from(manifest.ca.certificate, 'base64'));
  let ca: X509Certificate;
  try {
    ca = new X509Certificate(caDer);
  } catch {
    return { ...base, rehearsal, problems: [{ code: 'BUNDLE_MANIFEST_MALFORMED', message: 'The manifest\'s CA certificate is not a certificate.' }] };
  }
  const described = {
    ...base, rehearsal, createdAt: manifest.createdAt, operator: manifest.operator, journalHead: manifest.journalHead,
    ca: { name: manifest.ca.name, subject: manifest.ca.subject, sha256: sha256(caDer) },
  };
  if (sha256(caDer) !== manifest.ca.sha256) problems.push({ code: 'BUNDLE_MANIFEST_MALFORMED', message: 'The manifest\'s CA certificate is not the one its SHA-256 names.' });

  // Every certificate the bundle carries is read before any is trusted: one that does not parse ends the check.
  let carried: X509Certificate[];
  try {
    carried = signed.certificates.map((c) => new X509Certificate(c));
    if (signed.signerCertificate) new PeculiarCertificate(new Uint8Array(signed.signerCertificate));
  } catch {
    return { ...described, problems: [...problems, { code: 'BUNDLE_MANIFEST_MALFORMED', message: 'A certificate the manifest carries cannot be read: the manifest was altered.' }] };
  }

  // Who signed, and whether that signer may sign bundles for this CA.
  let signer: BundleReport['signer'];
  const signerDer = signed.signerCertificate ? new Uint8Array(signed.signerCertificate) : undefined;
  if (!signerDer) {
    problems.push({ code: 'BUNDLE_SIGNER_UNKNOWN', message: 'The manifest\'s signer certificate is not in the bundle: the signer is unknown.' });
  } else {
    const cert = new X509Certificate(signerDer);
    signer = { subject: cert.subject.replaceAll('\n', ', '), serialHex: cert.serialNumber.toLowerCase(), sha256: sha256(signerDer) };
    if (isCaCertificate(signerDer) || cert.publicKey.export({ type: 'spki', format: 'der' }).equals(ca.publicKey.export({ type: 'spki', format: 'der' }))) {
      problems.push({ code: 'BUNDLE_SIGNER_IS_CA', message: 'The manifest is signed by a CA key itself, not by a bundle signer the CA certified. A bundle is signed only by a designated bundle-signer key: refuse it.' });
    } else if (!issuedBy(cert, ca)) {
      problems.push({ code: 'BUNDLE_SIGNER_UNKNOWN', message: `The manifest is signed by ${signer.subject}, which the bundle's CA ${manifest.ca.name} did not certify: the signer is unknown. Refuse the bundle.` });
    } else {
      const purpose = signerPurposeProblem(signerDer, signed.signingTime);
      if (purpose) problems.push({ code: 'BUNDLE_SIGNER_PURPOSE', message: `The manifest's signer may not sign bundles: ${purpose}.` });
    }
  }

  // The CA's chain, to the given root when there is one.
  let rootSha256: string | undefined;
  let root: X509Certificate | undefined;
  if (options.rootDer) {
    try {
      root = new X509Certificate(options.rootDer);
    } catch {
      throw new CustosError('INPUT_INVALID', 'The root given with --root is not a certificate (PEM or DER).', {});
    }
  }
  const chain = chainOf(ca, carried, root);
  if ('problem' in chain) problems.push(chain.problem);
  else rootSha256 = sha256(chain.path[chain.path.length - 1]!.raw);

  // The files: each listed one whole, nothing else in the folder.
  const listed = new Map(manifest.files.map((f) => [f.name, f]));
  const files: FileCheck[] = [];
  for (const f of manifest.files) {
    const path = join(dir, f.name);
    const info = await lstat(path).catch(() => undefined);
    if (!info || !info.isFile()) {
      files.push({ ...f, status: 'missing' });
      problems.push({ code: 'BUNDLE_FILE_MISSING', file: f.name, message: `${f.name} is listed in the manifest but ${info ? 'is not a regular file' : 'is not in the bundle'}.` });
      continue;
    }
    const found = await hashFile(path);
    const whole = found.bytes === f.bytes && found.sha256 === f.sha256;
    files.push({ ...f, status: whole ? 'ok' : 'tampered' });
    if (!whole) {
      problems.push({ code: 'BUNDLE_FILE_TAMPERED', file: f.name, message: `${f.name} is not the file that was signed: ${found.bytes === f.bytes ? 'its SHA-256 differs' : `it has ${found.bytes} bytes, the manifest says ${f.bytes}`}. Do not use the bundle.` });
    }
  }
  // The manifest's own temporary stays beside it when a write is cut off between naming the manifest and
  // removing the temporary (main/fs/atomic-file.ts): the bundle is whole, and that name is no part of it.
  // Only a temporary holding the manifest's very bytes is one; any other file under that name was added.
  const unlisted = names.filter((n) => n !== MANIFEST_FILE && !listed.has(n));
  const extra: string[] = [];
  for (const name of unlisted.sort()) {
    if (name.startsWith(MANIFEST_TEMPORARY) && await sameBytes(join(dir, name), manifestBytes)) continue;
    extra.push(name);
  }
  for (const name of extra) {
    problems.push({ code: 'BUNDLE_FILE_EXTRA', file: name, message: `${name} is in the bundle's folder but not in its manifest: it was added after signing.` });
  }
  return { ...described, ...(signer ? { signer } : {}), ...(rootSha256 ? { rootSha256 } : {}), files, extra, problems, ok: problems.length === 0 };
}

/** The report's first problem as the error to throw, with every problem's code in its details. */
export function bundleError(report: BundleReport): CustosError | undefined {
  const first = report.problems[0];
  if (!first) return undefined;
  const more = report.problems.length > 1 ? ` (${report.problems.length - 1} more: ${report.problems.slice(1).map((p) => p.code).join(', ')})` : '';
  return new CustosError(first.code, `${first.message}${more}`, { path: report.directory, problems: report.problems.map((p) => p.code), ...(first.file ? { file: first.file } : {}) });
}
