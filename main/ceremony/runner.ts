/**
 * Running a ceremony: pre-flight, then `ceremony.begin`; one step at a time
 * (its act, then what it produced shown for reading aloud, then the
 * performer's and the witnesses' confirmation, then `ceremony.step`); and
 * `ceremony.end`, completed or abandoned by the operator. The runner keeps
 * nothing a crash could lose: which step is next, and whether a step's act
 * already signed, are read from the journal (ceremony-journal.ts), so a
 * ceremony killed between a signature and its step entry is resumed with
 * that step recorded from the journal and its act not run again.
 */
import { createHash } from 'node:crypto';
import { CustosError } from '../errors/index.ts';
import type { Custos } from '../custos.ts';
import type { EntryData, JournalEntry } from '../journal/index.ts';
import { journalHead } from '../ca/journal-anchor.ts';
import { normalizeSerial } from '../ca/state.ts';
import { parseScript, scriptError } from './load-script.ts';
import { preflight, type CeremonySetting } from './preflight.ts';
import { ceremoniesIn, interruptedCeremony, nextStepIndex, signedResultSince, type CeremonyInJournal } from './ceremony-journal.ts';
import {
  CEREMONY_BEGIN_KIND, CEREMONY_END_KIND, CEREMONY_STEP_KIND,
  type ArtifactRecord, type CeremonyBeginData, type CeremonyEndData, type CeremonyStepData, type Confirmation, type CustodianRecord,
} from './journal-entries.ts';
import { runAct, type CeremonyHands } from './step-acts.ts';
import type { Script, Step } from './script-schema.ts';

/** A script as read from its file: the parsed script and the SHA-256 of the bytes, which the journal binds the ceremony to. */
export interface LoadedCeremonyScript {
  readonly script: Script;
  readonly sha256: string;
  readonly source: string;
}

export function ceremonyScriptFromBytes(bytes: Uint8Array, source: string): LoadedCeremonyScript {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CustosError('CEREMONY_SCRIPT_MALFORMED', `${source}: the ceremony script is not UTF-8 text.`, { source, field: '(file)' });
  }
  const loaded = parseScript(text);
  if (!loaded.ok) throw scriptError(source, loaded.findings)!;
  return { script: loaded.script, sha256: createHash('sha256').update(bytes).digest('hex'), source };
}

/** A step's act done (or found done in the journal), waiting for the room's confirmation. */
export interface StepOutcome {
  readonly index: number;
  readonly step: Step;
  readonly artifacts: readonly ArtifactRecord[];
  readonly custodians?: readonly CustodianRecord[];
  readonly actSeqs: readonly number[];
  readonly shown: readonly string[];
  /** The act had signed before an interruption: recorded from the journal, not run again. */
  readonly fromJournal: boolean;
}

/** A name as a person gives it in the room; one that is empty or only spaces is no confirmation. */
function confirmation(name: string, role: Confirmation['role'], now: Date): Confirmation {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 200) throw new CustosError('CEREMONY_WITNESSES_MISSING', `A ${role}'s confirmation needs their name (1 to 200 characters).`, { role });
  return { name: trimmed, role, time: now.toISOString() };
}

/**
 * Test-only: kill this process right after a step's act, before its step entry (`<step id>`), or
 * inside the act, after the token signed and the result was kept, before the act's done entry
 * (`<step id>:before-done`). The crash resume must survive both without a second signature.
 */
const KILL_AFTER_ACT_ENV = 'CUSTOS_TEST_CEREMONY_KILL_AFTER';
const BEFORE_DONE = ':before-done';
const SIGNING_INTENTS = new Set(['ca.root.intent', 'certificate.issue.intent', 'crl.issue.intent']);

function killIfAsked(step: Step): void {
  if (process.env.NODE_ENV === 'test' && process.env[KILL_AFTER_ACT_ENV] === step.id) process.kill(process.pid, 'SIGKILL');
}

/** For the test-only hook's `:before-done`: the journal's complete() kills the process instead, once, for the step's act. */
function killBeforeDoneIfAsked(step: Step, core: Custos): () => void {
  if (process.env.NODE_ENV !== 'test' || process.env[KILL_AFTER_ACT_ENV] !== `${step.id}${BEFORE_DONE}`) return () => undefined;
  const journal = core.journal;
  const complete = journal.complete;
  journal.complete = (intent, data) => {
    if (SIGNING_INTENTS.has(intent.kind)) process.kill(process.pid, 'SIGKILL');
    return complete.call(journal, intent, data);
  };
  return () => { journal.complete = complete; };
}

