/**
 * The virtual SmartCard-HSM: a software card that answers the APDUs of the
 * real device (SC-HSM.md §4) with its persistent memory in an encrypted state
 * file. Reached in-process through transmit(), or by OpenSC and PC/SC hosts
 * through pcscd + vpcd (vpcd-bridge.ts). It is a rehearsal token: every
 * artifact it makes chains to a "UT" test root, never to CardContact's.
 */
import { basename } from 'node:path';
import { CustosError } from '../../errors/index.ts';
import { acquireLock } from '../../fs/lock-file.ts';
import type { CommandApdu } from './apdu.ts';
import { CardStatus, SW, fail, parseCommandApdu, responseApdu } from './apdu.ts';
import { createDeviceIdentity, createForeignDeviceIdentity, virtualSrcaCertificate, type ForeignDeviceOptions } from './attestation.ts';
import type { CardContext, Handler, Reply } from './context.ts';
import { deleteFile, enumerateObjects, readBinary, updateBinary } from './files.ts';
import { DEVICE_CERTIFICATES_FID, initializeDevice } from './initialize.ts';
import { decipher, generateAsymmetricKeyPair, signData } from './key-commands.ts';
import { importDkekShare, unwrapKey, wrapKey } from './dkek-commands.ts';
import { externalAuthenticate, getChallenge, manageSecurityEnvironment, managePublicKeyAuthentication, verifyCertificate } from './pka-commands.ts';
import { changeReferenceData, resetRetryCounter, verify } from './pin-commands.ts';
import { select } from './select.ts';
import { logout, newSession, type Session } from './session.ts';
import type { CardState } from './state.ts';
import { deserializeState, serializeState } from './state.ts';
import { createStateSecret, readStateFile, readStateSecret, writeStateFile } from './state-file.ts';

/** The standard SmartCard-HSM ATR (T=1), which OpenSC matches without sending an APDU (SC-HSM.md §1.1). */
export const SC_HSM_ATR = Uint8Array.from(Buffer.from('3BFE1800008131FE458031815448534D31738021408107FA', 'hex'));

const INS_GET_RESPONSE = 0xc0;

/** Handlers by INS. CLA 00 and 80 are both accepted, as pico-hsm does; CardContact hosts mix them. */
const HANDLERS: ReadonlyMap<number, Handler> = new Map<number, Handler>([
  [0xa4, select],
  [0x20, verify],
  [0x24, changeReferenceData],
  [0x2c, resetRetryCounter],
  [0x50, initializeDevice],
  [0x58, enumerateObjects],
  [0xb1, readBinary],
  [0xd7, updateBinary],
  [0xe4, deleteFile],
  [0x46, generateAsymmetricKeyPair],
  [0x68, signData],
  [0x62, decipher],
  [0x52, importDkekShare],
  [0x72, wrapKey],
  [0x74, unwrapKey],
  [0x84, getChallenge],
  [0x22, manageSecurityEnvironment],
  [0x2a, verifyCertificate],
  [0x54, managePublicKeyAuthentication],
  [0x82, externalAuthenticate],
]);

export interface CreateOptions {
  /** Shown by hosts that read no TokenInfo; OpenSC reads the label from EF 2F03. */
  readonly label?: string;
  /**
   * Provision the card as a compatible card no known root attests (a 67
   * request and a self-issued 7F21 in EF 2F02, a serial every such card
   * shares), to rehearse and test how hosts treat one.
   */
  readonly foreign?: ForeignDeviceOptions;
}

/**
 * Two holders writing one state file would each overwrite the other's
 * changes (a PIN counter, a new key), so the file is held like a card in an
 * exclusive connection: a second holder is refused as a card held by another
 * program is.
 */
function lockStateFile(stateFile: string): () => void {
  return acquireLock(`${stateFile}.lock`, (holder) => new CustosError('SESSION_FAILED',
    `The virtual SmartCard-HSM ${basename(stateFile)} is in use${holder ? ` by process ${holder.pid}${holder.pid === process.pid ? ' (this one)' : ''}` : ''}: close it there first.`,
    { file: basename(stateFile), pid: holder?.pid ?? null }));
}

export class VirtualCard {
  readonly atr: Uint8Array = SC_HSM_ATR;
  readonly #stateFile: string;
  readonly #secret: Uint8Array;
  readonly #state: CardState;
  #session: Session = newSession();
  #closed = false;
  /** Lets go of the state file's lock: one holder at a time, as a real card has one. */
  #release: () => void = () => undefined;
  /** APDUs are answered one at a time, as a card does; a second host waits. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(stateFile: string, secret: Uint8Array, state: CardState) {
    this.#stateFile = stateFile;
    this.#secret = secret;
    this.#state = state;
  }

  /** A new, uninitialised card with a fresh device key and attestation chain. Refuses when stateFile exists. */
  static async create(stateFile: string, options: CreateOptions = {}): Promise<VirtualCard> {
    // FILE_EXISTS for a card that is there already, before its lock is asked for.
    const secret = createStateSecret(stateFile);
    // Held by another creating the same card at this moment: its secret is left as that one wrote it.
    const release = lockStateFile(stateFile);
    const identity = options.foreign ? createForeignDeviceIdentity(options.foreign) : createDeviceIdentity();
    const state: CardState = {
      formatVersion: 1,
      label: options.label ?? 'Custos virtual SmartCard-HSM',
      deviceKey: new Uint8Array(identity.deviceKey.export({ type: 'pkcs8', format: 'der' })),
      deviceChr: identity.deviceChr,
      deviceCertificates: identity.deviceCertificates,
      srcaCertificate: virtualSrcaCertificate(),
      initialized: false,
      options: 0x0001,
      files: { [DEVICE_CERTIFICATES_FID]: identity.deviceCertificates },
      keys: {},
    };
    const card = new VirtualCard(stateFile, secret, state);
    card.#release = release;
    card.#persist();
    return card;
  }

