/**
 * A ceremony as the journal holds it: begun, the steps recorded, ended or
 * not. Everything the runner knows about a ceremony after a crash comes from
 * here and nothing from memory, so a ceremony killed at any point resumes
 * at the first step without a `ceremony.step` entry, and a step whose act
 * left its result in the journal is recorded from that result rather than
 * run again (no second signature).
 */
import type { JournalEntry } from '../journal/index.ts';
import {
  CEREMONY_BEGIN_KIND, CEREMONY_END_KIND, CEREMONY_STEP_KIND,
  type ArtifactRecord, type CeremonyBeginData, type CeremonyEndData, type CeremonyStepData,
} from './journal-entries.ts';
import type { Step } from './script-schema.ts';

export interface CeremonyInJournal {
  readonly id: string;
  readonly beginSeq: number;
  readonly begin: CeremonyBeginData;
  readonly steps: readonly (CeremonyStepData & { readonly seq: number })[];
  readonly end?: CeremonyEndData & { readonly seq: number };
  /** The seq of its last entry (begin, or its last step): a step's act entries come after it. */
  readonly lastSeq: number;
}

const asData = <T>(e: JournalEntry): T => e.data as unknown as T;

/** Every ceremony the entries hold, in the order they were begun. */
export function ceremoniesIn(entries: readonly JournalEntry[]): CeremonyInJournal[] {
  const byId = new Map<string, { id: string; beginSeq: number; begin: CeremonyBeginData; steps: (CeremonyStepData & { seq: number })[]; end?: CeremonyEndData & { seq: number }; lastSeq: number }>();
  for (const e of entries) {
    const id = typeof e.data['ceremony'] === 'string' ? e.data['ceremony'] : undefined;
    if (id === undefined) continue;
    if (e.kind === CEREMONY_BEGIN_KIND && !byId.has(id)) {
      byId.set(id, { id, beginSeq: e.seq, begin: asData<CeremonyBeginData>(e), steps: [], lastSeq: e.seq });
      continue;
    }
    const c = byId.get(id);
    if (!c || c.end) continue;
    if (e.kind === CEREMONY_STEP_KIND) {
      c.steps.push({ ...asData<CeremonyStepData>(e), seq: e.seq });
      c.lastSeq = e.seq;
    } else if (e.kind === CEREMONY_END_KIND) {
      c.end = { ...asData<CeremonyEndData>(e), seq: e.seq };
      c.lastSeq = e.seq;
    }
  }
  return [...byId.values()];
}

/** The ceremony begun and never ended (a crash, a kill, a removed token), if any: the latest one. */
export function interruptedCeremony(entries: readonly JournalEntry[]): CeremonyInJournal | undefined {
  return ceremoniesIn(entries).filter((c) => c.end === undefined).at(-1);
}

/** The index of the first step of the script without a `ceremony.step` entry (steps.length when all are done). */
export function nextStepIndex(ceremony: CeremonyInJournal, stepCount: number): number {
  const done = new Set(ceremony.steps.map((s) => s.index));
  for (let i = 0; i < stepCount; i++) if (!done.has(i)) return i;
  return stepCount;
}

