/**
 * APDUs to a card in a PC/SC reader, over the `smartcard` N-API binding to
 * pcsc-lite / WinSCard. A SmartCard-HSM forgets its login on any SELECT or
 * reset (SC-HSM.md §1.5), so the connection is EXCLUSIVE by default: while the
 * driver holds it, no other program can send the card a single APDU.
 */
import { EventEmitter } from 'node:events';
import * as pcsc from 'smartcard';
import type { CardInterface, ContextInterface, MonitorEvent, ReaderMonitorInterface } from 'smartcard';
import { CustosError, isCustosError } from '../../errors/index.ts';
import { MAX_SHORT_APDU_BYTES } from './apdu.ts';
import type { ApduTransport } from './transport.ts';

export type ShareMode = 'exclusive' | 'shared';

export interface PcscReaderInfo {
  readonly name: string;
  readonly cardPresent: boolean;
  readonly atr?: Uint8Array;
}

export interface PcscConnectOptions {
  /** Default exclusive; shared only for diagnostics and for tests that need a second program on the card. */
  readonly shareMode?: ShareMode;
  /** Overrides what the reader reports (FEATURE_GET_TLV_PROPERTIES), e.g. for a reader that reports nothing but carries extended APDUs. */
  readonly maxApduBytes?: number;
}

const MAX_EXTENDED_APDU_BYTES = 4 + 3 + 65535 + 2;
const DIAGNOSE_ATTEMPTS = 4;
const DIAGNOSE_INTERVAL_MS = 250;
/** Large enough for any extended response (64 KiB + SW). */
const MAX_RESPONSE_BYTES = 65538;
/** PC/SC v2 part 10 §2.6.14: TLV property tag of dwMaxAPDUDataSize. */
const TLV_PROPERTY_MAX_APDU_DATA_SIZE = 0x0a;

/** Turns a PC/SC failure into the error a custodian can act on. */
export function pcscError(e: unknown, readerName: string): CustosError {
  if (isCustosError(e)) return e as CustosError;
  const message = e instanceof Error ? e.message : String(e);
  const details = { reader: readerName, pcsc: message };
  if (/removed|No smart card|Reader unavailable|Unknown reader|Communication error|unresponsive|unpowered/i.test(message)) {
    return new CustosError('TOKEN_REMOVED', `The SmartCard-HSM in "${readerName}" was removed or stopped answering: insert it again and repeat the step.`, details, { cause: e });
  }
  if (/reset/i.test(message)) {
    return new CustosError('AUTH_STATE_LOST', `The SmartCard-HSM in "${readerName}" was reset and forgot its login: log in again and repeat the step.`, details, { cause: e });
  }
  if (/Sharing violation/i.test(message)) {
    return new CustosError('SESSION_FAILED', `Another program is using the card in "${readerName}": close it (or wait for it to finish) and try again.`, details, { cause: e });
  }
  if (/service|No readers/i.test(message)) {
    return new CustosError('PCSC_UNAVAILABLE', 'The smart-card service (pcscd) is not running or sees no reader: start it and connect the reader.', details, { cause: e });
  }
  return new CustosError('DEVICE_ERROR', `The reader "${readerName}" failed: ${message}.`, details, { cause: e });
}

function openContext(): ContextInterface {
  try {
    return new pcsc.Context();
  } catch (e) {
    throw new CustosError('PCSC_UNAVAILABLE', 'The smart-card service (pcscd) is not running: start it and try again.', { pcsc: e instanceof Error ? e.message : String(e) }, { cause: e });
  }
}

/** pcsc-lite answers "no readers" with an error; here it is an empty list. */
function readersOf(context: ContextInterface, readerName: string): ReturnType<ContextInterface['listReaders']> {
  try {
    return context.listReaders();
  } catch (e) {
    if (/No readers/i.test(e instanceof Error ? e.message : '')) return [];
    throw pcscError(e, readerName);
  }
}

/** The readers PC/SC knows and whether a card is in each. */
export async function listPcscReaders(): Promise<PcscReaderInfo[]> {
  const context = openContext();
  try {
    const readers = readersOf(context, '(none)');
    return readers.map((r) => {
      const present = (r.state & pcsc.SCARD_STATE_PRESENT) !== 0;
      return present && r.atr ? { name: r.name, cardPresent: true, atr: new Uint8Array(r.atr) } : { name: r.name, cardPresent: present };
    });
  } finally {
    context.close();
  }
}

