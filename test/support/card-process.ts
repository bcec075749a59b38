/**
 * A virtual SmartCard-HSM behind a private pcscd, in a process of its own
 * (test/integration/hsm/sc-hsm/pcscd-card-process.ts explains why), for tests
 * that speak to it through PC/SC. Sets PCSCLITE_CSOCK_NAME for this process:
 * pcsc-lite reads it once, before the first PC/SC call.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { VirtualCard } from '../../main/hsm/virtual/card.ts';
import { InProcessTransport } from '../../main/hsm/sc-hsm/inprocess-transport.ts';
import { ScHsmCard, type InitializeOptions } from '../../main/hsm/sc-hsm/card.ts';
import { Secret } from '../../main/secret.ts';
import { tokenInfo } from '../../main/rehearsal/tokens.ts';

/** PKCS#15 TokenInfo, where the label is. */
const EF_TOKEN_INFO = 0x2f03;
import type { CardProcessReady } from '../integration/hsm/sc-hsm/pcscd-card-process.ts';

export const TEST_SO_PIN = '3537363231383830';

export type CardProcessOp = 'reset' | 'stop-bridge' | 'pull-at-sign' | 'insert-again' | 'stop' | 'pull-more' | 'insert-more';

export interface CardProcess {
  readonly ready: CardProcessReady;
  /** Asks the card's process to act (reset the card, pull it out, stop) and waits until it has; card: which of the further cards ('pull-more', 'insert-more'). */
  act(op: CardProcessOp, card?: number): Promise<void>;
  /** Stops pcscd and the card's process. */
  stop(): Promise<void>;
}

/** A new virtual card in stateFile, initialised with the SO-PIN and the PIN given. */
export async function createInitializedCard(stateFile: string, pin: string, label?: string, init: Partial<Omit<InitializeOptions, 'soPin' | 'pin'>> = {}): Promise<void> {
  const vc = await VirtualCard.create(stateFile, label ? { label } : {});
  const card = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
  await card.initialize({ soPin: Secret.fromString(TEST_SO_PIN), pin: Secret.fromString(pin), ...init });
  await card.close();
  await vc.close();
}

/** A new virtual card initialised with PIN whose PKCS#15 TokenInfo carries label, the name Custos lists it by. */
export async function createLabelledCard(stateFile: string, pin: string, label: string): Promise<void> {
  const vc = await VirtualCard.create(stateFile, { label });
  const card = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
  await card.initialize({ soPin: Secret.fromString(TEST_SO_PIN), pin: Secret.fromString(pin) });
  await card.verifyPin(Secret.fromString(pin));
  await card.writeFile(EF_TOKEN_INFO, tokenInfo(label, vc.serial));
  await card.close();
  await vc.close();
}

/** secondStateFile: a second card in a second reader; 'stop-bridge' pulls the first. moreStateFiles (after a second): further cards, each in a reader of its own. */
export async function startCardProcess(stateFile: string, secondStateFile?: string, moreStateFiles: readonly string[] = []): Promise<CardProcess> {
  const child: ChildProcess = fork(fileURLToPath(new URL('../integration/hsm/sc-hsm/pcscd-card-process.ts', import.meta.url)),
    [stateFile, ...(secondStateFile ? [secondStateFile, ...moreStateFiles] : [])],
    { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const ready = await new Promise<CardProcessReady>((resolve, reject) => {
    child.once('message', (m) => resolve(m as CardProcessReady));
    child.once('exit', (c) => reject(new Error(`the card process ended with ${c}`)));
  });
  process.env['PCSCLITE_CSOCK_NAME'] = ready.socketPath;
  const act = async (op: CardProcessOp, card?: number): Promise<void> => {
    const done = new Promise<void>((resolve) => {
      const on = (m: { done?: string }): void => { if (m.done === op) { child.off('message', on); resolve(); } };
      child.on('message', on);
    });
    child.send({ op, ...(card !== undefined ? { card } : {}) });
    await done;
  };
  return {
    ready,
    act,
    stop: async () => {
      if (!child.connected) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await act('stop');
      await exited;
    },
  };
}
