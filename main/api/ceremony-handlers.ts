/**
 * The ceremony channels of the contract (ceremony.*), registered by
 * handlers.ts. A ceremony under way is held here by its id between the
 * window's calls; what it has done is in the journal, so after a restart
 * ceremony.resume picks it up from there. PINs become Secrets here and go
 * only to the token they open.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustosError } from '../errors/index.ts';
import type { Custos } from '../custos.ts';
import { journalHeadText } from '../ca/journal-anchor.ts';
import { MAX_SCRIPT_BYTES } from '../ceremony/load-script.ts';
import { preflight, type CeremonySetting } from '../ceremony/preflight.ts';
import { actSigns } from '../ceremony/script-schema.ts';
import { ceremoniesIn, interruptedCeremony, type CeremonyInJournal } from '../ceremony/ceremony-journal.ts';
import { ceremonyScriptFromBytes, CeremonyRunner, type LoadedCeremonyScript } from '../ceremony/runner.ts';
import { tokenInRoom } from '../ceremony/preflight.ts';
import type { Step } from '../ceremony/script-schema.ts';
import { domainStatus, SHARES_FOLDER } from '../ca/key-domain.ts';
import { ActsHeld, shareFilesIn } from './ceremony-window-hands.ts';
import type { Handlers, Input, Output } from './contract.ts';

export const BUNDLED_CEREMONIES_DIR = fileURLToPath(new URL('../../resources/ceremonies/', import.meta.url));

type CeremonyChannels = Pick<Handlers, 'ceremony.scripts' | 'ceremony.status' | 'ceremony.preflight' | 'ceremony.start' | 'ceremony.resume'
  | 'ceremony.runStep' | 'ceremony.confirmStep' | 'ceremony.complete' | 'ceremony.abandon' | 'ceremony.shareStep'>;
type View = Output<'ceremony.start'>;

function scriptOf(ref: Input<'ceremony.start'>['script']): LoadedCeremonyScript {
  if ('bundled' in ref) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(join(BUNDLED_CEREMONIES_DIR, ref.bundled)));
    } catch {
      throw new CustosError('FILE_NOT_FOUND', `No shipped ceremony script ${ref.bundled}.`, { file: ref.bundled });
    }
    return ceremonyScriptFromBytes(bytes, ref.bundled);
  }
  const bytes = new Uint8Array(Buffer.from(ref.contentBase64, 'base64'));
  if (bytes.length > MAX_SCRIPT_BYTES) throw new CustosError('FILE_TOO_LARGE', `${ref.fileName} is ${bytes.length} bytes: not a ceremony script.`, { file: ref.fileName });
  return ceremonyScriptFromBytes(bytes, ref.fileName);
}

function listed(c: CeremonyInJournal): Output<'ceremony.status'>['ceremonies'][number] {
  return {
    id: c.id, scriptId: c.begin.scriptId, title: c.begin.scriptTitle, scriptSha256: c.begin.scriptSha256, rehearsal: c.begin.rehearsal,
    stepsRecorded: c.steps.length, state: c.end ? c.end.outcome : 'interrupted',
  };
}

/** The acts that log into the ceremony's HSM when it is not logged in yet (after the quorum, where it has one). */
const OPENS_CEREMONY_HSM = new Set(['quorum.auth', 'root.create', 'crl.issue', 'request.sign', 'bundle.create', 'key.backup']);

/** The HSM a step names besides the ceremony's (a secondary), if it is in the room. */
async function namedToken(runner: CeremonyRunner, name: string): Promise<{ tokenId: string; label: string } | undefined> {
  const token = await tokenInRoom(runner.core, name).catch(() => undefined);
  return token === undefined ? undefined : { tokenId: token.id, label: token.info.label };
}

/** The HSMs a step's act logs into, each of which gets its own PIN field on the screen. */
async function opensOf(runner: CeremonyRunner, step: Step, hsm: { tokenId: string; label: string } | undefined): Promise<{ tokenId: string; label: string }[]> {
  const { action } = step;
  if (OPENS_CEREMONY_HSM.has(action.act)) return hsm ? [hsm] : [];
  if (action.act === 'key.restore') {
    const target = action.params.token === undefined ? hsm : await namedToken(runner, action.params.token);
    return target ? [target] : [];
  }
  return [];
}

async function viewOf(runner: CeremonyRunner): Promise<View> {
  const hsmId = runner.setting.hsmTokenId;
  const hsmToken = hsmId === undefined ? undefined : (await runner.core.tokens.list()).find((t) => t.id === hsmId);
  const hsm = hsmToken === undefined ? undefined : { tokenId: hsmToken.id, label: hsmToken.info.label };
  const opens = await Promise.all(runner.script.steps.map((s) => opensOf(runner, s, hsm)));
  const record = runner.record;
  const begin = record.begin as typeof record.begin & { hsmLabel?: string };
  const pending = runner.pending;
  return {
    id: runner.id, scriptId: runner.script.id, title: runner.script.title, version: runner.script.version, scriptSha256: runner.loaded.sha256,
    rehearsal: record.begin.rehearsal, ...(begin.hsmLabel !== undefined ? { hsmLabel: begin.hsmLabel } : {}),
    steps: runner.script.steps.map((s, i) => ({
      id: s.id, performer: s.performer, instructions: s.instructions, checks: [...s.checks], quorum: s.quorum, witnesses: s.witnesses, act: s.action.act, signs: actSigns(s.action.act),
      opens: opens[i]!,
    })),
    recorded: record.steps.map((s) => ({
      index: s.index, step: s.step, performer: { ...s.performer }, witnesses: s.witnesses.map((w) => ({ ...w })), artifacts: s.artifacts.map((a) => ({ ...a })),
      custodians: (s.custodians ?? []).map((c) => ({ ...c })), seq: s.seq, fromJournal: s.recordedFromJournal === true,
    })),
    nextIndex: runner.nextIndex,
    ...(pending ? { pending: {
      index: pending.index, artifacts: pending.artifacts.map((a) => ({ ...a })), custodians: (pending.custodians ?? []).map((c) => ({ ...c })), shown: [...pending.shown], fromJournal: pending.fromJournal,
    } } : {}),
    ...(record.end ? { ended: { outcome: record.end.outcome, ...(record.end.reason !== undefined ? { reason: record.end.reason } : {}), seq: record.end.seq } } : {}),
    journalHead: journalHeadText(runner.core.ctx),
  };
}

