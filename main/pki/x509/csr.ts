/**
 * Reading certificate requests (PKCS#10, RFC 2986) from a file a person
 * brings: PEM with one or more blocks, or DER. Every check has its own code,
 * in the order a person would fix them; a file with several requests names
 * the index of the bad one.
 */
import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { Extensions, Name, SubjectPublicKeyInfo, type Extension } from '@peculiar/asn1-x509';
import { CustosError, type ErrorCode } from '../../errors/index.ts';
import type { Hex } from '../../hsm/token.ts';
import { OID } from '../oids.ts';
import { decodeExtension, type DecodedExtension, type GeneralNameValue } from './extensions.ts';
import { publicKeyOf, publicKeySpec, rsaKeyProblems, rsaPublicKeyOf, sha256Hex, type PublicKeySpec, type RsaKeyProblem } from './keys.ts';
import { generalNamesCount, generalNamesProblems, MAX_SUBJECT_ALT_NAMES, nameProblems, type NameProblem } from './name-rules.ts';
import { describeDerViolation, findDerViolation } from '../formats/strict-der.ts';
import { formatName, nameAttributes, type NameAttribute } from './names.ts';
import { describeSignatureAlgorithm, nodeVerifyParams } from './signature.ts';
import { childrenOf, fromAsn, rawBytes, readSequence, type Asn1Block, type DerReadError } from './der.ts';

export { MAX_SUBJECT_ALT_NAMES };
export const MAX_CSR_FILE_BYTES = 1 << 20;
export const MIN_RSA_BITS = 2048;
const PEM_LABELS = new Set(['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);

export interface SubjectAltNames {
  readonly dns: readonly string[];
  readonly ip: readonly string[];
  readonly email: readonly string[];
  readonly uri: readonly string[];
}

export interface CsrInfo {
  /** The request exactly as it was in the file (DER). */
  readonly der: Uint8Array;
  readonly sha256: Hex;
  readonly subject: {
    /** RFC 4514 string (CN first). */
    readonly text: string;
    /** RDNs in encoded order (most significant first). */
    readonly rdns: readonly (readonly NameAttribute[])[];
    /** The Name's exact DER from the request, so the certificate carries the same bytes. */
    readonly der: Uint8Array;
  };
  readonly spki: Uint8Array;
  readonly spkiSha256: Hex;
  readonly keySpec: PublicKeySpec;
  readonly subjectAltNames: SubjectAltNames;
  readonly requestedExtensions: readonly DecodedExtension[];
  /** The requested extensions' DER value (extnValue contents) by OID, for copying an allowed one verbatim. */
  readonly requestedExtensionsDer: Readonly<Record<string, { readonly critical: boolean; readonly value: Uint8Array }>>;
  readonly signatureAlgorithm: { readonly oid: string; readonly name: string };
}

function fail(code: ErrorCode, message: string, index: number | undefined, details: Record<string, string | number> = {}): never {
  const where = index === undefined ? '' : ` (request #${index + 1} in the file)`;
  throw new CustosError(code, `${message}${where}`, index === undefined ? details : { index, ...details });
}

interface Block { readonly der: Uint8Array; readonly index: number | undefined }

const BEGIN = /-----BEGIN ([^-\r\n]*)-----/g;

function pemBlocks(text: string): Block[] {
  const starts = [...text.matchAll(BEGIN)];
  const blocks: Block[] = [];
  const several = starts.length > 1;
  // Labels first, for the whole file: a wrong kind of file is named before any damage in it.
  starts.forEach((m, i) => {
    if (!PEM_LABELS.has(m[1]!)) fail('CSR_PEM_LABEL', `The file holds a PEM "${m[1]}", not a CERTIFICATE REQUEST.`, several ? i : undefined, { label: m[1]! });
  });
  starts.forEach((m, i) => {
    const label = m[1]!;
    const index = several ? i : undefined;
    const bodyStart = m.index + m[0].length;
    const end = text.indexOf(`-----END ${label}-----`, bodyStart);
    const nextBegin = starts[i + 1]?.index ?? Infinity;
    if (end < 0 || end > nextBegin) fail('CSR_MALFORMED', 'The PEM block has no matching END line: the file is cut short or damaged.', index);
    const body = text.slice(bodyStart, end).replace(/\s+/g, '');
    if (body.length === 0 || body.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
      fail('CSR_MALFORMED', 'The PEM block is not valid base64: the file is damaged.', index);
    }
    blocks.push({ der: new Uint8Array(Buffer.from(body, 'base64')), index });
  });
  // Text before a block is explanation by custom (openssl req -text writes it there, RFC 7468 §5.2);
  // after the last END line there is nothing to explain, and whatever sits there was not checked.
  const last = starts[starts.length - 1];
  if (last) {
    const endLine = `-----END ${last[1]!}-----`;
    const after = text.slice(text.indexOf(endLine, last.index + last[0].length) + endLine.length);
    if (/\S/.test(after)) {
      const trailingBytes = Buffer.byteLength(after.replace(/^\s+/, ''), 'latin1');
      fail('CSR_TRAILING_BYTES', `The PEM file has ${trailingBytes} bytes of text after its last END line: the file is damaged or holds something else.`, undefined, { trailingBytes });
    }
  }
  return blocks;
}

function looksLikePem(bytes: Uint8Array): boolean {
  // A DER request starts with a SEQUENCE tag; anything with a BEGIN line is read as PEM.
  return bytes[0] !== 0x30 && Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, MAX_CSR_FILE_BYTES)).includes('-----BEGIN ');
}

