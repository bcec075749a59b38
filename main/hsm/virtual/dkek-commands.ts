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
import { createHash } from 'node:crypto';
import type { CommandApdu } from './apdu.ts';
import { SW, fail } from './apdu.ts';
import type { CardContext, Reply } from './context.ts';
import { requireUser } from './context.ts';
import type { DkekState } from './state.ts';

const SHARE_BYTES = 32;

function requireDkek(ctx: CardContext): DkekState {
  if (!ctx.state.initialized || ctx.state.dkek === undefined) fail(SW.INS_NOT_SUPPORTED);
  return ctx.state.dkek;
}

function dkekKcv(dkek: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(dkek).digest().subarray(0, 8));
}

function isComplete(dkek: DkekState): boolean {
  return dkek.importedShares >= dkek.totalShares;
}

function dkekStatus(dkek: DkekState): Uint8Array {
  const out = new Uint8Array(10);
  out[0] = dkek.totalShares;
  out[1] = dkek.totalShares - dkek.importedShares;
  out.set(dkekKcv(dkek.value), 2);
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

export function wrapKey(ctx: CardContext, apdu: CommandApdu): Reply {
  requireUser(ctx);
  const dkek = requireDkek(ctx);
  if (apdu.p2 !== 0x92) fail(SW.INCORRECT_P1P2);
  if (!isComplete(dkek)) fail(SW.REFERENCE_NOT_FOUND);
  fail(SW.INS_NOT_SUPPORTED);
}

export function unwrapKey(ctx: CardContext, apdu: CommandApdu): Reply {
  requireUser(ctx);
  const dkek = requireDkek(ctx);
  if (apdu.p2 !== 0x93) fail(SW.INCORRECT_P1P2);
  if (!isComplete(dkek)) fail(SW.REFERENCE_NOT_FOUND);
  fail(SW.INS_NOT_SUPPORTED);
}
