/**
 * One SmartCard-HSM behind one held connection. It remembers whether it
 * authenticated the card (PIN or custodian quorum) so that a card which
 * forgot it — another program SELECTed the applet, the card was reset —
 * shows up as AUTH_STATE_LOST instead of a puzzling "not logged in"
 * (SC-HSM.md §1.5). It never SELECTs on its own between login and logout.
 */
import { CustosError, isCustosError } from '../../errors/index.ts';
import type { Secret } from '../../secret.ts';
import { concatBytes, decodeTlvList, encodeTlv, findTag, readTlv } from '../../pki/cvc/tlv.ts';
import { isValidHolderReference } from '../../pki/cvc/holder-reference.ts';
import { exchangeApdu, MAX_EXTENDED_NE, MAX_SHORT_APDU_BYTES, MAX_SHORT_NE, type CommandApdu } from './apdu.ts';
import * as cmd from './commands.ts';
import { errorForSw, SW_END_OF_FILE, SW_OK, SW_REFERENCED_DATA_NOT_FOUND, SW_AUTH_METHOD_BLOCKED, SW_REFERENCED_DATA_NOT_USABLE, triesLeftOf, type CardOperation } from './status.ts';
import type { ApduTransport } from './transport.ts';

export type AuthState = 'none' | 'pin' | 'pka';

export interface AppletVersion {
  readonly major: number;
  readonly minor: number;
}

export interface PinStatus {
  readonly initialized: boolean;
  /** Verified in the current session (the card answered 9000 to the status query). */
  readonly verified: boolean;
  readonly blocked: boolean;
  /** The card is still in transport-PIN mode (6984). */
  readonly transportPin: boolean;
  readonly triesLeft?: number;
}

export interface InitializeOptions {
  /** 16 hexadecimal digits (8 bytes), the SmartCard-HSM's initialization code. */
  readonly soPin: Secret;
  /** 6 to 15 characters. */
  readonly pin: Secret;
  /** User PIN retry counter, 1–10 (default 3). */
  readonly pinRetries?: number;
  /** Number of DKEK shares the key domain is made of; absent = no key backup. */
  readonly dkekShares?: number;
  /** Public-key authentication: required of total custodian keys. */
  readonly pka?: { readonly total: number; readonly required: number };
  /** Device option bits (SC-HSM.md §4.5); default 0001, PIN unblock with the SO-PIN allowed. */
  readonly options?: number;
}

export interface DkekStatus {
  readonly totalShares: number;
  readonly outstandingShares: number;
  /** First 8 bytes of SHA-256(DKEK), hex; meaningful once outstandingShares is 0. */
  readonly kcv: string;
}

export interface PkaStatus {
  readonly totalKeys: number;
  readonly keysToRegister: number;
  readonly requiredKeys: number;
  readonly authenticatedKeys: number;
}

/** JCOP 3 buffer (SC-HSM.md §2): larger APDUs failed on real cards, so writes are cut into pieces below it. */
const CARD_APDU_BUFFER_BYTES = 1232;
const MIN_PIN_CHARS = 6;
/** OpenSC's PKCS#15 PIN object allows 15 (OpenSC issue #1655), though the card takes 16. */
const MAX_PIN_CHARS = 15;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fidHex = (f: number): string => f.toString(16).toUpperCase().padStart(4, '0');

