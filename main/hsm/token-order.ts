/**
 * The one order in which tokens are listed, by the CLI (`custos tokens`) and
 * on the Tokens screen alike. During a ceremony custodians point at a token by
 * its place in the list ("the third one"), so the place must depend only on
 * what identifies the token, never on what happens to it:
 *
 * - not on the order backends answer, PC/SC readers are reported or PKCS#11
 *   slots are numbered: SoftHSM2 numbers a slot after the token's serial, so
 *   initialising a token can put it before tokens listed until then; pcscd
 *   names a USB token's reader after the order it was plugged in;
 * - not on the token's state: a token that is open, logged in, or has spent a
 *   PIN try sits where it sat before.
 *
 * The order, and why a person expects it:
 * 1. The backend: SmartCard-HSMs spoken to natively first (the HSMs Custos is
 *    built around, real or rehearsal), then PKCS#11 tokens. A SmartCard-HSM
 *    that OpenSC's PKCS#11 module reaches too shows the same serial and
 *    reader in both groups. (While that module is loaded it keeps the card
 *    connected, so the native listing finds the card busy and skips it: the
 *    card is then listed once, through PKCS#11.)
 * 2. Where the backend finds it: the PKCS#11 module (two modules are two kinds
 *    of token), or PC/SC versus the rehearsal's state files.
 * 3. The label, then the serial, then the device key: what is written on the
 *    token and what the people in the room call it. Not the reader: a card
 *    pulled out and put back, or plugged into another port, is the same card
 *    and comes back to its place. Labels compare as a person reads them
 *    ("Custodian 2" before "Custodian 10", case aside), with a fixed locale so
 *    every workstation lists the same order.
 * 4. Last in its group, an entry that could not be opened (or a module that
 *    could not list its tokens): it has no label or serial of its own, so it
 *    goes by its reader name. It cannot push a usable token down the list.
 */
import type { Backend, TokenInfo } from './token.ts';

/** A token as listed: its details and the words naming the backend provider that found it (e.g. "PKCS#11 module libsofthsm2.so"). */
export interface OrderedToken {
  readonly source: string;
  readonly info: TokenInfo;
}

const BACKEND_RANK: Readonly<Record<Backend, number>> = { 'sc-hsm': 0, virtual: 1, pkcs11: 2 };

const readable = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** As a person reads it; where that finds two strings alike ("CA" and "ca"), by code units, so the order is total. */
function compareText(a: string, b: string): number {
  return readable.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

function isUnopenable(info: TokenInfo): boolean {
  return info.error !== undefined;
}

export function compareTokens(a: OrderedToken, b: OrderedToken): number {
  return BACKEND_RANK[a.info.backend] - BACKEND_RANK[b.info.backend]
    || compareText(a.source, b.source)
    || Number(isUnopenable(a.info)) - Number(isUnopenable(b.info))
    || (isUnopenable(a.info)
      ? compareText(a.info.reader, b.info.reader) || compareText(a.info.label, b.info.label)
      : compareText(a.info.label, b.info.label) || compareText(a.info.serial, b.info.serial)
        || compareText(a.info.deviceKeySha256 ?? '', b.info.deviceKeySha256 ?? ''));
}

/** A new array in the listing order; the input is left as it is. */
export function inListingOrder<T extends OrderedToken>(tokens: readonly T[]): T[] {
  return [...tokens].sort(compareTokens);
}