/**
 * The extensions a request asks for. Each attribute value is read from the
 * tree the request was parsed into (attributes [0] holds one SEQUENCE per
 * attribute, its values in a SET, RFC 2986 §4.1), not parsed from its bytes again.
 */
function requestedExtensions(csr: CertificationRequest, attributesTree: Asn1Block | undefined, index: number | undefined): Extension[] {
  const out: Extension[] = [];
  const attributes = csr.certificationRequestInfo.attributes;
  const trees = childrenOf(attributesTree);
  attributes.forEach((attribute, i) => {
    if (attribute.type !== OID.extensionRequest) return;
    const valueTrees = childrenOf(childrenOf(trees[i])[1]);
    attribute.values.forEach((value, j) => {
      const tree = valueTrees.length === attribute.values.length ? valueTrees[j] : undefined;
      try {
        out.push(...(tree ? fromAsn(tree, Extensions) : AsnConvert.parse(value, Extensions)));
      } catch {
        fail('CSR_MALFORMED', 'The request\u2019s extensionRequest attribute is not valid DER.', index);
      }
    });
  });
  return out;
}

function subjectAltNames(extensions: readonly DecodedExtension[], index: number | undefined): SubjectAltNames {
  const san = { dns: [] as string[], ip: [] as string[], email: [] as string[], uri: [] as string[] };
  for (const ext of extensions) {
    if (ext.oid !== OID.subjectAltName) continue;
    if (!Array.isArray(ext.value)) fail('CSR_MALFORMED', 'The request\u2019s subjectAltName is not valid DER.', index);
    for (const { type, value } of ext.value as GeneralNameValue[]) {
      if (type === 'dns' || type === 'ip' || type === 'email' || type === 'uri') san[type].push(value);
    }
  }
  return san;
}

function checkKey(key: KeyObject, index: number | undefined): PublicKeySpec {
  const spec = publicKeySpec(key);
  if (spec.kind === 'rsa' && spec.bits < MIN_RSA_BITS) {
    fail('CSR_KEY_WEAK', `The request\u2019s RSA key has ${spec.bits} bits; at least ${MIN_RSA_BITS} are needed. Ask for a new request with a stronger key.`, index, { bits: spec.bits });
  }
  if (spec.kind === 'rsa' && spec.bits > 16384) fail('CSR_KEY_UNSUPPORTED', `RSA keys of ${spec.bits} bits are not supported.`, index, { bits: spec.bits });
  if (spec.kind === 'other') {
    const what = spec.curve ? `an ${spec.type} key on curve ${spec.curve}` : `a ${spec.type} key`;
    fail('CSR_KEY_UNSUPPORTED', `The request holds ${what}; Custos certifies RSA and EC P-256, P-384 or P-521 keys only.`, index, { keyType: spec.type, curve: spec.curve ?? '' });
  }
  return spec;
}