/** Reads dwMaxAPDUDataSize from the reader; undefined when the reader does not say. */
async function readerMaxApduDataBytes(card: CardInterface): Promise<number | undefined> {
  try {
    const features = pcsc.parseFeatures(await card.control(pcsc.CM_IOCTL_GET_FEATURE_REQUEST));
    const code = features.get(pcsc.FEATURE_GET_TLV_PROPERTIES);
    if (code === undefined) return undefined;
    const tlv = await card.control(code);
    for (let i = 0; i + 2 <= tlv.length;) {
      const tag = tlv[i]!;
      const len = tlv[i + 1]!;
      if (tag === TLV_PROPERTY_MAX_APDU_DATA_SIZE && len >= 1 && i + 2 + len <= tlv.length) {
        let v = 0;
        for (let j = len - 1; j >= 0; j--) v = v * 256 + tlv[i + 2 + j]!; // little endian
        return v > 0 ? v : undefined;
      }
      i += 2 + len;
    }
  } catch {
    // Readers without part-10 features: fall through to the short-APDU assumption.
  }
  return undefined;
}

export class PcscTransport implements ApduTransport {
  readonly readerName: string;
  readonly maxApduBytes: number;
  readonly shareMode: ShareMode;
  readonly atr: Uint8Array;
  #context: ContextInterface | undefined;
  #card: CardInterface | undefined;

  private constructor(context: ContextInterface, card: CardInterface, readerName: string, maxApduBytes: number, shareMode: ShareMode) {
    this.#context = context;
    this.#card = card;
    this.readerName = readerName;
    this.maxApduBytes = maxApduBytes;
    this.shareMode = shareMode;
    this.atr = new Uint8Array(card.atr ?? card.getStatus().atr);
  }

  /** Connects to the card in the named reader and holds it until close(). */
  static async connect(readerName: string, options: PcscConnectOptions = {}): Promise<PcscTransport> {
    const shareMode = options.shareMode ?? 'exclusive';
    const context = openContext();
    try {
      const reader = readersOf(context, readerName).find((r) => r.name === readerName);
      if (reader === undefined) {
        throw new CustosError('READER_NOT_FOUND', `No reader named "${readerName}" is connected: plug it in or pick another reader.`, { reader: readerName });
      }
      let card: CardInterface;
      try {
        card = await reader.connect(shareMode === 'exclusive' ? pcsc.SCARD_SHARE_EXCLUSIVE : pcsc.SCARD_SHARE_SHARED, pcsc.SCARD_PROTOCOL_T1 | pcsc.SCARD_PROTOCOL_T0);
      } catch (e) {
        throw pcscError(e, readerName);
      }
      const dataBytes = await readerMaxApduDataBytes(card);
      // Header 4, extended Lc 3, extended Le 2 around the data.
      // A reader that reports nothing (vpcd before 2023, many CCID firmwares) is assumed to carry
      // extended APDUs, as OpenSC's sc-hsm driver assumes; if it cannot, transmit reports APDU_TOO_LONG.
      const maxApduBytes = options.maxApduBytes ?? (dataBytes !== undefined ? 4 + 3 + dataBytes + 2 : MAX_EXTENDED_APDU_BYTES);
      return new PcscTransport(context, card, readerName, maxApduBytes, shareMode);
    } catch (e) {
      context.close();
      throw e;
    }
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const card = this.#card;
    if (card === undefined) throw new CustosError('SESSION_FAILED', 'The connection to the SmartCard-HSM is closed: open the token again.', { reader: this.readerName });
    let response: Uint8Array;
    try {
      response = new Uint8Array(await card.transmit(Buffer.from(apdu), { maxRecvLength: MAX_RESPONSE_BYTES }));
    } catch (e) {
      const error = pcscError(e, this.readerName);
      if (error.code === 'DEVICE_ERROR' || error.code === 'PCSC_UNAVAILABLE') throw await this.#diagnose(error, apdu.length);
      if (error.code === 'AUTH_STATE_LOST') {
        // Reset under us: take the card back (still exclusive) so the caller can log in again on this connection.
        try {
          await card.reconnect(this.shareMode === 'exclusive' ? pcsc.SCARD_SHARE_EXCLUSIVE : pcsc.SCARD_SHARE_SHARED, pcsc.SCARD_PROTOCOL_T1 | pcsc.SCARD_PROTOCOL_T0, pcsc.SCARD_LEAVE_CARD);
        } catch (re) {
          throw pcscError(re, this.readerName);
        }
      }
      throw error;
    }
    if (response.length < 2) {
      // vpcd (and some readers) hand back an empty answer when the card vanished mid-exchange.
      throw await this.#diagnose(new CustosError('APDU_MALFORMED', `The card in "${this.readerName}" answered without a status word: remove and reinsert it, then try again.`, { reader: this.readerName, responseBytes: response.length }), 0);
    }
    return response;
  }

