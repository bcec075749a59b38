/**
 * What the CA knows, read back from the journal: its CAs, the certificates
 * each issued, serials ever reserved, revocations, CRL numbers and imported
 * requests. A pure projection: the same journal always gives the same state.
 * What only one act needs (a request's or certificate's bytes) is left in the
 * journal and read back from it when asked for, so a CA of millions of
 * certificates is not held in memory twice.
 */
import type { JournalEntry } from '../journal/index.ts';
import type { KeySpec, TokenRecord } from '../hsm/token.ts';
import type { PublicKeySpec } from '../pki/x509/keys.ts';
import { describeCertificate } from '../pki/x509/preview.ts';

export interface CaRecord {
  readonly id: string;
  readonly name: string;
  readonly certDer: Uint8Array;
  readonly subject: string;
  readonly kind: 'root' | 'subordinate';
  readonly issuerId?: string;
  readonly keySpkiSha256: string;
  readonly keySpec: KeySpec;
  /** Where the key was when the CA was made; any token holding the key (found by SPKI hash) can sign. */
  readonly token?: TokenRecord;
  readonly notBefore: string;
  readonly notAfter: string;
  /** The journal keys that sign checkpoints over this CA's acts (journal-anchor.ts): each on a token that holds or held the CA key. */
  readonly journalKeys: readonly JournalKeyRecord[];
}

/** A journal key as the journal recorded it: never a CA key, only ever signing checkpoints. */
export interface JournalKeyRecord {
  readonly spkiSha256: string;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
}

interface KnownJournalKey extends JournalKeyRecord {
  /** The CAs whose records list it. */
  readonly caIds: Set<string>;
}

export interface IssuedRecord {
  readonly caId: string;
  readonly serialHex: string;
  readonly certDer: Uint8Array;
  readonly sha256: string;
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly profileId: string;
  readonly isCa: boolean;
  readonly issuedAt: string;
  readonly virtual: boolean;
  readonly requestId?: string;
  /** Signed by the token just before a run ended, and recorded at the next open (`certificate.issue.recovered`). */
  readonly recovered?: boolean;
}

export interface RevocationRecord {
  readonly caId: string;
  readonly serialHex: string;
  readonly reason: string;
  readonly revokedAt: string;
  readonly invalidityDate?: string;
}

export interface CrlRecord {
  readonly caId: string;
  readonly crlNumber: string;
  readonly thisUpdate: string;
  readonly nextUpdate: string;
  readonly entries: number;
  readonly sha256: string;
  readonly file: string;
  /** Signed on a rehearsal token. */
  readonly virtual: boolean;
  /** The journal head right after the CRL was recorded, as SEQ:HASH: the journal must always reach it (custos journal verify --head). */
  readonly journalHead: string;
}

/** The key a request holds, as lists show it: RSA of any size parseCsrFile takes, or one of the three curves. */
export type RequestedKey = Exclude<PublicKeySpec, { readonly kind: 'other' }>;

export interface RequestRecord {
  readonly id: string;
  readonly fileName: string;
  /** The journal entry that holds the request's DER (covered by the journal's hash chain); read from the journal when needed. */
  readonly importSeq?: number;
  /** Where journals written before requests were kept in the journal put the request's file. */
  readonly file?: string;
  readonly subject: string;
  readonly importedAt: string;
  readonly signedSerial?: string;
  /** What the request asks for, as recorded at import (absent in entries written before it was recorded). */
  readonly asked?: { readonly keySpec: RequestedKey; readonly sans: readonly string[]; readonly requestedExtensions: readonly string[] };
}

/** Serials are compared as lower-case hex without leading zero octets (DER may pad one). */
export function normalizeSerial(hex: string): string {
  return hex.toLowerCase().replace(/^(00)+(?=[0-9a-f]{2})/, '');
}

const fromBase64 = (s: unknown): Uint8Array => new Uint8Array(Buffer.from(String(s), 'base64'));
const str = (v: unknown): string => String(v);

type IssuedFields = Omit<IssuedRecord, 'certDer'>;

// The record's fields, as IssuedRecord names them (declared by merging, not listed a second time).
interface IssuedInJournal extends IssuedFields {}

