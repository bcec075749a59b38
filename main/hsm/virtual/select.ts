/**
 * SELECT (00 A4): the SmartCard-HSM applet by AID, and EFs by FID
 * (SC-HSM.md §1.3, §4.1). Unknown AIDs answer 6A82 so the drivers OpenSC tries
 * before sc-hsm do not claim the card.
 */
import type { CommandApdu } from './apdu.ts';
import { SW, fail } from './apdu.ts';
import type { CardContext, Reply } from './context.ts';
import { NO_DATA } from './context.ts';
import { logout } from './session.ts';
import { fidHex } from './state.ts';
import { encodeTlv } from '../../pki/cvc/tlv.ts';

export const SC_HSM_AID = Uint8Array.from([0xe8, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x81, 0xc3, 0x1f, 0x02, 0x01]);
/** Applet version reported in tag 85; OpenSC shows "SmartCard-HSM version 3.5". */
export const APPLET_VERSION = { major: 3, minor: 5 } as const;
/** Applet type byte (tag 85, last-2): neither 00 (JCOP) nor 01 (demo), so OpenSC names it plain "SmartCard-HSM". */
const APPLET_TYPE = 0xff;
/** Session-PIN option (0004): never advertised, it would make OpenSC start secure messaging (SC-HSM.md §1.3). */
const OPTION_SESSION_PIN = 0x0004;

export function appletFcp(options: number): Uint8Array {
  const advertised = options & ~OPTION_SESSION_PIN;
  return encodeTlv(0x62, [
    encodeTlv(0x82, Uint8Array.of(0x38)),
    encodeTlv(0x84, SC_HSM_AID),
    encodeTlv(0x85, Uint8Array.of((advertised >> 8) & 0xff, advertised & 0xff, APPLET_TYPE, APPLET_VERSION.major, APPLET_VERSION.minor)),
  ]);
}

/** FCP of a transparent EF: size in 81 as pico-hsm sends it, which OpenSC reads into file->size. */
export function efFcp(fid: number, size: number): Uint8Array {
  return encodeTlv(0x62, [
    encodeTlv(0x81, Uint8Array.of((size >> 8) & 0xff, size & 0xff)),
    encodeTlv(0x82, Uint8Array.of(0x01)),
    encodeTlv(0x83, Uint8Array.of(fid >> 8, fid & 0xff)),
  ]);
}

export function select(ctx: CardContext, apdu: CommandApdu): Reply {
  const wantsFcp = (apdu.p2 & 0x0c) !== 0x0c;
  if (apdu.p1 === 0x04) {
    if (!Buffer.from(apdu.data).equals(SC_HSM_AID)) fail(SW.FILE_NOT_FOUND);
    // SELECT of the applet is the logout (OpenSC sc_hsm_logout, scsh logout()).
    logout(ctx.session);
    return wantsFcp ? appletFcp(ctx.state.options) : NO_DATA;
  }
  if (apdu.p1 !== 0x00 && apdu.p1 !== 0x02 && apdu.p1 !== 0x08) fail(SW.INCORRECT_P1P2);
  if (apdu.data.length < 2 || apdu.data.length % 2 !== 0) fail(SW.WRONG_LENGTH);
  // A path (P1 08) names the EF by its last FID: every EF sits directly under the applet.
  const fid = (apdu.data[apdu.data.length - 2]! << 8) | apdu.data[apdu.data.length - 1]!;
  const content = ctx.state.files[fidHex(fid)];
  if (content === undefined) fail(SW.FILE_NOT_FOUND);
  ctx.session.currentEf = fid;
  return wantsFcp ? efFcp(fid, content.length) : NO_DATA;
}
