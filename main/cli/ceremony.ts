/**
 * custos ceremony check|run|status|abandon. `check` reads a script against
 * the data directory at a desk, with no token. `run` runs it in the room:
 * the pre-flight with the tokens present, then one step at a time — the
 * step's instructions and checks, its act, the SHA-256 of what it made in
 * groups of four for reading aloud, and the performer's and witnesses'
 * names typed as they confirm. An interrupted ceremony is resumed by
 * running the same script again. `status` lists the ceremonies the journal
 * holds; `abandon` ends the interrupted one with a reason.
 */
import { resolve } from 'node:path';
import { CustosError, isCustosError } from '../errors/index.ts';
import { Custos } from '../custos.ts';
import { Secret } from '../secret.ts';
import { checkScriptInDataDir } from '../ceremony/check-script.ts';
import { loadScript, scriptError, MAX_SCRIPT_BYTES } from '../ceremony/load-script.ts';
import { readBoundedFile } from '../exchange/files.ts';
import { journalHeadText } from '../ca/journal-anchor.ts';
import { actSigns } from '../ceremony/script-schema.ts';
import { ceremoniesIn, interruptedCeremony } from '../ceremony/ceremony-journal.ts';
import { abandonInterrupted, ceremonyScriptFromBytes, CeremonyRunner, type StepOutcome } from '../ceremony/runner.ts';
import type { CeremonyHands } from '../ceremony/step-acts.ts';
import { secretFromSource } from './pin.ts';
import { RoomPrompt } from './ceremony-prompt.ts';
import { shown, type Output } from './output.ts';
import { type CliValues, list, need, str } from './values.ts';

export const CEREMONY_USAGE = `  custos ceremony check FILE                          check a ceremony script against the data directory, with no token
  custos ceremony run FILE --token HSM [--media DIR] [--custodian LABEL …] [--rehearsal] [--yes]
                                                     run it step by step with witnesses (pre-flight first); run it again to resume after an interruption
  custos ceremony status [--rehearsal]               the ceremonies the journal holds: begun, steps recorded, ended
  custos ceremony abandon --reason TEXT [--rehearsal]    end the interrupted ceremony, with the reason, without running its other steps
`;

type WithCore = <T>(values: CliValues, out: Output, act: (core: Custos, out: Output) => Promise<T>) => Promise<T>;

/** A SHA-256 in groups of four hex digits, as the room reads it aloud and compares it with the screen. */
export function readAloud(sha256: string): string {
  return sha256.match(/.{1,4}/g)?.join(' ') ?? sha256;
}

async function openCeremonyCore(values: CliValues): Promise<Custos> {
  const home = str(values.home);
  const options = { ...(home ? { dataDir: resolve(home) } : {}), ...(str(values.operator) ? { operator: str(values.operator)! } : {}) };
  return values.rehearsal === true ? Custos.openRehearsal(options)
    : Custos.open({ ...options, pkcs11Modules: list(values.module), rehearsalModules: list(values['rehearsal-module']) });
}

async function tokenIdByLabel(core: Custos, label: string, what: string): Promise<string> {
  const tokens = await core.tokens.list();
  const matches = tokens.filter((t) => t.id === label || t.info.label === label);
  if (matches.length === 0) throw new CustosError('TOKEN_NOT_FOUND', `No ${what} "${label}". Present: ${tokens.map((t) => `${t.info.label} (${t.id})`).join(', ') || 'none'}.`, { label });
  if (matches.length > 1) throw new CustosError('TOKEN_AMBIGUOUS', `${matches.length} tokens are labelled "${label}": name one by its id (${matches.map((t) => t.id).join(', ')}).`, { label });
  return matches[0]!.id;
}

function stepHeader(runner: CeremonyRunner, index: number): string {
  const step = runner.script.steps[index]!;
  return [
    `Step ${index + 1} of ${runner.script.steps.length}: ${shown(step.id)} — performed by the ${step.performer}${step.quorum ? '; needs the custodians\' quorum' : ''}; ${step.witnesses} witness${step.witnesses === 1 ? '' : 'es'} confirm`,
    `  ${shown(step.instructions)}`,
    '  Check:',
    ...step.checks.map((c) => `   - ${shown(c)}`),
  ].join('\n');
}

