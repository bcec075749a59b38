/**
 * The CVC authority's part of the one contract (contract.ts spreads it into
 * `api`): its channels and their schemas, kept in a file of their own so the
 * X.509 table stays as it is. Every input is parsed at the door like any other.
 */
import { z } from 'zod';

const Hex = z.string().regex(/^[0-9a-f]*$/, 'lower-case hexadecimal');
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');
const Chr = z.string().min(1).max(16);
const Authorizations = z.array(z.string().max(64)).max(64);

export const CvcRole = z.enum(['cvca', 'dv-domestic', 'dv-foreign', 'terminal']);
export const CvcAttestation = z.enum(['cardcontact', 'rehearsal', 'self-issued', 'unknown-root', 'authority', 'chain-missing', 'plain']);

export const CvcBodyView = z.object({
  chr: z.string(),
  car: z.string().optional(),
  chat: z.object({
    terminalType: z.enum(['is', 'at', 'st']).optional(), terminalTypeName: z.string(), role: CvcRole.optional(), roleName: z.string(),
    authorizations: z.array(z.string()), otherBits: z.array(z.number()), bitsHex: z.string(),
  }).optional(),
  effectiveDate: z.string().optional(),
  expirationDate: z.string().optional(),
  publicKey: z.object({
    algorithm: z.string(), algorithmOid: z.string(), description: z.string(), curve: z.string().optional(), bits: z.number().optional(),
    withDomainParameters: z.boolean(), spkiSha256: z.string().optional(),
  }),
  extensions: z.array(z.string()),
});

export const CvcCertificateSummary = z.object({
  id: Hex, chr: z.string(), car: z.string(), role: CvcRole, terminalType: z.enum(['is', 'at', 'st']).optional(),
  origin: z.enum(['authority', 'issued', 'imported']), issuerId: Hex.optional(), profileId: z.string().optional(),
  effectiveDate: z.string(), expirationDate: z.string(), virtual: z.boolean(), recordedAt: z.string(),
  /** The token signed it before a run ended; the journal kept it and recorded it at the next open. */
  recovered: z.boolean().optional(),
  /** A CVCA or DV whose key Custos holds: it can sign. */
  isAuthority: z.boolean(),
});

export const CvcCertificateDetail = z.object({
  summary: CvcCertificateSummary,
  body: CvcBodyView,
  /** CHRs from the self-signed root down to this certificate, as far as Custos has them. */
  chain: z.array(z.string()),
});

export const CvcRequestSummary = z.object({
  id: Hex, fileName: z.string(), chr: z.string(), car: z.string().optional(), outerCar: z.string().optional(),
  attestation: CvcAttestation, attestationPath: z.array(z.string()), importedAt: z.string(), signedCertificateId: Hex.optional(),
});

export const CvcRequestDetail = z.object({ summary: CvcRequestSummary, body: CvcBodyView });

export const CvcProfileSummary = z.object({
  id: z.string(), title: z.string(), description: z.string(), role: CvcRole, link: z.boolean(), defaultValidityDays: z.number(), maxValidityDays: z.number(),
});

export const CvcPreview = z.object({
  body: CvcBodyView,
  /** SHA-256 of the exact body (7F4E) to be signed: sign with this value, and nothing else is signed. */
  bodySha256: Hex,
  effectiveDate: Day,
  issuerChr: z.string(),
  findings: z.array(z.object({ check: z.string(), message: z.string() })),
});

const SignTerms = z.object({
  issuerId: Hex, profileId: z.string().max(64), requestId: Hex.optional(), holderId: Hex.optional(), chr: Chr.optional(),
  validityDays: z.number().int().positive().max(3653).optional(), authorizations: Authorizations.optional(),
});

const InitTerms = z.object({
  tokenId: z.string(), keySpkiSha256: Hex, chr: Chr, profileId: z.string().max(64).optional(),
  validityDays: z.number().int().positive().max(3653).optional(), authorizations: Authorizations.optional(), algorithm: z.string().max(64).optional(),
});

const CvcExportResult = z.object({ path: z.string(), files: z.array(z.string()) });
const Void = z.void();
const FileContent = { fileName: z.string().max(255), contentBase64: z.string().max(128 * 1024) };

export const cvcApi = {
  'cvc.profiles': { input: Void, output: z.array(CvcProfileSummary) },
  'cvc.certificates': { input: Void, output: z.array(CvcCertificateSummary) },
  'cvc.certificate': { input: z.object({ id: Hex }), output: CvcCertificateDetail },
  'cvc.requests': { input: Void, output: z.array(CvcRequestSummary) },
  'cvc.request': { input: z.object({ id: Hex }), output: CvcRequestDetail },
  /** A CV request (7F21 or 67) and, for a SmartCard-HSM's, its device chain (EF 2F02). */
  'cvc.importRequest': { input: z.object({ ...FileContent, deviceChainBase64: z.string().max(64 * 1024).optional() }), output: CvcRequestSummary },
  /** CV certificates made elsewhere (another CVCA, cvc-create): one, or a chain concatenated. */
  'cvc.importCertificates': { input: z.object(FileContent), output: z.array(CvcCertificateSummary) },
  'cvc.previewInit': { input: InitTerms, output: CvcPreview },
  'cvc.init': { input: InitTerms.extend({ effectiveDate: Day, bodySha256: Hex }), output: CvcCertificateSummary },
  'cvc.preview': { input: SignTerms, output: CvcPreview },
  /** bodySha256 and effectiveDate as cvc.preview gave them: exactly that body is signed, or PREVIEW_STALE. */
  'cvc.sign': { input: SignTerms.extend({ effectiveDate: Day, bodySha256: Hex }), output: CvcCertificateSummary },
  'cvc.export': {
    input: z.object({ what: z.enum(['certificate', 'request', 'chain']), id: Hex, form: z.enum(['folder', 'concatenation']).optional(), directory: z.string().max(4096).optional() }),
    output: CvcExportResult,
  },
} as const;
