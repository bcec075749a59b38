/**
 * The one place that turns SmartCard-HSM status words into CustosErrors
 * (SC-HSM.md §5). A status word means different things per command (6A82 is a
 * missing key for SIGN, a missing file for READ BINARY), so callers say which
 * operation they ran and whether the card was authenticated at the time.
 */
import { CustosError } from '../../errors/index.ts';
import type { ErrorCode } from '../../errors/index.ts';
import { swHex, type ResponseApdu } from './apdu.ts';

export const SW_OK = 0x9000;
export const SW_END_OF_FILE = 0x6282;
export const SW_WRONG_LENGTH = 0x6700;
export const SW_SECURITY_STATUS_NOT_SATISFIED = 0x6982;
export const SW_AUTH_METHOD_BLOCKED = 0x6983;
export const SW_REFERENCED_DATA_NOT_USABLE = 0x6984;
export const SW_CONDITIONS_NOT_SATISFIED = 0x6985;
export const SW_COMMAND_NOT_ALLOWED = 0x6986;
export const SW_INCORRECT_DATA = 0x6a80;
export const SW_FUNCTION_NOT_SUPPORTED = 0x6a81;
export const SW_FILE_NOT_FOUND = 0x6a82;
export const SW_NOT_ENOUGH_MEMORY = 0x6a84;
export const SW_INCORRECT_P1P2 = 0x6a86;
export const SW_REFERENCED_DATA_NOT_FOUND = 0x6a88;
export const SW_INS_NOT_SUPPORTED = 0x6d00;
export const SW_CLA_NOT_SUPPORTED = 0x6e00;
export const SW_COMMAND_NOT_ALLOWED_NO_EF = 0x6900;

export type CardOperation =
  | 'select' | 'pin-status' | 'verify-pin' | 'verify-so-pin' | 'change-pin' | 'change-so-pin' | 'unblock-pin'
  | 'initialize' | 'generate-key' | 'sign' | 'enumerate' | 'read-file' | 'write-file' | 'delete-file' | 'delete-key'
  | 'dkek-import' | 'dkek-status' | 'wrap-key' | 'unwrap-key' | 'get-challenge'
  | 'pka-status' | 'pka-register' | 'pka-select-key' | 'pka-authenticate' | 'select-verification-key' | 'verify-certificate';

export interface SwContext {
  readonly operation: CardOperation;
  /** The driver had authenticated the card (PIN or PKA): a 6982 now means the card forgot it. */
  readonly authenticated?: boolean;
  /** The file or key id the command was about, hex, for the error details. */
  readonly target?: string;
}

/** Tries left encoded in 63Cx, or undefined for other status words. */
export function triesLeftOf(sw: number): number | undefined {
  return (sw & 0xfff0) === 0x63c0 ? sw & 0x0f : undefined;
}

const KEY_OPERATIONS: ReadonlySet<CardOperation> = new Set(['sign', 'wrap-key', 'delete-key', 'generate-key', 'unwrap-key']);
const SO_OPERATIONS: ReadonlySet<CardOperation> = new Set(['verify-so-pin', 'change-so-pin', 'unblock-pin', 'initialize']);

function err(code: ErrorCode, message: string, sw: number, ctx: SwContext, extra: Record<string, string | number | boolean> = {}): CustosError {
  return new CustosError(code, message, { sw: swHex(sw), operation: ctx.operation, ...(ctx.target !== undefined ? { target: ctx.target } : {}), ...extra });
}

function named(ctx: SwContext): string {
  return ctx.target === undefined ? '' : ` ${ctx.target}`;
}