/** What an act left in the journal: the seqs of its entries and what it produced. */
export interface ActInJournal {
  readonly actSeqs: readonly number[];
  readonly artifacts: readonly ArtifactRecord[];
  /** Seq of the entry that carries the act's result. */
  readonly resultSeq: number;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** What the CA state made of results recorded at an open after an interruption (`ca.root.recovered`, `certificate.issue.recovered`, `crl.issue.recovered`). */
export interface RecoveredInState {
  /** The CA a `ca.root.recovered` entry (by its seq) made, if the state accepted its bytes. */
  caRecoveredAt(seq: number): { readonly id: string; readonly keySpkiSha256: string; readonly subject: string } | undefined;
  /** The recovered certificate of the CA under this serial, if the state accepted it. */
  certificateRecovered(caId: string, serialHex: string): { readonly sha256: string; readonly subject: string } | undefined;
  /** The CRL of the CA a `crl.issue.recovered` entry (by its seq) recorded, if the state accepted its bytes. */
  crlRecoveredAt(caId: string, seq: number): { readonly crlNumber: string; readonly sha256: string } | undefined;
}

/**
 * The result of the step's signing act, if the journal holds one after the
 * ceremony's last entry: a root made under the step's CA name, a certificate
 * or CRL of the step's CA, a bundle of it. `caIdOf` names the CA's id for a
 * step that names an existing CA. Undefined: the act has not signed, and may run.
 *
 * A run killed between the token's signature and its done entry leaves the
 * signed bytes to the next open, which records them as `<act>.recovered`
 * under the act's intent; `recovered` says what the CA state made of them
 * (only bytes it checked against the intent become a CA or a certificate),
 * and such a result is the step's as a done entry would be.
 */
export function signedResultSince(
  entries: readonly JournalEntry[], afterSeq: number, step: Step, caIdOf: (name: string) => string | undefined, recovered?: RecoveredInState,
): ActInJournal | undefined {
  const since = entries.filter((e) => e.seq > afterSeq && e.data['ceremony'] === undefined);
  const intentOf = (e: JournalEntry): JournalEntry | undefined => since.find((i) => i.seq === e.intent);
  const { action } = step;
  const found = ((): { entry: JournalEntry; artifacts: ArtifactRecord[] } | undefined => {
    switch (action.act) {
      case 'root.create': {
        const done = since.find((e) => e.kind === 'ca.root.done' && (e.data['newCa'] as { name?: unknown } | undefined)?.name === action.params.ca);
        if (!done) {
          const kept = since.find((e) => e.kind === 'ca.root.recovered' && intentOf(e)?.data['name'] === action.params.ca);
          const ca = kept && recovered?.caRecoveredAt(kept.seq);
          if (!kept || !ca) return undefined;
          return { entry: kept, artifacts: [
            { kind: 'key', name: `${action.params.ca} key`, sha256: ca.keySpkiSha256 },
            { kind: 'certificate', name: ca.subject, sha256: ca.id },
          ] };
        }
        const newCa = done.data['newCa'] as { keySpkiSha256?: unknown };
        return { entry: done, artifacts: [
          { kind: 'key', name: `${action.params.ca} key`, sha256: text(newCa.keySpkiSha256) },
          { kind: 'certificate', name: text(done.data['subject']), sha256: text(done.data['sha256']) },
        ] };
      }
      case 'request.sign': {
        const caId = caIdOf(action.params.ca);
        const done = since.find((e) => e.kind === 'certificate.issue.done' && e.data['caId'] === caId && e.data['profileId'] === action.params.profile);
        if (done) return { entry: done, artifacts: [{ kind: 'certificate', name: text(done.data['subject']), sha256: text(done.data['sha256']) }] };
        for (const kept of since.filter((e) => e.kind === 'certificate.issue.recovered')) {
          const intent = intentOf(kept);
          if (caId === undefined || intent?.data['caId'] !== caId || intent.data['profileId'] !== action.params.profile) continue;
          const cert = recovered?.certificateRecovered(caId, text(intent.data['serialHex']));
          if (cert) return { entry: kept, artifacts: [{ kind: 'certificate', name: cert.subject, sha256: cert.sha256 }] };
        }
        return undefined;
      }
      case 'crl.issue': {
        const caId = caIdOf(action.params.ca);
        const done = since.find((e) => e.kind === 'crl.issue.done' && e.data['caId'] === caId);
        if (done) return { entry: done, artifacts: [{ kind: 'crl', name: `${action.params.ca} CRL #${text(done.data['crlNumber'])}`, sha256: text(done.data['sha256']) }] };
        for (const kept of since.filter((e) => e.kind === 'crl.issue.recovered')) {
          const crl = caId === undefined || intentOf(kept)?.data['caId'] !== caId ? undefined : recovered?.crlRecoveredAt(caId, kept.seq);
          if (crl) return { entry: kept, artifacts: [{ kind: 'crl', name: `${action.params.ca} CRL #${crl.crlNumber}`, sha256: crl.sha256 }] };
        }
        return undefined;
      }
      case 'bundle.create': {
        const caId = caIdOf(action.params.ca);
        const done = since.find((e) => e.kind === 'bundle.write.done' && since.some((i) => i.seq === e.intent && i.data['caId'] === caId));
        if (!done) return undefined;
        const intent = since.find((i) => i.seq === done.intent)!;
        const files = (intent.data['files'] as { name?: unknown; sha256?: unknown }[] | undefined) ?? [];
        return { entry: done, artifacts: [
          { kind: 'bundle', name: 'manifest (custos-manifest.p7s)', sha256: text(done.data['manifestP7sSha256']), path: text(done.data['path']) },
          ...files.map((f) => ({ kind: 'file', name: text(f.name), sha256: text(f.sha256) })),
        ] };
      }
      default:
        return undefined;
    }
  })();
  if (!found) return undefined;
  // Every entry the act wrote lies between the ceremony's last entry and its result (its intent, logins, keys made for it).
  const actSeqs = since.filter((e) => e.seq <= found.entry.seq).map((e) => e.seq);
  return { actSeqs, artifacts: found.artifacts, resultSeq: found.entry.seq };
}
