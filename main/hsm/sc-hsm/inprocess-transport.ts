/**
 * APDUs to a card object in this process — the virtual SmartCard-HSM of
 * rehearsal mode and tests — so the driver runs the very same command paths
 * it runs over PC/SC.
 */
import { CustosError } from '../../errors/index.ts';
import type { ApduTransport } from './transport.ts';

/** What the virtual card offers (main/hsm/virtual VirtualCard). */
export interface InProcessCard {
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** The in-process card has no reader buffer; the limit is the largest extended APDU. */
const IN_PROCESS_MAX_APDU_BYTES = 4 + 3 + 65535 + 2;

export class InProcessTransport implements ApduTransport {
  readonly readerName: string;
  readonly maxApduBytes: number;
  readonly #card: InProcessCard;
  /** Whether close() also closes the card (the transport owns it). */
  readonly #ownsCard: boolean;
  #closed = false;

  constructor(card: InProcessCard, options: { readerName?: string; maxApduBytes?: number; ownsCard?: boolean } = {}) {
    this.#card = card;
    this.readerName = options.readerName ?? 'Virtual SmartCard-HSM (in process)';
    this.maxApduBytes = options.maxApduBytes ?? IN_PROCESS_MAX_APDU_BYTES;
    this.#ownsCard = options.ownsCard ?? true;
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) throw new CustosError('SESSION_FAILED', 'The connection to the virtual SmartCard-HSM is closed: open the token again.', { reader: this.readerName });
    return await this.#card.transmit(apdu);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsCard) await this.#card.close();
  }
}