// Requests this process parsed and checked itself: issuance may take one of these as it is
// instead of reading and checking the stored request again.
const checked = new WeakSet<CsrInfo>();
/** A request's key decoded, and encoded as DER by OpenSSL (the request's own bytes may be BER). */
export interface SubjectKey {
  readonly info: SubjectPublicKeyInfo;
  readonly der: Uint8Array;
}

// The subject and key as parseCsrFile decoded them, so a certificate planned from the request does not decode them again.
const decodedParts = new WeakMap<CsrInfo, { readonly subject: Name; readonly key: SubjectKey }>();

/** The request's subject as a Name (decoded once per request this process read). */
export function subjectNameOf(csr: CsrInfo): Name {
  return decodedParts.get(csr)?.subject ?? AsnConvert.parse(csr.subject.der, Name);
}

/**
 * The request's key as a certificate carries it. OpenSSL writes the key it
 * read as DER in microseconds; the schema library takes ten times as long.
 * Where that differs from the request's bytes (BER, or rsaEncryption without
 * its NULL), the decoded key is taken from the DER, so a certificate's key and
 * the object lint reads agree.
 */
function subjectKey(key: KeyObject, decoded: SubjectPublicKeyInfo, spkiDer: Uint8Array): SubjectKey {
  const der = new Uint8Array(key.export({ type: 'spki', format: 'der' }));
  return { info: Buffer.compare(der, spkiDer) === 0 ? decoded : AsnConvert.parse(der, SubjectPublicKeyInfo), der };
}

/** The request's public key, decoded and in DER (once per request this process read). */
export function subjectKeyOf(csr: CsrInfo): SubjectKey {
  const known = decodedParts.get(csr)?.key;
  if (known) return known;
  const decoded = AsnConvert.parse(csr.spki, SubjectPublicKeyInfo);
  return subjectKey(publicKeyOf(decoded, csr.spki), decoded, csr.spki);
}

/** True for a CsrInfo parseCsrFile made in this process (its self-signature was verified then). */
export function isCheckedCsr(csr: unknown): csr is CsrInfo {
  return typeof csr === 'object' && csr !== null && checked.has(csr as CsrInfo);
}

/** Why the request's bytes are not one DER structure, each with its own code. */
function failUnread(read: DerReadError, index: number | undefined): never {
  const found = read.found ?? '';
  if (read.failure === 'trailing') {
    fail('CSR_TRAILING_BYTES', `The request is followed by ${read.trailingBytes} unexpected bytes: the file is damaged or holds something else.`, index, { trailingBytes: read.trailingBytes ?? 0 });
  }
  if (read.failure === 'not-der') fail('CSR_NOT_DER', `The request is not DER: it has ${found}. Only DER is accepted: ask for the request again as DER or PEM.`, index, { found });
  if (read.failure === 'truncated') fail('CSR_MALFORMED', `The request is cut short: it has ${found}. Copy the file again.`, index, { found });
  fail('CSR_MALFORMED', `The file is not a certificate request: its DER cannot be read${found ? ` (${found})` : ''}.`, index, found ? { found } : {});
}

const NAME_PROBLEM_CODES = { 'too-long': 'CSR_NAME_TOO_LONG', characters: 'CSR_NAME_CHARACTERS', encoding: 'CSR_NAME_ENCODING' } as const satisfies Record<NameProblem['kind'], ErrorCode>;