export function ceremonyHandlers(custos: Custos, permitFolder: (directory: string | undefined) => Promise<{ directory?: string }>): CeremonyChannels {
  const running = new Map<string, CeremonyRunner>();
  const held = new ActsHeld();
  // Where a custodian's share file may be read from: the ceremony's medium (permitted when it began) and the data folder's shares.
  const shareFolders = (runner: CeremonyRunner): string[] => [...(runner.setting.mediaDir !== undefined ? [runner.setting.mediaDir] : []), join(custos.ctx.dataDir, SHARES_FOLDER)];
  const settingOf = async (input: Input<'ceremony.start'>): Promise<CeremonySetting> => {
    // The medium's folder must be one the window may write to: on a removable medium, or picked in the shell's dialog.
    const media = input.mediaDir === undefined ? {} : await permitFolder(input.mediaDir);
    return { ...(input.hsmTokenId !== undefined ? { hsmTokenId: input.hsmTokenId } : {}), ...(media.directory !== undefined ? { mediaDir: media.directory } : {}) };
  };
  const runnerOf = (id: string): CeremonyRunner => {
    const runner = running.get(id);
    if (runner) return runner;
    const open = interruptedCeremony(custos.journal.read());
    throw new CustosError('CEREMONY_NOT_FOUND', open?.id === id
      ? `The ceremony ${id} is interrupted: resume it with its script first.`
      : `No ceremony ${id} is under way in this window.`, { ceremony: id });
  };
  return {
    'ceremony.scripts': async () => readdirSync(BUNDLED_CEREMONIES_DIR).filter((f) => f.endsWith('.json')).sort().flatMap((file) => {
      try {
        const { script } = scriptOf({ bundled: file });
        return [{ file, id: script.id, title: script.title, version: script.version, steps: script.steps.length }];
      } catch {
        return [];
      }
    }),
    'ceremony.status': async () => {
      const all = ceremoniesIn(custos.journal.read());
      const open = all.filter((c) => c.end === undefined).at(-1);
      return { ceremonies: all.map(listed), ...(open ? { interrupted: listed(open) } : {}) };
    },
    'ceremony.preflight': async (input) => {
      const loaded = scriptOf(input.script);
      const findings = await preflight(custos, loaded.script, await settingOf(input));
      return { title: loaded.script.title, scriptId: loaded.script.id, scriptSha256: loaded.sha256, steps: loaded.script.steps.length, findings: findings.map((f) => ({ ...f })) };
    },
    'ceremony.start': async (input) => {
      const runner = await CeremonyRunner.start(custos, scriptOf(input.script), await settingOf(input));
      running.set(runner.id, runner);
      return await viewOf(runner);
    },
    'ceremony.resume': async (input) => {
      const runner = CeremonyRunner.resume(custos, scriptOf(input.script), await settingOf(input));
      held.release(runner.id, 'The ceremony was resumed: the step is run again from where the journal and the cards stand.');
      running.set(runner.id, runner);
      return await viewOf(runner);
    },
    'ceremony.runStep': async (input) => {
      const runner = runnerOf(input.ceremony);
      await held.runStep(runner, input, shareFolders(runner));
      return await viewOf(runner);
    },
    'ceremony.confirmStep': async ({ ceremony, performer, witnesses }) => {
      const runner = runnerOf(ceremony);
      runner.confirm(performer, witnesses);
      return await viewOf(runner);
    },
    'ceremony.complete': async ({ ceremony }) => {
      const runner = runnerOf(ceremony);
      runner.complete();
      return await viewOf(runner);
    },
    'ceremony.abandon': async ({ ceremony, reason }) => {
      const runner = runnerOf(ceremony);
      runner.abandon(reason);
      held.release(ceremony, 'The ceremony was abandoned: no further share is imported.');
      return await viewOf(runner);
    },
    'ceremony.shareStep': async ({ ceremony }) => {
      const runner = runnerOf(ceremony);
      const step = runner.script.steps[runner.nextIndex];
      if (step?.action.act !== 'dkek.import') throw new CustosError('CEREMONY_STEP_NOT_RUN', 'The next step of the ceremony imports no DKEK shares.', { ceremony });
      const hsmId = runner.setting.hsmTokenId;
      const name = step.action.params.token ?? hsmId;
      const token = name === undefined ? undefined : await tokenInRoom(custos, name);
      if (token === undefined) throw new CustosError('CEREMONY_TOKEN_MISSING', `The HSM "${name ?? 'of the ceremony'}" this step imports shares into is not present: insert it.`, { label: name ?? '' });
      // A secondary joins the ceremony HSM's domain: the screen shows the KCV its domain must come out with, as the act checks it.
      const primary = step.action.params.token !== undefined && hsmId !== undefined ? await domainStatus(custos.ctx, hsmId).catch(() => undefined) : undefined;
      return {
        token: { id: token.id, label: token.info.label, serial: token.info.serial, virtual: token.info.virtual },
        files: shareFilesIn(shareFolders(runner)),
        ...(primary?.complete && primary.kcv !== undefined ? { primaryKcv: primary.kcv } : {}),
      };
    },
  };
}
