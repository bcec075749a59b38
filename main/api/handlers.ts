/**
 * The core's side of the contract: one handler per channel, each turning the
 * validated input into a call on Custos and the result into the contract's
 * output shape. A PIN arrives here once, becomes a Secret, and goes no further
 * than the token.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { z } from 'zod';
import { CustosError } from '../errors/index.ts';
import { Secret } from '../secret.ts';
import type { KeyRef, KeySpec, TokenInfo } from '../hsm/token.ts';
import { tokenId } from '../hsm/registry.ts';
import type { Custos } from '../custos.ts';
import { createRoot, previewRoot } from '../ca/root.ts';
import { importRequests, loadRequest, whatItAsks } from '../ca/requests.ts';
import { issueCertificate, previewIssue } from '../ca/issue.ts';
import { revokeSerial } from '../ca/revoke.ts';
import { custodianHandlers, ExportFolders, type ShellFolders } from './custodian-handlers.ts';
import { caChain, certificateBytes, crlBytes, exportCertificate, exportCrl } from '../ca/export.ts';
import type { CaRecord, CrlRecord, IssuedRecord, RequestRecord } from '../ca/state.ts';
import { normalizeSerial } from '../ca/state.ts';
import { describeCertificate } from '../pki/x509/preview.ts';
import { loadProfiles } from '../pki/x509/profiles.ts';
import { PEM_LABEL, toPem } from '../pki/formats/index.ts';
import { readBoundedFile } from '../exchange/files.ts';
import { listRemovableMedia } from '../exchange/removable-media.ts';
import { ReadGrants } from '../exchange/read-grants.ts';
import { MAX_CSR_FILE_BYTES } from '../pki/x509/csr.ts';
import type { CertificatePlan } from '../pki/x509/issue.ts';
import { createHash } from 'node:crypto';
import type { Handlers, CaSummary, CertificateSummary, TokenSummary, RequestSummary, CrlSummary, Preview, KeySummary, MediumFile } from './contract.ts';
import { quorumHandlers } from './quorum-handlers.ts';
import { cvcHandlers } from './cvc-handlers.ts';
import { transcriptHandlers } from './transcript-handlers.ts';
import type { TranscriptPrinter } from '../ceremony/transcript-make.ts';
import { createKeyDomainHandlers } from './keydomain-handlers.ts';
import { readableOut, readableRequestOut, requestReviewOut } from './readable-output.ts';
import { changedCertificates } from './certificate-changes.ts';
import { batchSignHandlers } from './batch-sign.ts';
import { workProgressOf } from './work-progress.ts';
import { abandonBatch } from '../ca/previews.ts';
import { issueCrlReporting } from './crl-progress.ts';
import { profileFor } from '../ca/context.ts';
import { bundleHandlers } from './bundle-handlers.ts';
import { ceremonyHandlers } from './ceremony-handlers.ts';

type Out<T extends z.ZodType> = z.output<T>;
const VERSION = '0.1.0';

function tokenSummary(info: TokenInfo): Out<typeof TokenSummary> {
  return {
    id: tokenId(info), backend: info.backend, virtual: info.virtual, label: info.label, serial: info.serial, model: info.model,
    manufacturer: info.manufacturer, reader: info.reader, pinState: { ...info.pinState }, loggedIn: info.loggedIn, flags: [...info.flags],
    ...(info.deviceKeySha256 !== undefined ? { deviceKeySha256: info.deviceKeySha256 } : {}),
    ...(info.attestation !== undefined ? { attestation: info.attestation } : {}),
    ...(info.accepted !== undefined ? { accepted: info.accepted } : {}),
    ...(info.error !== undefined ? { error: { code: info.error.code, message: info.error.message } } : {}),
  };
}

function keySummary(id: string, key: KeyRef): Out<typeof KeySummary> {
  return { tokenId: id, id: key.id, label: key.label, spec: { ...key.spec } as KeySpec, spkiSha256: key.spkiSha256 };
}

function caSummary(custos: Custos, ca: CaRecord, keyOnOpenToken?: boolean): Out<typeof CaSummary> {
  const crls = custos.state.crls.get(ca.id) ?? [];
  return {
    id: ca.id, name: ca.name, subject: ca.subject, kind: ca.kind, ...(ca.issuerId ? { issuerId: ca.issuerId } : {}),
    notBefore: ca.notBefore, notAfter: ca.notAfter, keySpkiSha256: ca.keySpkiSha256, keySpec: ca.keySpec,
    ...(ca.token ? { token: { ...ca.token } } : {}),
    issuedCount: [...(custos.state.issued.get(ca.id)?.values() ?? [])].filter((r) => r.sha256 !== ca.id).length,
    revokedCount: custos.state.revoked.get(ca.id)?.size ?? 0,
    ...(crls.length ? { lastCrlNumber: crls[crls.length - 1]!.crlNumber } : {}),
    ...(keyOnOpenToken !== undefined ? { keyOnOpenToken } : {}),
    ...(ca.recovered ? { recovered: { ...ca.recovered } } : {}),
  };
}

function certificateSummary(custos: Custos, r: IssuedRecord): Out<typeof CertificateSummary> {
  const rev = custos.state.revoked.get(r.caId)?.get(r.serialHex);
  return {
    caId: r.caId, serialHex: r.serialHex, subject: r.subject, issuer: r.issuer, notBefore: r.notBefore, notAfter: r.notAfter,
    sha256: r.sha256, profileId: r.profileId, isCa: r.isCa, status: rev ? 'revoked' : 'valid',
    ...(rev ? { revokedAt: rev.revokedAt, reason: rev.reason } : {}), issuedAt: r.issuedAt, virtual: r.virtual,
    ...(r.recovered ? { recovered: true } : {}),
  };
}

function askedOf(record: RequestRecord, custos: Custos): NonNullable<RequestRecord['asked']> {
  // A journal written before imports recorded what they ask for: read the stored request once more.
  return record.asked ?? whatItAsks(loadRequest(custos.ctx, record.id).csr);
}

function requestSummary(record: RequestRecord, custos: Custos): Out<typeof RequestSummary> {
  const asked = askedOf(record, custos);
  return {
    id: record.id, fileName: record.fileName, subject: record.subject,
    keySpec: { ...asked.keySpec }, sans: [...asked.sans], requestedExtensions: [...asked.requestedExtensions],
    importedAt: record.importedAt, status: record.signedSerial ? 'signed' : 'pending',
    ...(record.signedSerial ? { signedSerial: record.signedSerial } : {}),
  };
}

function crlSummary(r: CrlRecord): Out<typeof CrlSummary> {
  return { caId: r.caId, crlNumber: r.crlNumber, thisUpdate: r.thisUpdate, nextUpdate: r.nextUpdate, entries: r.entries, sha256: r.sha256, journalHead: r.journalHead, ...(r.recovered ? { recovered: true } : {}) };
}

/** A preview, with a finding before anything is signed when the signing key is on no open token. */
function previewOut(plan: CertificatePlan, keyHolder?: { name: string; onOpenToken: boolean }): Out<typeof Preview> {
  const notOnToken = keyHolder !== undefined && !keyHolder.onOpenToken
    ? [{ code: 'ca.key_not_on_open_token', severity: 'error' as const, message: `The key of CA "${keyHolder.name}" is on no open token: insert the token that holds it and log in before signing.` }]
    : [];
  return {
    preview: JSON.parse(JSON.stringify(plan.preview)) as Record<string, unknown>,
    findings: [...notOnToken, ...plan.findings.map((f) => ({ code: f.code, severity: f.severity, message: f.message }))],
    droppedRequestExtensions: plan.droppedRequestExtensions.map((d) => `${d.name}: ${d.reason}`),
    tbsSha256: createHash('sha256').update(plan.tbsDer).digest('hex'),
    ...(keyHolder !== undefined ? { keyOnOpenToken: keyHolder.onOpenToken } : {}),
    readable: readableOut(plan.preview),
  };
}

