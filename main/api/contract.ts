/**
 * The one contract between the renderer and the core. Every call the window
 * can make is declared here once, with its input and output schema; the IPC
 * bindings (electron/ipc.ts), the preload's typed `window.custos`, and the
 * loopback dev host are all generated from this table and parse every input.
 * A PIN crosses only as the `pin` field of token.login / request.sign /
 * ca.createRoot and is never echoed back in any output.
 */
import { z } from 'zod';

const Hex = z.string().regex(/^[0-9a-f]*$/, 'lower-case hexadecimal');
const IsoDate = z.string().datetime({ offset: true });
const Pin = z.string().min(4).max(64);

export const KeySpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rsa'), bits: z.union([z.literal(2048), z.literal(3072), z.literal(4096)]) }),
  z.object({ kind: z.literal('ec'), curve: z.enum(['P-256', 'P-384', 'P-521']) }),
]);

/** A key a request may hold: RSA of any size from 2048 bits, or one of the three curves. */
export const RequestKeySpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rsa'), bits: z.number().int().min(2048) }),
  z.object({ kind: z.literal('ec'), curve: z.enum(['P-256', 'P-384', 'P-521']) }),
]);

export const PinState = z.object({
  initialized: z.boolean(),
  countLow: z.boolean(),
  finalTry: z.boolean(),
  locked: z.boolean(),
  triesLeft: z.number().int().optional(),
});

export const TokenRef = z.object({
  label: z.string(), serial: z.string(), model: z.string(), backend: z.enum(['pkcs11', 'sc-hsm', 'virtual']), virtual: z.boolean(),
  /** SmartCard-HSM: the device key's SHA-256, which tells apart cards of one serial. */
  deviceKeySha256: Hex.optional(),
});

export const TokenSummary = z.object({
  /** Stable id: backend, serial and (SmartCard-HSM) the device key; never a slot number. */
  id: z.string(),
  backend: z.enum(['pkcs11', 'sc-hsm', 'virtual']),
  virtual: z.boolean(),
  label: z.string(),
  serial: z.string(),
  model: z.string(),
  manufacturer: z.string(),
  reader: z.string(),
  pinState: PinState,
  loggedIn: z.boolean(),
  flags: z.array(z.string()),
  /** SmartCard-HSM: SHA-256 of the device key, which tells apart cards showing one serial. */
  deviceKeySha256: Hex.optional(),
  /** SmartCard-HSM: whose root attests the device; 'none' is shown as "device not attested by a known root". */
  attestation: z.enum(['cardcontact', 'virtual', 'none']).optional(),
  /** For attestation 'none': the operator accepted this device (token.accept); until then it cannot be used. */
  accepted: z.boolean().optional(),
  /** A token or card that is present but could not be opened, and why. */
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

export const KeySummary = z.object({
  tokenId: z.string(),
  id: Hex,
  label: z.string(),
  spec: KeySpec,
  spkiSha256: Hex,
});

export const ProfileSummary = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  kind: z.enum(['root', 'ca', 'leaf']),
  defaultValidityDays: z.number().int(),
  maxValidityDays: z.number().int(),
});

export const CaSummary = z.object({
  /** SHA-256 of the CA certificate. */
  id: Hex,
  name: z.string(),
  subject: z.string(),
  kind: z.enum(['root', 'subordinate']),
  issuerId: Hex.optional(),
  notBefore: IsoDate,
  notAfter: IsoDate,
  /** The CA key, identified by the SHA-256 of its SubjectPublicKeyInfo, on any token that holds it. */
  keySpkiSha256: Hex,
  keySpec: KeySpec,
  /** Where the key was last seen; any token holding the key can sign for the CA. */
  token: TokenRef.optional(),
  issuedCount: z.number().int(),
  revokedCount: z.number().int(),
  lastCrlNumber: z.string().optional(),
});

export const Finding = z.object({ code: z.string(), severity: z.enum(['error', 'warning']), message: z.string() });

/** A plain description of a TBSCertificate or certificate: every field and extension, decoded. */
export const Description = z.record(z.string(), z.unknown());

