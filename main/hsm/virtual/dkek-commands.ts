/**
 * IMPORT DKEK SHARE (80 52), WRAP KEY (80 72), UNWRAP KEY (80 74),
 * SC-HSM.md §4.6, §4.12, §6, §7.
 *
 * Status words where the real firmware's are unknown (SC-HSM.md §12.4):
 * no DKEK configured at initialisation → 6D00, which sc-hsm-tool reads as
 * "not initialised for key share usage / key wrap"; DKEK not yet complete →
 * 6A88 (pico-hsm); all shares already imported → 6986 (pico-hsm); a blob
 * made under another DKEK (foreign KCV) or failing its CMAC → 6A80, which
 * sc-hsm-tool reports as "Wrapped key does not match DKEK".
 */
import type { CommandApdu } from './apdu.ts';
import { CardStatus, SW, fail } from './apdu.ts';
import type { CardContext, Reply } from './context.ts';
import { requireUser } from './context.ts';
import { privateKeyOf, storedKeyFrom } from './key-commands.ts';
import type { DkekState } from './state.ts';
import { kcv } from '../../keydomain/dkek.ts';
import { unwrapKey as unwrapBlob, wrapKey as wrapBlob } from '../../keydomain/key-blob.ts';
import { CustosError } from '../../errors/index.ts';

/** EF 2F10: where OpenSC ≥ 0.24 puts the blob before an UNWRAP without data (SC-HSM.md §4.12). */
export const UNWRAP_BUFFER_FID = '2F10';
/** The WRAP KEY algorithm id a key's allowed-algorithm list must hold, when it has one. */
const ALGO_WRAP = 0x92;

const SHARE_BYTES = 32;

function requireDkek(ctx: CardContext): DkekState {
  if (!ctx.state.initialized || ctx.state.dkek === undefined) fail(SW.INS_NOT_SUPPORTED);
  return ctx.state.dkek;
}

function isComplete(dkek: DkekState): boolean {
  return dkek.importedShares >= dkek.totalShares;
}

function dkekStatus(dkek: DkekState): Uint8Array {
  const out = new Uint8Array(10);
  out[0] = dkek.totalShares;
  out[1] = dkek.totalShares - dkek.importedShares;
  out.set(kcv(dkek.value), 2);
  return out;
}

/** With 32 bytes: XOR one share into the DKEK. Without data: the status. Both answer total, outstanding, KCV. */
export function importDkekShare(ctx: CardContext, apdu: CommandApdu): Reply {
  // P1 00 = DKEK of key domain P2; only domain 0 exists here.
  if (apdu.p1 !== 0x00 || apdu.p2 !== 0x00) fail(SW.INCORRECT_P1P2);
  const dkek = requireDkek(ctx);
  if (apdu.data.length === 0) return dkekStatus(dkek);
  if (apdu.data.length !== SHARE_BYTES) fail(SW.WRONG_LENGTH);
  if (isComplete(dkek)) fail(SW.COMMAND_NOT_ALLOWED);
  for (let i = 0; i < SHARE_BYTES; i++) dkek.value[i] = dkek.value[i]! ^ apdu.data[i]!;
  dkek.importedShares += 1;
  ctx.persist();
  return dkekStatus(dkek);
}

/** Wraps key P1 under the DKEK into the card's key blob (SC-HSM.md §7). */
export function wrapKey(ctx: CardContext, apdu: CommandApdu): Reply {
  requireUser(ctx);
  if (apdu.p2 !== 0x92) fail(SW.INCORRECT_P1P2);
  const dkek = requireDkek(ctx);
  if (!isComplete(dkek)) fail(SW.REFERENCE_NOT_FOUND);
  const stored = apdu.p1 === 0 ? undefined : ctx.state.keys[apdu.p1];
  if (stored === undefined) fail(SW.FILE_NOT_FOUND);
  if (stored.allowedAlgorithms.length > 0 && !stored.allowedAlgorithms.includes(ALGO_WRAP)) fail(SW.CONDITIONS_NOT_SATISFIED);
  return wrapBlob({ dkek: dkek.value, key: privateKeyOf(stored), allowedAlgorithms: stored.allowedAlgorithms });
}

/** Unwraps a blob (in the data, or in EF 2F10 when there is none) into key slot P1. */
export function unwrapKey(ctx: CardContext, apdu: CommandApdu): Reply {
  requireUser(ctx);
  if (apdu.p2 !== 0x93) fail(SW.INCORRECT_P1P2);
  const dkek = requireDkek(ctx);
  if (!isComplete(dkek)) fail(SW.REFERENCE_NOT_FOUND);
  if (apdu.p1 === 0) fail(SW.INCORRECT_P1P2);
  const blob = apdu.data.length > 0 ? apdu.data : ctx.state.files[UNWRAP_BUFFER_FID];
  if (blob === undefined || blob.length === 0) fail(SW.REFERENCE_NOT_FOUND);
  let keyObject;
  let allowedAlgorithms: Uint8Array;
  try {
    const unwrapped = unwrapBlob(blob, dkek.value);
    keyObject = unwrapped.keyObject;
    allowedAlgorithms = unwrapped.allowedAlgorithms;
  } catch (e) {
    if (e instanceof CardStatus) throw e;
    if (e instanceof CustosError) fail(SW.INCORRECT_DATA);
    throw e;
  }
  // AES keys (type 0F) have no use on this card: it implements no CIPHER SYMMETRIC.
  if (keyObject === undefined) fail(SW.FUNCTION_NOT_SUPPORTED);
  ctx.state.keys[apdu.p1] = storedKeyFrom(keyObject, allowedAlgorithms);
  ctx.persist();
  return new Uint8Array(0);
}