function certificateDetail(custos: Custos, r: IssuedRecord) {
  return {
    summary: certificateSummary(custos, r),
    description: JSON.parse(JSON.stringify(describeCertificate(r.certDer))) as Record<string, unknown>,
    pem: toPem(r.certDer, PEM_LABEL.certificate),
    readable: readableOut(describeCertificate(r.certDer)),
  };
}

function requireIssuedRecord(custos: Custos, caId: string, serialHex: string): IssuedRecord {
  const r = custos.state.issued.get(caId)?.get(normalizeSerial(serialHex));
  if (!r) throw new CustosError('CERT_NOT_FOUND', `No certificate with serial ${serialHex} from this CA.`, { caId, serialHex });
  return r;
}

function summaryOfEntry(kind: string, data: Record<string, unknown>): string {
  const s = (k: string): string => (data[k] === undefined ? '' : String(data[k]));
  switch (kind) {
    case 'ca.root.intent': return `Create root CA "${s('name')}" (${s('subject')})`;
    case 'ca.root.done': return `Root CA created: ${s('subject')}`;
    case 'certificate.issue.intent': return `Sign ${s('subject')} under ${s('profileId')}, serial ${s('serialHex')}`;
    case 'certificate.issue.done': return `Issued ${s('subject')}, serial ${s('serialHex')}`;
    case 'certificate.revoke': return `Revoked serial ${s('serialHex')} (${s('reason')})`;
    case 'crl.issue.intent': return `Issue CRL #${s('crlNumber')} with ${s('entries')} entries`;
    case 'crl.issue.done': return `CRL #${s('crlNumber')} issued`;
    case 'request.import': return `Imported request ${s('subject')} from ${s('fileName')}`;
    case 'key.generate.intent': return `Generate key "${s('label')}"`;
    case 'key.generate.done': return `Key "${s('label')}" generated`;
    case 'token.login.intent': return 'Log in to token';
    case 'token.login.done': return 'Logged in';
    case 'token.login.failed': return `Login failed: ${s('code')}`;
    case 'export.intent': return `Export ${s('artifact')} as ${s('format')}`;
    case 'export.done': return `Exported to ${s('path')}`;
    case 'journal.key': return `Journal key ${s('keySpkiSha256').slice(0, 16)}… recorded`;
    case 'journal.checkpoint': return `Checkpoint signed over entry #${s('headSeq')}`;
    case 'quorum.authenticate': return `Custodian ${s('chr')} authenticated (${s('authenticated')} of ${s('required')})`;
    case 'quorum.register.done': return `Custodian ${s('chr')} registered${data['unattestedConfirmed'] === true ? ' (not attested, confirmed)' : ''}`;
    case 'dkek.share.create.done': return `DKEK share of ${s('custodian')} made, KCV ${s('shareKcv')}`;
    case 'dkek.share.import.intent': return `Import DKEK share ${s('shareKcv')}`;
    case 'dkek.share.import.done': return `DKEK share ${s('shareKcv')} imported: ${s('outstanding')} of ${s('total')} outstanding${data.kcv ? `, domain KCV ${s('kcv')}` : ''}`;
    case 'key.backup.done': return `Key backed up to ${s('wkyFile')} (domain ${s('domainKcv')})`;
    case 'key.restore.intent': return `Restore key "${s('label')}" (${s('spkiSha256').slice(0, 16)}…)`;
    case 'key.restore.done': return `Key "${s('label')}" restored`;
    case 'bundle.write.intent': return `Write ${s('rehearsal') === 'true' ? 'REHEARSAL ' : ''}bundle ${s('path')}`;
    case 'bundle.write.done': return `Bundle written to ${s('path')}`;
    default: return kind.endsWith('.failed') ? `Failed: ${s('code')} ${s('message')}` : kind;
  }
}