export const Preview = z.object({
  preview: Description,
  findings: z.array(Finding),
  droppedRequestExtensions: z.array(z.string()),
  tbsSha256: Hex,
});

export const RequestSummary = z.object({
  /** SHA-256 of the CSR DER. */
  id: Hex,
  fileName: z.string(),
  subject: z.string(),
  keySpec: RequestKeySpec,
  sans: z.array(z.string()),
  requestedExtensions: z.array(z.string()),
  importedAt: IsoDate,
  status: z.enum(['pending', 'signed']),
  signedSerial: Hex.optional(),
});

export const CertificateSummary = z.object({
  caId: Hex,
  serialHex: Hex,
  subject: z.string(),
  issuer: z.string(),
  notBefore: IsoDate,
  notAfter: IsoDate,
  sha256: Hex,
  profileId: z.string(),
  isCa: z.boolean(),
  status: z.enum(['valid', 'revoked']),
  revokedAt: IsoDate.optional(),
  reason: z.string().optional(),
  issuedAt: IsoDate,
  virtual: z.boolean(),
});

export const CertificateDetail = z.object({ summary: CertificateSummary, description: Description, pem: z.string() });

export const CrlSummary = z.object({
  caId: Hex,
  crlNumber: z.string(),
  thisUpdate: IsoDate,
  nextUpdate: IsoDate,
  entries: z.number().int(),
  sha256: Hex,
  /** The journal head right after the CRL was recorded, as SEQ:HASH (custos journal verify --head). */
  journalHead: z.string().optional(),
});

export const ExportResult = z.object({ path: z.string(), fileName: z.string(), contentBase64: z.string(), bytes: z.number().int() });

export const RevocationReason = z.enum([
  'unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded',
  'cessationOfOperation', 'certificateHold', 'privilegeWithdrawn', 'aACompromise',
]);

export const JournalEntryView = z.object({
  seq: z.number().int(),
  time: IsoDate,
  kind: z.string(),
  operator: z.string(),
  token: TokenRef.optional(),
  summary: z.string(),
  hash: Hex,
  prevHash: Hex,
  data: z.record(z.string(), z.unknown()),
});

export const JournalVerifyResult = z.object({
  ok: z.boolean(),
  entries: z.number().int(),
  firstBadSeq: z.number().int().optional(),
  reason: z.string().optional(),
  /** JOURNAL_TAMPERED, JOURNAL_TRUNCATED or JOURNAL_UNANCHORED when verification failed. */
  code: z.string().optional(),
  /** Signed checkpoints, and entries after the last one's head. */
  checkpoints: z.number().int().optional(),
  unanchored: z.number().int().optional(),
  /** The last entry, as SEQ:HASH. */
  head: z.string().optional(),
  pendingIntents: z.array(z.object({ seq: z.number().int(), kind: z.string(), time: IsoDate })),
  /** A last line a crash tore, set aside when this run opened the journal. */
  tornTail: z.object({ offset: z.number().int(), bytes: z.number().int(), sideFile: z.string() }).optional(),
  /** Results a token signed that an earlier run could not record, recorded when this run opened the journal. */
  recovered: z.array(z.object({ seq: z.number().int(), kind: z.string(), intent: z.number().int().optional() })).optional(),
});

export const AppInfo = z.object({
  version: z.string(),
  dataDir: z.string(),
  operator: z.string(),
  /** True when every token in use is a rehearsal token (virtual or SoftHSM2): shown on every screen. */
  rehearsal: z.boolean(),
});

export const Medium = z.object({ path: z.string(), label: z.string() });
export const MediumFile = z.object({ path: z.string(), name: z.string(), bytes: z.number().int() });

// Key domains: DKEK shares, key backup and restore (main/api/keydomain-handlers.ts).
const Kcv = z.string().regex(/^[0-9a-f]{16}$/, '16 lower-case hex digits');
const SharePassword = z.string().min(1).max(256);

