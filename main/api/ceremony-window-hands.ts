/**
 * The window's hands in a ceremony step (what step-acts.ts asks of the
 * people in the room): the PIN of each HSM the step opens and the
 * custodians sent with ceremony.runStep, and, for a DKEK import, the
 * custodians' shares, one share per call.
 *
 * A dkek.import act asks for share after share until the domain is
 * complete, as `custos ceremony run` asks on the terminal. The window sends
 * one share per call, so the act is held open between calls, waiting for the
 * next share (ActsHeld): all its journal entries stay the step's, and the
 * custodian after the first sees the card's count move before typing. A
 * wrong password ends the act with its code and imports nothing; the step is
 * run again from the card's count, so nothing is counted twice.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { CustosError } from '../errors/index.ts';
import { Secret } from '../secret.ts';
import { passwordFromShares } from '../ca/key-domain.ts';
import type { CeremonyRunner } from '../ceremony/runner.ts';
import type { CeremonyHands, HandedShare } from '../ceremony/step-acts.ts';
import type { Input, Output } from './contract.ts';

type RunStepInput = Input<'ceremony.runStep'>;
type ShareInput = NonNullable<RunStepInput['share']>;
type ShareFile = Output<'ceremony.shareStep'>['files'][number];

/** The DKEK share files a custodian may choose: the regular .pbe files right in these folders (the ceremony's medium, the data directory's shares folder). */
export function shareFilesIn(folders: readonly string[]): ShareFile[] {
  return folders.flatMap((folder) => {
    let names: string[];
    try { names = readdirSync(folder).sort(); } catch { return []; }
    return names.filter((n) => /\.pbe$/i.test(n)).flatMap((fileName) => {
      const path = join(folder, fileName);
      try {
        const info = lstatSync(path);
        return info.isFile() ? [{ path, fileName, kind: 'share' as const, bytes: info.size }] : [];
      } catch {
        return [];
      }
    });
  });
}

/**
 * A share file named by path is read only where the step lists share files:
 * directly in one of those folders, and not through a symbolic link. Any
 * other path is PATH_NOT_PERMITTED, decided before the file is read.
 */
function permittedSharePath(path: string, folders: readonly string[]): string {
  const absolute = isAbsolute(path) ? resolve(path) : undefined;
  const listed = absolute !== undefined && folders.some((f) => resolve(f) === dirname(absolute)) && (() => {
    try { return lstatSync(absolute).isFile(); } catch { return false; }
  })();
  if (!listed) {
    throw new CustosError('PATH_NOT_PERMITTED', `A share file is read from the ceremony's medium or the data folder's shares, or chosen with "Choose a share file…"; ${path.slice(0, 300)} is neither.`, { path: path.slice(0, 300) });
  }
  return absolute!;
}

/** The share as the act takes it; the password becomes a Secret only once everything else about the share has been accepted. */
export function handedShare(input: ShareInput, folders: readonly string[]): HandedShare {
  if ((input.password === undefined) === (input.passwordShares === undefined)) {
    throw new CustosError('INPUT_INVALID', 'Open the share file with its password, or with its password shares and prime: one of the two.', {});
  }
  const file = 'path' in input.file
    ? { path: permittedSharePath(input.file.path, folders) }
    : { fileName: basename(input.file.fileName), file: new Uint8Array(Buffer.from(input.file.contentBase64, 'base64')) };
  const password = input.password !== undefined ? Secret.fromString(input.password) : passwordFromShares(input.passwordShares!.prime, input.passwordShares!.shares);
  return { ...file, password, ...(input.expectedShareKcv !== undefined ? { expectedShareKcv: input.expectedShareKcv } : {}) };
}

/** Where the window hands a dkek.import act its shares: one waits here for the act, or the act waits here for the next one. */
class ShareDesk {
  #given: HandedShare[] = [];
  #waiting: { resolve: (s: HandedShare) => void; reject: (e: unknown) => void } | undefined;
  #onAsk: (() => void) | undefined;
  /** The share the act waits for, while it waits. */
  asking: { k: number; n: number } | undefined;