/** What the shell lends the handlers for files: its open dialog, and the grants that dialog makes. */
export interface ShellFiles {
  /** What the window may have read; by default the removable media only. */
  readonly readGrants?: ReadGrants;
  /** The shell's open dialog: the paths the person chose (none when cancelled). */
  readonly pickFiles?: () => Promise<readonly string[]>;
  /** The shell's folder dialog, for an export destination (export.pickFolder). */
  readonly pickFolder?: ShellFolders['pickFolder'];
  /** The shell's print to PDF of the transcript page (Electron's printToPDF); headless Chromium without one. */
  readonly printTranscript?: TranscriptPrinter;
}

function fileEntry(path: string): Out<typeof MediumFile> | undefined {
  try {
    const info = lstatSync(path);
    return info.isFile() ? { path, name: basename(path), bytes: info.size } : undefined;
  } catch {
    return undefined;
  }
}

export function createHandlers(custos: Custos, shell: ShellFiles = {}): Handlers {
  const ctx = custos.ctx;
  const grants = shell.readGrants ?? new ReadGrants();
  // A folder the window names for an export must be on a removable medium or one the person picked
  // in the shell's dialog; without one, exports go to the data directory's own folder.
  const folders = new ExportFolders(grants);
  const exportFolder = (directory: string | undefined): Promise<{ directory?: string }> => folders.permit(directory);
  const keyOnOpenToken = async (spkiSha256: string): Promise<boolean> => (await ctx.tokens.findKey(spkiSha256)) !== undefined;
  const handlers: Omit<Handlers, 'request.signBatch' | 'work.cancel'> = {
    ...custodianHandlers(custos, folders, shell.pickFolder ? { pickFolder: shell.pickFolder } : {}, tokenSummary,
      (id) => requestSummary(loadRequest(ctx, id).record, custos)),
    ...cvcHandlers(custos, exportFolder),
    ...transcriptHandlers(custos, exportFolder, grants, shell.printTranscript),
    'app.info': async () => ({ version: VERSION, dataDir: ctx.dataDir, operator: ctx.journal.operator, rehearsal: custos.rehearsalOnly }),
    // The shell (electron/rehearsal-switch.ts) swaps cores; a core alone can only say whether it is one.
    'app.startRehearsal': async () => {
      if (!custos.rehearsalOnly) throw new CustosError('REHEARSAL_UNAVAILABLE', 'This window cannot start a rehearsal: start one with `custos rehearse`, or restart Custos with no HSM attached.', {});
      return { version: VERSION, dataDir: ctx.dataDir, operator: ctx.journal.operator, rehearsal: true };
    },
    'token.list': async () => (await ctx.tokens.list()).map((t) => tokenSummary(t.info)),
    'token.login': async ({ tokenId: id, pin, confirmFinalTry }) => {
      const token = await custos.login(id, Secret.fromString(pin), confirmFinalTry ?? false);
      return tokenSummary(await token.refresh());
    },
    'token.logout': async ({ tokenId: id }) => tokenSummary(await (await custos.logout(id)).refresh()),
    'token.accept': async ({ tokenId: id }) => tokenSummary(await (await custos.acceptUnattested(id)).refresh()),
    'token.keys': async ({ tokenId: id }) => (await (await ctx.tokens.open(id)).listKeys()).map((k) => keySummary(id, k)),
    'token.generateKey': async ({ tokenId: id, spec, label }) => keySummary(id, await custos.generateKey(id, spec, label)),
    'profile.list': async () => loadProfiles().map((p) => ({
      id: p.id, title: p.title, description: p.description, kind: p.kind, defaultValidityDays: p.validity.defaultDays, maxValidityDays: p.validity.maxDays,
    })),
    'ca.list': async () => Promise.all([...ctx.state.cas.values()].map(async (ca) => caSummary(custos, ca, await keyOnOpenToken(ca.keySpkiSha256)))),
    'ca.previewRoot': async (input) => previewOut((await previewRoot(ctx, input)).plan),
    'ca.createRoot': async (input) => caSummary(custos, await custos.exclusive('root creation', () => createRoot(ctx, input))),
    'ca.chain': async ({ caId }) => {
      const ca = ctx.state.cas.get(caId);
      if (!ca) throw new CustosError('CA_NOT_FOUND', `No CA ${caId.slice(0, 12)}…`, { caId });
      return {
        certificates: caChain(ctx, ca).map((c) => {
          const issuerId = c.issuerId ?? c.id;
          const serial = describeCertificate(c.certDer).serialHex;
          return certificateDetail(custos, requireIssuedRecord(custos, issuerId, serial));
        }),
      };
    },
    'request.import': async ({ fileName, contentBase64 }) => {
      const bytes = new Uint8Array(Buffer.from(contentBase64, 'base64'));
      return importRequests(ctx, fileName, bytes).map(({ record }) => requestSummary(record, custos));
    },
    'request.pickFiles': async () => {
      if (shell.pickFiles === undefined) {
        throw new CustosError('PATH_NOT_PERMITTED', 'This window has no file dialog: put the request on a removable medium and choose it there.', {});
      }
      const picked = await shell.pickFiles();
      for (const path of picked) grants.grant(path);
      return picked.map(fileEntry).filter((f) => f !== undefined);
    },
    'request.importFromPath': async ({ path }) => {
      // Decided before the file is touched: the window names paths, only the person grants them.
      const bytes = await readBoundedFile(await grants.permitFile(path), MAX_CSR_FILE_BYTES);
      return importRequests(ctx, path, bytes).map(({ record }) => requestSummary(record, custos));
    },
    'request.list': async () => [...ctx.state.requests.values()].map((r) => requestSummary(r, custos)),
    'request.get': async ({ requestId }) => {
      const { record, csr } = loadRequest(ctx, requestId);
      return {
        summary: requestSummary(record, custos),
        description: JSON.parse(JSON.stringify({
          subject: csr.subject.text, key: csr.keySpec, spkiSha256: csr.spkiSha256, subjectAltNames: csr.subjectAltNames,
          requestedExtensions: csr.requestedExtensions, signatureAlgorithm: csr.signatureAlgorithm, sha256: csr.sha256,
        })) as Record<string, unknown>,
        readable: readableRequestOut(csr),
      };
    },
    'request.preview': async (input) => {
      const ca = ctx.state.cas.get(input.caId);
      const plan = previewIssue(ctx, input);
      const out = previewOut(plan, ca ? { name: ca.name, onOpenToken: await keyOnOpenToken(ca.keySpkiSha256) } : undefined);
      return { ...out, review: requestReviewOut(loadRequest(ctx, input.requestId).csr, plan, profileFor(ctx, input.profileId)) };
    },
    // The preview kept under tbsSha256 is planned again and signed only if it is those bytes (main/ca/previews.ts).
    'request.sign': async (input) => certificateSummary(custos, await custos.exclusive('signing', () => issueCertificate(ctx, input))),
    'certificate.list': async ({ caId }) => [...ctx.state.issued.entries()]
      .filter(([id]) => caId === undefined || id === caId)
      .flatMap(([, m]) => [...m.values()])
      .map((r) => certificateSummary(custos, r)),
    'certificate.changes': async ({ afterSeq }) => {
      const { keys, throughSeq } = changedCertificates(ctx.journal, afterSeq);
      const records = keys.map((k) => ctx.state.issued.get(k.caId)?.get(k.serialHex)).filter((r) => r !== undefined);
      return { certificates: records.map((r) => certificateSummary(custos, r)), throughSeq };
    },
    'certificate.get': async ({ caId, serialHex }) => certificateDetail(custos, requireIssuedRecord(custos, caId, serialHex)),
    'certificate.export': async ({ directory, ...input }) => {
      const out = await exportCertificate(ctx, { ...input, ...(await exportFolder(directory)) });
      return { path: out.path, fileName: out.fileName, contentBase64: Buffer.from(out.bytes).toString('base64'), bytes: out.bytes.length };
    },
    'certificate.revoke': async ({ caId, serialHex, reason, invalidityDate }) => {
      const { issued } = revokeSerial(ctx, { caId, serialHex, reason, ...(invalidityDate ? { invalidityDate: new Date(invalidityDate) } : {}) });
      return certificateSummary(custos, issued);
    },
    'crl.issue': async ({ caId, nextUpdateDays, tbsSha256 }) => crlSummary((await custos.exclusive('CRL issuance', () => issueCrlReporting(custos, { caId, tbsSha256, ...(nextUpdateDays ? { nextUpdateDays } : {}) }))).record),
    'crl.list': async ({ caId }) => [...ctx.state.crls.entries()].filter(([id]) => caId === undefined || id === caId).flatMap(([, l]) => l.map(crlSummary)),
    'crl.export': async ({ directory, ...input }) => {
      const out = await exportCrl(ctx, { ...input, ...(await exportFolder(directory)) });
      return { path: out.path, fileName: out.fileName, contentBase64: Buffer.from(out.bytes).toString('base64'), bytes: out.bytes.length };
    },
    'journal.entries': async ({ afterSeq, limit }) => ctx.journal.read(afterSeq ?? 0, limit ?? 1000)
      .map((e) => ({
        seq: e.seq, time: e.time, kind: e.kind, operator: e.operator, ...(e.token ? { token: { ...e.token } } : {}),
        summary: summaryOfEntry(e.kind, e.data as Record<string, unknown>), hash: e.hash, prevHash: e.prev,
        data: JSON.parse(JSON.stringify(e.data)) as Record<string, unknown>,
      })),
    'journal.head': async () => ({ seq: ctx.journal.lastSeq }),
    'journal.verify': async () => {
      const v = ctx.journal.verify();
      return {
        ok: v.ok, entries: v.entries, ...(v.firstBadSeq !== undefined ? { firstBadSeq: v.firstBadSeq } : {}), ...(v.reason ? { reason: v.reason } : {}),
        ...(v.code ? { code: v.code } : {}), ...(v.anchors ? { checkpoints: v.anchors.checkpoints, unanchored: v.anchors.unanchored } : {}),
        ...(v.head ? { head: `${v.head.seq}:${v.head.hash}` } : {}),
        pendingIntents: [...custos.abandoned, ...ctx.journal.pendingIntents()].map((e) => ({ seq: e.seq, kind: e.kind, time: e.time })),
        ...(ctx.journal.tornTailAtOpen ? { tornTail: { ...ctx.journal.tornTailAtOpen } } : {}),
        ...(ctx.journal.recoveredAtOpen.length ? { recovered: ctx.journal.recoveredAtOpen.map((e) => ({ seq: e.seq, kind: e.kind, ...(e.intent !== undefined ? { intent: e.intent } : {}) })) } : {}),
      };
    },
    'media.list': async () => (await listRemovableMedia()).map((m) => ({ path: m.mountPoint, label: `${m.mountPoint.split('/').pop() ?? m.mountPoint} (${m.device}${m.readOnly ? ', read-only' : ''})` })),
    'media.files': async ({ path }) => {
      const folder = await grants.permitFolder(path);
      let names: string[];
      try {
        names = readdirSync(folder);
      } catch {
        throw new CustosError('INPUT_INVALID', `${path.slice(0, 300)} is not a folder that can be listed on the medium.`, { path: path.slice(0, 300) });
      }
      // Regular files only: a symbolic link on a medium may point anywhere (importFromPath would refuse it anyway).
      return names
        .filter((n) => /\.(csr|pem|der|req|p10)$/i.test(n))
        .map((name) => fileEntry(join(folder, name)))
        .filter((f) => f !== undefined);
    },
    ...quorumHandlers(custos),
    ...createKeyDomainHandlers(custos, grants),
    ...bundleHandlers(custos, grants),
    ...ceremonyHandlers(custos, exportFolder),
  };
  return { ...handlers, ...batchSignHandlers(workProgressOf(custos), handlers['request.sign'], (batch) => abandonBatch(ctx, batch)) };
}

export { certificateBytes, crlBytes };
