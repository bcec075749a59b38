/**
 * Token flags (CK_TOKEN_INFO.flags, PKCS#11 v2.40 §3.2) as names a person can
 * read, and the user PIN's state, which the token reports before any login so
 * no try is spent to learn it.
 */
import type { PinState } from '../token.ts';
import { CK } from './api.ts';

// Token flags only: CKF_* values are reused across structures (CKF_RNG is also CKF_HW),
// so the names come from this table, never from a reverse lookup of the constants.
const TOKEN_FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [CK.CKF_RNG, 'CKF_RNG'],
  [CK.CKF_WRITE_PROTECTED, 'CKF_WRITE_PROTECTED'],
  [CK.CKF_LOGIN_REQUIRED, 'CKF_LOGIN_REQUIRED'],
  [CK.CKF_USER_PIN_INITIALIZED, 'CKF_USER_PIN_INITIALIZED'],
  [CK.CKF_RESTORE_KEY_NOT_NEEDED, 'CKF_RESTORE_KEY_NOT_NEEDED'],
  [CK.CKF_CLOCK_ON_TOKEN, 'CKF_CLOCK_ON_TOKEN'],
  [CK.CKF_PROTECTED_AUTHENTICATION_PATH, 'CKF_PROTECTED_AUTHENTICATION_PATH'],
  [CK.CKF_DUAL_CRYPTO_OPERATIONS, 'CKF_DUAL_CRYPTO_OPERATIONS'],
  [CK.CKF_TOKEN_INITIALIZED, 'CKF_TOKEN_INITIALIZED'],
  [CK.CKF_SECONDARY_AUTHENTICATION, 'CKF_SECONDARY_AUTHENTICATION'],
  [CK.CKF_USER_PIN_COUNT_LOW, 'CKF_USER_PIN_COUNT_LOW'],
  [CK.CKF_USER_PIN_FINAL_TRY, 'CKF_USER_PIN_FINAL_TRY'],
  [CK.CKF_USER_PIN_LOCKED, 'CKF_USER_PIN_LOCKED'],
  [CK.CKF_USER_PIN_TO_BE_CHANGED, 'CKF_USER_PIN_TO_BE_CHANGED'],
  [CK.CKF_SO_PIN_COUNT_LOW, 'CKF_SO_PIN_COUNT_LOW'],
  [CK.CKF_SO_PIN_FINAL_TRY, 'CKF_SO_PIN_FINAL_TRY'],
  [CK.CKF_SO_PIN_LOCKED, 'CKF_SO_PIN_LOCKED'],
  [CK.CKF_SO_PIN_TO_BE_CHANGED, 'CKF_SO_PIN_TO_BE_CHANGED'],
  [CK.CKF_ERROR_STATE, 'CKF_ERROR_STATE'],
];

function has(flags: number, flag: number): boolean {
  // Flags reach bit 24 (CKF_ERROR_STATE); >>> 0 keeps the test unsigned.
  return ((flags & flag) >>> 0) !== 0;
}

export function tokenFlagNames(flags: number): string[] {
  return TOKEN_FLAG_NAMES.filter(([flag]) => has(flags, flag)).map(([, name]) => name);
}

export function pinStateFromFlags(flags: number): PinState {
  return {
    initialized: has(flags, CK.CKF_USER_PIN_INITIALIZED),
    countLow: has(flags, CK.CKF_USER_PIN_COUNT_LOW),
    finalTry: has(flags, CK.CKF_USER_PIN_FINAL_TRY),
    locked: has(flags, CK.CKF_USER_PIN_LOCKED),
  };
}

/** The SO-PIN's state from the token's CKF_SO_PIN_* flags (PKCS#11 v2.40 §5.5 CK_TOKEN_INFO); no number of tries. */
export function soPinStateFromFlags(flags: number): PinState {
  return {
    initialized: has(flags, CK.CKF_TOKEN_INITIALIZED),
    countLow: has(flags, CK.CKF_SO_PIN_COUNT_LOW),
    finalTry: has(flags, CK.CKF_SO_PIN_FINAL_TRY),
    locked: has(flags, CK.CKF_SO_PIN_LOCKED),
  };
}

export function isTokenInitialized(flags: number): boolean {
  return has(flags, CK.CKF_TOKEN_INITIALIZED);
}

/** One sentence on the PIN's state, for messages after a failed try. */
export function describePinState(pin: PinState): string {
  if (pin.locked) return 'The user PIN is now blocked.';
  if (pin.finalTry) return 'One more wrong PIN will block it.';
  if (pin.countLow) return 'The token has counted wrong PINs; a few more will block it.';
  return 'The token reports no wrong-PIN count.';
}
