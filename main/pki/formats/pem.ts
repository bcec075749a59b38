/**
 * PEM (RFC 7468): DER wrapped in base64 between BEGIN and END lines. Reading
 * is strict, since these files come from outside the air gap: the label must
 * be the one expected, the base64 must be canonical, END must match BEGIN.
 */
import { CustosError } from '../../errors/index.ts';

/** The labels Custos writes (RFC 7468 §5-§8 and OpenSSL's "X509 CRL"). */
export const PEM_LABEL = {
  certificate: 'CERTIFICATE',
  csr: 'CERTIFICATE REQUEST',
  crl: 'X509 CRL',
  pkcs7: 'PKCS7',
} as const;

export type PemLabel = string;

export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

const LINE_CHARS = 64; // RFC 7468 §2: generators wrap base64 at 64 characters.

export function toPem(der: Uint8Array, label: PemLabel): string {
  if (!/^[\x21-\x2c\x2e-\x7e]([ -]?[\x21-\x2c\x2e-\x7e])*$/.test(label)) {
    throw new CustosError('INPUT_INVALID', `"${label.slice(0, 40)}" is not a PEM label (RFC 7468 §3).`, {});
  }
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += LINE_CHARS) lines.push(base64.slice(i, i + LINE_CHARS));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const BEGIN = /-----BEGIN ([^\r\n-]*(?:-[^\r\n-]+)*)-----/g;

/** Every PEM block in the text, in order; text outside blocks is ignored (RFC 7468 §5.2). */
export function readPemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  BEGIN.lastIndex = 0;
  for (let m = BEGIN.exec(text); m !== null; m = BEGIN.exec(text)) {
    const label = m[1]!;
    const endLine = `-----END ${label}-----`;
    const bodyStart = m.index + m[0].length;
    const endAt = text.indexOf(endLine, bodyStart);
    const nextBegin = text.indexOf('-----BEGIN ', bodyStart);
    if (endAt < 0 || (nextBegin >= 0 && nextBegin < endAt)) {
      throw new CustosError('FILE_TRUNCATED', `The PEM block "${label}" has no matching "${endLine}" line: the file is cut short or damaged.`, { label });
    }
    blocks.push({ label, der: decodeStrictBase64(text.slice(bodyStart, endAt), label) });
    BEGIN.lastIndex = endAt + endLine.length;
  }
  return blocks;
}

function decodeStrictBase64(body: string, label: string): Uint8Array {
  // RFC 7468 §3: whitespace may separate lines; headers (RFC 1421 "Proc-Type:") are refused: we never read encrypted PEM.
  const compact = body.replace(/[ \t\r\n]+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact)) {
    throw new CustosError('FORMAT_UNKNOWN', `The PEM block "${label}" does not hold valid base64.`, { label });
  }
  const der = Buffer.from(compact, 'base64');
  // Non-canonical padding bits would decode to the same bytes from different text.
  if (der.toString('base64') !== compact) {
    throw new CustosError('FORMAT_UNKNOWN', `The PEM block "${label}" holds non-canonical base64.`, { label });
  }
  return new Uint8Array(der.buffer, der.byteOffset, der.byteLength);
}

/**
 * The DER of the one PEM block in the text, whose label must be expectedLabel
 * (or one of them). Refuses no block (FORMAT_UNKNOWN), several blocks, another
 * label (FORMAT_MISMATCH), a missing END (FILE_TRUNCATED) and bad base64.
 */
export function fromPem(text: string, expectedLabel: PemLabel | readonly PemLabel[]): Uint8Array {
  const expected = typeof expectedLabel === 'string' ? [expectedLabel] : expectedLabel;
  const blocks = readPemBlocks(text);
  if (blocks.length === 0) {
    throw new CustosError('FORMAT_UNKNOWN', `This is not PEM: no "-----BEGIN ${expected[0]}-----" line was found.`, { expected: [...expected] });
  }
  if (blocks.length > 1) {
    throw new CustosError('FORMAT_MISMATCH', `This PEM file holds ${blocks.length} blocks where one "${expected[0]}" was expected.`, { blocks: blocks.length });
  }
  const block = blocks[0]!;
  if (!expected.includes(block.label)) {
    throw new CustosError('FORMAT_MISMATCH', `This PEM file holds "${block.label}", not "${expected.join('" or "')}".`, { label: block.label, expected: [...expected] });
  }
  return block.der;
}

/** True when the bytes look like PEM text: a BEGIN line before any non-text byte. */
export function looksLikePem(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 64 * 1024)).toString('latin1');
  const at = head.indexOf('-----BEGIN ');
  // eslint-disable-next-line no-control-regex
  return at >= 0 && !/[\x00-\x08\x0e-\x1f]/.test(head.slice(0, at));
}
