/** The PINs a ceremony step's fields hold, as they go to ceremony.runStep: one per HSM, each final try only when ticked. */
import type { Output } from '../../../main/api/contract.ts';

type Token = Output<'token.list'>[number];

export interface TypedPin { readonly pin: string; readonly confirmFinalTry: boolean }

/** The PINs to send with the step: those typed, each with its final-try confirmation. */
export function pinsToSend(typed: Readonly<Record<string, TypedPin>>): { tokenId: string; pin: string; confirmFinalTry?: boolean }[] {
  return Object.entries(typed).filter(([, t]) => t.pin !== '').map(([tokenId, t]) => ({ tokenId, pin: t.pin, ...(t.confirmFinalTry ? { confirmFinalTry: true } : {}) }));
}

/** A PIN typed for a token on its final try, without the tick: the step is not run. */
export function finalTryUnconfirmed(typed: Readonly<Record<string, TypedPin>>, tokens: readonly Token[]): boolean {
  return Object.entries(typed).some(([id, t]) => t.pin !== '' && !t.confirmFinalTry && tokens.find((x) => x.id === id)?.pinState.finalTry === true);
}