/** A certificate whose bytes stay in the journal entry that recorded it, read back each time they are asked for. */
class IssuedInJournal implements IssuedRecord {
  readonly #seq: number;
  readonly #read: EntryReader;
  /** The entry's field that holds the DER: `certificate` in a done entry, `result` in a recovered one. */
  readonly #field: 'certificate' | 'result';

  constructor(fields: IssuedFields, seq: number, read: EntryReader, field: 'certificate' | 'result' = 'certificate') {
    Object.assign(this, fields);
    this.#seq = seq;
    this.#read = read;
    this.#field = field;
  }

  get certDer(): Uint8Array {
    return fromBase64(this.#read(this.#seq).data[this.#field]);
  }
}

/** Reads one journal entry back from the file, by its seq. */
export type EntryReader = (seq: number) => JournalEntry;

// Distinct values kept for sharing: enough for every CA, profile and file name of a data directory.
const SHARED_VALUES = 4096;

export class CaState {
  readonly #readEntry: EntryReader | undefined;
  /**
   * Values that many records repeat (a CA's id and name, a profile, a file
   * name, a key type): each parsed journal line gives its own copy, so the
   * state keeps one and points every record at it.
   */
  readonly #sharedValues = new Map<string, unknown>();
  readonly cas = new Map<string, CaRecord>();
  /** caId → serial → certificate. */
  readonly issued = new Map<string, Map<string, IssuedRecord>>();
  /** caId → serials ever reserved by an intent, signed or not: never reused. */
  readonly reservedSerials = new Map<string, Set<string>>();
  /** caId → serial → revocation. */
  readonly revoked = new Map<string, Map<string, RevocationRecord>>();
  readonly crls = new Map<string, CrlRecord[]>();
  /** caId → the highest CRL number ever reserved. */
  readonly lastCrlNumber = new Map<string, bigint>();
  readonly requests = new Map<string, RequestRecord>();
  /** For the root intent: its serial reserved under the CA id it will get is unknown yet, so roots reserve globally. */
  readonly rootSerials = new Set<string>();
  /** Journal keys by the SHA-256 of their SubjectPublicKeyInfo. */
  readonly journalKeys = new Map<string, KnownJournalKey>();
  /**
   * Issue intents no done entry has closed, by seq: what a recovered result
   * was signed for. Kept past an abandoned entry, since the next open writes
   * the abandoned entry before the recovered one; only unfinished acts stay.
   */
  readonly #openIssues = new Map<number, Record<string, unknown>>();

  /**
   * readEntry, when given, lets a certificate's bytes stay in the journal:
   * each IssuedRecord reads them back when its certDer is asked for. Without
   * it they are held here.
   */
  constructor(readEntry?: EntryReader) {
    this.#readEntry = readEntry;
  }

  static fromEntries(entries: readonly JournalEntry[]): CaState {
    const state = new CaState();
    for (const e of entries) state.apply(e);
    return state;
  }

  #shared<T>(key: string, value: T): T {
    const known = this.#sharedValues.get(key);
    if (known !== undefined) return known as T;
    if (this.#sharedValues.size < SHARED_VALUES) this.#sharedValues.set(key, value);
    return value;
  }

  #sharedText(v: unknown): string {
    const text = str(v);
    return this.#shared(text, text);
  }

  isSerialUsed(caId: string | undefined, serialHex: string): boolean {
    const serial = normalizeSerial(serialHex);
    if (caId === undefined) return this.rootSerials.has(serial);
    return this.reservedSerials.get(caId)?.has(serial) ?? false;
  }