  give(share: HandedShare): void {
    const waiting = this.#waiting;
    if (waiting === undefined) { this.#given.push(share); return; }
    this.#waiting = undefined;
    this.asking = undefined;
    waiting.resolve(share);
  }

  take(k: number, n: number): Promise<HandedShare> {
    const next = this.#given.shift();
    if (next !== undefined) return Promise.resolve(next);
    this.asking = { k, n };
    return new Promise<HandedShare>((resolve, reject) => {
      this.#waiting = { resolve, reject };
      const onAsk = this.#onAsk;
      this.#onAsk = undefined;
      onAsk?.();
    });
  }

  /** Settles when the act next asks for a share. */
  nextAsk(): Promise<void> {
    return new Promise<void>((resolve) => { this.#onAsk = resolve; });
  }

  /** The act is ended (abandoned, resumed elsewhere, or done): a waiting act fails with the reason, and shares not taken are wiped. */
  close(reason: CustosError): void {
    this.#waiting?.reject(reason);
    this.#waiting = undefined;
    this.asking = undefined;
    for (const s of this.#given) s.password.wipe();
    this.#given = [];
  }
}

/** The window's hands for one run of a step's act: the PINs and custodians of the call that started it, and its share desk. */
function windowHands(input: RunStepInput, hsmTokenId: string | undefined, desk: ShareDesk): CeremonyHands {
  const custodians = [...(input.custodians ?? [])];
  const pins = input.pins ?? [];
  return {
    async hsmPin(label, tokenId) {
      const typed = pins.find((p) => p.tokenId === tokenId)?.pin ?? (tokenId === hsmTokenId ? input.pin : undefined);
      if (typed === undefined) throw new CustosError('PIN_REQUIRED', `${label} is not logged in: type its PIN and run the step again.`, { tokenId });
      return Secret.fromString(typed);
    },
    confirmsFinalTry(tokenId) {
      return pins.find((p) => p.tokenId === tokenId)?.confirmFinalTry === true;
    },
    async custodian() {
      const next = custodians.shift();
      return next === undefined ? undefined : { tokenId: next.tokenId, pin: Secret.fromString(next.pin) };
    },
    share(k, n) {
      return desk.take(k, n);
    },
  };
}

interface HeldAct {
  readonly runner: CeremonyRunner;
  readonly desk: ShareDesk;
  readonly settled: Promise<unknown>;
}

/** The acts held open between the window's calls, one per ceremony at most. */
export class ActsHeld {
  readonly #held = new Map<string, HeldAct>();

  /**
   * Runs the runner's next step with what the window sent, or hands the act
   * held open for this ceremony its next share. Returns once the act is done
   * (its outcome waits for the room's confirmation) or asks for another
   * share; an act that fails throws its error, and nothing is held then.
   */
  async runStep(runner: CeremonyRunner, input: RunStepInput, shareFolders: readonly string[]): Promise<void> {
    let held = this.#held.get(runner.id);
    if (held !== undefined && held.runner !== runner) {
      this.release(runner.id, 'The ceremony was opened again in this window.');
      held = undefined;
    }
    if (held !== undefined) {
      // The act is at work on a share (a second click, a second window): one share at a time, or an answer would be lost.
      if (held.desk.asking === undefined) throw new CustosError('OPERATION_IN_PROGRESS', 'The step is importing a share now: wait for it to finish, then hand over the next.', {});
      if (input.share === undefined) {
        const asking = held.desk.asking;
        throw new CustosError('CEREMONY_SHARE_NEEDED', `The step waits for DKEK share ${asking?.k ?? '?'} of ${asking?.n ?? '?'}: its custodian chooses their share file and types its password.`, { ...(asking ?? {}) });
      }
      const asked = held.desk.nextAsk();
      held.desk.give(handedShare(input.share, shareFolders));
      await Promise.race([asked, held.settled]);
      return;
    }
    const desk = new ShareDesk();
    if (input.share !== undefined) desk.give(handedShare(input.share, shareFolders));
    const asked = desk.nextAsk();
    const settled = runner.runNext(windowHands(input, runner.setting.hsmTokenId, desk));
    const act: HeldAct = { runner, desk, settled };
    this.#held.set(runner.id, act);
    const done = (): void => {
      if (this.#held.get(runner.id) === act) this.#held.delete(runner.id);
      desk.close(new CustosError('CEREMONY_ENDED', 'The step\'s act has ended.', {}));
    };
    settled.then(done, done);
    await Promise.race([asked, settled]);
  }

  /** Ends the act held for this ceremony, if any (abandoned, or resumed anew): it fails with CEREMONY_ENDED and imports nothing more. */
  release(ceremony: string, why: string): void {
    const held = this.#held.get(ceremony);
    if (held === undefined) return;
    this.#held.delete(ceremony);
    held.desk.close(new CustosError('CEREMONY_ENDED', why, { ceremony }));
  }
}
