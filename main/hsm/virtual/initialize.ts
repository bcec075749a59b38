/**
 * INITIALIZE DEVICE (80 50), SC-HSM.md §4.5: sets options, PINs, DKEK share
 * count and public-key authentication, and wipes every key and EF except the
 * device key and its certificates (EF 2F02), which are the factory's.
 *
 * Re-initialising an initialised card needs the current SO-PIN in tag 82. A
 * wrong one costs an SO-PIN try and answers 63Cx, like every other SO-PIN
 * check: otherwise INITIALIZE would be a free oracle for guessing the SO-PIN,
 * and OpenSC shows 63Cx as "PIN incorrect" with the tries left.
 */
import { randomBytes } from 'node:crypto';
import type { CommandApdu } from './apdu.ts';
import { SW, fail } from './apdu.ts';
import type { CardContext, Reply } from './context.ts';
import { NO_DATA, requireP1P2 } from './context.ts';
import { checkPin, DEFAULT_USER_PIN_TRIES, SO_PIN_BYTES, SO_PIN_TRIES, storePin, USER_PIN_MAX_BYTES, USER_PIN_MIN_BYTES } from './pins.ts';
import { logout } from './session.ts';
import { decodeTlvList, type Tlv } from '../../pki/cvc/tlv.ts';

export const DEVICE_CERTIFICATES_FID = '2F02';
const MAX_PKA_KEYS = 90;

function parseTlvs(data: Uint8Array): Map<number, Uint8Array> {
  let list: Tlv[];
  try {
    list = decodeTlvList(data);
  } catch {
    fail(SW.INCORRECT_DATA);
  }
  return new Map(list.map((t) => [t.tag, t.value]));
}

export function initializeDevice(ctx: CardContext, apdu: CommandApdu): Reply {
  requireP1P2(apdu, 0x00, 0x00);
  if (apdu.data.length === 0) fail(SW.WRONG_LENGTH);
  const tags = parseTlvs(apdu.data);
  const soPin = tags.get(0x82);
  const userPin = tags.get(0x81);
  if (soPin === undefined || soPin.length !== SO_PIN_BYTES) fail(SW.INCORRECT_DATA);
  // C_InitToken sends the first 6 bytes of the SO-PIN, binary, as the initial user PIN (SC-HSM.md §4.5).
  if (userPin === undefined || userPin.length < USER_PIN_MIN_BYTES || userPin.length > USER_PIN_MAX_BYTES) fail(SW.INCORRECT_DATA);
  const optionsTag = tags.get(0x80);
  if (optionsTag !== undefined && optionsTag.length !== 2) fail(SW.INCORRECT_DATA);
  const retryTag = tags.get(0x91);
  const userTries = retryTag === undefined ? DEFAULT_USER_PIN_TRIES : retryTag[0] ?? 0;
  if ((retryTag !== undefined && retryTag.length !== 1) || userTries < 1 || userTries > 10) fail(SW.INCORRECT_DATA);
  const dkekTag = tags.get(0x92);
  if (dkekTag !== undefined && dkekTag.length !== 1) fail(SW.INCORRECT_DATA);
  const pkaTag = tags.get(0x93);
  if (pkaTag !== undefined) {
    const [total = 0, required = 0] = pkaTag;
    if (pkaTag.length !== 2 || total < 1 || total > MAX_PKA_KEYS || required < 1 || required > total) fail(SW.INCORRECT_DATA);
  }

  if (ctx.state.initialized && ctx.state.soPin !== undefined) {
    try {
      checkPin(ctx.state.soPin, soPin);
    } finally {
      ctx.persist();
    }
  }

  const state = ctx.state;
  state.options = optionsTag === undefined ? 0x0001 : (optionsTag[0]! << 8) | optionsTag[1]!;
  state.userPin = storePin(userPin, userTries);
  state.soPin = storePin(soPin, SO_PIN_TRIES);
  state.keys = {};
  const deviceCertificates = state.files[DEVICE_CERTIFICATES_FID];
  state.files = deviceCertificates === undefined ? {} : { [DEVICE_CERTIFICATES_FID]: deviceCertificates };
  if (dkekTag === undefined) delete state.dkek;
  else if (dkekTag[0] === 0) state.dkek = { totalShares: 0, importedShares: 0, value: new Uint8Array(randomBytes(32)) };
  else state.dkek = { totalShares: dkekTag[0]!, importedShares: 0, value: new Uint8Array(32) };
  if (pkaTag === undefined) delete state.pka;
  else state.pka = { totalKeys: pkaTag[0]!, requiredKeys: pkaTag[1]!, registrations: [] };
  state.initialized = true;
  ctx.persist();
  logout(ctx.session);
  return NO_DATA;
}