  apply(e: JournalEntry): void {
    const d = e.data as Record<string, unknown>;
    switch (e.kind) {
      case 'ca.root.intent':
        this.rootSerials.add(normalizeSerial(str(d.serialHex)));
        break;
      case 'certificate.issue.intent': {
        const set = this.reservedSerials.get(str(d.caId)) ?? new Set<string>();
        set.add(normalizeSerial(str(d.serialHex)));
        this.reservedSerials.set(str(d.caId), set);
        this.#openIssues.set(e.seq, d);
        break;
      }
      case 'ca.root.done':
      case 'certificate.issue.done':
        if (e.intent !== undefined) this.#openIssues.delete(e.intent);
        this.applyIssued(e, d);
        break;
      case 'certificate.issue.failed':
        if (e.intent !== undefined) this.#openIssues.delete(e.intent);
        break;
      case 'certificate.issue.recovered':
        this.applyRecoveredIssue(e, d);
        break;
      case 'certificate.revoke': {
        const map = this.revoked.get(str(d.caId)) ?? new Map<string, RevocationRecord>();
        map.set(normalizeSerial(str(d.serialHex)), {
          caId: str(d.caId), serialHex: normalizeSerial(str(d.serialHex)), reason: str(d.reason), revokedAt: str(d.revokedAt ?? e.time),
          ...(d.invalidityDate ? { invalidityDate: str(d.invalidityDate) } : {}),
        });
        this.revoked.set(str(d.caId), map);
        break;
      }
      case 'crl.issue.intent': {
        const n = BigInt(str(d.crlNumber));
        const last = this.lastCrlNumber.get(str(d.caId)) ?? 0n;
        if (n > last) this.lastCrlNumber.set(str(d.caId), n);
        break;
      }
      case 'crl.issue.done': {
        const list = this.crls.get(str(d.caId)) ?? [];
        list.push({
          caId: str(d.caId), crlNumber: str(d.crlNumber), thisUpdate: str(d.thisUpdate), nextUpdate: str(d.nextUpdate),
          entries: Number(d.entries), sha256: str(d.sha256), file: str(d.file), virtual: e.token?.virtual ?? false, journalHead: `${e.seq}:${e.hash}`,
        });
        this.crls.set(str(d.caId), list);
        break;
      }
      case 'request.import':
        this.requests.set(str(d.requestId), {
          id: str(d.requestId), fileName: this.#sharedText(d.fileName), subject: str(d.subject), importedAt: e.time,
          ...(typeof d.request === 'string' ? { importSeq: e.seq } : { file: str(d.file) }),
          ...(d.keySpec && Array.isArray(d.sans) && Array.isArray(d.requestedExtensions)
            ? {
              asked: {
                keySpec: this.#shared(`keySpec ${JSON.stringify(d.keySpec)}`, Object.freeze(d.keySpec as RequestedKey)),
                sans: d.sans.map(str),
                requestedExtensions: this.#shared(`extensions ${d.requestedExtensions.join(',')}`, Object.freeze(d.requestedExtensions.map(str))),
              },
            } : {}),
        });
        break;
      case 'journal.key':
        this.applyJournalKey(d);
        break;
      default:
        break;
    }
  }

  private applyJournalKey(d: Record<string, unknown>): void {
    const spkiSha256 = str(d.keySpkiSha256);
    const known = this.journalKeys.get(spkiSha256) ?? { spkiSha256, spki: fromBase64(d.spki), caIds: new Set<string>() };
    this.journalKeys.set(spkiSha256, known);
    for (const caId of Array.isArray(d.caIds) ? d.caIds.map(str) : []) this.#addJournalKey(caId, known);
  }