/** The CustosError a failing status word means for this operation. */
export function errorForSw(sw: number, ctx: SwContext): CustosError {
  const op = ctx.operation;
  const so = SO_OPERATIONS.has(op);
  const tries = triesLeftOf(sw);
  if (tries !== undefined) {
    if (tries === 0) {
      return so
        ? err('SO_PIN_BLOCKED', 'The SO-PIN is blocked: the SmartCard-HSM can only be re-initialized by its issuer; no further SO-PIN attempts are possible.', sw, ctx)
        : err('PIN_BLOCKED', 'The user PIN is blocked: unblock it with the SO-PIN (Tokens › Unblock PIN).', sw, ctx, { triesLeft: 0 });
    }
    return so
      ? err('PIN_INCORRECT', `Wrong SO-PIN: ${tries} ${tries === 1 ? 'try' : 'tries'} left before the SO-PIN blocks for good. Check the 16 hex digits and try again.`, sw, ctx, { triesLeft: tries, pin: 'so' })
      : err('PIN_INCORRECT', `Wrong PIN: ${tries} ${tries === 1 ? 'try' : 'tries'} left before the PIN blocks. Check the PIN and try again.`, sw, ctx, { triesLeft: tries, pin: 'user' });
  }
  switch (sw) {
    case SW_AUTH_METHOD_BLOCKED:
      return so
        ? err('SO_PIN_BLOCKED', 'The SO-PIN is blocked: no further SO-PIN attempts are possible on this SmartCard-HSM.', sw, ctx)
        : err('PIN_BLOCKED', 'The user PIN is blocked: unblock it with the SO-PIN (Tokens › Unblock PIN).', sw, ctx, { triesLeft: 0 });
    case SW_SECURITY_STATUS_NOT_SATISFIED:
      if (ctx.authenticated === true) {
        return err('AUTH_STATE_LOST', 'The SmartCard-HSM forgot its login (another program selected it or the card was reset): log in again and repeat the step.', sw, ctx);
      }
      if (op === 'read-file') return err('NOT_LOGGED_IN', 'This object can only be read after login: log in to the SmartCard-HSM first.', sw, ctx);
      return err('NOT_LOGGED_IN', 'The SmartCard-HSM needs a login (PIN or custodian quorum) for this step: log in first.', sw, ctx);
    case SW_FILE_NOT_FOUND:
      if (KEY_OPERATIONS.has(op)) return err('KEY_NOT_FOUND', `The SmartCard-HSM holds no key${named(ctx)}: refresh the key list and choose an existing key.`, sw, ctx);
      if (op === 'select') return err('TOKEN_NOT_FOUND', 'This card has no SmartCard-HSM applet: insert a SmartCard-HSM or Nitrokey HSM.', sw, ctx);
      return err('FILE_NOT_FOUND', `The SmartCard-HSM has no file${named(ctx)}: refresh and try again.`, sw, ctx);
    case SW_REFERENCED_DATA_NOT_FOUND:
      if (op === 'pin-status' || op === 'verify-pin' || op === 'verify-so-pin' || op === 'change-pin') {
        return err('TOKEN_NOT_INITIALIZED', 'The SmartCard-HSM is not initialized: initialize it with an SO-PIN and a user PIN first.', sw, ctx);
      }
      if (op === 'wrap-key' || op === 'unwrap-key' || op === 'dkek-status' || op === 'dkek-import') {
        return err('DKEK_INCOMPLETE', 'The key domain of this SmartCard-HSM is not set up (DKEK missing or incomplete): import all DKEK shares first.', sw, ctx);
      }
      if (op === 'pka-select-key') return err('CUSTODIAN_NOT_REGISTERED', `The SmartCard-HSM has no custodian key${named(ctx)} registered: this token is not one of its custodians (register it first, with the quorum).`, sw, ctx);
      if (op === 'pka-status' || op === 'pka-register' || op === 'pka-authenticate') {
        return err('PKA_NOT_CONFIGURED', 'Public-key authentication is not configured on this SmartCard-HSM: initialize it with a custodian quorum (n of m).', sw, ctx);
      }
      if (op === 'select-verification-key') return err('CVC_SIGNATURE_INVALID', 'The SmartCard-HSM does not know the issuer of this certificate.', sw, ctx);
      return err(KEY_OPERATIONS.has(op) ? 'KEY_NOT_FOUND' : 'CARD_ERROR', 'The SmartCard-HSM does not hold the referenced object: refresh and try again.', sw, ctx);
    case SW_REFERENCED_DATA_NOT_USABLE:
      if (op === 'pin-status' || op === 'verify-pin') {
        return err('PIN_EXPIRED', 'The SmartCard-HSM still has its transport PIN: change it to your own PIN first.', sw, ctx);
      }
      return err('SIGN_FAILED', 'The key may not be used any more (its use counter is exhausted): use another key.', sw, ctx);
    case SW_CONDITIONS_NOT_SATISFIED:
      if (op === 'pka-authenticate') return err('PKA_SIGNATURE_INVALID', 'The card rejected the custodian signature: the custodian token must sign the current challenge with its registered key; start the authentication again.', sw, ctx);
      if (op === 'pka-select-key') return err('CUSTODIAN_ALREADY_AUTHENTICATED', `The custodian key${named(ctx)} has already authenticated in this session: the next custodian presents their own token.`, sw, ctx);
      if (op === 'wrap-key') return err('KEY_BLOB_INVALID', 'This key may not be exported under the DKEK (it was not generated for key backup).', sw, ctx);
      return err('CARD_ERROR', 'The SmartCard-HSM refused the command in its current state (conditions of use not satisfied).', sw, ctx);
    case SW_COMMAND_NOT_ALLOWED:
      if (op === 'dkek-import') return err('INPUT_INVALID', 'All DKEK shares are already imported into this SmartCard-HSM: nothing more to import.', sw, ctx);
      if (op === 'unblock-pin') return err('CARD_ERROR', 'This SmartCard-HSM was initialized without PIN unblocking: it can only be re-initialized.', sw, ctx);
      return err('CARD_ERROR', 'The SmartCard-HSM does not allow this command in its current configuration.', sw, ctx);
    case SW_INCORRECT_DATA:
      if (op === 'unwrap-key') return err('KCV_MISMATCH', 'The key blob does not match this SmartCard-HSM\'s DKEK: import the key domain\'s DKEK shares (same KCV) before restoring.', sw, ctx);
      if (op === 'pka-register') return err('CVC_MALFORMED', 'The SmartCard-HSM rejected the custodian key request.', sw, ctx);
      return err('APDU_MALFORMED', 'The SmartCard-HSM rejected the command data as incorrect.', sw, ctx);
    case SW_FUNCTION_NOT_SUPPORTED:
      return err('MECHANISM_UNSUPPORTED', 'The key may not be used with this algorithm on the SmartCard-HSM: pick the algorithm the key was made for.', sw, ctx);
    case SW_NOT_ENOUGH_MEMORY:
      return err('DEVICE_ERROR', 'The SmartCard-HSM has no free memory left: delete keys or objects you no longer need.', sw, ctx);
    case SW_INCORRECT_P1P2:
      if (op.startsWith('pka')) return err('PKA_NOT_CONFIGURED', 'Public-key authentication is not configured on this SmartCard-HSM.', sw, ctx);
      return err('APDU_MALFORMED', 'The SmartCard-HSM rejected the command parameters (P1/P2).', sw, ctx);
    case SW_WRONG_LENGTH:
      return err('APDU_MALFORMED', 'The SmartCard-HSM rejected the command length: the data has the wrong size for this command.', sw, ctx);
    case SW_INS_NOT_SUPPORTED:
      if (op.startsWith('dkek') || op === 'wrap-key' || op === 'unwrap-key') return err('DKEK_INCOMPLETE', 'The SmartCard-HSM was initialized without key backup (no DKEK): re-initialize it with DKEK shares.', sw, ctx);
      if (op.startsWith('pka')) return err('PKA_NOT_CONFIGURED', 'The SmartCard-HSM was initialized without public-key authentication.', sw, ctx);
      return err('MECHANISM_UNSUPPORTED', 'The SmartCard-HSM does not support this command (firmware too old?).', sw, ctx);
    case SW_CLA_NOT_SUPPORTED:
    case SW_COMMAND_NOT_ALLOWED_NO_EF:
      return err(ctx.authenticated === true ? 'AUTH_STATE_LOST' : 'CARD_ERROR', 'The SmartCard-HSM applet is no longer selected: reconnect the token and log in again.', sw, ctx);
    default:
      return err('CARD_ERROR', `The SmartCard-HSM answered status ${swHex(sw)} to ${op}: remove and reinsert the card, then try again.`, sw, ctx);
  }
}

/** Returns the data of a successful response, or throws the error its status word means. */
export function expectOk(response: ResponseApdu, ctx: SwContext): Uint8Array {
  if (response.sw === SW_OK) return response.data;
  throw errorForSw(response.sw, ctx);
}
