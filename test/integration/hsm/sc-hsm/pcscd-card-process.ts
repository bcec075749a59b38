/**
 * Runs the private pcscd and the virtual card behind vpcd in a process of
 * their own, as a real card is outside the host. In the test's own process the
 * card could not answer while the driver sits in a synchronous PC/SC call
 * (SCardDisconnect waits for pcscd, pcscd for the card's vpcd socket): a
 * deadlock no real reader has. Spoken to over the fork IPC channel:
 * parent → { op: 'reset' | 'stop-bridge' | 'pull-at-sign' | 'insert-again' | 'stop' }, child → { ready, … } and { done: op }.
 * A second state file puts a second card in vpcd's second slot; 'stop-bridge' pulls the first,
 * 'pull-at-sign' pulls it as it receives its next SIGN command (unanswered, as when a token is
 * yanked mid-signature), and 'insert-again' puts it back. Further state files put further cards in
 * further slots; { op: 'pull-more' | 'insert-more', card: i } pulls or puts back the i-th of those.
 */
import { startPcscd } from '../../../support/pcscd.ts';
import { VirtualCard } from '../../../../main/hsm/virtual/card.ts';

export interface CardProcessReady {
  readonly ready: true;
  readonly readerName: string;
  readonly socketPath: string;
  readonly env: Record<string, string>;
  readonly serial: string;
  readonly atrHex: string;
  /** The second card's reader and serial, when a second state file was given. */
  readonly second?: { readonly readerName: string; readonly serial: string };
  /** The further cards' readers and serials, in the order of their state files. */
  readonly more: readonly { readonly readerName: string; readonly serial: string }[];
}

const stateFile = process.argv[2];
if (stateFile === undefined || process.send === undefined) throw new Error('usage: fork(pcscd-card-process.ts, [stateFile])');
const card = await VirtualCard.open(stateFile);
const secondCard = process.argv[3] === undefined ? undefined : await VirtualCard.open(process.argv[3]);
const moreCards = await Promise.all(process.argv.slice(4).map((file) => VirtualCard.open(file)));
// SIGN (INS 68) to the first card, once armed: the card leaves the reader instead of answering.
let pullAtSign = false;
const transmit = card.transmit.bind(card);
card.transmit = async (apdu: Uint8Array): Promise<Uint8Array> => {
  if (!pullAtSign || apdu[1] !== 0x68) return await transmit(apdu);
  pullAtSign = false;
  await firstBridge.stop();
  return await new Promise<Uint8Array>(() => undefined);
};
const pcscd = await startPcscd({ card, ...(secondCard ? { secondCard } : {}), moreCards });
let firstBridge = pcscd.bridge;
const env = Object.fromEntries(Object.entries(pcscd.env).filter((e): e is [string, string] => typeof e[1] === 'string'));
const ready: CardProcessReady = { ready: true, readerName: pcscd.readerName, socketPath: pcscd.socketPath, env, serial: card.serial, atrHex: Buffer.from(card.atr).toString('hex'),
  ...(secondCard && pcscd.second ? { second: { readerName: pcscd.second.readerName, serial: secondCard.serial } } : {}),
  more: pcscd.more.map((m, i) => ({ readerName: m.readerName, serial: moreCards[i]!.serial })) };
process.send(ready);
process.on('message', (message: { op: string; card?: number }) => {
  void (async () => {
    if (message.op === 'reset') card.reset();
    if (message.op === 'stop-bridge') await firstBridge.stop();
    if (message.op === 'pull-at-sign') pullAtSign = true;
    if (message.op === 'insert-again') firstBridge = await pcscd.insertAgain();
    if (message.op === 'pull-more') await pcscd.more[message.card ?? 0]?.pull();
    if (message.op === 'insert-more') await pcscd.more[message.card ?? 0]?.insert();
    if (message.op === 'stop') await pcscd.stop();
    process.send?.({ done: message.op });
    if (message.op === 'stop') process.disconnect();
  })();
});
process.on('disconnect', () => {
  void pcscd.stop().finally(() => process.exit(0));
});