  #addJournalKey(caId: string, key: KnownJournalKey): void {
    key.caIds.add(caId);
    const ca = this.cas.get(caId);
    if (ca && !ca.journalKeys.some((k) => k.spkiSha256 === key.spkiSha256)) {
      this.cas.set(caId, { ...ca, journalKeys: [...ca.journalKeys, { spkiSha256: key.spkiSha256, spki: key.spki }] });
    }
  }

  /**
   * A certificate the token signed whose done entry a killed run never wrote:
   * the next open recorded the kept bytes. It is the CA's like any other (its
   * serial was reserved by the intent already), described from its own DER,
   * with what only the intent knew (profile, request) taken from the intent.
   */
  private applyRecoveredIssue(e: JournalEntry, d: Record<string, unknown>): void {
    const intent = e.intent === undefined ? undefined : this.#openIssues.get(e.intent);
    if (intent === undefined || typeof d.result !== 'string') return;
    this.#openIssues.delete(e.intent!);
    let described: ReturnType<typeof describeCertificate>;
    try {
      described = describeCertificate(fromBase64(d.result));
    } catch {
      return; // not a certificate: the journal's own note says what was kept
    }
    // The bytes must be the ones the intent reserved: same serial, else they are not this act's.
    if (normalizeSerial(described.serialHex) !== normalizeSerial(str(intent.serialHex))) return;
    const bc = described.extensions.find((x) => x.name === 'basicConstraints')?.value as { ca?: boolean } | undefined;
    const fields: IssuedFields = {
      caId: this.#sharedText(intent.caId), serialHex: normalizeSerial(described.serialHex), sha256: described.sha256,
      subject: described.subject.text, issuer: this.#sharedText(described.issuer.text),
      notBefore: described.validity.notBefore, notAfter: described.validity.notAfter,
      profileId: this.#sharedText(intent.profileId), isCa: bc?.ca === true, issuedAt: e.time, virtual: e.token?.virtual ?? false,
      ...(intent.requestId ? { requestId: this.requests.get(str(intent.requestId))?.id ?? str(intent.requestId) } : {}),
      recovered: true,
    };
    this.#addIssued(this.#readEntry ? new IssuedInJournal(fields, e.seq, this.#readEntry, 'result') : { ...fields, certDer: fromBase64(d.result) });
  }

  #addIssued(rec: IssuedRecord): void {
    const map = this.issued.get(rec.caId) ?? new Map<string, IssuedRecord>();
    map.set(rec.serialHex, rec);
    this.issued.set(rec.caId, map);
    if (rec.requestId) {
      const req = this.requests.get(rec.requestId);
      if (req) this.requests.set(rec.requestId, { ...req, signedSerial: rec.serialHex });
    }
  }

  private applyIssued(e: JournalEntry, d: Record<string, unknown>): void {
    const fields: IssuedFields = {
      caId: this.#sharedText(d.issuerCaId ?? d.caId), serialHex: normalizeSerial(str(d.serialHex)), sha256: str(d.sha256),
      subject: str(d.subject), issuer: this.#sharedText(d.issuer), notBefore: str(d.notBefore), notAfter: str(d.notAfter),
      profileId: this.#sharedText(d.profileId), isCa: d.isCa === true, issuedAt: e.time, virtual: e.token?.virtual ?? false,
      // The request's id as its record holds it, not a second copy.
      ...(d.requestId ? { requestId: this.requests.get(str(d.requestId))?.id ?? str(d.requestId) } : {}),
    };
    const rec: IssuedRecord = this.#readEntry ? new IssuedInJournal(fields, e.seq, this.#readEntry) : { ...fields, certDer: fromBase64(d.certificate) };
    this.#addIssued(rec);
    if (d.newCa && typeof d.newCa === 'object') {
      const ca = d.newCa as Record<string, unknown>;
      const kind = e.kind === 'ca.root.done' ? 'root' : 'subordinate';
      this.cas.set(rec.sha256, {
        // A CA's certificate is read for every certificate it signs: held here, not read back.
        id: rec.sha256, name: str(ca.name), certDer: fromBase64(d.certificate), subject: rec.subject, kind,
        ...(kind === 'subordinate' ? { issuerId: rec.caId } : {}),
        keySpkiSha256: str(ca.keySpkiSha256), keySpec: ca.keySpec as KeySpec,
        ...(kind === 'root' && e.token ? { token: e.token } : ca.token ? { token: ca.token as TokenRecord } : {}),
        notBefore: rec.notBefore, notAfter: rec.notAfter, journalKeys: [],
      });
      // A root names its journal key; a subordinate starts with its issuer's, whose token signed it and its checkpoint.
      const named = ca.journalKey && typeof ca.journalKey === 'object' ? this.journalKeys.get(str((ca.journalKey as Record<string, unknown>).keySpkiSha256)) : undefined;
      const inherited = kind === 'subordinate' ? (this.cas.get(rec.caId)?.journalKeys ?? []) : [];
      for (const k of [...(named ? [named] : []), ...inherited]) {
        const known = this.journalKeys.get(k.spkiSha256);
        if (known) this.#addJournalKey(rec.sha256, known);
      }
    }
  }
}
