/**
 * What a request asked for beside what the CA will issue, and what a
 * custodian must be told before signing it. The profile decides every
 * extension; this says, item by item, what was taken from the request, what
 * was dropped and why, and what the profile added, so nobody has to compare
 * two trees by eye. Pure: it reads the checked request and the plan made for it.
 */
import type { CsrInfo } from '../pki/x509/csr.ts';
import { OID } from '../pki/oids.ts';
import type { DecodedExtension } from '../pki/x509/extensions.ts';
import type { CertificatePlan } from '../pki/x509/issue.ts';
import type { Profile } from '../pki/x509/profiles.ts';
import { describeKeySpec } from '../pki/x509/keys.ts';
import { extensionText, isKnownExtension, readableGeneralNames, readableName, type ReadableGeneralName, type ReadableNamePart } from '../pki/x509/readable.ts';

export type ReviewOutcome = 'taken' | 'changed' | 'dropped' | 'added';

export interface AskedIssuedRow {
  /** What the row is about: "Subject", "Key", or an extension's name. */
  readonly item: string;
  /** What the request asked for, in words; absent when it asked for nothing here. */
  readonly asked?: string;
  /** What will be issued, in words; absent when nothing of it is issued. */
  readonly issued?: string;
  readonly outcome: ReviewOutcome;
  /** Why it was changed, dropped or added. */
  readonly reason?: string;
}

export type ReviewWarningCode = 'REQUEST_ASKS_CA' | 'UNKNOWN_CRITICAL_EXTENSION' | 'TLS_SERVER_IP_OR_EMAIL_NAME';

export interface ReviewWarning { readonly code: ReviewWarningCode; readonly message: string }

export interface RequestReview {
  readonly rows: readonly AskedIssuedRow[];
  /** Shown before the Sign button: what a custodian should stop and think about. */
  readonly warnings: readonly ReviewWarning[];
}

/** A request as a custodian reads it, with its self-signature's check. */
export interface ReadableRequest {
  readonly subject: readonly ReadableNamePart[];
  readonly key: { readonly description: string; readonly spkiSha256: string };
  readonly subjectAltNames: readonly ReadableGeneralName[];
  readonly requestedExtensions: readonly { readonly name: string; readonly oid: string; readonly critical: boolean; readonly known: boolean; readonly text: string }[];
  /** Every request is refused at import unless its self-signature verifies (parseCsrFile): this says so, and with what. */
  readonly signature: { readonly checked: true; readonly algorithm: string };
  readonly sha256: string;
}

const nameText = (parts: readonly ReadableNamePart[]): string => parts.map((p) => `${p.type}=${p.value}`).join(', ');

export function readableRequest(csr: CsrInfo): ReadableRequest {
  return {
    subject: readableName(csr.subject.rdns),
    key: { description: describeKeySpec(csr.keySpec), spkiSha256: csr.spkiSha256 },
    subjectAltNames: [
      ...csr.subjectAltNames.dns.map((value) => ({ kind: 'DNS name', type: 'dns' as const, value })),
      ...csr.subjectAltNames.ip.map((value) => ({ kind: 'IP address', type: 'ip' as const, value })),
      ...csr.subjectAltNames.email.map((value) => ({ kind: 'E-mail address', type: 'email' as const, value })),
      ...csr.subjectAltNames.uri.map((value) => ({ kind: 'URI', type: 'uri' as const, value })),
    ],
    requestedExtensions: csr.requestedExtensions.map((e) => ({ name: e.name, oid: e.oid, critical: e.critical, known: isKnownExtension(e), text: extensionText(e) })),
    signature: { checked: true, algorithm: csr.signatureAlgorithm.name },
    sha256: csr.sha256,
  };
}

function isTlsServer(issued: readonly DecodedExtension[]): boolean {
  const eku = issued.find((e) => e.oid === OID.extKeyUsage);
  return Array.isArray(eku?.value) && (eku.value as readonly unknown[]).includes('serverAuth');
}