  /**
   * A failed exchange without a precise PC/SC reason: looks again whether the
   * card is still there (a pulled card or a stopped vpcd often shows only as
   * "Transaction failed"), else whether an extended APDU was too much for the reader.
   */
  async #diagnose(error: CustosError, apduBytes: number): Promise<CustosError> {
    let present = true;
    // pcscd notices a vanished card (or dies with vpcd's connection) a moment after the failed exchange.
    for (let attempt = 0; attempt < DIAGNOSE_ATTEMPTS && present; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, DIAGNOSE_INTERVAL_MS));
      try {
        // getStatus throws once the handle lost its card; the listing shows what pcscd sees now.
        this.#card?.getStatus();
        present = (await listPcscReaders()).some((r) => r.name === this.readerName && r.cardPresent);
      } catch {
        present = false;
      }
    }
    if (!present) {
      return new CustosError('TOKEN_REMOVED', `The SmartCard-HSM in "${this.readerName}" was removed or its reader went away: insert it again and repeat the step.`, { ...error.details }, { cause: error });
    }
    if (apduBytes > MAX_SHORT_APDU_BYTES) {
      return new CustosError('APDU_TOO_LONG', `The reader "${this.readerName}" refused a ${apduBytes}-byte extended APDU: use a reader with extended-length APDU support.`, { ...error.details, apduBytes }, { cause: error });
    }
    return error;
  }

  async close(): Promise<void> {
    const card = this.#card;
    const context = this.#context;
    this.#card = undefined;
    this.#context = undefined;
    try {
      if (card?.connected) card.disconnect(pcsc.SCARD_LEAVE_CARD);
    } catch {
      // Already gone with the card.
    } finally {
      try {
        context?.close();
      } catch {
        // pcscd already gone.
      }
    }
  }
}

export type ReaderEvent =
  | { readonly type: 'reader-added'; readonly reader: string }
  | { readonly type: 'reader-removed'; readonly reader: string }
  | { readonly type: 'card-inserted'; readonly reader: string; readonly atr?: Uint8Array }
  | { readonly type: 'card-removed'; readonly reader: string };

/**
 * Reader and card changes, pushed from pcsc-lite's monitor thread. Emits each
 * ReaderEvent under its type, and 'error'. Readers present at start come as
 * reader-added (plus card-inserted when a card is in); when the PC/SC service
 * goes away every known reader is reported removed, with its card.
 */
export class ReaderWatcher extends EventEmitter {
  #monitor: ReaderMonitorInterface | undefined;
  /** Known readers and whether each holds a card. */
  readonly #readers = new Map<string, boolean>();
  #lastError: string | undefined;

  constructor() {
    super();
    const monitor = new pcsc.ReaderMonitor();
    try {
      monitor.start((event: MonitorEvent) => this.#forward(event));
    } catch (e) {
      throw pcscError(e, '(monitor)');
    }
    this.#monitor = monitor;
  }

  #cardIn(reader: string, atr: Buffer | null): void {
    this.#readers.set(reader, true);
    this.emit('card-inserted', { type: 'card-inserted', reader, ...(atr && atr.length > 0 ? { atr: new Uint8Array(atr) } : {}) });
  }

  #cardOut(reader: string): void {
    this.#readers.set(reader, false);
    this.emit('card-removed', { type: 'card-removed', reader });
  }

  #readerOut(reader: string): void {
    if (this.#readers.get(reader) === true) this.#cardOut(reader);
    this.#readers.delete(reader);
    this.emit('reader-removed', { type: 'reader-removed', reader });
  }

  #forward(event: MonitorEvent): void {
    switch (event.type) {
      case 'reader-attached':
        this.#lastError = undefined;
        this.#readers.set(event.reader, false);
        this.emit('reader-added', { type: 'reader-added', reader: event.reader });
        if ((event.state & pcsc.SCARD_STATE_PRESENT) !== 0) this.#cardIn(event.reader, event.atr);
        break;
      case 'reader-detached':
        this.#readerOut(event.reader);
        break;
      case 'card-inserted':
        this.#cardIn(event.reader, event.atr);
        break;
      case 'card-removed':
        this.#cardOut(event.reader);
        break;
      case 'error': {
        // The native monitor puts the PC/SC message in `reader` and repeats it every second; report each once.
        const message = event.reader;
        if (message === this.#lastError) break;
        this.#lastError = message;
        const error = pcscError(new Error(message), '(monitor)');
        if (error.code === 'PCSC_UNAVAILABLE' || /service/i.test(message)) {
          for (const reader of [...this.#readers.keys()]) this.#readerOut(reader);
        }
        if (this.listenerCount('error') > 0) this.emit('error', error);
        break;
      }
    }
  }

  stop(): void {
    this.#monitor?.stop();
    this.#monitor = undefined;
  }
}

/** Starts watching readers; call stop() on the result when done. */
export function watchReaders(): ReaderWatcher {
  return new ReaderWatcher();
}