/** The 8-byte SO-PIN from its 16 hex digits; refuses anything else before the card counts a try. */
export function soPinBytes(soPin: Secret): Uint8Array {
  const text = soPin.reveal();
  if (!/^[0-9a-fA-F]{16}$/.test(text)) {
    throw new CustosError('PIN_INVALID', 'The SO-PIN must be exactly 16 hexadecimal digits (0-9, A-F).', {});
  }
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

export function userPinBytes(pin: Secret): Uint8Array {
  if (pin.length < MIN_PIN_CHARS || pin.length > MAX_PIN_CHARS) {
    throw new CustosError('PIN_INVALID', `The PIN must be ${MIN_PIN_CHARS} to ${MAX_PIN_CHARS} characters long.`, { minChars: MIN_PIN_CHARS, maxChars: MAX_PIN_CHARS });
  }
  return pin.revealBytes();
}

export class ScHsmCard {
  readonly transport: ApduTransport;
  #auth: AuthState = 'none';
  #version: AppletVersion = { major: 0, minor: 0 };
  #options: number | undefined;

  private constructor(transport: ApduTransport) {
    this.transport = transport;
  }

  /** Selects the applet on a fresh connection; throws TOKEN_NOT_FOUND when the card is no SmartCard-HSM. */
  static async open(transport: ApduTransport): Promise<ScHsmCard> {
    const card = new ScHsmCard(transport);
    await card.select();
    return card;
  }

  get authState(): AuthState {
    return this.#auth;
  }

  get version(): AppletVersion {
    return this.#version;
  }

  /** The device options' low byte as the SELECT answer states them (SC-HSM.md §1.3), or undefined when it does not. */
  get deviceOptions(): number | undefined {
    return this.#options;
  }

  /** Sends one command; maps its status word; notices a card that forgot its authentication. */
  async run(command: CommandApdu, operation: CardOperation, target?: string): Promise<Uint8Array> {
    const response = await this.#exchange(command);
    if (response.sw === SW_OK) return response.data;
    throw this.#fail(response.sw, operation, target);
  }

  async #exchange(command: CommandApdu): ReturnType<typeof exchangeApdu> {
    try {
      return await exchangeApdu(this.transport, command);
    } catch (e) {
      // The transport reports a reset card as AUTH_STATE_LOST; with nothing authenticated there is nothing to lose.
      if (isCustosError(e) && e.code === 'AUTH_STATE_LOST') {
        const wasAuthenticated = this.#auth !== 'none';
        this.#auth = 'none';
        if (wasAuthenticated) throw e;
        if (command.ins !== 0xa4) await this.select();
        return await exchangeApdu(this.transport, command);
      }
      throw e;
    }
  }

  #fail(sw: number, operation: CardOperation, target?: string): CustosError {
    const e = errorForSw(sw, { operation, authenticated: this.#auth !== 'none', ...(target !== undefined ? { target } : {}) });
    if (e.code === 'AUTH_STATE_LOST') this.#auth = 'none';
    return e;
  }

  /** SELECT of the applet. It also logs the card out (PIN and PKA), which is how logout works on this card. */
  async select(): Promise<AppletVersion> {
    const response = await exchangeApdu(this.transport, cmd.selectApplet());
    this.#auth = 'none';
    if (response.sw !== SW_OK) throw this.#fail(response.sw, 'select');
    this.#version = versionFromFcp(response.data);
    this.#options = optionsFromFcp(response.data);
    return this.#version;
  }

  /** Drops the card's authentication state so no later program inherits an unlocked card. */
  async logout(): Promise<void> {
    await this.select();
  }

  /** PIN state without spending a try (VERIFY with no data, SC-HSM.md §4.2). */
  async pinStatus(which: 'user' | 'so' = 'user'): Promise<PinStatus> {
    const response = await this.#exchange(cmd.verify(which === 'user' ? cmd.PIN_REF_USER : cmd.PIN_REF_SO));
    const sw = response.sw;
    if (sw === SW_OK) return { initialized: true, verified: true, blocked: false, transportPin: false };
    const tries = triesLeftOf(sw);
    if (tries !== undefined) return { initialized: true, verified: false, blocked: tries === 0, transportPin: false, triesLeft: tries };
    if (sw === SW_AUTH_METHOD_BLOCKED) return { initialized: true, verified: false, blocked: true, transportPin: false, triesLeft: 0 };
    if (sw === SW_REFERENCED_DATA_NOT_FOUND) return { initialized: false, verified: false, blocked: false, transportPin: false };
    if (sw === SW_REFERENCED_DATA_NOT_USABLE) return { initialized: true, verified: false, blocked: false, transportPin: true };
    throw this.#fail(sw, 'pin-status');
  }

  /**
   * Confirms the card still holds the login this driver made, before a step
   * that writes: a lost login found here leaves nothing half-written.
   */
  async assertAuthenticated(): Promise<void> {
    if (this.#auth === 'none') {
      throw new CustosError('NOT_LOGGED_IN', 'The SmartCard-HSM needs a login (PIN or custodian quorum) for this step: log in first.', {});
    }
    if (this.#auth === 'pin') {
      const status = await this.pinStatus('user');
      if (!status.verified) {
        this.#auth = 'none';
        throw new CustosError('AUTH_STATE_LOST', 'The SmartCard-HSM forgot its login (another program selected it or the card was reset): log in again and repeat the step.', { operation: 'pin-status' });
      }
      return;
    }
    const pka = await this.pkaStatus();
    if (pka.authenticatedKeys < pka.requiredKeys) {
      this.#auth = 'none';
      throw new CustosError('AUTH_STATE_LOST', 'The SmartCard-HSM forgot the custodian quorum (another program selected it or the card was reset): authenticate the custodians again.', { operation: 'pka-status' });
    }
  }

  async verifyPin(pin: Secret): Promise<void> {
    const bytes = userPinBytes(pin);
    try {
      await this.run(cmd.verify(cmd.PIN_REF_USER, bytes), 'verify-pin');
    } finally {
      bytes.fill(0);
    }
    this.#auth = 'pin';
  }

  async changePin(oldPin: Secret, newPin: Secret): Promise<void> {
    const data = concatBytes(userPinBytes(oldPin), userPinBytes(newPin));
    try {
      await this.run(cmd.changeReferenceData(cmd.PIN_REF_USER, data), 'change-pin');
    } finally {
      data.fill(0);
    }
  }

  async changeSoPin(oldSoPin: Secret, newSoPin: Secret): Promise<void> {
    const data = concatBytes(soPinBytes(oldSoPin), soPinBytes(newSoPin));
    try {
      await this.run(cmd.changeReferenceData(cmd.PIN_REF_SO, data), 'change-so-pin');
    } finally {
      data.fill(0);
    }
  }

  /** RESET RETRY COUNTER with the SO-PIN, setting a new user PIN when one is given. */
  async unblockPin(soPin: Secret, newPin?: Secret): Promise<void> {
    const data = newPin === undefined ? soPinBytes(soPin) : concatBytes(soPinBytes(soPin), userPinBytes(newPin));
    try {
      await this.run(cmd.resetRetryCounter(data, newPin !== undefined), 'unblock-pin');
    } finally {
      data.fill(0);
    }
  }

  /** INITIALIZE DEVICE: removes every key and object except the device key and its certificates. */
  async initialize(options: InitializeOptions): Promise<void> {
    const retries = options.pinRetries ?? 3;
    if (!Number.isInteger(retries) || retries < 1 || retries > 10) {
      throw new CustosError('INPUT_INVALID', 'The PIN retry counter must be 1 to 10.', { pinRetries: retries });
    }
    const parts: Uint8Array[] = [];
    const opt = options.options ?? 0x0001;
    parts.push(encodeTlv(0x80, Uint8Array.of(opt >> 8, opt & 0xff)));
    parts.push(encodeTlv(0x81, userPinBytes(options.pin)));
    parts.push(encodeTlv(0x82, soPinBytes(options.soPin)));
    parts.push(encodeTlv(0x91, Uint8Array.of(retries)));
    if (options.dkekShares !== undefined) {
      if (!Number.isInteger(options.dkekShares) || options.dkekShares < 0 || options.dkekShares > 255) {
        throw new CustosError('INPUT_INVALID', 'The number of DKEK shares must be 0 to 255 (0 lets the card make a random DKEK).', {});
      }
      parts.push(encodeTlv(0x92, Uint8Array.of(options.dkekShares)));
    }
    if (options.pka !== undefined) {
      const { total, required } = options.pka;
      if (!Number.isInteger(total) || !Number.isInteger(required) || required < 1 || total > 90 || required > total) {
        throw new CustosError('INPUT_INVALID', 'The custodian quorum must be 1 ≤ required ≤ total ≤ 90.', { total, required });
      }
      parts.push(encodeTlv(0x93, Uint8Array.of(total, required)));
    }
    const data = concatBytes(...parts);
    try {
      await this.run(cmd.initializeDevice(data), 'initialize');
    } finally {
      data.fill(0);
      for (const p of parts) p.fill(0);
    }
    this.#auth = 'none';
  }

  /** Every key and EF on the card, as 16-bit FIDs. */
  async enumerateObjects(): Promise<number[]> {
    const data = await this.run(cmd.enumerateObjects(), 'enumerate');
    if (data.length % 2 !== 0) throw new CustosError('APDU_MALFORMED', 'The SmartCard-HSM object list has an odd length.', { bytes: data.length });
    const out: number[] = [];
    for (let i = 0; i < data.length; i += 2) out.push((data[i]! << 8) | data[i + 1]!);
    return out;
  }

  async readFile(fileId: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    const ne = this.transport.maxApduBytes > MAX_SHORT_APDU_BYTES ? MAX_EXTENDED_NE : MAX_SHORT_NE;
    let offset = 0;
    for (;;) {
      const response = await this.#exchange(cmd.readBinary(fileId, offset, ne));
      if (response.sw !== SW_OK && response.sw !== SW_END_OF_FILE) {
        // A read past the end may fail on some firmware; what was read is the file (SC-HSM.md §4.8).
        if (offset > 0 && response.sw !== 0x6982) break;
        throw this.#fail(response.sw, 'read-file', fidHex(fileId));
      }
      if (response.data.length === 0) break;
      parts.push(response.data);
      offset += response.data.length;
      if (response.sw === SW_END_OF_FILE || response.data.length < ne || offset > 0xffff) break;
    }
    return concatBytes(...parts);
  }

  /** Whether the file exists (READ answers 6A82 when it does not). */
  async readFileIfPresent(fileId: number): Promise<Uint8Array | undefined> {
    try {
      return await this.readFile(fileId);
    } catch (e) {
      if (isCustosError(e) && e.code === 'FILE_NOT_FOUND') return undefined;
      throw e;
    }
  }

  /** Writes a whole EF (creating it), in pieces that fit the reader and the card's APDU buffer. */
  async writeFile(fileId: number, data: Uint8Array): Promise<void> {
    if (data.length > 0xffff) throw new CustosError('FILE_TOO_LARGE', `A SmartCard-HSM file holds at most 65535 bytes; this one has ${data.length}.`, { bytes: data.length });
    // Header 4 + extended Lc 3 + offset TLV 4 + 53 with a 3-byte length.
    const perApdu = Math.min(this.transport.maxApduBytes, CARD_APDU_BUFFER_BYTES) - (4 + 3 + 4 + 4);
    if (perApdu <= 0) throw new CustosError('APDU_TOO_LONG', 'This reader cannot carry a file write.', { maxApduBytes: this.transport.maxApduBytes });
    let offset = 0;
    do {
      const chunk = data.subarray(offset, offset + perApdu);
      await this.run(cmd.updateBinary(fileId, offset, encodeTlv(0x53, chunk)), 'write-file', fidHex(fileId));
      offset += chunk.length;
    } while (offset < data.length);
  }

  async deleteFile(fileId: number): Promise<void> {
    const isKey = fileId >> 8 === cmd.PREFIX_KEY;
    await this.run(cmd.deleteFile(fileId), isKey ? 'delete-key' : 'delete-file', isKey ? (fileId & 0xff).toString(16).padStart(2, '0') : fidHex(fileId));
  }

  /** GENERATE ASYMMETRIC KEY PAIR, attested by the device key (id 0); returns the 67 authenticated request. */
  async generateKeyPair(keyId: number, bodyContent: Uint8Array): Promise<Uint8Array> {
    return await this.run(cmd.generateAsymmetricKeyPair(keyId, 0, bodyContent), 'generate-key', keyId.toString(16).padStart(2, '0'));
  }

  async sign(keyId: number, algorithm: number, input: Uint8Array): Promise<Uint8Array> {
    return await this.run(cmd.sign(keyId, algorithm, input), 'sign', keyId.toString(16).padStart(2, '0'));
  }

  async getChallenge(bytes: number): Promise<Uint8Array> {
    const data = await this.run(cmd.getChallenge(bytes), 'get-challenge');
    if (data.length !== bytes) throw new CustosError('CARD_ERROR', `The SmartCard-HSM returned ${data.length} challenge bytes instead of ${bytes}.`, {});
    return data;
  }

  async dkekStatus(): Promise<DkekStatus> {
    return dkekStatusFrom(await this.run(cmd.importDkekShare(), 'dkek-status'));
  }

  async importDkekShare(share: Uint8Array): Promise<DkekStatus> {
    if (share.length !== 32) throw new CustosError('DKEK_SHARE_MALFORMED', `A DKEK share is 32 bytes; this one has ${share.length}.`, { bytes: share.length });
    return dkekStatusFrom(await this.run(cmd.importDkekShare(share), 'dkek-import'));
  }

  async wrapKey(keyId: number): Promise<Uint8Array> {
    return await this.run(cmd.wrapKey(keyId), 'wrap-key', keyId.toString(16).padStart(2, '0'));
  }

  /**
   * UNWRAP KEY. A blob that does not fit one APDU for this reader and card
   * (RSA-4096 is ~1100 bytes) goes through EF 2F10 first, as OpenSC ≥ 0.24 does.
   */
  async unwrapKey(keyId: number, blob: Uint8Array): Promise<void> {
    const target = keyId.toString(16).padStart(2, '0');
    const direct = cmd.unwrapKey(keyId, blob);
    if (4 + 3 + blob.length <= Math.min(this.transport.maxApduBytes, CARD_APDU_BUFFER_BYTES)) {
      await this.run(direct, 'unwrap-key', target);
      return;
    }
    await this.writeFile(cmd.EF_UNWRAP_BUFFER, blob);
    await this.run(cmd.unwrapKey(keyId), 'unwrap-key', target);
  }

  async pkaStatus(): Promise<PkaStatus> {
    return pkaStatusFrom(await this.run(cmd.managePka(), 'pka-status'));
  }

  /** MSE SET B6: true when the card already knows a public key under this CHR. */
  async selectVerificationKey(chr: string): Promise<boolean> {
    const response = await this.#exchange(cmd.manageSecurityEnvironment(0xb6, encodeTlv(0x83, new TextEncoder().encode(chr))));
    if (response.sw === SW_OK) return true;
    if (response.sw === SW_REFERENCED_DATA_NOT_FOUND) return false;
    throw this.#fail(response.sw, 'select-verification-key', chr);
  }

  /** PSO VERIFY CERTIFICATE with the 7F21 content (body and signature, no 7F21 header). */
  async verifyCertificate(certificateContent: Uint8Array): Promise<void> {
    await this.run(cmd.psoVerifyCertificate(certificateContent), 'verify-certificate');
  }

  /** MANAGE PKA register: the content of the custodian key's 67 request. */
  async registerPkaKey(requestContent: Uint8Array): Promise<PkaStatus> {
    return pkaStatusFrom(await this.run(cmd.managePka(requestContent), 'pka-register'));
  }

  /**
   * The CHRs of the registered custodian keys and whether each authenticated
   * in this session, by MANAGE PKA 02 <index> (pico-hsm and the virtual card);
   * undefined when the card has no such query (CardContact documents none).
   */
  async registeredPkaKeys(total: number): Promise<{ chr: string; authenticated: boolean }[] | undefined> {
    const out: { chr: string; authenticated: boolean }[] = [];
    for (let index = 0; index < total; index++) {
      const response = await this.#exchange(cmd.managePkaEntry(index));
      if (response.sw === SW_REFERENCED_DATA_NOT_FOUND) break;
      if (response.sw !== SW_OK && response.sw !== 0x9001) return undefined;
      const chr = new TextDecoder('latin1').decode(response.data);
      // A card that ignores P1 answers the 4-byte status instead: no list, rather than a list of garbage.
      if (!isValidHolderReference(chr)) return undefined;
      out.push({ chr, authenticated: response.sw === 0x9001 });
    }
    return out;
  }

  async selectPkaKey(chr: string): Promise<void> {
    await this.run(cmd.manageSecurityEnvironment(0xa4, encodeTlv(0x83, new TextEncoder().encode(chr))), 'pka-select-key', chr);
  }

  /** EXTERNAL AUTHENTICATE with a custodian's plain r||s signature; reads back whether the quorum is reached. */
  async externalAuthenticate(signature: Uint8Array): Promise<PkaStatus> {
    await this.run(cmd.externalAuthenticate(signature), 'pka-authenticate');
    const status = await this.pkaStatus();
    if (status.authenticatedKeys >= status.requiredKeys) this.#auth = 'pka';
    return status;
  }

  /**
   * Ends the connection after logging the card out. SELECT runs even when the
   * driver holds no login: a partly reached custodian quorum is card state too.
   */
  async close(): Promise<void> {
    try {
      await this.select();
    } catch {
      // A removed card has no login to drop.
    } finally {
      this.#auth = 'none';
      await this.transport.close();
    }
  }
}

/** Applet version from the FCP's proprietary tag 85: the last two bytes are major, minor (SC-HSM.md §1.3). */
export function versionFromFcp(fcp: Uint8Array): AppletVersion {
  if (fcp.length === 0) return { major: 0, minor: 0 };
  const outer = readTlv(fcp, 0).tlv;
  if (outer.tag !== 0x62 && outer.tag !== 0x6f) {
    throw new CustosError('TOKEN_NOT_FOUND', 'The card answered the SmartCard-HSM SELECT without a file control template: it is not a SmartCard-HSM.', { tag: outer.tag.toString(16) });
  }
  const t85 = findTag(decodeTlvList(outer.value), 0x85);
  if (t85 === undefined || t85.value.length < 2) {
    throw new CustosError('TOKEN_NOT_FOUND', 'The card answered the SmartCard-HSM SELECT without a version (FCP tag 85): it is not a SmartCard-HSM.', {});
  }
  const v = t85.value;
  return { major: v[v.length - 2]!, minor: v[v.length - 1]! };
}

/**
 * The low byte of the device options from FCP tag 85: the byte before the
 * applet type, version major and minor (OpenSC's sc-hsm-tool reads it there).
 * A tag of fewer than four bytes does not state it.
 */
export function optionsFromFcp(fcp: Uint8Array): number | undefined {
  if (fcp.length === 0) return undefined;
  const outer = readTlv(fcp, 0).tlv;
  const t85 = findTag(decodeTlvList(outer.value), 0x85);
  if (t85 === undefined || t85.value.length < 4) return undefined;
  return t85.value[t85.value.length - 4]!;
}

function dkekStatusFrom(data: Uint8Array): DkekStatus {
  if (data.length < 10) throw new CustosError('APDU_MALFORMED', `The DKEK status has ${data.length} bytes, expected 10.`, { bytes: data.length });
  return { totalShares: data[0]!, outstandingShares: data[1]!, kcv: hex(data.subarray(2, 10)) };
}

function pkaStatusFrom(data: Uint8Array): PkaStatus {
  if (data.length < 4) throw new CustosError('APDU_MALFORMED', `The public-key authentication status has ${data.length} bytes, expected 4.`, { bytes: data.length });
  return { totalKeys: data[0]!, keysToRegister: data[1]!, requiredKeys: data[2]!, authenticatedKeys: data[3]! };
}