function outcomeText(outcome: StepOutcome): string {
  return [
    ...outcome.shown.map((l) => `  ${shown(l)}`),
    ...(outcome.artifacts.length ? ['  Read aloud (SHA-256):'] : []),
    ...outcome.artifacts.map((a) => `    ${shown(a.kind)} ${shown(a.name)}${a.path ? ` (${shown(a.path)})` : ''}\n      ${readAloud(a.sha256)}`),
    ...(outcome.custodians?.length ? ['  Custodians who authenticated for it:', ...outcome.custodians.map((c) => `    ${shown(c.chr)}  key ${readAloud(c.keySha256)}`)] : []),
  ].join('\n');
}

function handsFor(core: Custos, values: CliValues, prompt: RoomPrompt): CeremonyHands {
  const custodians = list(values.custodian);
  const pinFrom = (): Secret | undefined => secretFromSource({ env: str(values['pin-env']), file: str(values['pin-file']) }, { what: 'PIN', envOption: '--pin-env' });
  return {
    async hsmPin(label) {
      return pinFrom() ?? prompt.secret(`PIN for ${label}: `);
    },
    async custodian(hsmLabel, status) {
      process.stderr.write(`${hsmLabel}: ${status}\n`);
      const label = custodians.shift() ?? (await prompt.line('Custodian token (its label; empty when no one else comes forward): ')).trim();
      if (label === '') return undefined;
      const tokenId = await tokenIdByLabel(core, label, 'custodian token');
      return { tokenId, pin: pinFrom() ?? await prompt.secret(`PIN for ${label} (the custodian types it): `) };
    },
    async share(k, n) {
      const path = (await prompt.line(`DKEK share ${k} of ${n}: the share file's path: `)).trim();
      const password = secretFromSource({ env: str(values['password-env']), file: str(values['password-file']) }, { what: 'password', envOption: '--password-env' })
        ?? await prompt.secret(`Password of share ${k} (its custodian types it): `);
      return { path: resolve(path), password };
    },
  };
}

async function runCeremony(file: string, values: CliValues, out: Output): Promise<void> {
  const path = resolve(file);
  const loaded = ceremonyScriptFromBytes(await readBoundedFile(path, MAX_SCRIPT_BYTES), path);
  const core = await openCeremonyCore(values);
  const prompt = new RoomPrompt();
  // The room reads the steps, fingerprints and questions on the terminal, with --json too (which then only shapes the result on stdout).
  const say = (text: string): void => { process.stderr.write(`${text}\n`); };
  try {
    const hsmLabel = str(values.token);
    const media = str(values.media);
    // An HSM that is not present is the pre-flight's finding (CEREMONY_TOKEN_MISSING), reported with every other one.
    const hsmTokenId = hsmLabel === undefined ? undefined : await tokenIdByLabel(core, hsmLabel, 'HSM').catch((e: unknown) => {
      if (isCustosError(e) && e.code === 'TOKEN_NOT_FOUND') return hsmLabel;
      throw e;
    });
    const setting = { ...(hsmTokenId ? { hsmTokenId } : {}), ...(media ? { mediaDir: resolve(media) } : {}) };
    const open = interruptedCeremony(core.journal.read());
    let runner: CeremonyRunner;
    if (open) {
      runner = CeremonyRunner.resume(core, loaded, setting);
      say(`Resuming the ceremony ${runner.id} ("${shown(runner.script.title)}") at step ${runner.nextIndex + 1} of ${runner.script.steps.length}: ${open.steps.length} step(s) are recorded.`);
    } else {
      runner = await CeremonyRunner.start(core, loaded, setting).catch((e: unknown) => {
        if (isCustosError(e) && Array.isArray(e.details.messages)) for (const m of e.details.messages) say(`  ${shown(String(m))}`);
        throw e;
      });
      say(`Ceremony ${runner.id}: "${shown(runner.script.title)}" (version ${runner.script.version}), script SHA-256 ${readAloud(loaded.sha256)}`);
      say('Pre-flight: no findings. The ceremony has begun.');
    }
    if (core.rehearsalOnly) say('*** REHEARSAL: every token is VIRTUAL. Nothing made here is for production. ***');
    const hands = handsFor(core, values, prompt);
    while (runner.nextIndex < runner.script.steps.length) {
      const index = runner.nextIndex;
      const step = runner.script.steps[index]!;
      say(stepHeader(runner, index));
      if (actSigns(step.action.act) && values.yes !== true) {
        const go = (await prompt.line('This step signs with a key on the HSM. Run it? [y/N] ')).trim();
        if (!/^y(es)?$/i.test(go)) throw new CustosError('CANCELLED', `Step "${step.id}" was not run; nothing was signed. Run the ceremony again to resume here.`, { step: step.id });
      }
      const outcome = await runner.runNext(hands);
      say(outcomeText(outcome));
      const performer = await prompt.line(`Performer (${step.performer}), your name: `);
      const witnesses: string[] = [];
      for (let w = 1; w <= step.witnesses; w++) witnesses.push(await prompt.line(`Witness ${w} of ${step.witnesses}, your name: `));
      const entry = runner.confirm(performer, witnesses);
      say(`  Step ${index + 1} recorded: journal entry #${entry.seq}.`);
    }
    const end = runner.complete();
    const head = journalHeadText(core.ctx);
    out.result({ ceremony: runner.id, scriptId: runner.script.id, steps: runner.script.steps.length, rehearsal: core.rehearsalOnly, endSeq: end.seq, journalHead: head },
      () => `Ceremony ${runner.id} completed: ${runner.script.steps.length} steps recorded.\njournal head ${head}`);
  } finally {
    prompt.close();
    await core.close();
  }
}