export class CeremonyRunner {
  readonly core: Custos;
  readonly loaded: LoadedCeremonyScript;
  readonly setting: CeremonySetting;
  readonly id: string;
  #pending: StepOutcome | undefined;

  private constructor(core: Custos, loaded: LoadedCeremonyScript, setting: CeremonySetting, id: string) {
    this.core = core;
    this.loaded = loaded;
    this.setting = setting;
    this.id = id;
  }

  get script(): Script { return this.loaded.script; }

  /** The ceremony as the journal holds it now. */
  get record(): CeremonyInJournal {
    const found = ceremonyById(this.core, this.id);
    if (!found) throw new CustosError('CEREMONY_NOT_FOUND', `The ceremony ${this.id} is not in the journal.`, { ceremony: this.id });
    return found;
  }

  /** The index of the step to run next (script.steps.length when every step is recorded). */
  get nextIndex(): number {
    return nextStepIndex(this.record, this.script.steps.length);
  }

  get ended(): boolean {
    return this.record.end !== undefined;
  }

  /**
   * Pre-flight, then `ceremony.begin`. Refused while another ceremony is
   * begun and not ended (resume or abandon it first), and on any pre-flight
   * finding (CEREMONY_PREFLIGHT_FAILED, every finding in its details): then
   * nothing is written.
   */
  static async start(core: Custos, loaded: LoadedCeremonyScript, setting: CeremonySetting): Promise<CeremonyRunner> {
    const open = interruptedCeremony(core.journal.read());
    if (open) {
      throw new CustosError('CEREMONY_IN_PROGRESS', `The ceremony ${open.id} (${open.begin.scriptTitle}) was begun and never ended: resume it, or abandon it with a reason, before beginning another.`,
        { ceremony: open.id, scriptId: open.begin.scriptId });
    }
    const findings = await preflight(core, loaded.script, setting);
    const error = scriptError(loaded.source, findings);
    if (error) {
      throw new CustosError('CEREMONY_PREFLIGHT_FAILED', `The ceremony did not begin: ${findings.length} finding(s) before step one. ${error.message}`,
        { ...error.details, firstCode: error.code, codes: findings.map((f) => f.code), messages: findings.map((f) => f.message) });
    }
    const ctx = core.ctx;
    const hsm = setting.hsmTokenId === undefined ? undefined : (await core.tokens.list()).find((t) => t.id === setting.hsmTokenId);
    // The id names the script and the second it began; a ceremony begun in the same second as an earlier one of the journal takes the next free second.
    const taken = new Set(ceremoniesIn(core.journal.read()).map((c) => c.id));
    let at = ctx.now().getTime();
    const idAt = (ms: number): string => `${loaded.script.id}-${new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
    while (taken.has(idAt(at))) at += 1000;
    const id = idAt(at);
    const covered = ctx.anchors?.summary().coveredSeq ?? 0;
    const data: CeremonyBeginData = {
      ceremony: id, scriptId: loaded.script.id, scriptTitle: loaded.script.title, scriptVersion: loaded.script.version, scriptSha256: loaded.sha256,
      rehearsal: core.rehearsalOnly || hsm?.info.virtual === true,
      headBefore: journalHead(ctx),
      ...(covered > 0 ? { checkpointBefore: { seq: covered, hash: ctx.journal.entryAt(covered)!.hash } } : {}),
    };
    core.journal.append(CEREMONY_BEGIN_KIND, { ...data, ...settingData(setting, hsm?.info) }, { durable: true });
    return new CeremonyRunner(core, loaded, setting, id);
  }

  /**
   * The interrupted ceremony (begun, never ended), to go on with. The script
   * must be the very file it began with: CEREMONY_SCRIPT_CHANGED otherwise,
   * since the steps recorded so far were of that script.
   */
  static resume(core: Custos, loaded: LoadedCeremonyScript, setting: CeremonySetting): CeremonyRunner {
    const open = interruptedCeremony(core.journal.read());
    if (!open) throw new CustosError('CEREMONY_NOT_FOUND', 'No ceremony was begun and left unended: there is nothing to resume.', {});
    if (open.begin.scriptSha256 !== loaded.sha256) {
      throw new CustosError('CEREMONY_SCRIPT_CHANGED', `The ceremony ${open.id} began with a script whose SHA-256 is ${open.begin.scriptSha256}; ${loaded.source} is ${loaded.sha256}. Resume it with the script it began with.`,
        { ceremony: open.id, begun: open.begin.scriptSha256, given: loaded.sha256 });
    }
    return new CeremonyRunner(core, loaded, setting, open.id);
  }

  /**
   * Runs the next step's act, or, when the journal already holds what the
   * act signed (an interruption between the act and its step entry), takes
   * its result from the journal and runs nothing. The outcome waits for
   * confirm(); run again before confirm() gives the same outcome.
   */
  async runNext(hands: CeremonyHands): Promise<StepOutcome> {
    const record = this.record;
    if (record.end) throw new CustosError('CEREMONY_ENDED', `The ceremony ${this.id} has ended (${record.end.outcome}).`, { ceremony: this.id });
    const index = nextStepIndex(record, this.script.steps.length);
    if (index >= this.script.steps.length) throw new CustosError('CEREMONY_ENDED', 'Every step is recorded: end the ceremony.', { ceremony: this.id });
    if (this.#pending?.index === index) return this.#pending;
    const step = this.script.steps[index]!;
    const entries = this.core.journal.read(record.lastSeq);
    const caIdOf = (name: string): string | undefined => [...this.core.state.cas.values()].find((c) => c.name === name)?.id;
    const state = this.core.state;
    const found = signedResultSince(entries, record.lastSeq, step, caIdOf, {
      caRecoveredAt: (seq) => [...state.cas.values()].find((c) => c.recovered?.seq === seq),
      certificateRecovered: (caId, serialHex) => {
        const cert = state.issued.get(caId)?.get(normalizeSerial(serialHex));
        return cert?.recovered === true ? cert : undefined;
      },
      crlRecoveredAt: (caId, seq) => state.crls.get(caId)?.find((c) => c.recovered?.seq === seq),
    });
    if (found) {
      this.#pending = { index, step, artifacts: found.artifacts, actSeqs: found.actSeqs, fromJournal: true,
        shown: [`This step's act was done before the interruption (journal entry #${found.resultSeq}); it is recorded from the journal and not run again.`] };
      return this.#pending;
    }
    const earlier = record.steps.flatMap((s) => s.artifacts);
    const seqs: number[] = [];
    const stop = this.core.journal.onAppend((e) => { if (e.data['ceremony'] === undefined) seqs.push(e.seq); });
    const unhook = killBeforeDoneIfAsked(step, this.core);
    let outcome;
    try {
      outcome = await runAct(step, { core: this.core, ...placeOf(this.setting), earlier, sinceSeq: record.lastSeq, beginSeq: record.beginSeq }, hands);
    } finally {
      unhook();
      stop();
    }
    killIfAsked(step);
    this.#pending = { index, step, artifacts: outcome.artifacts, ...(outcome.custodians ? { custodians: outcome.custodians } : {}), actSeqs: seqs, shown: outcome.shown, fromJournal: false };
    return this.#pending;
  }

  /** The outcome of the step run and not yet confirmed, if any. */
  get pending(): StepOutcome | undefined {
    return this.#pending;
  }

  /**
   * The performer's and the witnesses' confirmation of the pending step
   * (each name and the time they confirmed), written as `ceremony.step`.
   * The step needs as many distinct witnesses as the script asks.
   */
  confirm(performer: string, witnesses: readonly string[]): JournalEntry {
    const outcome = this.#pending;
    if (!outcome || outcome.index !== this.nextIndex) throw new CustosError('CEREMONY_STEP_NOT_RUN', 'The step has not run yet: run it, look at what it produced, then confirm it.', { ceremony: this.id });
    const { step } = outcome;
    const now = this.core.ctx.now();
    const names = witnesses.map((w) => w.trim()).filter((w) => w.length > 0);
    if (new Set(names.map((n) => n.toLowerCase())).size < step.witnesses) {
      throw new CustosError('CEREMONY_WITNESSES_MISSING', `Step "${step.id}" needs ${step.witnesses} witnesses, each by their own name; ${new Set(names).size} were given.`, { step: step.id, needed: step.witnesses });
    }
    const data: CeremonyStepData = {
      ceremony: this.id, step: step.id, index: outcome.index,
      performer: confirmation(performer, step.performer, now),
      witnesses: names.map((n) => confirmation(n, 'witness', now)),
      artifacts: outcome.artifacts.map((a) => ({ ...a })),
      ...(outcome.custodians && outcome.custodians.length > 0 ? { custodians: outcome.custodians.map((c) => ({ ...c })) } : {}),
      actSeqs: [...outcome.actSeqs],
      ...(outcome.fromJournal ? { recordedFromJournal: true } : {}),
    };
    const entry = this.core.journal.append(CEREMONY_STEP_KIND, { ...data } as unknown as EntryData, { durable: true });
    this.#pending = undefined;
    return entry;
  }

  /** `ceremony.end`, completed: every step must be recorded. */
  complete(): JournalEntry {
    if (this.nextIndex < this.script.steps.length) {
      throw new CustosError('CEREMONY_STEP_NOT_RUN', `Step ${this.nextIndex + 1} of ${this.script.steps.length} is not recorded yet: the ceremony cannot be completed.`, { ceremony: this.id });
    }
    return this.#end('completed');
  }

  /** `ceremony.end`, abandoned: an explicit act of the operator, with the reason. */
  abandon(reason: string): JournalEntry {
    const why = reason.trim();
    if (why.length === 0) throw new CustosError('INPUT_INVALID', 'Say why the ceremony is abandoned: the reason goes into the journal and the transcript.', {});
    return this.#end('abandoned', why.slice(0, 1000));
  }

  #end(outcome: CeremonyEndData['outcome'], reason?: string): JournalEntry {
    const record = this.record;
    if (record.end) throw new CustosError('CEREMONY_ENDED', `The ceremony ${this.id} has ended already (${record.end.outcome}).`, { ceremony: this.id });
    return appendEnd(this.core, this.id, outcome, reason);
  }
}