export const KeyDomainStatus = z.object({
  tokenId: z.string(),
  /** False when the card was initialized without DKEK shares. */
  configured: z.boolean(),
  totalShares: z.number().int(),
  importedShares: z.number().int(),
  outstandingShares: z.number().int(),
  complete: z.boolean(),
  /** The domain's KCV, once every share is in. */
  kcv: Kcv.optional(),
  /** The shares the journal saw go into this card, in order, by their KCV. */
  shares: z.array(z.object({ shareKcv: Kcv, fileName: z.string(), time: IsoDate, operator: z.string() })),
});

export const ShareImported = KeyDomainStatus.extend({ shareKcv: Kcv, expectedKcv: Kcv.optional() });

export const ShareCreated = z.object({
  custodian: z.string(),
  path: z.string(),
  fileName: z.string(),
  shareKcv: Kcv,
  createdAt: IsoDate,
});

export const KeyDomainFile = z.object({ path: z.string(), fileName: z.string(), kind: z.enum(['share', 'backup']), bytes: z.number().int() });

export const KeyBackupRecord = z.object({
  label: z.string(),
  keySpec: KeySpec,
  spkiSha256: Hex,
  domainKcv: Kcv,
  wkyPath: z.string(),
  metadataPath: z.string(),
  createdAt: IsoDate,
  cas: z.array(z.object({ id: Hex, name: z.string() })),
});

export const KeyRestored = z.object({
  tokenId: z.string(),
  key: KeySummary,
  domainKcv: Kcv,
  /** The card's journal key is vouched for: it may sign for the CA with the source card gone. */
  journalKeyVouched: z.boolean(),
});

const Void = z.void();