function failName(problem: NameProblem | undefined, index: number | undefined): void {
  if (problem) fail(NAME_PROBLEM_CODES[problem.kind], problem.message, index, { field: problem.field });
}

/**
 * Each requested extension's value must be DER too, and a subjectAltName is
 * counted and its names checked on their bytes before anything decodes them.
 */
function checkRequestedExtensions(extensions: readonly Extension[], index: number | undefined): void {
  for (const ext of extensions) {
    const value = new Uint8Array(ext.extnValue.buffer);
    const violation = findDerViolation(value);
    if (violation) {
      const found = describeDerViolation(violation);
      fail('CSR_NOT_DER', `The request\u2019s ${ext.extnID} extension is not DER: it has ${found}.`, index, { extension: ext.extnID, found });
    }
    if (ext.extnID !== OID.subjectAltName) continue;
    const count = generalNamesCount(value) ?? 0;
    if (count > MAX_SUBJECT_ALT_NAMES) {
      fail('CSR_TOO_MANY_NAMES', `The request asks for ${count} names in its subjectAltName; Custos certifies at most ${MAX_SUBJECT_ALT_NAMES} per certificate. Split the names over several requests.`, index, { names: count, maxNames: MAX_SUBJECT_ALT_NAMES });
    }
    failName(generalNamesProblems(value)[0], index);
  }
}

/** RSA keys whose numbers no careful CA certifies (keys.ts rsaKeyProblems): refused before their signature is trusted. */
function checkRsaNumbers(spki: SubjectPublicKeyInfo, index: number | undefined): void {
  if (spki.algorithm.algorithm !== OID.rsaEncryption) return;
  const keyBytes = new Uint8Array(spki.subjectPublicKey);
  const violation = findDerViolation(keyBytes);
  if (violation) fail('CSR_NOT_DER', `The request\u2019s RSA public key is not DER: it has ${describeDerViolation(violation)}.`, index, { found: describeDerViolation(violation) });
  let problems: RsaKeyProblem[];
  try {
    problems = rsaKeyProblems(rsaPublicKeyOf(spki)!);
  } catch {
    fail('CSR_KEY_UNSUPPORTED', 'The request\u2019s RSA public key cannot be read.', index);
  }
  if (problems.length > 0) {
    fail('CSR_KEY_WEAK', `The request\u2019s RSA key cannot be certified: its ${problems[0]!.message} Ask for a new request with a sound key.`, index, { field: problems[0]!.field, problems: problems.map((p) => p.message).join(' ') });
  }
}

