/**
 * Signing a request under a profile: the CA key is found by its public key on
 * any open token; the exact TBS is planned and linted (pure), recorded as an
 * intent, signed, verified against the issuer key, and recorded. A request
 * signed under a CA profile makes a new subordinate CA.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { CustosError } from '../errors/index.ts';
import { tokenRecord, type KeySpec } from '../hsm/token.ts';
import { planIssuedCertificate, type CertificatePlan } from '../pki/x509/issue.ts';
import { signPlan } from './recorded-act.ts';
import { newSerial } from '../pki/x509/serial.ts';
import { describeCertificate } from '../pki/x509/preview.ts';
import type { CsrInfo } from '../pki/x509/csr.ts';
import { parseSubject } from './subject.ts';
import { b64, profileFor, requireCa, type CaContext } from './context.ts';
import { normalizeSerial, type IssuedRecord } from './state.ts';
import { loadRequest } from './requests.ts';

export interface IssueRequest {
  readonly caId: string;
  readonly requestId: string;
  readonly profileId: string;
  readonly validityDays?: number;
  /** Replaces the request's subject: the CA decides names, the request proves the key. */
  readonly subject?: string;
  /** For a CA profile: the new CA's name (default: the subject's CN). */
  readonly name?: string;
  readonly pathLen?: number;
}

export function planIssue(ctx: CaContext, req: IssueRequest, csr: CsrInfo): { plan: CertificatePlan; serial: string } {
  const ca = requireCa(ctx, req.caId);
  const serial = newSerial((h) => ctx.state.isSerialUsed(ca.id, h));
  const plan = planIssuedCertificate({
    profile: profileFor(ctx, req.profileId), csr, issuerCertDer: ca.certDer, issuerSpki: spkiOf(ca.certDer),
    serial, now: ctx.now(),
    ...(req.validityDays ? { validityDays: req.validityDays } : {}),
    ...(req.subject ? { subjectOverride: parseSubject(req.subject) } : {}),
    ...(req.pathLen !== undefined ? { pathLen: req.pathLen } : {}),
  });
  return { plan, serial };
}

function spkiOf(certDer: Uint8Array): Uint8Array {
  return new Uint8Array(new X509Certificate(Buffer.from(certDer)).publicKey.export({ type: 'spki', format: 'der' }));
}

function commonName(subjectText: string): string | undefined {
  const m = /(?:^|,\s*)CN=((?:\\.|[^,])+)/.exec(subjectText);
  return m?.[1]?.replace(/\\(.)/g, '$1');
}

export function previewIssue(ctx: CaContext, req: IssueRequest): CertificatePlan {
  const { csr } = loadRequest(ctx, req.requestId);
  return planIssue(ctx, req, csr).plan;
}

export async function issueCertificate(ctx: CaContext, req: IssueRequest): Promise<IssuedRecord> {
  const ca = requireCa(ctx, req.caId);
  const { csr } = loadRequest(ctx, req.requestId);
  const { token, key } = await ctx.tokens.requireKey(ca.keySpkiSha256, `CA "${ca.name}"`);
  const { plan, serial } = planIssue(ctx, req, csr);
  const profile = profileFor(ctx, req.profileId);
  const isCa = profile.kind === 'ca';
  const name = isCa ? (req.name ?? commonName(plan.preview.subject.text) ?? serial) : undefined;
  if (name !== undefined && [...ctx.state.cas.values()].some((c) => c.name === name)) {
    throw new CustosError('CA_EXISTS', `A CA named "${name}" exists already: give the new CA another name.`, { name });
  }
  const tbsSha256 = createHash('sha256').update(plan.tbsDer).digest('hex');
  const intent = ctx.journal.begin('certificate.issue', {
    caId: ca.id, requestId: req.requestId, profileId: req.profileId, subject: plan.preview.subject.text, serialHex: serial, tbsSha256,
  }, tokenRecord(token.info));
  const certDer = await signPlan(ctx, intent, plan, token, key);
  const d = describeCertificate(certDer);
  const spec = d.subjectPublicKey.spec;
  ctx.journal.complete(intent, {
    caId: ca.id, certificate: b64(certDer), sha256: d.sha256, serialHex: d.serialHex, subject: d.subject.text, issuer: d.issuer.text,
    notBefore: d.validity.notBefore, notAfter: d.validity.notAfter, profileId: req.profileId, isCa, requestId: req.requestId,
    ...(isCa && name !== undefined && spec.kind !== 'other'
      ? { newCa: { name, keySpkiSha256: d.subjectPublicKey.spkiSha256, keySpec: { ...(spec as KeySpec) } } }
      : {}),
  });
  return ctx.state.issued.get(ca.id)!.get(normalizeSerial(d.serialHex))!;
}
