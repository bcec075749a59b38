/**
 * Command and response APDUs (ISO/IEC 7816-4 §5.1, §5.3 cases 1–4). The length
 * form is chosen from the content: short when Lc ≤ 255 and Ne ≤ 256, extended
 * otherwise, as OpenSC does for the SmartCard-HSM (SC-HSM.md §2). The card never
 * uses command chaining, so an APDU either fits in one exchange or is refused.
 */
import { CustosError } from '../../errors/index.ts';
import type { ApduTransport } from './transport.ts';

export interface CommandApdu {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  readonly data?: Uint8Array;
  /** Ne, the number of response bytes expected: 0 = none, up to 256 short, up to 65536 extended. */
  readonly ne?: number;
}

export interface ResponseApdu {
  readonly data: Uint8Array;
  /** SW1 SW2 as one number, e.g. 0x9000. */
  readonly sw: number;
}

export const MAX_SHORT_LC = 255;
export const MAX_SHORT_NE = 256;
export const MAX_EXTENDED_LC = 65535;
export const MAX_EXTENDED_NE = 65536;
/** The longest short APDU (header, Lc, 255 bytes, Le): a reader limited to it carries no extended APDU. */
export const MAX_SHORT_APDU_BYTES = 4 + 1 + MAX_SHORT_LC + 1;
/** Upper bound on GET RESPONSE rounds: 64 KiB in 256-byte pieces, so a card looping on 61xx cannot hang a ceremony. */
const MAX_GET_RESPONSE_ROUNDS = 260;

function checkByte(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new CustosError('APDU_MALFORMED', `APDU ${name} must be one byte, got ${value}.`, { field: name });
  }
}

/** True when the APDU needs the extended length form (Lc > 255 or Ne > 256). */
export function isExtended(command: CommandApdu): boolean {
  return (command.data?.length ?? 0) > MAX_SHORT_LC || (command.ne ?? 0) > MAX_SHORT_NE;
}

/** Encodes a command APDU, case 1 to 4, short or extended as its sizes need. */
export function encodeCommandApdu(command: CommandApdu): Uint8Array {
  checkByte(command.cla, 'CLA');
  checkByte(command.ins, 'INS');
  checkByte(command.p1, 'P1');
  checkByte(command.p2, 'P2');
  const data = command.data ?? new Uint8Array(0);
  const ne = command.ne ?? 0;
  if (!Number.isInteger(ne) || ne < 0 || ne > MAX_EXTENDED_NE) {
    throw new CustosError('APDU_MALFORMED', `APDU Ne must be 0 to ${MAX_EXTENDED_NE}, got ${ne}.`, { ne });
  }
  if (data.length > MAX_EXTENDED_LC) {
    throw new CustosError('APDU_TOO_LONG', `The command carries ${data.length} bytes; an APDU holds at most ${MAX_EXTENDED_LC}.`, { dataBytes: data.length });
  }
  const header = [command.cla, command.ins, command.p1, command.p2];
  const out: number[] = [...header];
  if (!isExtended(command)) {
    if (data.length > 0) out.push(data.length, ...data);
    // Short Le: 00 means 256.
    if (ne > 0) out.push(ne === MAX_SHORT_NE ? 0 : ne);
    return Uint8Array.from(out);
  }
  // Extended: one 00 byte introduces the two-byte fields; when Lc is present Le has no 00 prefix of its own.
  out.push(0);
  if (data.length > 0) out.push(data.length >> 8, data.length & 0xff, ...data);
  if (ne > 0) {
    const le = ne === MAX_EXTENDED_NE ? 0 : ne;
    out.push(le >> 8, le & 0xff);
  }
  return Uint8Array.from(out);
}

/** Splits a response into data and status word. */
export function parseResponseApdu(bytes: Uint8Array): ResponseApdu {
  if (bytes.length < 2) {
    throw new CustosError('APDU_MALFORMED', `The card answered ${bytes.length} bytes, fewer than a status word: check the reader and card contacts.`, { responseBytes: bytes.length });
  }
  const n = bytes.length;
  return { data: bytes.slice(0, n - 2), sw: (bytes[n - 2]! << 8) | bytes[n - 1]! };
}

export function swHex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * Sends one command and returns the complete answer: collects 61xx with GET
 * RESPONSE and repeats a short command with the Le the card asked for on 6Cxx
 * (ISO/IEC 7816-4 §5.3.4; pcscd leaves both to the host over T=1). Refuses an
 * APDU larger than the transport carries, so nothing is ever cut short.
 */
export async function exchangeApdu(transport: ApduTransport, requested: CommandApdu): Promise<ResponseApdu> {
  // On a short-only reader a long answer is asked for with Le 256 and collected with GET RESPONSE (OpenSC's fallback).
  const command = transport.maxApduBytes <= MAX_SHORT_APDU_BYTES && (requested.ne ?? 0) > MAX_SHORT_NE && (requested.data?.length ?? 0) <= MAX_SHORT_LC
    ? { ...requested, ne: MAX_SHORT_NE }
    : requested;
  const encoded = encodeCommandApdu(command);
  if (encoded.length > transport.maxApduBytes) {
    throw new CustosError('APDU_TOO_LONG',
      `The command needs a ${encoded.length}-byte APDU but this reader carries at most ${transport.maxApduBytes} bytes: use a reader with extended-length APDU support.`,
      { apduBytes: encoded.length, maxApduBytes: transport.maxApduBytes });
  }
  let response = parseResponseApdu(await transport.transmit(encoded));
  if (response.sw >> 8 === 0x6c && !isExtended(command)) {
    const ne = response.sw & 0xff || MAX_SHORT_NE;
    response = parseResponseApdu(await transport.transmit(encodeCommandApdu({ ...command, ne })));
  }
  if (response.sw >> 8 !== 0x61) return response;
  const parts: Uint8Array[] = [response.data];
  for (let round = 0; response.sw >> 8 === 0x61; round++) {
    if (round >= MAX_GET_RESPONSE_ROUNDS) {
      throw new CustosError('CARD_ERROR', 'The card kept announcing more response data: remove and reinsert it, then try again.', {});
    }
    const ne = response.sw & 0xff || MAX_SHORT_NE;
    response = parseResponseApdu(await transport.transmit(encodeCommandApdu({ cla: command.cla & 0x03, ins: 0xc0, p1: 0, p2: 0, ne })));
    parts.push(response.data);
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { data.set(p, at); at += p.length; }
  return { data, sw: response.sw };
}