  /** Opens the card in stateFile; SESSION_FAILED while another VirtualCard, in this process or another, holds it. */
  static async open(stateFile: string): Promise<VirtualCard> {
    const release = lockStateFile(stateFile);
    try {
      const secret = readStateSecret(stateFile);
      const card = new VirtualCard(stateFile, secret, deserializeState(readStateFile(stateFile, secret)));
      card.#release = release;
      return card;
    } catch (e) {
      release();
      throw e;
    }
  }

  get label(): string {
    return this.#state.label;
  }

  /** CHR of the device certificate in EF 2F02. */
  get deviceChr(): string {
    return this.#state.deviceChr;
  }

  /** The token serial OpenSC shows: the device CHR without its last five characters (SC-HSM.md §1.4). */
  get serial(): string {
    return this.#state.deviceChr.slice(0, -5);
  }

  /** Answers one command APDU with data || SW1 SW2. A malformed APDU answers 6700. */
  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const run = this.#queue.then(() => this.#process(apdu));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Power off: the RAM is gone. */
  powerOff(): void {
    this.#session = newSession();
  }

  /** Warm reset: volatile state lost as a real card loses it; the applet stays selectable without re-SELECT. */
  reset(): void {
    this.#session = newSession();
  }

  async close(): Promise<void> {
    await this.#queue;
    this.#closed = true;
    logout(this.#session);
    this.#release();
  }

  #persist(): void {
    writeStateFile(this.#stateFile, this.#secret, serializeState(this.#state));
  }

  async #process(bytes: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) {
      throw new CustosError('TOKEN_REMOVED', 'The virtual card was closed: open it again.', {});
    }
    const apdu = parseCommandApdu(bytes);
    if (apdu === undefined) return responseApdu(new Uint8Array(0), SW.WRONG_LENGTH);
    if (apdu.ins === INS_GET_RESPONSE) return this.#getResponse(apdu);
    delete this.#session.pendingResponse;
    let reply: Reply;
    try {
      reply = await this.#dispatch(apdu);
    } catch (e) {
      if (e instanceof CardStatus) return responseApdu(new Uint8Array(0), e.sw);
      if (e instanceof CustosError && (e.code.startsWith('TLV_') || e.code.startsWith('CVC_'))) {
        return responseApdu(new Uint8Array(0), SW.INCORRECT_DATA);
      }
      // A card never throws: anything unforeseen is "no precise diagnosis", as a real applet answers.
      return responseApdu(new Uint8Array(0), SW.UNKNOWN);
    }
    const data = reply instanceof Uint8Array ? reply : reply.data;
    const sw = reply instanceof Uint8Array ? SW.OK : reply.sw;
    return this.#fit(apdu, data, sw);
  }

  #dispatch(apdu: CommandApdu): Reply | Promise<Reply> {
    if (apdu.cla !== 0x00 && apdu.cla !== 0x80) fail(SW.CLA_NOT_SUPPORTED);
    const handler = HANDLERS.get(apdu.ins);
    if (handler === undefined) fail(SW.INS_NOT_SUPPORTED);
    const ctx: CardContext = { state: this.#state, session: this.#session, persist: () => this.#persist() };
    return handler(ctx, apdu);
  }

  /**
   * A short APDU whose answer is longer than its Le gets the first Le bytes
   * and 61xx; the rest comes with GET RESPONSE (ISO 7816-4 §5.1.3). Extended
   * APDUs and APDUs without Le get the whole answer.
   */
  #fit(apdu: CommandApdu, data: Uint8Array, sw: number): Uint8Array {
    if (apdu.extended || apdu.ne === 0 || data.length <= apdu.ne || sw !== SW.OK) return responseApdu(data, sw);
    this.#session.pendingResponse = data.slice(apdu.ne);
    const left = this.#session.pendingResponse.length;
    return responseApdu(data.subarray(0, apdu.ne), 0x6100 | (left >= 0x100 ? 0 : left));
  }

  #getResponse(apdu: CommandApdu): Uint8Array {
    const pending = this.#session.pendingResponse;
    if (pending === undefined) return responseApdu(new Uint8Array(0), SW.CONDITIONS_NOT_SATISFIED);
    const ne = apdu.ne === 0 ? 256 : apdu.ne;
    const chunk = pending.subarray(0, ne);
    const rest = pending.slice(ne);
    if (rest.length === 0) {
      delete this.#session.pendingResponse;
      return responseApdu(chunk, SW.OK);
    }
    this.#session.pendingResponse = rest;
    return responseApdu(chunk, 0x6100 | (rest.length >= 0x100 ? 0 : rest.length));
  }
}
