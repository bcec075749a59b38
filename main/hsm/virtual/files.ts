/**
 * ENUMERATE OBJECTS (80 58), READ BINARY (00 B1), UPDATE BINARY (00 D7),
 * DELETE FILE (00 E4), SC-HSM.md §3, §4.7, §4.8. Every EF sits flat under the
 * applet; keys (CCxx) are listed but never readable.
 */
import type { CommandApdu } from './apdu.ts';
import { CardStatus, SW, fail } from './apdu.ts';
import type { CardContext, Reply } from './context.ts';
import { isUserAuthenticated, NO_DATA, requireP1P2, requireUser } from './context.ts';
import { DEVICE_CERTIFICATES_FID } from './initialize.ts';
import { fidHex } from './state.ts';
import { readTlv } from '../../pki/cvc/tlv.ts';

export const KEY_PREFIX = 0xcc;
/** PIN-protected data objects (OpenSC and sc-hsm-embedded headers). */
const PROTECTED_DATA_PREFIX = 0xcd;
/** The largest EF the card keeps: JCOP cards hold a few KB per object, this bounds the state file. */
export const MAX_EF_BYTES = 0x8000;

export function enumerateObjects(ctx: CardContext, apdu: CommandApdu): Reply {
  requireP1P2(apdu, 0x00, 0x00);
  const fids: number[] = [(KEY_PREFIX << 8) | 0x00];
  for (const id of Object.keys(ctx.state.keys)) fids.push((KEY_PREFIX << 8) | Number(id));
  for (const fid of Object.keys(ctx.state.files)) fids.push(Number.parseInt(fid, 16));
  return Uint8Array.from(fids.flatMap((f) => [f >> 8, f & 0xff]));
}

/** P1P2 names the EF, or 0000 the current one. */
function targetFid(ctx: CardContext, apdu: CommandApdu): number {
  const fid = (apdu.p1 << 8) | apdu.p2;
  if (fid !== 0) return fid;
  if (ctx.session.currentEf === undefined) fail(SW.FILE_NOT_FOUND);
  return ctx.session.currentEf;
}

/** Reads the 54 02 <offset> that opens READ and UPDATE data. */
function readOffset(data: Uint8Array): { offset: number; rest: Uint8Array } {
  if (data.length === 0) return { offset: 0, rest: data };
  if (data.length < 4 || data[0] !== 0x54 || data[1] !== 0x02) fail(SW.INCORRECT_DATA);
  return { offset: (data[2]! << 8) | data[3]!, rest: data.subarray(4) };
}

export function readBinary(ctx: CardContext, apdu: CommandApdu): Reply {
  const fid = targetFid(ctx, apdu);
  if (fid >> 8 === KEY_PREFIX) fail(SW.SECURITY_NOT_SATISFIED);
  const content = ctx.state.files[fidHex(fid)];
  if (content === undefined) fail(SW.FILE_NOT_FOUND);
  if (fid >> 8 === PROTECTED_DATA_PREFIX && !isUserAuthenticated(ctx)) fail(SW.SECURITY_NOT_SATISFIED);
  const { offset } = readOffset(apdu.data);
  ctx.session.currentEf = fid;
  // Past the end is an empty answer: OpenSC reads until it gets one (SC-HSM.md §4.8).
  const end = apdu.ne === 0 ? content.length : Math.min(content.length, offset + apdu.ne);
  return content.slice(Math.min(offset, content.length), end);
}

function isWritable(fid: number): boolean {
  return fid >> 8 !== KEY_PREFIX && fidHex(fid) !== DEVICE_CERTIFICATES_FID && fid !== 0x3f00;
}

/**
 * 54 02 <offset> 53 <len> <data>. An absent EF is created; offset 0 replaces the
 * whole content, a later offset writes into it and keeps the rest, so
 * OpenSC's chunked writes (offset 0 first) rebuild the file exactly.
 */
export function updateBinary(ctx: CardContext, apdu: CommandApdu): Reply {
  requireUser(ctx);
  const fid = targetFid(ctx, apdu);
  if (!isWritable(fid)) fail(SW.SECURITY_NOT_SATISFIED);
  const { offset, rest } = readOffset(apdu.data);
  let chunk: Uint8Array;
  try {
    const { tlv, next } = readTlv(rest, 0);
    if (tlv.tag !== 0x53 || next !== rest.length) fail(SW.INCORRECT_DATA);
    chunk = tlv.value;
  } catch (e) {
    if (e instanceof CardStatus) throw e;
    fail(SW.INCORRECT_DATA);
  }
  if (offset + chunk.length > MAX_EF_BYTES) fail(SW.NOT_ENOUGH_MEMORY);
  const key = fidHex(fid);
  const old = ctx.state.files[key] ?? new Uint8Array(0);
  let next: Uint8Array;
  if (offset === 0) {
    next = Uint8Array.from(chunk);
  } else {
    next = new Uint8Array(Math.max(old.length, offset + chunk.length));
    next.set(old, 0);
    next.set(chunk, offset);
  }
  ctx.state.files[key] = next;
  ctx.session.currentEf = fid;
  ctx.persist();
  return NO_DATA;
}

export function deleteFile(ctx: CardContext, apdu: CommandApdu): Reply {
  requireUser(ctx);
  if (apdu.p1 !== 0x02 && apdu.p1 !== 0x00) fail(SW.INCORRECT_P1P2);
  let fid: number;
  if (apdu.data.length === 2) fid = (apdu.data[0]! << 8) | apdu.data[1]!;
  else if (apdu.data.length === 0 && ctx.session.currentEf !== undefined) fid = ctx.session.currentEf;
  else fail(SW.WRONG_LENGTH);
  if (fid >> 8 === KEY_PREFIX) {
    const id = fid & 0xff;
    if (id === 0 || ctx.state.keys[id] === undefined) fail(id === 0 ? SW.SECURITY_NOT_SATISFIED : SW.FILE_NOT_FOUND);
    delete ctx.state.keys[id];
  } else {
    if (!isWritable(fid)) fail(SW.SECURITY_NOT_SATISFIED);
    if (ctx.state.files[fidHex(fid)] === undefined) fail(SW.FILE_NOT_FOUND);
    delete ctx.state.files[fidHex(fid)];
  }
  if (ctx.session.currentEf === fid) delete ctx.session.currentEf;
  ctx.persist();
  return NO_DATA;
}
