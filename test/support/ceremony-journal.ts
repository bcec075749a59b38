/**
 * A ceremony in a real journal, as the runner leaves it, for the transcript's
 * tests until the runner (main/ceremony/runner.ts) lands and real runs replace
 * this: the rehearsal tokens (virtual SmartCard-HSMs) and the core's own acts
 * make the root and its first CRL, and the ceremony entries are appended
 * through the core's journal in exactly the shapes of journal-entries.ts,
 * following the shipped root-key-generation script step by step. The
 * custodians' records are stand-ins (no quorum is run here): a CHR and the
 * SHA-256 of a name, in the shape the runner will write.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Custos } from '../../main/custos.ts';
import { Secret } from '../../main/secret.ts';
import { REHEARSAL_PIN } from '../../main/rehearsal/tokens.ts';
import { createRoot } from '../../main/ca/root.ts';
import { issueCrl } from '../../main/ca/crl.ts';
import { CHECKPOINT_KIND, type JournalHead } from '../../main/journal/checkpoint.ts';
import { JOURNAL_FILE, type JournalEntry } from '../../main/journal/index.ts';
import {
  CEREMONY_BEGIN_KIND, CEREMONY_END_KIND, CEREMONY_STEP_KIND,
  type ArtifactRecord, type CeremonyBeginData, type CeremonyEndData, type CeremonyStepData, type Confirmation, type CustodianRecord,
} from '../../main/ceremony/journal-entries.ts';
import { parseScript } from '../../main/ceremony/load-script.ts';
import type { Script } from '../../main/ceremony/script-schema.ts';

export const ROOT_SCRIPT_PATH = join(import.meta.dirname, '../../resources/ceremonies/root-key-generation.json');

export const PEOPLE = {
  administrator: 'Ada Administrator',
  custodians: ['Carl Custodian', 'Cleo Custodian', 'Cyd Custodian'],
  witnesses: ['Wanda Witness', 'Walt Witness'],
} as const;

export interface CeremonyJournal {
  readonly custos: Custos;
  readonly ceremony: string;
  readonly dataDir: string;
  readonly journalPath: string;
  readonly scriptPath: string;
  readonly script: Script;
  /** The root the ceremony made, and its CRL. */
  readonly rootSha256: string;
  readonly crlSha256: string;
  readonly keySha256: string;
  close(): Promise<void>;
}

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

function headOf(custos: Custos): JournalHead {
  const seq = custos.journal.lastSeq;
  return { seq, hash: seq === 0 ? '0'.repeat(64) : custos.journal.entryAt(seq)!.hash };
}

function lastCheckpoint(custos: Custos): JournalHead | undefined {
  const cp = custos.journal.read().filter((e: JournalEntry) => e.kind === CHECKPOINT_KIND).at(-1);
  return cp ? { seq: Number(cp.data.headSeq), hash: String(cp.data.headHash) } : undefined;
}

/**
 * Runs the root-key-generation ceremony's acts on the rehearsal tokens of a
 * new data directory and journals its entries. stepsDone: how many steps get
 * their entry (all by default); ended: whether `ceremony.end` is written.
 */