async function ceremonyStatus(values: CliValues, out: Output): Promise<void> {
  const core = await openCeremonyCore(values);
  try {
    const list = ceremoniesIn(core.journal.read()).map((c) => ({
      ceremony: c.id, scriptId: c.begin.scriptId, title: c.begin.scriptTitle, scriptSha256: c.begin.scriptSha256, rehearsal: c.begin.rehearsal,
      beginSeq: c.beginSeq, stepsRecorded: c.steps.map((s) => s.step), state: c.end ? c.end.outcome : 'interrupted',
      ...(c.end?.reason ? { reason: c.end.reason } : {}),
    }));
    out.result(list, () => list.map((c) => `${shown(c.ceremony)}  ${c.state === 'interrupted' ? 'BEGUN, NOT ENDED (run the script again to resume)' : c.state}${c.rehearsal ? '  [REHEARSAL]' : ''}\n  ${shown(c.title)}: ${c.stepsRecorded.length} step(s) recorded (${c.stepsRecorded.map(shown).join(', ') || 'none'})${c.reason ? `\n  reason: ${shown(c.reason)}` : ''}`).join('\n') || 'No ceremonies in the journal.');
  } finally {
    await core.close();
  }
}

export async function ceremonyCommand(sub: string | undefined, positionals: readonly string[], values: CliValues, out: Output, withCore: WithCore): Promise<void> {
  if (sub === 'status') return ceremonyStatus(values, out);
  if (sub === 'abandon') {
    const reason = need(values, 'reason', 'why the ceremony is abandoned (it goes into the journal and the transcript)');
    const core = await openCeremonyCore(values);
    try {
      const entry = abandonInterrupted(core, reason);
      out.result({ ceremony: entry.data['ceremony'], endSeq: entry.seq, journalHead: journalHeadText(core.ctx) }, () => `Ceremony ${String(entry.data['ceremony'])} abandoned: ${shown(reason)}\njournal head ${journalHeadText(core.ctx)}`);
    } finally {
      await core.close();
    }
    return;
  }
  if (sub !== 'check' && sub !== 'run') throw new CustosError('INPUT_INVALID', `Unknown command "ceremony ${sub ?? ''}": use ceremony check|run FILE, ceremony status or ceremony abandon.`, {});
  const file = positionals[2];
  if (!file) throw new CustosError('INPUT_INVALID', `Give the script: custos ceremony ${sub} FILE.`, {});
  if (sub === 'run') return runCeremony(file, values, out);
  const path = resolve(file);
  const script = await loadScript(path);
  return withCore(values, out, async (core, out) => {
    const findings = checkScriptInDataDir(script, core.ctx);
    const error = scriptError(path, findings);
    if (error) {
      for (const f of findings) out.note(`  ${f.code}: ${f.message}`);
      throw error;
    }
    out.result({ id: script.id, version: script.version, title: script.title, steps: script.steps.length, findings: [] },
      () => `Ceremony "${shown(script.title)}" (${shown(script.id)}, version ${script.version}): ${script.steps.length} steps, no findings.`);
  });
}
