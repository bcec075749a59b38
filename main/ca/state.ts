/**
 * What the CA knows, read back from the journal: its CAs, the certificates
 * each issued, serials ever reserved, revocations, CRL numbers and imported
 * requests. A pure projection: the same journal always gives the same state.
 * What only one act needs (a request's or certificate's bytes) is left in the
 * journal and read back from it when asked for, so a CA of millions of
 * certificates is not held in memory twice.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { JournalEntry } from '../journal/index.ts';
import type { KeySpec, TokenRecord } from '../hsm/token.ts';
import type { PublicKeySpec } from '../pki/x509/keys.ts';
import { describeCertificate, type CertificateDescription } from '../pki/x509/preview.ts';
import { readCertificate } from '../pki/x509/tbs-reader.ts';
import { parseCrl, verifyCrlSignatureBytes } from '../pki/x509/crl.ts';
import { signAlgorithmFor } from '../pki/x509/algorithms.ts';

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
  /**
   * Made from what the token signed just before a run ended, recorded at the
   * next open (`ca.root.recovered`, `certificate.issue.recovered`): no done
   * entry describes it, its own certificate and the act's intent do.
   */
  readonly recovered?: RecoveredCa;
}

export interface RecoveredCa {
  /** The journal entry that holds the certificate. */
  readonly seq: number;
  /**
   * Where its name came from: the intent (which names the new CA since
   * intents carry it), or, for an intent written before that, the
   * certificate's CN, else its serial.
   */
  readonly nameFrom: 'intent' | 'commonName' | 'serial';
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
  /** Where the CRL was stored; empty for a recovered CRL, whose bytes are its entry's (der). */
  readonly file: string;
  /** Signed on a rehearsal token. */
  readonly virtual: boolean;
  /** The journal head right after the CRL was recorded, as SEQ:HASH: the journal must always reach it (custos journal verify --head). */
  readonly journalHead: string;
  /**
   * Signed by the token just before a run ended, and recorded at the next
   * open (`crl.issue.recovered`, seq): its bytes are the journal's, since
   * the run may have ended before the file was written.
   */
  readonly recovered?: { readonly seq: number; readonly der: Uint8Array };
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
const record = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined);

/** The first CN of a subject as formatName writes it: a new CA's name when none is given. */
export function commonNameOf(subjectText: string): string | undefined {
  const m = /(?:^|,\s*)CN=((?:\\.|[^,])+)/.exec(subjectText);
  return m?.[1]?.replace(/\\(.)/g, '$1');
}

/** A token as journal entries name it: the same card or module token in every entry. */
const tokenKey = (t: TokenRecord): string => `${t.backend}:${t.serial}:${t.deviceKeySha256 ?? ''}`;

