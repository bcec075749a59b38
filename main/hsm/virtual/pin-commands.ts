/**
 * VERIFY (00 20), CHANGE REFERENCE DATA (00 24), RESET RETRY COUNTER (00 2C)
 * for the user PIN (81) and SO-PIN (88), SC-HSM.md §4.2–4.4.
 */
import type { CommandApdu } from './apdu.ts';
import { SW, fail } from './apdu.ts';
import type { CardContext, Reply } from './context.ts';
import { NO_DATA } from './context.ts';
import { checkPin, pinStatusWord, storePin, SO_PIN_BYTES, USER_PIN_MAX_BYTES, USER_PIN_MIN_BYTES } from './pins.ts';
import type { StoredPin } from './state.ts';

const USER_PIN = 0x81;
const SO_PIN = 0x88;
/** Device option: RESET RETRY COUNTER allowed (SC-HSM.md §4.5 tag 80). */
export const OPTION_RESET_RETRY_COUNTER = 0x0001;

function isUserPinLength(length: number): boolean {
  return length >= USER_PIN_MIN_BYTES && length <= USER_PIN_MAX_BYTES;
}

/** Runs a PIN check and persists the counter whatever the outcome, so a power cut cannot refund a try. */
function checkAndPersist(ctx: CardContext, pin: StoredPin, candidate: Uint8Array): void {
  try {
    checkPin(pin, candidate);
  } finally {
    ctx.persist();
  }
}

export function verify(ctx: CardContext, apdu: CommandApdu): Reply {
  if (apdu.p1 !== 0x00) fail(SW.INCORRECT_P1P2);
  // 85/86 are biometric templates; 6A88 tells OpenSC there is no PIN pad path (SC-HSM.md §4.2).
  if (apdu.p2 === 0x85 || apdu.p2 === 0x86) fail(SW.REFERENCE_NOT_FOUND);
  if (apdu.p2 !== USER_PIN && apdu.p2 !== SO_PIN) fail(SW.INCORRECT_P1P2);
  const stored = apdu.p2 === USER_PIN ? ctx.state.userPin : ctx.state.soPin;
  if (!ctx.state.initialized || stored === undefined) fail(SW.REFERENCE_NOT_FOUND);
  if (apdu.data.length === 0) {
    if (apdu.p2 === USER_PIN && ctx.session.userPinVerified) return NO_DATA;
    return { data: NO_DATA, sw: pinStatusWord(stored) };
  }
  if (apdu.p2 === USER_PIN) {
    if (!isUserPinLength(apdu.data.length)) fail(SW.WRONG_LENGTH);
    ctx.session.userPinVerified = false;
    checkAndPersist(ctx, stored, apdu.data);
    ctx.session.userPinVerified = true;
    return NO_DATA;
  }
  if (apdu.data.length !== SO_PIN_BYTES) fail(SW.WRONG_LENGTH);
  // The SO-PIN grants nothing by itself: it is presented inside each command that needs it.
  checkAndPersist(ctx, stored, apdu.data);
  return NO_DATA;
}

export function changeReferenceData(ctx: CardContext, apdu: CommandApdu): Reply {
  if (apdu.p1 !== 0x00 || (apdu.p2 !== USER_PIN && apdu.p2 !== SO_PIN)) fail(SW.INCORRECT_P1P2);
  const stored = apdu.p2 === USER_PIN ? ctx.state.userPin : ctx.state.soPin;
  if (!ctx.state.initialized || stored === undefined) fail(SW.REFERENCE_NOT_FOUND);
  // old || new with no separator: split at the stored PIN's length (SC-HSM.md §4.3).
  const oldPin = apdu.data.subarray(0, stored.length);
  const newPin = apdu.data.subarray(stored.length);
  if (apdu.data.length <= stored.length) fail(SW.WRONG_LENGTH);
  if (apdu.p2 === USER_PIN ? !isUserPinLength(newPin.length) : newPin.length !== SO_PIN_BYTES) fail(SW.WRONG_LENGTH);
  checkAndPersist(ctx, stored, oldPin);
  const replacement = storePin(newPin, stored.maxTries);
  if (apdu.p2 === USER_PIN) {
    ctx.state.userPin = replacement;
    ctx.session.userPinVerified = true;
  } else {
    ctx.state.soPin = replacement;
  }
  ctx.persist();
  return NO_DATA;
}

/**
 * P1 00: SO-PIN || new user PIN (what PKCS#11 C_InitPIN sends); P1 01: SO-PIN
 * only, unblocks the current PIN. Both need the RESET RETRY COUNTER option.
 */
export function resetRetryCounter(ctx: CardContext, apdu: CommandApdu): Reply {
  if ((apdu.p1 !== 0x00 && apdu.p1 !== 0x01) || apdu.p2 !== USER_PIN) fail(SW.INCORRECT_P1P2);
  const { soPin, userPin } = ctx.state;
  if (!ctx.state.initialized || soPin === undefined || userPin === undefined) fail(SW.REFERENCE_NOT_FOUND);
  if ((ctx.state.options & OPTION_RESET_RETRY_COUNTER) === 0) fail(SW.COMMAND_NOT_ALLOWED);
  if (apdu.data.length < SO_PIN_BYTES) fail(SW.WRONG_LENGTH);
  const newPin = apdu.data.subarray(SO_PIN_BYTES);
  if (apdu.p1 === 0x00 ? !isUserPinLength(newPin.length) : newPin.length !== 0) fail(SW.WRONG_LENGTH);
  checkAndPersist(ctx, soPin, apdu.data.subarray(0, SO_PIN_BYTES));
  if (apdu.p1 === 0x00) ctx.state.userPin = storePin(newPin, userPin.maxTries);
  else userPin.triesLeft = userPin.maxTries;
  ctx.persist();
  return NO_DATA;
}
