/**
 * Command APDUs as the card receives them (ISO 7816-3 §12.1 and ISO 7816-4 §5.1):
 * cases 1, 2, 3 and 4 in short and extended encoding. The virtual card answers
 * with data || SW1 SW2, as every SmartCard-HSM does.
 */

export interface CommandApdu {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  readonly data: Uint8Array;
  /** Ne, the most bytes the host accepts: 0 when no Le was sent, 256 / 65536 for Le = 00 / 0000. */
  readonly ne: number;
  readonly extended: boolean;
}

/** Status words the virtual card answers with (ISO 7816-4 §5.1.3, SC-HSM.md §5). */
export const SW = {
  OK: 0x9000,
  EOF_BEFORE_LE: 0x6282,
  WRONG_LENGTH: 0x6700,
  SECURITY_NOT_SATISFIED: 0x6982,
  AUTH_BLOCKED: 0x6983,
  DATA_NOT_USABLE: 0x6984,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  COMMAND_NOT_ALLOWED: 0x6986,
  INCORRECT_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  NOT_ENOUGH_MEMORY: 0x6a84,
  INCORRECT_P1P2: 0x6a86,
  REFERENCE_NOT_FOUND: 0x6a88,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  UNKNOWN: 0x6f00,
} as const;

/** Thrown by a command handler to end the command with a status word and no data. */
export class CardStatus extends Error {
  readonly sw: number;
  constructor(sw: number) {
    super(`card status ${sw.toString(16).padStart(4, '0')}`);
    this.sw = sw;
  }
}

export function fail(sw: number): never {
  throw new CardStatus(sw);
}

/** Parses one command APDU; undefined when its length fields do not add up (the card answers 6700). */
export function parseCommandApdu(apdu: Uint8Array): CommandApdu | undefined {
  if (apdu.length < 4) return undefined;
  const [cla, ins, p1, p2] = [apdu[0]!, apdu[1]!, apdu[2]!, apdu[3]!];
  const head = { cla, ins, p1, p2 };
  const body = apdu.subarray(4);
  const empty = new Uint8Array(0);
  if (body.length === 0) return { ...head, data: empty, ne: 0, extended: false }; // case 1
  if (body.length === 1) return { ...head, data: empty, ne: body[0] === 0 ? 256 : body[0]!, extended: false }; // case 2S
  const b0 = body[0]!;
  if (b0 !== 0) {
    // short case 3 or 4: Lc in one byte
    const lc = b0;
    if (body.length === 1 + lc) return { ...head, data: body.slice(1), ne: 0, extended: false };
    if (body.length === 2 + lc) {
      const le = body[1 + lc]!;
      return { ...head, data: body.slice(1, 1 + lc), ne: le === 0 ? 256 : le, extended: false };
    }
    return undefined;
  }
  // extended: 00 followed by two bytes
  if (body.length === 3) {
    const le = (body[1]! << 8) | body[2]!;
    return { ...head, data: empty, ne: le === 0 ? 65536 : le, extended: true }; // case 2E
  }
  if (body.length < 3) return undefined;
  const lc = (body[1]! << 8) | body[2]!;
  if (lc === 0) return undefined;
  if (body.length === 3 + lc) return { ...head, data: body.slice(3, 3 + lc), ne: 0, extended: true }; // case 3E
  if (body.length === 5 + lc) {
    const le = (body[3 + lc]! << 8) | body[4 + lc]!;
    return { ...head, data: body.slice(3, 3 + lc), ne: le === 0 ? 65536 : le, extended: true }; // case 4E
  }
  return undefined;
}

export function responseApdu(data: Uint8Array, sw: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data, 0);
  out[data.length] = sw >> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}