/** A recovered result checked against its intent: the certificate the intent was made for. */
interface RecoveredCertificate {
  readonly intent: Record<string, unknown>;
  readonly der: Uint8Array;
  readonly described: CertificateDescription;
  readonly isCa: boolean;
}

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
   * Root and issue intents no done or failed entry has closed, by seq: what a
   * recovered result was signed for. Kept past an abandoned entry, since the
   * next open writes the abandoned entry before the recovered one; only
   * unfinished acts stay.
   */
  readonly #openSignings = new Map<number, Record<string, unknown>>();
  /** CRL intents no done or failed entry has closed, by seq: what a recovered CRL was signed for. */
  readonly #openCrls = new Map<number, Record<string, unknown>>();
  /** The journal key last recorded on each token (tokenKey): the root's, for a root intent written before intents named it. */
  readonly #journalKeyOnToken = new Map<string, string>();

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
        this.#openSignings.set(e.seq, d);
        break;
      case 'certificate.issue.intent': {
        const set = this.reservedSerials.get(str(d.caId)) ?? new Set<string>();
        set.add(normalizeSerial(str(d.serialHex)));
        this.reservedSerials.set(str(d.caId), set);
        this.#openSignings.set(e.seq, d);
        break;
      }
      case 'ca.root.done':
      case 'certificate.issue.done':
        if (e.intent !== undefined) this.#openSignings.delete(e.intent);
        this.applyIssued(e, d);
        break;
      case 'ca.root.failed':
      case 'certificate.issue.failed':
        if (e.intent !== undefined) this.#openSignings.delete(e.intent);
        break;
      case 'ca.root.recovered':
        this.applyRecoveredRoot(e, d);
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
        this.#openCrls.set(e.seq, d);
        break;
      }
      case 'crl.issue.failed':
        if (e.intent !== undefined) this.#openCrls.delete(e.intent);
        break;
      case 'crl.issue.recovered':
        this.applyRecoveredCrl(e, d);
        break;
      case 'crl.issue.done': {
        if (e.intent !== undefined) this.#openCrls.delete(e.intent);
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
        this.applyJournalKey(e, d);
        break;
      default:
        break;
    }
  }

  private applyJournalKey(e: JournalEntry, d: Record<string, unknown>): void {
    const spkiSha256 = str(d.keySpkiSha256);
    const known = this.journalKeys.get(spkiSha256) ?? { spkiSha256, spki: fromBase64(d.spki), caIds: new Set<string>() };
    this.journalKeys.set(spkiSha256, known);
    if (e.token) this.#journalKeyOnToken.set(tokenKey(e.token), spkiSha256);
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
   * The certificate a recovered entry holds, if it is the one its intent was
   * made for: an intent still open, bytes that read as a certificate, the
   * serial the intent reserved, the TBS whose SHA-256 the intent recorded
   * (so exactly what was to be signed), and a signature that verifies under
   * the issuer's key (its own, for a root). Anything else is left to the
   * journal's own note of what was kept.
   */
  #recoveredCertificate(e: JournalEntry, d: Record<string, unknown>, issuerCertDer?: (intent: Record<string, unknown>) => Uint8Array | undefined): RecoveredCertificate | undefined {
    const intent = e.intent === undefined ? undefined : this.#openSignings.get(e.intent);
    if (intent === undefined || typeof d.result !== 'string') return undefined;
    this.#openSignings.delete(e.intent!);
    const der = fromBase64(d.result);
    let tbsDer: Uint8Array;
    let described: CertificateDescription;
    try {
      tbsDer = readCertificate(der).der;
      described = describeCertificate(der);
    } catch {
      return undefined; // not a certificate
    }
    if (normalizeSerial(described.serialHex) !== normalizeSerial(str(intent.serialHex))) return undefined;
    if (typeof intent.tbsSha256 === 'string' && createHash('sha256').update(tbsDer).digest('hex') !== intent.tbsSha256) return undefined;
    const issuer = issuerCertDer?.(intent);
    if (issuer !== undefined && !signedUnder(der, issuer)) return undefined;
    const bc = described.extensions.find((x) => x.name === 'basicConstraints')?.value as { ca?: boolean } | undefined;
    return { intent, der, described, isCa: bc?.ca === true };
  }

  /**
   * A certificate the token signed whose done entry a killed run never wrote:
   * the next open recorded the kept bytes. It is the CA's like any other (its
   * serial was reserved by the intent already), described from its own DER,
   * with what only the intent knew (profile, request) taken from the intent.
   * A CA certificate (a CA profile's) becomes a subordinate CA, as its done
   * entry would have made it.
   */
  private applyRecoveredIssue(e: JournalEntry, d: Record<string, unknown>): void {
    const found = this.#recoveredCertificate(e, d, (intent) => this.cas.get(str(intent.caId))?.certDer);
    if (found === undefined) return;
    const { intent, described } = found;
    const fields: IssuedFields = {
      caId: this.#sharedText(intent.caId), serialHex: normalizeSerial(described.serialHex), sha256: described.sha256,
      subject: described.subject.text, issuer: this.#sharedText(described.issuer.text),
      notBefore: described.validity.notBefore, notAfter: described.validity.notAfter,
      profileId: this.#sharedText(intent.profileId), isCa: found.isCa, issuedAt: e.time, virtual: e.token?.virtual ?? false,
      ...(intent.requestId ? { requestId: this.requests.get(str(intent.requestId))?.id ?? str(intent.requestId) } : {}),
      recovered: true,
    };
    const rec = this.#readEntry ? new IssuedInJournal(fields, e.seq, this.#readEntry, 'result') : { ...fields, certDer: found.der };
    this.#addIssued(rec);
    if (found.isCa) this.#addRecoveredCa(e, found, 'subordinate', rec.caId);
  }

  /**
   * A root the token signed whose done entry a killed run never wrote: the
   * CA its done entry would have made, from the kept certificate and the
   * intent (name, and the journal key recorded for it just before).
   */
  private applyRecoveredRoot(e: JournalEntry, d: Record<string, unknown>): void {
    // A root is signed by its own key: the certificate is its own issuer.
    const found = this.#recoveredCertificate(e, d, () => fromBase64(d.result));
    if (found === undefined || !found.isCa) return;
    const { described } = found;
    const caId = described.sha256;
    this.#addIssued({
      caId, serialHex: normalizeSerial(described.serialHex), sha256: caId, subject: described.subject.text, issuer: this.#sharedText(described.issuer.text),
      notBefore: described.validity.notBefore, notAfter: described.validity.notAfter, profileId: this.#sharedText(found.intent.profileId),
      isCa: true, issuedAt: e.time, virtual: e.token?.virtual ?? false, recovered: true, certDer: found.der,
    });
    this.#addRecoveredCa(e, found, 'root', caId);
  }

  /**
   * The CA a recovered certificate makes. Its name is the intent's; an
   * intent written before intents named the new CA gives none, and the CA
   * takes its certificate's CN, else its serial (the default issueOne
   * gives), passing over a name another CA has.
   */
  #addRecoveredCa(e: JournalEntry, { intent, der, described }: RecoveredCertificate, kind: CaRecord['kind'], issuerId: string): void {
    const spec = described.subjectPublicKey.spec;
    if (spec.kind === 'other') return; // no CA key a token could hold: the done entry would have made no CA either
    const newCa = record(intent.newCa);
    const taken = (name: string): boolean => [...this.cas.values()].some((c) => c.name === name);
    const named = kind === 'root' ? intent.name : newCa?.name;
    const candidates: [string | undefined, RecoveredCa['nameFrom']][] = [
      [typeof named === 'string' ? named : undefined, 'intent'],
      [commonNameOf(described.subject.text), 'commonName'],
      [normalizeSerial(described.serialHex), 'serial'],
    ];
    const [name, nameFrom] = (candidates.find(([n]) => n !== undefined && !taken(n)) ?? [`${normalizeSerial(described.serialHex)} #${e.seq}`, 'serial']) as [string, RecoveredCa['nameFrom']];
    const caId = described.sha256;
    const journalKey = kind !== 'root' ? undefined
      : typeof record(intent.journalKey)?.keySpkiSha256 === 'string' ? str(record(intent.journalKey)!.keySpkiSha256)
        : e.token ? this.#journalKeyOnToken.get(tokenKey(e.token)) : undefined;
    this.#addCa({
      id: caId, name, certDer: der, subject: described.subject.text, kind,
      ...(kind === 'subordinate' ? { issuerId } : {}),
      keySpkiSha256: described.subjectPublicKey.spkiSha256, keySpec: { ...spec } as KeySpec,
      ...(kind === 'root' && e.token ? { token: e.token } : {}),
      notBefore: described.validity.notBefore, notAfter: described.validity.notAfter, journalKeys: [],
      recovered: { seq: e.seq, nameFrom },
    }, journalKey);
  }

  /**
   * A CRL the token signed whose done entry a killed run never wrote: the
   * next open recorded the kept bytes. It joins the CA's CRLs, as its done
   * entry would have made it, only when it is the CRL its intent was made
   * for: an intent still open, bytes that read as a CRL of the intent's
   * number, the TBS whose SHA-256 the intent recorded, and a signature that
   * verifies under the CA's key. Anything else is left to the journal's own
   * note of what was kept.
   */
  private applyRecoveredCrl(e: JournalEntry, d: Record<string, unknown>): void {
    const intent = e.intent === undefined ? undefined : this.#openCrls.get(e.intent);
    if (intent === undefined || typeof d.result !== 'string') return;
    this.#openCrls.delete(e.intent!);
    const ca = this.cas.get(str(intent.caId));
    if (ca === undefined) return;
    const der = fromBase64(d.result);
    try {
      const crl = parseCrl(der, { maxEntries: 0 });
      if (crl.crlNumber?.toString() !== str(intent.crlNumber)) return;
      if (createHash('sha256').update(crl.tbsDer).digest('hex') !== str(intent.tbsSha256)) return;
      const spki = new X509Certificate(ca.certDer).publicKey.export({ type: 'spki', format: 'der' });
      if (!verifyCrlSignatureBytes(crl.tbsDer, crl.signature, spki, signAlgorithmFor(ca.keySpec))) return;
    } catch {
      return; // not a CRL, or not one this CA's key signed
    }
    const list = this.crls.get(ca.id) ?? [];
    list.push({
      caId: ca.id, crlNumber: str(intent.crlNumber), thisUpdate: str(intent.thisUpdate), nextUpdate: str(intent.nextUpdate),
      entries: Number(intent.entries), sha256: createHash('sha256').update(der).digest('hex'), file: '', virtual: e.token?.virtual ?? false,
      journalHead: `${e.seq}:${e.hash}`, recovered: { seq: e.seq, der },
    });
    this.crls.set(ca.id, list);
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
      this.#addCa({
        // A CA's certificate is read for every certificate it signs: held here, not read back.
        id: rec.sha256, name: str(ca.name), certDer: fromBase64(d.certificate), subject: rec.subject, kind,
        ...(kind === 'subordinate' ? { issuerId: rec.caId } : {}),
        keySpkiSha256: str(ca.keySpkiSha256), keySpec: ca.keySpec as KeySpec,
        ...(kind === 'root' && e.token ? { token: e.token } : ca.token ? { token: ca.token as TokenRecord } : {}),
        notBefore: rec.notBefore, notAfter: rec.notAfter, journalKeys: [],
      }, record(ca.journalKey) ? str(record(ca.journalKey)!.keySpkiSha256) : undefined);
    }
  }

  /**
   * Adds a CA with its journal keys: a root names its own; a subordinate
   * starts with its issuer's, whose token signed it and its checkpoint.
   */
  #addCa(ca: CaRecord, rootJournalKey: string | undefined): void {
    this.cas.set(ca.id, ca);
    const named = rootJournalKey === undefined ? undefined : this.journalKeys.get(rootJournalKey);
    const inherited = ca.kind === 'subordinate' && ca.issuerId !== undefined ? (this.cas.get(ca.issuerId)?.journalKeys ?? []) : [];
    for (const k of [...(named ? [named] : []), ...inherited]) {
      const known = this.journalKeys.get(k.spkiSha256);
      if (known) this.#addJournalKey(ca.id, known);
    }
  }
}

/** True when the certificate's signature verifies under the public key of issuerCertDer. */
function signedUnder(certDer: Uint8Array, issuerCertDer: Uint8Array): boolean {
  try {
    return new X509Certificate(certDer).verify(new X509Certificate(issuerCertDer).publicKey);
  } catch {
    return false;
  }
}