function parseOne({ der, index }: Block, checkSignature = true): CsrInfo {
  const read = readSequence(der);
  if ('failure' in read) failUnread(read, index);
  let csr: CertificationRequest;
  try {
    csr = fromAsn(read.sequence, CertificationRequest);
  } catch {
    fail('CSR_MALFORMED', 'The file is not a certificate request: its structure does not match PKCS#10.', index);
  }
  // RFC 2986 §4.1: version is 0 (v1); anything else is not a request Custos can read faithfully.
  if (csr.certificationRequestInfo.version !== 0) fail('CSR_MALFORMED', `The request has version ${csr.certificationRequestInfo.version + 1}; only PKCS#10 version 1 exists.`, index);
  // CertificationRequestInfo ::= SEQUENCE { version, subject, subjectPKInfo, attributes } (RFC 2986 §4.1)
  const info = childrenOf(read.items[0]);
  const subjectDer = rawBytes(info[1]);
  const spki = rawBytes(info[2]);
  const signedBytes = rawBytes(read.items[0]);

  checkRsaNumbers(csr.certificationRequestInfo.subjectPKInfo, index);
  let key: KeyObject;
  try {
    key = publicKeyOf(csr.certificationRequestInfo.subjectPKInfo, spki);
  } catch {
    fail('CSR_KEY_UNSUPPORTED', 'The request\u2019s public key is of a type or curve Custos cannot read.', index);
  }
  const params = nodeVerifyParams(csr.signatureAlgorithm);
  let valid = !checkSignature;
  if (params && checkSignature) {
    try {
      valid = verifySignature(params.hash, signedBytes, { key, ...params.options }, new Uint8Array(csr.signature));
    } catch {
      valid = false;
    }
  }
  if (!valid) {
    const why = params ? 'its self-signature does not verify: it was altered or damaged' : `it is signed with an algorithm Custos cannot check (${csr.signatureAlgorithm.algorithm})`;
    fail('CSR_SIGNATURE_INVALID', `The request cannot be trusted: ${why}.`, index);
  }
  const keySpec = checkKey(key, index);
  failName(nameProblems(subjectDer)[0], index);
  const extensions = requestedExtensions(csr, info[3], index);
  checkRequestedExtensions(extensions, index);
  const decoded = extensions.map(decodeExtension);
  const subject: Name = csr.certificationRequestInfo.subject;
  const requestedExtensionsDer: Record<string, { critical: boolean; value: Uint8Array }> = {};
  for (const ext of extensions) requestedExtensionsDer[ext.extnID] = { critical: ext.critical, value: new Uint8Array(ext.extnValue.buffer) };
  const parsed: CsrInfo = Object.freeze({
    der,
    sha256: sha256Hex(der),
    subject: { text: formatName(subject), rdns: nameAttributes(subject), der: subjectDer },
    spki,
    spkiSha256: sha256Hex(spki),
    keySpec,
    subjectAltNames: subjectAltNames(decoded, index),
    requestedExtensions: decoded,
    requestedExtensionsDer,
    signatureAlgorithm: { oid: csr.signatureAlgorithm.algorithm, name: describeSignatureAlgorithm(csr.signatureAlgorithm) },
  });
  if (checkSignature) checked.add(parsed);
  decodedParts.set(parsed, { subject, key: subjectKey(key, csr.certificationRequestInfo.subjectPKInfo, spki) });
  return parsed;
}

/** Reads every request in a file (PEM blocks or one DER request) and checks each; throws the first problem found. */
export function parseCsrFile(bytes: Uint8Array): CsrInfo[] {
  // Whitespace only counts as empty too (an editor's idea of an empty file); this stops at the first other byte.
  if (bytes.every((b) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d)) {
    throw new CustosError('CSR_EMPTY', 'The file is empty: choose the request file again.', {});
  }
  if (bytes.byteLength > MAX_CSR_FILE_BYTES) {
    throw new CustosError('CSR_TOO_LARGE', `The file has ${bytes.byteLength} bytes; a request file may have at most ${MAX_CSR_FILE_BYTES}.`, { bytes: bytes.byteLength, maxFileBytes: MAX_CSR_FILE_BYTES });
  }
  const blocks = looksLikePem(bytes) ? pemBlocks(Buffer.from(bytes).toString('latin1')) : [{ der: bytes.slice(), index: undefined }];
  return blocks.map((block) => parseOne(block));
}

const RULES_SINCE_IMPORT: ReadonlySet<ErrorCode> = new Set(['CSR_KEY_WEAK', 'CSR_NOT_DER', 'CSR_NAME_TOO_LONG', 'CSR_NAME_CHARACTERS', 'CSR_NAME_ENCODING', 'CSR_TOO_MANY_NAMES']);

/**
 * Reads a request stored at import again, when its SHA-256 is still the one
 * recorded: the bytes are those whose self-signature was verified at import,
 * so the signature is not checked twice. Undefined when the bytes changed.
 */
export function rereadImportedCsr(der: Uint8Array, sha256: Hex): CsrInfo | undefined {
  if (sha256Hex(der) !== sha256) return undefined;
  try {
    return parseOne({ der, index: undefined }, false);
  } catch (e) {
    // The same bytes refused by a rule made since their import: say which rule, not that they changed.
    if (e instanceof CustosError && RULES_SINCE_IMPORT.has(e.code)) throw e;
    return undefined;
  }
}
