/**
 * What the CVC authority knows, read back from the journal: the CV
 * certificates it made or imported (its authorities are those of a CVCA or DV
 * whose key it can find on a token) and the CV requests it imported. Kept
 * apart from the X.509 CA state (main/ca/state.ts): the same journal, its own
 * entries (cvc.*), its own projection, so neither side's records change the
 * other's. A pure projection: the same journal always gives the same state.
 */
import type { JournalEntry } from '../journal/index.ts';
import type { Journal } from '../journal/index.ts';
import type { KeySpec } from '../hsm/token.ts';
import { createHash } from 'node:crypto';
import { decodeCvCertificate } from '../pki/cvc/cvc.ts';
import { roleOfChat, terminalTypeOfOid, type CvcRole, type TerminalType } from './chat.ts';

export type CertificateOrigin = 'authority' | 'issued' | 'imported';

export interface CvcCertificateRecord {
  /** SHA-256 of the certificate's bytes, lower-case hex. */
  readonly id: string;
  readonly chr: string;
  readonly car: string;
  readonly role: CvcRole;
  readonly terminalType?: TerminalType;
  readonly origin: CertificateOrigin;
  /** The certificate that signed it (absent for a self-signed CVCA, or an imported one whose issuer is not here). */
  readonly issuerId?: string;
  readonly profileId?: string;
  readonly requestId?: string;
  /** SHA-256 of the holder key's SubjectPublicKeyInfo (curve resolved from the chain): how its key is found on a token. */
  readonly keySpkiSha256?: string;
  readonly keySpec?: KeySpec;
  readonly effectiveDate: string;
  readonly expirationDate: string;
  readonly raw: Uint8Array;
  readonly recordedAt: string;
  /** Signed on a rehearsal token. */
  readonly virtual: boolean;
  /** The token signed it but the run ended before it was recorded; the journal kept it and recorded it at the next open. */
  readonly recovered?: boolean;
}

/** What an authenticated request's outer signature was checked against. */
export type AttestationStatus =
  | 'cardcontact' // a SmartCard-HSM device chain to CardContact's SRCA
  | 'rehearsal' // a device chain to Custos's virtual root (rehearsal cards)
  | 'self-issued' // a device certificate that certifies itself: no root vouches for the device
  | 'unknown-root' // a device chain to a root Custos does not know
  | 'authority' // signed by a CV certificate this authority holds (a renewal)
  | 'chain-missing' // authenticated, but no device chain came with it: the outer signature is unchecked
  | 'plain'; // a plain (7F21) request: possession only

export interface CvcRequestRecord {
  readonly id: string;
  readonly fileName: string;
  readonly chr: string;
  readonly car?: string;
  readonly outerCar?: string;
  readonly attestation: AttestationStatus;
  /** The device chain's CHRs, root first, when one was checked. */
  readonly attestationPath: readonly string[];
  readonly keySpkiSha256: string;
  readonly raw: Uint8Array;
  /** EF 2F02 as it came with the request (device CVC || DICA CVC), kept to show and export with it. */
  readonly deviceChain?: Uint8Array;
  readonly importedAt: string;
  readonly signedCertificateId?: string;
}

const fromBase64 = (s: unknown): Uint8Array => new Uint8Array(Buffer.from(String(s), 'base64'));
const str = (v: unknown): string => String(v);

const day = (d: Date | undefined): string => d?.toISOString().slice(0, 10) ?? '';

export class CvcState {
  readonly certificates = new Map<string, CvcCertificateRecord>();
  readonly requests = new Map<string, CvcRequestRecord>();
  /** The CVC signing intents by seq: what a recovered result was signed for. */
  readonly #intents = new Map<number, Record<string, unknown>>();

  /** CVCA and DV certificates: what can sign, once its key is found on a token. */
  authorities(): CvcCertificateRecord[] {
    return [...this.certificates.values()].filter((c) => c.role !== 'terminal' && c.keySpkiSha256 !== undefined && c.origin !== 'imported');
  }

  /** The certificates whose CHR is chr, newest first (a rollover's link and self-signed certificates share one). */
  byChr(chr: string): CvcCertificateRecord[] {
    return [...this.certificates.values()].filter((c) => c.chr === chr).reverse();
  }

