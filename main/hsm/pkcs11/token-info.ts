/** What a PKCS#11 token says about itself, read without logging in. */
import type { TokenInfo } from '../token.ts';
import type { Handle, Pkcs11Api } from './api.ts';
import { pinStateFromFlags, tokenFlagNames } from './token-flags.ts';

// PKCS#11 pads the fixed-size text fields with blanks (and some modules with NULs).
function text(field: string): string {
  return field.replace(/[\s\0]+$/u, '');
}

export interface TokenInfoContext {
  readonly virtual: boolean;
  readonly loggedIn: boolean;
}

export function readTokenInfo(api: Pkcs11Api, slot: Handle, context: TokenInfoContext): TokenInfo {
  const token = api.C_GetTokenInfo(slot);
  const slotInfo = api.C_GetSlotInfo(slot);
  return {
    backend: 'pkcs11',
    virtual: context.virtual,
    label: text(token.label),
    serial: text(token.serialNumber),
    model: text(token.model),
    manufacturer: text(token.manufacturerID),
    reader: text(slotInfo.slotDescription),
    pinState: pinStateFromFlags(token.flags),
    loggedIn: context.loggedIn,
    flags: tokenFlagNames(token.flags),
  };
}

/** How a token is named in messages: label and serial, as printed on it. */
export function describeToken(info: Pick<TokenInfo, 'label' | 'serial'>): string {
  return `"${info.label}" (serial ${info.serial || 'none'})`;
}
