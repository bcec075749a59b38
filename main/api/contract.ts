/**
 * The one contract between the renderer and the core. Every call the window
 * can make is declared here once, with its input and output schema; the IPC
 * bindings (electron/ipc.ts), the preload's typed `window.custos`, and the
 * loopback dev host are all generated from this table and parse every input.
 * A PIN crosses only as the `pin` field of token.login / request.sign /
 * ca.createRoot and is never echoed back in any output.
 */
import { z } from 'zod';
import { cvcApi } from './cvc-contract.ts';
import { transcriptApi } from './transcript-contract.ts';
import { ceremonyApi } from './ceremony-contract.ts';

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
  /** Its key is on a token opened now: only such a CA is offered as the default issuer or CRL CA. */
  keyOnOpenToken: z.boolean().optional(),
  /**
   * Its certificate was signed just before a run ended and recorded at the next open (ca.root.recovered,
   * certificate.issue.recovered), in entry seq; its name came from the act's intent, or, from an older
   * intent that named none, from its certificate's CN or serial.
   */
  recovered: z.object({ seq: z.number().int(), nameFrom: z.enum(['intent', 'commonName', 'serial']) }).optional(),
});

export const Finding = z.object({ code: z.string(), severity: z.enum(['error', 'warning']), message: z.string() });

/** A plain description of a TBSCertificate or certificate: every field and extension, decoded. */
export const Description = z.record(z.string(), z.unknown());

/** A description a custodian reads aloud (main/pki/x509/readable.ts, main/ca/request-review.ts): additive, so older outputs stay valid. */
export const ReadableNamePart = z.object({ label: z.string(), type: z.string(), value: z.string() });
export const ReadableGeneralName = z.object({ kind: z.string(), type: z.string(), value: z.string() });
export const ReadableExtension = z.object({ name: z.string(), oid: z.string(), critical: z.boolean(), known: z.boolean(), text: z.string() });
export const ReadableTbs = z.object({
  /** In the order typed: most significant first (C, O, … CN), as the DER holds them. */
  subject: z.array(ReadableNamePart),
  issuer: z.array(ReadableNamePart),
  serialHex: Hex,
  signatureAlgorithm: z.string(),
  key: z.object({ description: z.string(), spkiSha256: Hex }),
  validity: z.object({ notBefore: IsoDate, notAfter: IsoDate, days: z.number().int(), duration: z.string() }),
  keyUsage: z.object({ critical: z.boolean(), usages: z.array(z.string()) }).optional(),
  extendedKeyUsage: z.object({ critical: z.boolean(), purposes: z.array(z.string()) }).optional(),
  subjectAltNames: z.array(ReadableGeneralName),
  basicConstraints: z.object({ critical: z.boolean(), ca: z.boolean(), pathLen: z.number().int().optional(), text: z.string() }).optional(),
  otherExtensions: z.array(ReadableExtension),
});
export const RequestReview = z.object({
  rows: z.array(z.object({
    item: z.string(), asked: z.string().optional(), issued: z.string().optional(),
    outcome: z.enum(['taken', 'changed', 'dropped', 'added']), reason: z.string().optional(),
  })),
  warnings: z.array(z.object({ code: z.string(), message: z.string() })),
});
export const ReadableRequest = z.object({
  subject: z.array(ReadableNamePart),
  key: z.object({ description: z.string(), spkiSha256: Hex }),
  subjectAltNames: z.array(ReadableGeneralName),
  requestedExtensions: z.array(ReadableExtension),
  signature: z.object({ checked: z.literal(true), algorithm: z.string() }),
  sha256: Hex,
});

export const Preview = z.object({
  preview: Description,
  findings: z.array(Finding),
  droppedRequestExtensions: z.array(z.string()),
  tbsSha256: Hex,
  /** False when the signing key is on no open token: the preview says so before anything is signed. */
  keyOnOpenToken: z.boolean().optional(),
  readable: ReadableTbs.optional(),
  /** request.preview only: what the request asked for beside what will be issued, and warnings. */
  review: RequestReview.optional(),
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

/** The long acts work.cancel can name (each reports into the core's progress hub). */
export const WorkOperation = z.enum(['request.signBatch', 'crl.preview', 'crl.issue', 'key.generate', 'keydomain.createShare', 'keydomain.importShare']);

/** A batch of previews, as the window names it (a UUID): held together until signed or abandoned. */
const BatchId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

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
  /** Signed just before a run ended and recorded at the next open (certificate.issue.recovered). */
  recovered: z.boolean().optional(),
});