function warningsFor(csr: CsrInfo, plan: CertificatePlan, profile: Profile): ReviewWarning[] {
  const warnings: ReviewWarning[] = [];
  const issued = plan.preview.extensions;
  const asksCa = csr.requestedExtensions.find((e) => e.oid === OID.basicConstraints);
  if (asksCa && typeof asksCa.value === 'object' && asksCa.value !== null && !Array.isArray(asksCa.value) && (asksCa.value as Record<string, unknown>).ca === true) {
    const issuedBc = issued.find((e) => e.oid === OID.basicConstraints);
    const willBeCa = issuedBc !== undefined && (issuedBc.value as Record<string, unknown>).ca === true;
    warnings.push({
      code: 'REQUEST_ASKS_CA',
      message: willBeCa
        ? `The request asks to be a CA (CA:TRUE) and the profile "${profile.id}" makes it one: it will be able to sign certificates that chain to this CA.`
        : `The request asks to be a CA (CA:TRUE); the profile "${profile.id}" issues it as "${issuedBc ? extensionText(issuedBc) : 'no basicConstraints'}". Ask the requester why it asked.`,
    });
  }
  for (const ext of csr.requestedExtensions) {
    if (!ext.critical || isKnownExtension(ext)) continue;
    const copied = issued.some((e) => e.oid === ext.oid);
    warnings.push({
      code: 'UNKNOWN_CRITICAL_EXTENSION',
      message: copied
        ? `The request marks an extension Custos does not know (${ext.oid}) critical, and the profile "${profile.id}" copies it: software that does not know it must reject the certificate.`
        : `The request marks an extension Custos does not know (${ext.oid}) critical; it is left out. The requester may expect a certificate that carries it.`,
    });
  }
  if (isTlsServer(issued)) {
    const san = issued.find((e) => e.oid === OID.subjectAltName);
    const odd = readableGeneralNames(san?.value ?? []).filter((n) => n.type === 'ip' || n.type === 'email');
    if (odd.length > 0) {
      warnings.push({
        code: 'TLS_SERVER_IP_OR_EMAIL_NAME',
        message: `A TLS server certificate will name ${odd.map((n) => `${n.kind} ${n.value}`).join(', ')}: browsers ignore e-mail names in server certificates, and an IP address name is valid only for that address; check that the server is meant to be reached so.`,
      });
    }
  }
  return warnings;
}

/**
 * Each item of the request beside what will be issued: the subject and key
 * first, then every extension the request asked for, then every extension
 * the profile added on its own.
 */
export function reviewRequest(csr: CsrInfo, plan: CertificatePlan, profile: Profile): RequestReview {
  const issued = plan.preview.extensions;
  const rows: AskedIssuedRow[] = [];
  const askedSubject = nameText(readableName(csr.subject.rdns));
  const issuedSubject = nameText(readableName(plan.preview.subject.rdns));
  rows.push(askedSubject === issuedSubject
    ? { item: 'Subject', asked: askedSubject, issued: issuedSubject, outcome: 'taken' }
    : { item: 'Subject', asked: askedSubject, issued: issuedSubject, outcome: 'changed', reason: 'The CA set the subject: the request only proves the key.' });
  rows.push({ item: 'Key', asked: describeKeySpec(csr.keySpec), issued: plan.preview.subjectPublicKey.description, outcome: 'taken' });
  const requestedOids = new Set<string>();
  for (const ext of csr.requestedExtensions) {
    requestedOids.add(ext.oid);
    const issuedExt = issued.find((e) => e.oid === ext.oid);
    const dropped = plan.droppedRequestExtensions.filter((d) => d.oid === ext.oid);
    const asked = extensionText(ext);
    if (issuedExt === undefined) {
      rows.push({ item: ext.name, asked, outcome: 'dropped', reason: dropped[0]?.reason ?? `The profile "${profile.id}" does not take ${ext.name} from a request.` });
    } else if (dropped.length > 0 && ext.oid !== OID.subjectAltName) {
      // The profile writes this extension itself: the request's value is dropped, the profile's issued.
      rows.push({ item: ext.name, asked, issued: extensionText(issuedExt), outcome: 'dropped', reason: `${dropped[0]!.reason} The profile's own value is issued.` });
    } else {
      const issuedText = extensionText(issuedExt);
      rows.push(dropped.length > 0
        ? { item: ext.name, asked, issued: issuedText, outcome: 'changed', reason: dropped.map((d) => d.reason).join(' ') }
        : { item: ext.name, asked, issued: issuedText, outcome: 'taken' });
    }
  }
  for (const ext of issued) {
    if (requestedOids.has(ext.oid)) continue;
    rows.push({ item: ext.name, issued: extensionText(ext), outcome: 'added', reason: `Added by the profile "${profile.id}".` });
  }
  return { rows, warnings: warningsFor(csr, plan, profile) };
}