export async function ceremonyJournal(dataDir: string, options: { ceremony?: string; stepsDone?: number; ended?: boolean; outcome?: 'completed' | 'abandoned' } = {}): Promise<CeremonyJournal> {
  const ceremony = options.ceremony ?? 'root-2026-12-07';
  const scriptBytes = readFileSync(ROOT_SCRIPT_PATH);
  const loaded = parseScript(scriptBytes.toString('utf8'));
  if (!loaded.ok) throw new Error('the shipped root-key-generation script does not parse');
  const script = loaded.script;
  const custos = await Custos.openRehearsal({ dataDir, operator: PEOPLE.administrator });
  const hsm = (await custos.tokens.list()).find((t) => t.info.label === 'Backup HSM')!;
  await custos.login(hsm.id, Secret.fromString(REHEARSAL_PIN));

  const begin: CeremonyBeginData = {
    ceremony, scriptId: script.id, scriptTitle: script.title, scriptVersion: script.version, scriptSha256: sha256(scriptBytes), rehearsal: true,
    headBefore: headOf(custos), ...(lastCheckpoint(custos) ? { checkpointBefore: lastCheckpoint(custos)! } : {}),
  };
  custos.journal.append(CEREMONY_BEGIN_KIND, { ...begin }, { durable: true });

  // Confirmations a little apart, as people give them, starting now (the acts' own entries carry the real time).
  let clock = Date.now();
  const at = () => new Date((clock += 1_000)).toISOString();
  const person = (name: string, role: Confirmation['role']): Confirmation => ({ name, role, time: at() });
  const custodians: CustodianRecord[] = PEOPLE.custodians.slice(0, 2).map((name, i) => ({ chr: `DECUSTOS0000${i + 1}`, keySha256: sha256(name) }));

  let rootSha256 = '';
  let crlSha256 = '';
  let keySha256 = '';
  const stepsDone = options.stepsDone ?? script.steps.length;
  for (const [index, step] of script.steps.entries()) {
    if (index >= stepsDone) break;
    const firstSeq = custos.journal.lastSeq + 1;
    const artifacts: ArtifactRecord[] = [];
    if (step.action.act === 'root.create') {
      const key = await custos.generateKey(hsm.id, { kind: 'ec', curve: 'P-384' }, 'example root');
      const root = await createRoot(custos.ctx, { tokenId: hsm.id, keySpkiSha256: key.spkiSha256, profileId: 'root-ca', subject: step.action.params.subject, name: step.action.params.ca });
      rootSha256 = root.id;
      keySha256 = key.spkiSha256;
      artifacts.push({ kind: 'key', name: 'example root (EC P-384)', sha256: key.spkiSha256 }, { kind: 'certificate', name: root.subject, sha256: root.id });
    } else if (step.action.act === 'crl.issue') {
      const crl = await issueCrl(custos.ctx, { caId: rootSha256, nextUpdateDays: step.action.params.days });
      crlSha256 = crl.record.sha256;
      artifacts.push({ kind: 'crl', name: `CRL #${crl.record.crlNumber}`, sha256: crl.record.sha256 });
    }
    const actSeqs = [];
    for (let seq = firstSeq; seq <= custos.journal.lastSeq; seq++) actSeqs.push(seq);
    const performerName = step.performer === 'administrator' ? PEOPLE.administrator : step.performer === 'custodian' ? PEOPLE.custodians[0] : PEOPLE.witnesses[0];
    const data: CeremonyStepData = {
      ceremony, step: step.id, index,
      performer: person(performerName, step.performer),
      witnesses: PEOPLE.witnesses.slice(0, step.witnesses).map((w) => person(w, 'witness')),
      artifacts, ...(step.quorum ? { custodians } : {}), actSeqs,
    };
    custos.journal.append(CEREMONY_STEP_KIND, JSON.parse(JSON.stringify(data)), { durable: true });
  }
  if (options.ended ?? true) {
    const end: CeremonyEndData = {
      ceremony, outcome: options.outcome ?? 'completed', ...(options.outcome === 'abandoned' ? { reason: 'the room was needed' } : {}),
      headAfter: headOf(custos), ...(lastCheckpoint(custos) ? { checkpointAfter: lastCheckpoint(custos)! } : {}),
    };
    custos.journal.append(CEREMONY_END_KIND, { ...end, headAfter: { ...end.headAfter }, ...(end.checkpointAfter ? { checkpointAfter: { ...end.checkpointAfter } } : {}) }, { durable: true });
  }
  return {
    custos, ceremony, dataDir, journalPath: join(dataDir, JOURNAL_FILE), scriptPath: ROOT_SCRIPT_PATH, script,
    rootSha256, crlSha256, keySha256,
    close: () => custos.close(),
  };
}
