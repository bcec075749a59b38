/**
 * PIN and SO-PIN checks with retry counters, as the SmartCard-HSM does them
 * (SC-HSM.md §4.2–4.4): a wrong value costs a try and answers 63Cx, the try
 * that reaches zero answers 6983, a right value restores the counter.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { SW, fail } from './apdu.ts';
import type { StoredPin } from './state.ts';

/** Cheap enough for a card emulator, still not a plain hash of a 6-digit PIN. */
const SCRYPT = { N: 1 << 12, r: 8, p: 1 } as const;

export const USER_PIN_MIN_BYTES = 6;
export const USER_PIN_MAX_BYTES = 16;
export const SO_PIN_BYTES = 8;
export const SO_PIN_TRIES = 15;
export const DEFAULT_USER_PIN_TRIES = 3;

function hashPin(pin: Uint8Array, salt: Uint8Array): Uint8Array {
  return new Uint8Array(scryptSync(pin, salt, 32, SCRYPT));
}

export function storePin(pin: Uint8Array, maxTries: number): StoredPin {
  const salt = new Uint8Array(randomBytes(16));
  return { hash: hashPin(pin, salt), salt, length: pin.length, maxTries, triesLeft: maxTries };
}

export function pinMatches(stored: StoredPin, candidate: Uint8Array): boolean {
  if (candidate.length !== stored.length) return false;
  return timingSafeEqual(hashPin(candidate, stored.salt), stored.hash);
}

/** The SW a status query reports for this PIN (without spending a try). */
export function pinStatusWord(stored: StoredPin): number {
  return stored.triesLeft === 0 ? SW.AUTH_BLOCKED : 0x63c0 | Math.min(stored.triesLeft, 15);
}

/**
 * Checks a presented PIN and updates the counter. The caller persists the
 * state afterwards whatever the outcome, so a power cut cannot refund a try.
 */
export function checkPin(stored: StoredPin, candidate: Uint8Array): void {
  if (stored.triesLeft === 0) fail(SW.AUTH_BLOCKED);
  if (pinMatches(stored, candidate)) {
    stored.triesLeft = stored.maxTries;
    return;
  }
  stored.triesLeft -= 1;
  fail(stored.triesLeft === 0 ? SW.AUTH_BLOCKED : 0x63c0 | Math.min(stored.triesLeft, 15));
}