function appendEnd(core: Custos, id: string, outcome: CeremonyEndData['outcome'], reason?: string): JournalEntry {
  const ctx = core.ctx;
  const covered = ctx.anchors?.summary().coveredSeq ?? 0;
  const data: CeremonyEndData = {
    ceremony: id, outcome, ...(reason !== undefined ? { reason } : {}),
    headAfter: journalHead(ctx),
    ...(covered > 0 ? { checkpointAfter: { seq: covered, hash: ctx.journal.entryAt(covered)!.hash } } : {}),
  };
  return core.journal.append(CEREMONY_END_KIND, { ...data }, { durable: true });
}

/** Abandons the interrupted ceremony without its script (the script may be lost, or wrong): the operator's reason is recorded. */
export function abandonInterrupted(core: Custos, reason: string): JournalEntry {
  const open = interruptedCeremony(core.journal.read());
  if (!open) throw new CustosError('CEREMONY_NOT_FOUND', 'No ceremony was begun and left unended: there is nothing to abandon.', {});
  const why = reason.trim();
  if (why.length === 0) throw new CustosError('INPUT_INVALID', 'Say why the ceremony is abandoned: the reason goes into the journal and the transcript.', {});
  return appendEnd(core, open.id, 'abandoned', why.slice(0, 1000));
}

function ceremonyById(core: Custos, id: string): CeremonyInJournal | undefined {
  return ceremoniesIn(core.journal.read()).find((c) => c.id === id);
}

function placeOf(setting: CeremonySetting): { hsmTokenId?: string; mediaDir?: string } {
  return { ...(setting.hsmTokenId !== undefined ? { hsmTokenId: setting.hsmTokenId } : {}), ...(setting.mediaDir !== undefined ? { mediaDir: setting.mediaDir } : {}) };
}

/** Where the ceremony ran, as optional fields of its begin entry (the HSM by label and serial, never a PIN). */
function settingData(setting: CeremonySetting, hsm: { label: string; serial: string; virtual: boolean } | undefined): Record<string, string | boolean> {
  return {
    ...(hsm ? { hsmLabel: hsm.label, hsmSerial: hsm.serial } : {}),
    ...(setting.mediaDir !== undefined ? { mediaDir: setting.mediaDir } : {}),
  };
}

