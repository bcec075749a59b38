/**
 * The only place that turns a PKCS#11 return value (CKR_*) into a Custos error
 * code. It reads the number pkcs11js puts on its error object, never the message
 * text, and every message says what the person can do next.
 */
import { CustosError, type ErrorCode, type ErrorDetails } from '../../errors/index.ts';
import type { PinState } from '../token.ts';
import { CK } from './api.ts';
import { describePinState } from './token-flags.ts';

const CKR_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(CK)
    .filter((entry): entry is [string, number] => entry[0].startsWith('CKR_') && typeof entry[1] === 'number')
    .map(([name, value]) => [value, name] as const),
);

/** The spec name of a return value, e.g. 0xA0 → CKR_PIN_INCORRECT. */
export function ckrName(value: number | undefined): string {
  if (value === undefined) return 'unknown';
  return CKR_NAMES.get(value) ?? `CKR_0x${value.toString(16).toUpperCase()}`;
}

/** The CK_RV carried by a pkcs11js Pkcs11Error, or undefined for anything else. */
export function ckrValueOf(e: unknown): number | undefined {
  if (e instanceof CK.Pkcs11Error) return e.code;
  if (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'Pkcs11Error') {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}

export function isCkr(e: unknown, value: number): boolean {
  return ckrValueOf(e) === value;
}

interface Mapping {
  readonly code: ErrorCode;
  readonly message: string;
}

const MAPPINGS: ReadonlyMap<number, Mapping> = new Map<number, Mapping>([
  [CK.CKR_PIN_INCORRECT, { code: 'PIN_INCORRECT', message: 'The PIN is wrong. Check it and try again.' }],
  [CK.CKR_PIN_LOCKED, { code: 'PIN_BLOCKED', message: 'The user PIN is blocked. Unblock it with the SO PIN (Tokens › Unblock) before using this token.' }],
  [CK.CKR_PIN_LEN_RANGE, { code: 'PIN_INVALID', message: 'The token does not accept a PIN of this length. Enter the PIN with the length the token requires.' }],
  [CK.CKR_PIN_INVALID, { code: 'PIN_INVALID', message: 'The token does not accept these PIN characters. Enter the PIN exactly as it was set.' }],
  [CK.CKR_PIN_EXPIRED, { code: 'PIN_EXPIRED', message: 'The user PIN has expired. Change it (Tokens › Change PIN), then log in again.' }],
  [CK.CKR_USER_NOT_LOGGED_IN, { code: 'NOT_LOGGED_IN', message: 'The token needs the user PIN for this. Log in, then try again.' }],
  [CK.CKR_USER_ALREADY_LOGGED_IN, { code: 'ALREADY_LOGGED_IN', message: 'This token is already logged in. Continue, or log out first to log in again.' }],
  [CK.CKR_TOKEN_NOT_PRESENT, { code: 'TOKEN_REMOVED', message: 'The token is not present. Insert it and open it again.' }],
  [CK.CKR_DEVICE_REMOVED, { code: 'TOKEN_REMOVED', message: 'The token was removed. Insert it again and reopen it; log in again afterwards.' }],
  [CK.CKR_SESSION_HANDLE_INVALID, { code: 'TOKEN_REMOVED', message: 'The session with the token has ended (was it removed?). Reopen the token and log in again.' }],
  [CK.CKR_SESSION_CLOSED, { code: 'TOKEN_REMOVED', message: 'The session with the token was closed. Reopen the token and log in again.' }],
  [CK.CKR_MECHANISM_INVALID, { code: 'MECHANISM_UNSUPPORTED', message: 'The token does not support this mechanism. Choose another algorithm or key type.' }],
  [CK.CKR_TOKEN_WRITE_PROTECTED, { code: 'TOKEN_WRITE_PROTECTED', message: 'The token is write-protected. Use a token that allows new keys, or remove its write protection.' }],
  [CK.CKR_DEVICE_ERROR, { code: 'DEVICE_ERROR', message: 'The token reported a device error. Remove and reinsert it; if it repeats, use another token.' }],
  [CK.CKR_DEVICE_MEMORY, { code: 'DEVICE_ERROR', message: 'The token is out of memory. Delete keys it no longer needs or use another token.' }],
  [CK.CKR_HOST_MEMORY, { code: 'DEVICE_ERROR', message: 'The PKCS#11 module ran out of memory. Close other applications and try again.' }],
]);

/** What Custos was doing: decides the code for a return value with no specific meaning. */
export type Pkcs11Act = 'sign' | 'session';

/** Turns anything a PKCS#11 call threw into a CustosError (a CustosError passes through). */
export function pkcs11Failure(e: unknown, act: Pkcs11Act, details: ErrorDetails = {}): CustosError {
  if (e instanceof CustosError) return e;
  const ckr = ckrValueOf(e);
  const name = ckrName(ckr);
  const mapped = ckr === undefined ? undefined : MAPPINGS.get(ckr);
  if (mapped !== undefined) return new CustosError(mapped.code, mapped.message, { ...details, ckr: name }, { cause: e });
  const what = act === 'sign' ? 'signature' : 'operation';
  return new CustosError(act === 'sign' ? 'SIGN_FAILED' : 'SESSION_FAILED',
    `The token refused the ${what} (${name}). Reopen the token and try again; if it repeats, check the token with its vendor's tool.`,
    { ...details, ckr: name }, { cause: e });
}

/** A failed login, told with the PIN's state as the token reports it after the try. */
export function loginFailure(e: unknown, pinAfter: PinState, details: ErrorDetails = {}): CustosError {
  const failure = pkcs11Failure(e, 'session', details);
  if (failure.code !== 'PIN_INCORRECT') return failure;
  if (pinAfter.locked) {
    return new CustosError('PIN_BLOCKED',
      'The PIN is wrong and the user PIN is now blocked. Unblock it with the SO PIN (Tokens › Unblock).',
      { ...failure.details, pinState: 'locked' }, { cause: e });
  }
  const state = pinAfter.finalTry ? 'finalTry' : pinAfter.countLow ? 'countLow' : 'ok';
  return new CustosError('PIN_INCORRECT', `The PIN is wrong. ${describePinState(pinAfter)} Check the PIN before trying again.`,
    { ...failure.details, pinState: state }, { cause: e });
}

/**
 * A failed SO login (unblocking the user PIN), told with the SO-PIN's state
 * after the try: its own count, and that a blocked SO-PIN cannot be reset.
 */
export function soLoginFailure(e: unknown, soAfter: PinState, details: ErrorDetails = {}): CustosError {
  const failure = pkcs11Failure(e, 'session', details);
  if (failure.code === 'PIN_BLOCKED' || (failure.code === 'PIN_INCORRECT' && soAfter.locked)) return soPinBlocked(failure.details, e);
  if (failure.code !== 'PIN_INCORRECT') return failure;
  const state = soAfter.finalTry ? 'finalTry' : soAfter.countLow ? 'countLow' : 'ok';
  const said = soAfter.finalTry
    ? 'One more wrong SO-PIN blocks it for good (a blocked SO-PIN cannot be reset).'
    : soAfter.countLow ? 'The token has counted wrong SO-PINs; a few more block it for good.' : 'The token reports no wrong-SO-PIN count.';
  return new CustosError('PIN_INCORRECT', `The SO-PIN is wrong, so the PIN was not unblocked. ${said} Check the SO-PIN before trying again.`,
    { ...failure.details, soPinState: state, which: 'SO-PIN' }, { cause: e });
}

export function soPinBlocked(details: ErrorDetails, cause?: unknown): CustosError {
  return new CustosError('SO_PIN_BLOCKED',
    'The SO-PIN is blocked, and a blocked SO-PIN cannot be reset: the token can only be initialized again, which erases its keys.',
    { ...details, soPinState: 'locked' }, cause === undefined ? undefined : { cause });
}

export function pinBlocked(details: ErrorDetails): CustosError {
  return new CustosError('PIN_BLOCKED',
    'The user PIN is blocked, so no PIN was sent. Unblock it with the SO PIN (Tokens › Unblock).', details);
}

export function pinFinalTry(details: ErrorDetails): CustosError {
  return new CustosError('PIN_FINAL_TRY',
    'The token says one more wrong PIN will block it, so no PIN was sent. Make sure of the PIN, then confirm the final try.',
    details);
}

export function pinNotInitialized(details: ErrorDetails): CustosError {
  return new CustosError('TOKEN_NOT_INITIALIZED',
    'This token has no user PIN yet. Set the user PIN with the SO PIN (for example with the vendor\'s tool), then log in.',
    details);
}

export function contextPinRequired(details: ErrorDetails): CustosError {
  return new CustosError('PIN_REQUIRED',
    'This key asks for the PIN before every signature. Enter the PIN when asked to sign.', details);
}

export function notLoggedIn(details: ErrorDetails): CustosError {
  return new CustosError('NOT_LOGGED_IN', 'Log in to the token with the user PIN first.', details);
}

export function sessionClosed(details: ErrorDetails): CustosError {
  return new CustosError('TOKEN_REMOVED', 'This token was closed. Open it again to continue.', details);
}
