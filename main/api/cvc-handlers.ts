/**
 * The core's side of the CVC channels (cvc-contract.ts): each turns the
 * parsed input into a call on main/cvc and the result into the contract's
 * shape. handlers.ts spreads these into its table.
 */
import type { z } from 'zod';
import type { Custos } from '../custos.ts';
import { initCvca, previewCvca, previewCvcCertificate, signCvcCertificate } from '../cvc/acts.ts';
import { importCvcCertificates, importCvcRequest, knownCertificates, requireCvcCertificate, requireCvcRequest } from '../cvc/import.ts';
import { exportCvcChain, exportCvcCertificate, exportCvcRequest, cvcChain } from '../cvc/export.ts';
import { cvcStateOf, type CvcCertificateRecord, type CvcRequestRecord } from '../cvc/state.ts';
import { describeCvcBody } from '../cvc/describe.ts';
import { resolvedKey } from '../cvc/keys.ts';
import { loadCvcProfiles } from '../cvc/profiles.ts';
import type { CvcPlan } from '../cvc/plan.ts';
import { decodeCvCertificate, decodeCvRequest } from '../pki/cvc/cvc.ts';
import type { Handlers } from './contract.ts';
import type { CvcCertificateSummary, CvcPreview, CvcRequestSummary, cvcApi } from './cvc-contract.ts';

type Out<T extends z.ZodType> = z.output<T>;
type CvcHandlers = Pick<Handlers, keyof typeof cvcApi>;

const bytesOf = (base64: string): Uint8Array => new Uint8Array(Buffer.from(base64, 'base64'));
const day = (d: string): Date => new Date(`${d}T00:00:00Z`);

function certificateSummary(custos: Custos, c: CvcCertificateRecord): Out<typeof CvcCertificateSummary> {
  const isAuthority = cvcStateOf(custos.journal).authorities().some((a) => a.id === c.id);
  return {
    id: c.id, chr: c.chr, car: c.car, role: c.role, ...(c.terminalType ? { terminalType: c.terminalType } : {}), origin: c.origin,
    ...(c.issuerId ? { issuerId: c.issuerId } : {}), ...(c.profileId ? { profileId: c.profileId } : {}),
    effectiveDate: c.effectiveDate, expirationDate: c.expirationDate, virtual: c.virtual, recordedAt: c.recordedAt, isAuthority,
    ...(c.recovered ? { recovered: true } : {}),
  };
}

function requestSummary(r: CvcRequestRecord): Out<typeof CvcRequestSummary> {
  return {
    id: r.id, fileName: r.fileName, chr: r.chr, ...(r.car !== undefined ? { car: r.car } : {}), ...(r.outerCar !== undefined ? { outerCar: r.outerCar } : {}),
    attestation: r.attestation, attestationPath: [...r.attestationPath], importedAt: r.importedAt,
    ...(r.signedCertificateId ? { signedCertificateId: r.signedCertificateId } : {}),
  };
}

function previewOut(plan: CvcPlan, issuerChr: string): Out<typeof CvcPreview> {
  return {
    body: JSON.parse(JSON.stringify(plan.view)) as Out<typeof CvcPreview>['body'], bodySha256: plan.bodySha256,
    effectiveDate: plan.view.effectiveDate!, issuerChr, findings: plan.findings.map((f) => ({ check: f.check, message: f.message })),
  };
}

export function cvcHandlers(custos: Custos, exportFolder: (directory: string | undefined) => Promise<{ directory?: string }>): CvcHandlers {
  const ctx = custos.ctx;
  const state = () => cvcStateOf(ctx.journal);
  const signTerms = (input: { issuerId: string; profileId: string; requestId?: string | undefined; holderId?: string | undefined; chr?: string | undefined; validityDays?: number | undefined; authorizations?: string[] | undefined }) => ({
    issuer: input.issuerId, profileId: input.profileId,
    ...(input.requestId ? { requestId: input.requestId } : {}), ...(input.holderId ? { holder: input.holderId } : {}),
    ...(input.chr ? { chr: input.chr } : {}), ...(input.validityDays ? { validityDays: input.validityDays } : {}),
    ...(input.authorizations ? { authorizations: input.authorizations } : {}),
  });
  return {
    'cvc.profiles': async () => loadCvcProfiles().map((p) => ({
      id: p.id, title: p.title, description: p.description, role: p.role, link: p.link, defaultValidityDays: p.validity.defaultDays, maxValidityDays: p.validity.maxDays,
    })),
    'cvc.certificates': async () => [...state().certificates.values()].map((c) => certificateSummary(custos, c)),
    'cvc.certificate': async ({ id }) => {
      const record = requireCvcCertificate(ctx.journal, id);
      const all = knownCertificates(ctx.journal);
      const cert = decodeCvCertificate(record.raw);
      return {
        summary: certificateSummary(custos, record),
        body: JSON.parse(JSON.stringify(describeCvcBody(cert.body, resolvedKey(cert, all)))),
        chain: cvcChain(ctx, record).map((c) => c.chr),
      };
    },
    'cvc.requests': async () => [...state().requests.values()].map(requestSummary),
    'cvc.request': async ({ id }) => {
      const record = requireCvcRequest(ctx.journal, id);
      return { summary: requestSummary(record), body: JSON.parse(JSON.stringify(describeCvcBody(decodeCvRequest(record.raw).inner.body))) };
    },
    'cvc.importRequest': async ({ fileName, contentBase64, deviceChainBase64 }) =>
      requestSummary(importCvcRequest(ctx.journal, fileName, bytesOf(contentBase64), deviceChainBase64 ? bytesOf(deviceChainBase64) : undefined).record),
    'cvc.importCertificates': async ({ fileName, contentBase64 }) =>
      importCvcCertificates(ctx.journal, fileName, bytesOf(contentBase64)).map((c) => certificateSummary(custos, c)),
    'cvc.previewInit': async (input) => {
      const plan = await previewCvca(ctx, input);
      return previewOut(plan, input.chr);
    },
    'cvc.init': async ({ effectiveDate, bodySha256, ...input }) =>
      certificateSummary(custos, await custos.exclusive('CVCA creation', () => initCvca(ctx, { ...input, effectiveDate: day(effectiveDate), bodySha256 }))),
    'cvc.preview': async (input) => {
      const plan = previewCvcCertificate(ctx, signTerms(input));
      return previewOut(plan, plan.issuer.chr);
    },
    'cvc.sign': async ({ effectiveDate, bodySha256, ...input }) =>
      certificateSummary(custos, await custos.exclusive('CV signing', () => signCvcCertificate(ctx, { ...signTerms(input), effectiveDate: day(effectiveDate), bodySha256 }))),
    'cvc.export': async ({ what, id, form, directory }) => {
      const folder = await exportFolder(directory);
      const exported = what === 'request' ? await exportCvcRequest(ctx, { request: id, ...folder })
        : what === 'chain' ? await exportCvcChain(ctx, { certificate: id, form: form ?? 'folder', ...folder })
          : await exportCvcCertificate(ctx, { certificate: id, ...folder });
      return { path: exported.path, files: [...exported.files] };
    },
  };
}
