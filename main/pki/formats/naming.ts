/**
 * File names for what Custos exports, and the check that a file's extension
 * says what its bytes hold. One extension per (kind, encoding), so a person
 * (and Windows, OpenSSL, certtool) can tell a file's content from its name:
 *
 *   certificate  DER .cer       PEM .pem
 *   csr          DER .csr.der   PEM .csr        (requests travel as PEM; RFC 2986 has no DER habit)
 *   crl          DER .crl       PEM .crl.pem
 *   pkcs7        DER .p7b       PEM .p7b.pem
 *   cvc          DER .cvcert    (CV certificates have no PEM form)
 *   cvc-request  DER .cvreq
 *
 * Why .p7b.pem: ".p7b" is DER in Windows' export wizard but PEM in OpenSSL's
 * habits, so a bare .p7b cannot promise an encoding. Custos writes .p7b for
 * DER only and marks the PEM variant with a second extension, as for CRLs:
 * the first says what it is, the last how it is written.
 */
import { CustosError } from '../../errors/index.ts';
import { detectFormat, type DetectedFormat, type Encoding, type FormatKind } from './detect.ts';

export type ExportKind = Exclude<FormatKind, 'private-key-refused' | 'unknown'>;

const EXTENSIONS: Readonly<Record<ExportKind, Partial<Record<Encoding, string>>>> = {
  certificate: { der: '.cer', pem: '.pem' },
  csr: { der: '.csr.der', pem: '.csr' },
  crl: { der: '.crl', pem: '.crl.pem' },
  pkcs7: { der: '.p7b', pem: '.p7b.pem' },
  cvc: { der: '.cvcert' },
  'cvc-request': { der: '.cvreq' },
};

/** Every extension with what it promises, longest first so ".crl.pem" wins over ".pem". */
const BY_EXTENSION: readonly { readonly extension: string; readonly kind: ExportKind; readonly encoding: Encoding }[] = (
  Object.entries(EXTENSIONS) as [ExportKind, Partial<Record<Encoding, string>>][]
).flatMap(([kind, byEncoding]) => (Object.entries(byEncoding) as [Encoding, string][]).map(([encoding, extension]) => ({ extension, kind, encoding })))
  .sort((a, b) => b.extension.length - a.extension.length);

/** Longest base name kept, in characters: file systems limit names to 255 bytes, and UTF-8 takes up to 4 a character. */
export const MAX_BASE_NAME_CHARS = 60;

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/**
 * A base name safe on every file system Custos writes to (ext4, FAT/exFAT on
 * removable media, NTFS): from a subject DN its CN (else the whole text), with
 * path separators, control and format characters and the characters FAT and
 * Windows refuse removed, whitespace as "_", no leading dots, bounded length.
 */
export function safeBaseName(subject: string): string {
  const cn = /(?:^|[,+]\s*)CN=((?:\\.|[^,+])*)/i.exec(subject);
  let name = (cn ? cn[1]!.replace(/\\(.)/g, '$1') : subject).normalize('NFC');
  name = name.replace(/\s+/g, '_')
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .replace(/[/\\:*?"<>|]/g, '_')
    .replace(/^[._-]+|[._ -]+$/g, '');
  name = Array.from(name).slice(0, MAX_BASE_NAME_CHARS).join('').replace(/[. ]+$/, '');
  if (name === '') return 'unnamed';
  return WINDOWS_RESERVED.test(name) ? `_${name}` : name;
}

/** The export file name for an artifact: a safe base name and the one extension for its kind and encoding. */
export function exportFileName(kind: ExportKind, encoding: Encoding, baseName: string): string {
  const extension = EXTENSIONS[kind]?.[encoding];
  if (extension === undefined) {
    throw new CustosError('FORMAT_UNKNOWN', `A ${kind} cannot be exported as ${encoding.toUpperCase()}.`, { kind, encoding });
  }
  return `${safeBaseName(baseName)}${extension}`;
}

/** What a file name's extension promises, or undefined for an extension Custos does not write. */
export function formatForFileName(fileName: string): { readonly kind: ExportKind; readonly encoding: Encoding } | undefined {
  const lower = fileName.toLowerCase();
  const hit = BY_EXTENSION.find((e) => lower.endsWith(e.extension) && lower.length > e.extension.length);
  return hit === undefined ? undefined : { kind: hit.kind, encoding: hit.encoding };
}

/**
 * Refuses (FORMAT_MISMATCH) a file whose extension does not say what its
 * bytes hold, e.g. PEM text named .cer; refuses an extension Custos does not
 * know (FORMAT_UNKNOWN). Returns what the bytes hold.
 */
export function assertExtensionMatches(fileName: string, bytes: Uint8Array): DetectedFormat {
  const promised = formatForFileName(fileName);
  if (promised === undefined) {
    throw new CustosError('FORMAT_UNKNOWN', `"${fileName}" has no extension Custos knows (${BY_EXTENSION.map((e) => e.extension).join(', ')}).`, { fileName });
  }
  const found = detectFormat(bytes);
  if (found.kind !== promised.kind || found.encoding !== promised.encoding) {
    const what = found.kind === 'private-key-refused' ? 'a private key' : found.kind === 'unknown' ? `unrecognised ${found.encoding.toUpperCase()} data` : `a ${found.encoding.toUpperCase()} ${found.kind}`;
    throw new CustosError('FORMAT_MISMATCH',
      `"${fileName}" is named as a ${promised.encoding.toUpperCase()} ${promised.kind} but holds ${what}.`,
      { fileName, expectedKind: promised.kind, expectedEncoding: promised.encoding, foundKind: found.kind, foundEncoding: found.encoding });
  }
  return found;
}
