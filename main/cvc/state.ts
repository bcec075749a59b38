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
import type { CvcRole, TerminalType } from './chat.ts';

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

export class CvcState {
  readonly certificates = new Map<string, CvcCertificateRecord>();
  readonly requests = new Map<string, CvcRequestRecord>();

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
      default:
        break;
    }
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
