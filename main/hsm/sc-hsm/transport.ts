/**
 * What the SmartCard-HSM driver needs from a connection to a card: send one
 * APDU, get data||SW back. PC/SC readers and the in-process virtual card both
 * implement it, so every command path is the same for real and rehearsal cards.
 */
export interface ApduTransport {
  /** Sends one encoded command APDU; resolves to response data || SW1 SW2. */
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
  /** The largest command APDU, header included, the reader can carry. */
  readonly maxApduBytes: number;
  /** Where the card sits (PC/SC reader name), for display only. */
  readonly readerName: string;
  /** Releases the connection. */
  close(): Promise<void>;
}