  apply(e: JournalEntry): void {
    const d = e.data as Record<string, unknown>;
    switch (e.kind) {
      case 'cvc.request.import':
        this.requests.set(str(d.requestId), {
          id: str(d.requestId), fileName: str(d.fileName), chr: str(d.chr),
          ...(d.car !== undefined ? { car: str(d.car) } : {}),
          ...(d.outerCar !== undefined ? { outerCar: str(d.outerCar) } : {}),
          attestation: str(d.attestation) as AttestationStatus,
          attestationPath: Array.isArray(d.attestationPath) ? d.attestationPath.map(str) : [],
          keySpkiSha256: str(d.keySpkiSha256), raw: fromBase64(d.request),
          ...(d.deviceChain !== undefined ? { deviceChain: fromBase64(d.deviceChain) } : {}),
          importedAt: e.time,
        });
        break;
      case 'cvc.certificate.import':
      case 'cvc.authority.init.done':
      case 'cvc.certificate.sign.done': {
        const origin: CertificateOrigin = e.kind === 'cvc.certificate.import' ? 'imported' : e.kind === 'cvc.authority.init.done' ? 'authority' : 'issued';
        const record: CvcCertificateRecord = {
          id: str(d.certificateId), chr: str(d.chr), car: str(d.car), role: str(d.role) as CvcRole,
          ...(d.terminalType ? { terminalType: str(d.terminalType) as TerminalType } : {}),
          origin,
          ...(d.issuerId ? { issuerId: str(d.issuerId) } : {}),
          ...(d.profileId ? { profileId: str(d.profileId) } : {}),
          ...(d.requestId ? { requestId: str(d.requestId) } : {}),
          ...(d.keySpkiSha256 ? { keySpkiSha256: str(d.keySpkiSha256) } : {}),
          ...(d.keySpec ? { keySpec: d.keySpec as KeySpec } : {}),
          effectiveDate: str(d.effectiveDate), expirationDate: str(d.expirationDate),
          raw: fromBase64(d.certificate), recordedAt: e.time, virtual: e.token?.virtual ?? d.virtual === true,
        };
        this.certificates.set(record.id, record);
        const request = record.requestId ? this.requests.get(record.requestId) : undefined;
        if (request) this.requests.set(request.id, { ...request, signedCertificateId: record.id });
        break;
      }
      case 'cvc.authority.init.intent':
      case 'cvc.certificate.sign.intent':
        this.#intents.set(e.seq, d);
        break;
      case 'cvc.authority.init.recovered':
      case 'cvc.certificate.sign.recovered':
        this.#recover(e, d);
        break;
      default:
        break;
    }
  }

  /**
   * A certificate the token signed whose record a kill or a full disk cut
   * off: the journal kept the certificate's bytes and records them at the
   * next open. It is the authority's like any other (its signer is known
   * from the intent), so a DV's key is not certified twice by mistake.
   */
  #recover(e: JournalEntry, d: Record<string, unknown>): void {
    const intent = e.intent !== undefined ? this.#intents.get(e.intent) : undefined;
    if (!intent) return;
    let cert;
    try {
      cert = decodeCvCertificate(fromBase64(d.result));
    } catch {
      return; // not a CV certificate: the journal's own note says what was kept
    }
    const chat = cert.body.chat;
    if (!chat || cert.body.car === undefined) return;
    const requestId = intent.requestId !== undefined ? str(intent.requestId) : undefined;
    const request = requestId ? this.requests.get(requestId) : undefined;
    const keySpkiSha256 = intent.keySpkiSha256 !== undefined ? str(intent.keySpkiSha256) : request?.keySpkiSha256;
    const terminalType = terminalTypeOfOid(chat.roleOid);
    const record: CvcCertificateRecord = {
      id: createHash('sha256').update(cert.raw).digest('hex'), chr: cert.body.chr, car: cert.body.car, role: roleOfChat(chat),
      ...(terminalType ? { terminalType } : {}),
      origin: e.kind === 'cvc.authority.init.recovered' ? 'authority' : 'issued',
      ...(intent.issuerId !== undefined ? { issuerId: str(intent.issuerId) } : {}),
      ...(intent.profileId !== undefined ? { profileId: str(intent.profileId) } : {}),
      ...(requestId ? { requestId } : {}),
      ...(keySpkiSha256 ? { keySpkiSha256 } : {}),
      effectiveDate: day(cert.body.effectiveDate), expirationDate: day(cert.body.expirationDate),
      raw: cert.raw, recordedAt: e.time, virtual: e.token?.virtual ?? false, recovered: true,
    };
    this.certificates.set(record.id, record);
    if (request) this.requests.set(request.id, { ...request, signedCertificateId: record.id });
  }
}

// One projection per open journal, brought up to date from the journal's file whenever it is asked for.
const projections = new WeakMap<Journal, { state: CvcState; appliedSeq: number }>();

/** The CVC state of this journal, with every entry appended so far applied. */
export function cvcStateOf(journal: Journal): CvcState {
  const known = projections.get(journal) ?? { state: new CvcState(), appliedSeq: 0 };
  projections.set(journal, known);
  if (known.appliedSeq < journal.lastSeq) {
    for (const e of journal.read(known.appliedSeq)) if (e.kind.startsWith('cvc.')) known.state.apply(e);
    known.appliedSeq = journal.lastSeq;
  }
  return known.state;
}