export const api = {
  'app.info': { input: Void, output: AppInfo },
  'token.list': { input: Void, output: z.array(TokenSummary) },
  'token.login': { input: z.object({ tokenId: z.string(), pin: Pin, confirmFinalTry: z.boolean().optional() }), output: TokenSummary },
  'token.logout': { input: z.object({ tokenId: z.string() }), output: TokenSummary },
  /** Accepts a device no known root attests, so it may be used; recorded in the journal. */
  'token.accept': { input: z.object({ tokenId: z.string() }), output: TokenSummary },
  'token.keys': { input: z.object({ tokenId: z.string() }), output: z.array(KeySummary) },
  'token.generateKey': { input: z.object({ tokenId: z.string(), spec: KeySpec, label: z.string().min(1).max(64) }), output: KeySummary },
  'profile.list': { input: Void, output: z.array(ProfileSummary) },
  'ca.list': { input: Void, output: z.array(CaSummary) },
  'ca.previewRoot': {
    input: z.object({ tokenId: z.string(), keySpkiSha256: Hex, profileId: z.string(), subject: z.string().min(1), validityDays: z.number().int().positive().optional() }),
    output: Preview,
  },
  'ca.createRoot': {
    input: z.object({ tokenId: z.string(), keySpkiSha256: Hex, profileId: z.string(), subject: z.string().min(1), validityDays: z.number().int().positive().optional(), name: z.string().min(1).max(64) }),
    output: CaSummary,
  },
  'ca.chain': { input: z.object({ caId: Hex }), output: z.object({ certificates: z.array(CertificateDetail) }) },
  'request.import': { input: z.object({ fileName: z.string().max(255), contentBase64: z.string().max(2 * 1024 * 1024) }), output: z.array(RequestSummary) },
  /** The shell's open dialog: what the person picks there may be read (request.importFromPath), and nothing else off the media. */
  'request.pickFiles': { input: Void, output: z.array(MediumFile) },
  /** Only a path request.pickFiles returned or one on a removable medium; any other is PATH_NOT_PERMITTED, whether or not it exists. */
  'request.importFromPath': { input: z.object({ path: z.string().max(4096) }), output: z.array(RequestSummary) },
  'request.list': { input: Void, output: z.array(RequestSummary) },
  'request.get': { input: z.object({ requestId: Hex }), output: z.object({ summary: RequestSummary, description: Description }) },
  'request.preview': { input: z.object({ requestId: Hex, caId: Hex, profileId: z.string(), validityDays: z.number().int().positive().optional() }), output: Preview },
  /** tbsSha256: the preview the operator reviewed (request.preview's tbsSha256); exactly that certificate is signed. */
  'request.sign': { input: z.object({ requestId: Hex, caId: Hex, profileId: z.string(), validityDays: z.number().int().positive().optional(), tbsSha256: Hex.optional() }), output: CertificateSummary },
  'certificate.list': { input: z.object({ caId: Hex.optional() }), output: z.array(CertificateSummary) },
  'certificate.get': { input: z.object({ caId: Hex, serialHex: Hex }), output: CertificateDetail },
  'certificate.export': { input: z.object({ caId: Hex, serialHex: Hex, format: z.enum(['der', 'pem', 'p7b']), directory: z.string().optional() }), output: ExportResult },
  'certificate.revoke': {
    input: z.object({ caId: Hex, serialHex: Hex, reason: RevocationReason, invalidityDate: IsoDate.optional() }),
    output: CertificateSummary,
  },
  'crl.issue': { input: z.object({ caId: Hex, nextUpdateDays: z.number().int().positive().max(3650).optional() }), output: CrlSummary },
  'crl.list': { input: z.object({ caId: Hex.optional() }), output: z.array(CrlSummary) },
  'crl.export': { input: z.object({ caId: Hex, crlNumber: z.string(), format: z.enum(['der', 'pem']), directory: z.string().optional() }), output: ExportResult },
  'journal.entries': { input: z.object({ afterSeq: z.number().int().min(0).optional(), limit: z.number().int().positive().max(10000).optional() }), output: z.array(JournalEntryView) },
  'journal.verify': { input: Void, output: JournalVerifyResult },
  'media.list': { input: Void, output: z.array(Medium) },
  'media.files': { input: z.object({ path: z.string().max(4096) }), output: z.array(MediumFile) },
  // Key domains (main/api/keydomain-handlers.ts). Passwords cross only as password/passwordRepeat and are never echoed.
  'keydomain.status': { input: z.object({ tokenId: z.string() }), output: KeyDomainStatus },
  'keydomain.files': { input: Void, output: z.array(KeyDomainFile) },
  'keydomain.createShare': {
    input: z.object({ custodian: z.string().min(1).max(64), password: SharePassword, passwordRepeat: SharePassword, directory: z.string().max(4096).optional() }),
    output: ShareCreated,
  },
  'keydomain.importShare': {
    input: z.object({ tokenId: z.string(), path: z.string().max(4096), password: SharePassword, expectedKcv: Kcv.optional(), expectedShareKcv: Kcv.optional() }),
    output: ShareImported,
  },
  'keydomain.backupKey': {
    input: z.object({ tokenId: z.string(), label: z.string().min(1).max(64), keySpkiSha256: Hex, directory: z.string().max(4096).optional() }),
    output: KeyBackupRecord,
  },
  'keydomain.restoreKey': { input: z.object({ tokenId: z.string(), path: z.string().max(4096) }), output: KeyRestored },
} as const;

export type Api = typeof api;
export type Channel = keyof Api;
export type Input<C extends Channel> = z.input<Api[C]['input']>;
export type Output<C extends Channel> = z.output<Api[C]['output']>;

/** Events the core pushes to the window. */
export const events = {
  'tokens.changed': z.object({}),
  'journal.appended': z.object({ seq: z.number().int() }),
  'progress': z.object({ operation: z.string(), label: z.string(), done: z.number(), total: z.number() }),
} as const;
export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

/** What crosses every boundary: a result or a typed error, never a thrown class. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string; details: Record<string, unknown> } };

/** The handlers the core provides for every channel; electron/ipc.ts and the dev host bind them generically. */
export type Handlers = { [C in Channel]: (input: z.output<Api[C]['input']>) => Promise<Output<C>> };

/** Fields that carry secrets: never logged, journaled or echoed. */
export const SECRET_FIELDS = ['pin', 'password', 'passwordRepeat', 'soPin', 'share'] as const;
