export { detectFormat, type DetectedFormat, type Encoding, type FormatKind } from './detect.ts';
export { fromPem, looksLikePem, PEM_LABEL, readPemBlocks, toPem, type PemBlock } from './pem.ts';
export { certificateChainToPkcs7, certificateChainToPkcs7Pem, pkcs7ToCertificates } from './pkcs7.ts';
export { assertExtensionMatches, exportFileName, formatForFileName, MAX_BASE_NAME_CHARS, safeBaseName, type ExportKind } from './naming.ts';