export const CertificateDetail = z.object({ summary: CertificateSummary, description: Description, pem: z.string(), readable: ReadableTbs.optional() });

export const CrlSummary = z.object({
  caId: Hex,
  crlNumber: z.string(),
  thisUpdate: IsoDate,
  nextUpdate: IsoDate,
  entries: z.number().int(),
  sha256: Hex,
  /** The journal head right after the CRL was recorded, as SEQ:HASH (custos journal verify --head). */
  journalHead: z.string().optional(),
  /** Signed just before a run ended, and recorded from the kept bytes at the next open. */
  recovered: z.boolean().optional(),
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

/** The CRL as it would be signed, for review before crl.issue (which is given its tbsSha256). */
export const CrlPreview = z.object({
  caId: Hex,
  crlNumber: z.string(),
  thisUpdate: IsoDate,
  nextUpdate: IsoDate,
  /** nextUpdate was cut back to the CA certificate's notAfter. */
  clipped: z.boolean(),
  entries: z.array(z.object({
    serialHex: Hex, subject: z.string().optional(), revocationDate: IsoDate, reason: z.string(), reasonText: z.string(), invalidityDate: IsoDate.optional(),
  })),
  issuingDistributionPoint: z.string().optional(),
  tbsSha256: Hex,
  keyOnOpenToken: z.boolean(),
  findings: z.array(Finding),
});

/** Where an export may go: the data directory's exports folder, a removable medium, or a folder picked in the shell's dialog. */
export const ExportDestination = z.object({ kind: z.enum(['exports', 'medium', 'folder']), path: z.string(), label: z.string() });

/** The PIN state with the SO-PIN's own retry count, when the token tells it without spending a try. */
export const PinStatus = z.object({ token: TokenSummary, soPin: PinState.optional() });

export const Medium = z.object({ path: z.string(), label: z.string() });
export const MediumFile = z.object({ path: z.string(), name: z.string(), bytes: z.number().int() });

// Custodian quorum (issue 16): the HSM's mode and count, as the card reports them.
export const QuorumView = z.object({
  tokenId: z.string(),
  label: z.string(),
  serial: z.string(),
  /** Absent for an HSM without a custodian quorum. protecting is false whenever the PIN alone would unlock the HSM. */
  quorum: z.object({
    mode: z.enum(['pin-or-quorum', 'pin-and-quorum', 'quorum-only', 'unknown']), protecting: z.boolean(),
    total: z.number().int(), registered: z.number().int(), required: z.number().int(), authenticated: z.number().int(),
    custodians: z.array(z.object({ chr: z.string(), keySha256: Hex })),
  }).optional(),
  /** "k of m authenticated (n registered)", or why there is no quorum. */
  summary: z.string(),
  registered: z.array(z.object({ chr: z.string(), keySha256: Hex, deviceChr: z.string(), attestation: z.string(), unattestedConfirmed: z.boolean(), seq: z.number().int() })),
  /** The registered keys as the card lists them, where it can. */
  onCard: z.array(z.object({ chr: z.string(), authenticated: z.boolean() })).optional(),
});
export const CustodianCandidateView = z.object({
  chr: z.string(), keySha256: Hex, curve: z.string(), attestation: z.enum(['cardcontact', 'virtual', 'none']),
  notAttestedBecause: z.enum(['device-request', 'unknown-root']).optional(), deviceChr: z.string(), deviceKeySha256: Hex, selfReferencing: z.boolean(),
});
const RegistrationFile = z.string().max(64 * 1024);
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

/** A share-file password split among several people, as sc-hsm-tool shows it: the prime and each share ID and value, colon hex. */
const ColonHex = z.string().max(64).regex(/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*$/, 'hex bytes separated by colons, like 0A:1B');
const PasswordShareValue = z.object({ id: z.number().int().min(1).max(255), value: ColonHex });
export const PasswordSharesShown = z.object({ prime: ColonHex, threshold: z.number().int(), shares: z.array(PasswordShareValue) });

export const ShareCreated = z.object({
  custodian: z.string(),
  path: z.string(),
  fileName: z.string(),
  shareKcv: Kcv,
  createdAt: IsoDate,
  /** Only when the password was split: shown one holder at a time, then forgotten by the window. */
  passwordShares: PasswordSharesShown.optional(),
});

/** What a restore is checked against: from the backup's .custos.json, or read from a .wky that has none (hasRecord false). */
export const KeyBackupView = z.object({
  label: z.string(),
  keySpec: KeySpec,
  spkiSha256: Hex,
  domainKcv: Kcv,
  hasRecord: z.boolean(),
  cas: z.array(z.object({ id: Hex, name: z.string() })),
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
  /** What vouched for the key: the backup's record, the fingerprint the operator typed, or a CA of the journal with that key. */
  expectedBy: z.enum(['record', 'operator', 'ca']),
  /** The card's journal key is vouched for: it may sign for the CA with the source card gone. */
  journalKeyVouched: z.boolean(),
});

// Signed bundles on removable media (main/exchange/bundle*.ts, main/api/bundle-handlers.ts).
export const BundleFileEntry = z.object({ name: z.string(), bytes: z.number().int(), sha256: Hex });
export const BundleWritten = z.object({
  path: z.string(), files: z.array(BundleFileEntry), rehearsal: z.boolean(), signerSerial: Hex,
  /** SHA-256 of the signed manifest file, to read aloud or keep with the ceremony's record. */
  manifestSha256: Hex,
  journalHead: z.string(),
});
export const BundleVerification = z.object({
  ok: z.boolean(),
  directory: z.string(),
  rehearsal: z.boolean(),
  createdAt: z.string().optional(),
  operator: z.string().optional(),
  journalHead: z.string().optional(),
  ca: z.object({ name: z.string(), subject: z.string(), sha256: Hex }).optional(),
  signer: z.object({ subject: z.string(), serialHex: z.string(), sha256: Hex }).optional(),
  /** The root the CA's chain ends at; rootGiven says whether it was checked against one the operator named. */
  rootSha256: Hex.optional(),
  rootGiven: z.boolean(),
  files: z.array(BundleFileEntry.extend({ status: z.enum(['ok', 'tampered', 'missing']) })),
  extra: z.array(z.string()),
  /** Each finding with its own code (BUNDLE_FILE_TAMPERED, BUNDLE_SIGNER_UNKNOWN …); empty when ok. */
  problems: z.array(z.object({ code: z.string(), message: z.string(), file: z.string().optional() })),
});

const Void = z.void();

export const api = {
  'app.info': { input: Void, output: AppInfo },
  /** Swaps the core for one on the virtual SmartCard-HSMs, with a journal of its own (even with a card in a reader); the app's restart ends it. */
  'app.startRehearsal': { input: Void, output: AppInfo },
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
  /** tbsSha256: the preview the operator reviewed (ca.previewRoot's tbsSha256); exactly that certificate is signed, or PREVIEW_MISMATCH / PREVIEW_EXPIRED. */
  'ca.createRoot': {
    input: z.object({ tokenId: z.string(), keySpkiSha256: Hex, profileId: z.string(), subject: z.string().min(1), validityDays: z.number().int().positive().optional(), name: z.string().min(1).max(64), tbsSha256: Hex }),
    output: CaSummary,
  },
  'ca.chain': { input: z.object({ caId: Hex }), output: z.object({ certificates: z.array(CertificateDetail) }) },
  'request.import': { input: z.object({ fileName: z.string().max(255), contentBase64: z.string().max(2 * 1024 * 1024) }), output: z.array(RequestSummary) },
  /** The shell's open dialog: what the person picks there may be read (request.importFromPath), and nothing else off the media. */
  'request.pickFiles': { input: Void, output: z.array(MediumFile) },
  /** Only a path request.pickFiles returned or one on a removable medium; any other is PATH_NOT_PERMITTED, whether or not it exists. */
  'request.importFromPath': { input: z.object({ path: z.string().max(4096) }), output: z.array(RequestSummary) },
  'request.list': { input: Void, output: z.array(RequestSummary) },
  'request.get': { input: z.object({ requestId: Hex }), output: z.object({ summary: RequestSummary, description: Description, readable: ReadableRequest.optional() }) },
  /** batch: the previews of one batch are held until request.signBatch of that batch ends (issue 17; main/ca/previews.ts). */
  'request.preview': { input: z.object({ requestId: Hex, caId: Hex, profileId: z.string(), validityDays: z.number().int().positive().optional(), name: z.string().min(1).max(64).optional(), batch: BatchId.optional() }), output: Preview },
  /** tbsSha256: the preview the operator reviewed (request.preview's tbsSha256); exactly that certificate is signed. */
  'request.sign': { input: z.object({ requestId: Hex, caId: Hex, profileId: z.string(), validityDays: z.number().int().positive().optional(), tbsSha256: Hex, name: z.string().min(1).max(64).optional() }), output: CertificateSummary },
  /** Reviewed previews signed one after another; progress after each, and work.cancel stops it between certificates. */
  'request.signBatch': {
    input: z.object({ caId: Hex, profileId: z.string(), validityDays: z.number().int().positive().optional(), items: z.array(z.object({ requestId: Hex, tbsSha256: Hex })).min(1).max(1000), batch: BatchId.optional() }),
    output: z.object({ issued: z.array(CertificateSummary), cancelled: z.boolean(), notSigned: z.array(Hex) }),
  },
  /** Asks long work (by its operation, e.g. request.signBatch) to stop where stopping is safe. */
  'work.cancel': { input: z.object({ operation: WorkOperation }), output: z.object({ cancelling: z.boolean() }) },
  'certificate.list': { input: z.object({ caId: Hex.optional() }), output: z.array(CertificateSummary) },
  /** Certificates issued or revoked after journal entry afterSeq, and the last entry read (throughSeq): the catalog's sync asks for these, not the whole list. */
  'certificate.changes': { input: z.object({ afterSeq: z.number().int().min(0) }), output: z.object({ certificates: z.array(CertificateSummary), throughSeq: z.number().int() }) },
  'certificate.get': { input: z.object({ caId: Hex, serialHex: Hex }), output: CertificateDetail },
  'certificate.export': { input: z.object({ caId: Hex, serialHex: Hex, format: z.enum(['der', 'pem', 'p7b']), directory: z.string().optional() }), output: ExportResult },
  'certificate.revoke': {
    input: z.object({ caId: Hex, serialHex: Hex, reason: RevocationReason, invalidityDate: IsoDate.optional() }),
    output: CertificateSummary,
  },
  'crl.preview': { input: z.object({ caId: Hex, nextUpdateDays: z.number().int().positive().max(3650).optional() }), output: CrlPreview },
  /** tbsSha256: the CRL preview the operator reviewed; exactly that CRL is signed. */
  'crl.issue': { input: z.object({ caId: Hex, nextUpdateDays: z.number().int().positive().max(3650).optional(), tbsSha256: Hex }), output: CrlSummary },
  'crl.list': { input: z.object({ caId: Hex.optional() }), output: z.array(CrlSummary) },
  'crl.export': { input: z.object({ caId: Hex, crlNumber: z.string(), format: z.enum(['der', 'pem']), directory: z.string().optional() }), output: ExportResult },
  'journal.entries': { input: z.object({ afterSeq: z.number().int().min(0).optional(), limit: z.number().int().positive().max(10000).optional() }), output: z.array(JournalEntryView) },
  'journal.verify': { input: Void, output: JournalVerifyResult },
  /** The journal's last sequence number: lists asked for after it reflect at least that entry (the catalog's mark). */
  'journal.head': { input: Void, output: z.object({ seq: z.number().int().min(0) }) },
  'media.list': { input: Void, output: z.array(Medium) },
  // Issue #17: export destinations, the journal exported, CSRs from token keys, PIN change and unblock.
  'export.destinations': { input: Void, output: z.array(ExportDestination) },
  /** The shell's folder dialog: the folder picked becomes a destination exports may be written to. */
  'export.pickFolder': { input: Void, output: ExportDestination.optional() },
  'journal.export': { input: z.object({ format: z.enum(['jsonl', 'html']), directory: z.string().max(4096).optional() }), output: ExportResult },
  'key.csr': { input: z.object({ tokenId: z.string(), keySpkiSha256: Hex, subject: z.string().min(1).max(1024), directory: z.string().max(4096).optional() }), output: z.object({ request: RequestSummary, export: ExportResult }) },
  'token.pinStatus': { input: z.object({ tokenId: z.string() }), output: PinStatus },
  'token.changePin': { input: z.object({ tokenId: z.string(), pin: Pin, newPin: Pin, confirmFinalTry: z.boolean().optional() }), output: TokenSummary },
  'token.unblockPin': { input: z.object({ tokenId: z.string(), soPin: z.string().min(6).max(64), newPin: Pin, confirmFinalTry: z.boolean().optional() }), output: TokenSummary },
  'media.files': { input: z.object({ path: z.string().max(4096) }), output: z.array(MediumFile) },
  // Custodian quorum: each custodian's own PIN crosses once, to their own token.
  'quorum.status': { input: z.object({ tokenId: z.string() }), output: QuorumView },
  'quorum.authenticate': { input: z.object({ tokenId: z.string(), custodianTokenId: z.string(), pin: Pin, confirmFinalTry: z.boolean().optional() }), output: QuorumView },
  'quorum.enrol': {
    input: z.object({ custodianTokenId: z.string(), pin: Pin, forTokenId: z.string().optional(), confirmFinalTry: z.boolean().optional() }),
    output: z.object({ fileName: z.string(), contentBase64: z.string(), candidate: CustodianCandidateView }),
  },
  'quorum.previewRegistration': {
    input: z.object({ tokenId: z.string(), contentBase64: RegistrationFile }),
    output: z.object({ candidate: CustodianCandidateView, attested: z.boolean(), needsConfirmation: z.boolean() }),
  },
  'quorum.register': { input: z.object({ tokenId: z.string(), contentBase64: RegistrationFile, confirmUnattested: z.boolean().optional() }), output: QuorumView },
  // CV certificates: the CVC authority's channels (cvc-contract.ts).
  ...cvcApi,
  // Ceremony transcripts (transcript-contract.ts, transcript-handlers.ts).
  ...transcriptApi,
  // Ceremonies run step by step with witnesses (ceremony-contract.ts).
  ...ceremonyApi,
  // Key domains (main/api/keydomain-handlers.ts). Passwords cross only as password/passwordRepeat and are never echoed.
  'keydomain.status': { input: z.object({ tokenId: z.string() }), output: KeyDomainStatus },
  'keydomain.files': { input: Void, output: z.array(KeyDomainFile) },
  // A share's password is typed twice by its custodian, or random and split m-of-n (passwordShares), as sc-hsm-tool --pwd-shares-* does.
  'keydomain.createShare': {
    input: z.object({
      custodian: z.string().min(1).max(64), password: SharePassword.optional(), passwordRepeat: SharePassword.optional(), directory: z.string().max(4096).optional(),
      passwordShares: z.object({ threshold: z.number().int().min(2).max(255), total: z.number().int().min(3).max(255) }).optional(),
    }),
    output: ShareCreated,
  },
  // Opened with its password, or with m of its password shares and the prime.
  'keydomain.importShare': {
    input: z.object({
      tokenId: z.string(), path: z.string().max(4096), password: SharePassword.optional(), expectedKcv: Kcv.optional(), expectedShareKcv: Kcv.optional(),
      passwordShares: z.object({ prime: ColonHex, shares: z.array(PasswordShareValue).min(2).max(255) }).optional(),
    }),
    output: ShareImported,
  },
  'keydomain.inspectBackup': { input: z.object({ path: z.string().max(4096) }), output: KeyBackupView },
  'keydomain.backupKey': {
    input: z.object({ tokenId: z.string(), label: z.string().min(1).max(64), keySpkiSha256: Hex, directory: z.string().max(4096).optional() }),
    output: KeyBackupRecord,
  },
  'keydomain.restoreKey': { input: z.object({ tokenId: z.string(), path: z.string().max(4096), expectedKeySha256: Hex.length(64).optional() }), output: KeyRestored },
  /** Writes a signed publishing bundle into a new folder in directory, which must be on a removable medium. */
  'bundle.create': {
    input: z.object({ caId: Hex, directory: z.string().max(4096), name: z.string().min(1).max(255).optional(), serials: z.array(Hex).max(1000).optional() }),
    output: BundleWritten,
  },
  /** Checks the bundle in directory (on a removable medium); rootCaId: the root CA of this journal its chain must reach. */
  'bundle.verify': { input: z.object({ directory: z.string().max(4096), rootCaId: Hex.optional() }), output: BundleVerification },
} as const;

export type Api = typeof api;
export type Channel = keyof Api;
export type Input<C extends Channel> = z.input<Api[C]['input']>;
export type Output<C extends Channel> = z.output<Api[C]['output']>;

/** Events the core pushes to the window. */
export const events = {
  'tokens.changed': z.object({}),
  'journal.appended': z.object({ seq: z.number().int() }),
  /** One hub reports every long act (main/work/progress-hub.ts): cancellable, or why not; estimatedMs where Custos can tell. */
  'progress': z.object({
    operation: z.string(), label: z.string(), done: z.number(), total: z.number(),
    cancellable: z.boolean().optional(), notCancellable: z.string().optional(), estimatedMs: z.number().optional(), startedAtMs: z.number().optional(),
  }),
} as const;
export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

/** What crosses every boundary: a result or a typed error, never a thrown class. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string; details: Record<string, unknown> } };

/** The handlers the core provides for every channel; electron/ipc.ts and the dev host bind them generically. */
export type Handlers = { [C in Channel]: (input: z.output<Api[C]['input']>) => Promise<Output<C>> };

/** Fields that carry secrets: never logged, journaled or echoed. */
export const SECRET_FIELDS = ['pin', 'password', 'passwordRepeat', 'soPin', 'share', 'newPin'] as const;
