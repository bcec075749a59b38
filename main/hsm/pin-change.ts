/**
 * Changing the user PIN and unblocking it with the SO-PIN: each attempt is
 * recorded (intent before, result or failure after, never a PIN), the PIN
 * state is read again after every attempt whatever its outcome, and a try
 * that is the last one left is spent only when the operator confirmed it.
 * A blocked SO-PIN cannot be reset by anyone: unblocking refuses before it
 * is tried, and the SO-PIN's final try needs its own confirmation.
 */
import { CustosError } from '../errors/index.ts';
import type { Journal } from '../journal/index.ts';
import type { Secret } from '../secret.ts';
import { tokenRecord, type PinState, type Token, type TokenInfo } from './token.ts';

export interface PinChangeOptions {
  /** Must be true to spend the last try of the PIN being checked (the user PIN, or for unblock the SO-PIN). */
  readonly confirmFinalTry?: boolean;
}

function unsupported(token: Token, what: string): CustosError {
  return new CustosError('MECHANISM_UNSUPPORTED', `${token.info.label} cannot ${what} through Custos: use its own administration tool.`, { tokenLabel: token.info.label });
}

function requireTryAllowed(state: PinState | undefined, which: 'PIN' | 'SO-PIN', options: PinChangeOptions, label: string): void {
  if (state === undefined) return;
  if (state.locked) {
    throw which === 'PIN'
      ? new CustosError('PIN_BLOCKED', `The user PIN of ${label} is blocked: unblock it with the SO-PIN (Tokens › Unblock PIN).`, { tokenLabel: label, triesLeft: 0 })
      : new CustosError('SO_PIN_BLOCKED', `The SO-PIN of ${label} is blocked, and a blocked SO-PIN cannot be reset: the token can only be initialized again, which erases its keys.`, { tokenLabel: label, triesLeft: 0 });
  }
  if ((state.finalTry || state.triesLeft === 1) && options.confirmFinalTry !== true) {
    throw new CustosError('PIN_FINAL_TRY', which === 'PIN'
      ? `One PIN try is left on ${label}: a wrong PIN now blocks it. Confirm to use the final try.`
      : `One SO-PIN try is left on ${label}: a wrong SO-PIN now blocks it for good (a blocked SO-PIN cannot be reset). Confirm to use the final try.`,
    { tokenLabel: label, triesLeft: 1, which });
  }
}

async function attempt(journal: Journal, token: Token, kind: string, act: () => Promise<void>, pins: readonly Secret[]): Promise<TokenInfo> {
  const intent = journal.begin(kind, { pinState: { ...token.info.pinState } }, tokenRecord(token.info));
  try {
    await journal.settle(intent, act);
  } finally {
    for (const p of pins) p.wipe();
    // Whatever happened, the chip shows the tries left now, not those before the attempt.
    await token.refresh().catch(() => undefined);
  }
  journal.complete(intent, { pinState: { ...token.info.pinState } });
  return token.info;
}

export async function changeUserPin(journal: Journal, token: Token, oldPin: Secret, newPin: Secret, options: PinChangeOptions = {}): Promise<TokenInfo> {
  if (!token.changePin) { oldPin.wipe(); newPin.wipe(); throw unsupported(token, 'change its PIN'); }
  const info = await token.refresh();
  requireTryAllowed(info.pinState, 'PIN', options, info.label);
  return attempt(journal, token, 'token.pin-change', () => token.changePin!(oldPin, newPin), [oldPin, newPin]);
}

export async function unblockUserPin(journal: Journal, token: Token, soPin: Secret, newPin: Secret, options: PinChangeOptions = {}): Promise<TokenInfo> {
  if (!token.unblockPin) { soPin.wipe(); newPin.wipe(); throw unsupported(token, 'unblock its PIN'); }
  const so = await token.soPinState?.();
  requireTryAllowed(so, 'SO-PIN', options, token.info.label);
  return attempt(journal, token, 'token.pin-unblock', () => token.unblockPin!(soPin, newPin), [soPin, newPin]);
}
