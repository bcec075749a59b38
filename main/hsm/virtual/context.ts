/** What every command handler of the virtual card works on. */
import type { CommandApdu } from './apdu.ts';
import { SW, fail } from './apdu.ts';
import type { Session } from './session.ts';
import type { CardState } from './state.ts';

export interface CardContext {
  readonly state: CardState;
  readonly session: Session;
  /** Writes the persistent state to the state file (atomically). */
  persist(): void;
}

/** Response data with 9000, or data with another SW (63Cx carries none, 9000/61xx may). */
export type Reply = Uint8Array | { readonly data: Uint8Array; readonly sw: number };

export type Handler = (ctx: CardContext, apdu: CommandApdu) => Reply | Promise<Reply>;

export const NO_DATA = new Uint8Array(0);

/** Public-key authentication reached its quorum in this session. */
export function hasPkaQuorum(ctx: CardContext): boolean {
  const pka = ctx.state.pka;
  return pka !== undefined && ctx.session.pkaAuthenticated.size >= pka.requiredKeys;
}

/**
 * The user is authenticated by the PIN, or by m-of-n public keys; with option
 * 0010 both are required (SC-HSM.md §8, pico-hsm's reading of the option).
 */
export function isUserAuthenticated(ctx: CardContext): boolean {
  if (!ctx.state.initialized) return false;
  const pin = ctx.session.userPinVerified;
  if (ctx.state.pka === undefined) return pin;
  return (ctx.state.options & 0x0010) !== 0 ? pin && hasPkaQuorum(ctx) : pin || hasPkaQuorum(ctx);
}

export function requireUser(ctx: CardContext): void {
  if (!isUserAuthenticated(ctx)) fail(SW.SECURITY_NOT_SATISFIED);
}

export function requireP1P2(apdu: CommandApdu, p1: number, p2: number): void {
  if (apdu.p1 !== p1 || apdu.p2 !== p2) fail(SW.INCORRECT_P1P2);
}
