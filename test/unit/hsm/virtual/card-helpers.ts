/** Shared by the virtual card's unit tests: a fresh card in a temp dir and short APDU helpers. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualCard } from '../../../../main/hsm/virtual/card.ts';
import { encodeCommandApdu } from '../../../../main/hsm/sc-hsm/apdu.ts';
import { SC_HSM_AID } from '../../../../main/hsm/virtual/select.ts';

export const SO_PIN = Buffer.from('3537363231383830', 'hex');
export const USER_PIN = Buffer.from('648219', 'ascii');

export interface Answer { readonly data: Buffer; readonly sw: number }

export async function send(card: VirtualCard, cla: number, ins: number, p1: number, p2: number, data?: Uint8Array, ne = 0): Promise<Answer> {
  const out = await card.transmit(encodeCommandApdu({ cla, ins, p1, p2, ...(data !== undefined && { data }), ne }));
  return { data: Buffer.from(out.subarray(0, -2)), sw: (out[out.length - 2]! << 8) | out[out.length - 1]! };
}

export async function sendRaw(card: VirtualCard, hex: string): Promise<Answer> {
  const out = await card.transmit(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
  return { data: Buffer.from(out.subarray(0, -2)), sw: (out[out.length - 2]! << 8) | out[out.length - 1]! };
}

export function selectApplet(card: VirtualCard): Promise<Answer> {
  return send(card, 0x00, 0xa4, 0x04, 0x00, SC_HSM_AID, 256);
}

export function tlv(tag: number, value: Uint8Array): Buffer {
  const head = tag > 0xff ? [tag >> 8, tag & 0xff] : [tag];
  const len = value.length < 0x80 ? [value.length] : value.length <= 0xff ? [0x81, value.length] : [0x82, value.length >> 8, value.length & 0xff];
  return Buffer.concat([Buffer.from([...head, ...len]), value]);
}

export function initializeData(extra: Buffer[] = [], userPin: Uint8Array = USER_PIN, soPin: Uint8Array = SO_PIN): Buffer {
  return Buffer.concat([tlv(0x80, Buffer.from([0x00, 0x01])), tlv(0x81, userPin), tlv(0x82, soPin), tlv(0x91, Buffer.from([3])), ...extra]);
}

export async function initialize(card: VirtualCard, extra: Buffer[] = []): Promise<Answer> {
  return send(card, 0x80, 0x50, 0x00, 0x00, initializeData(extra));
}

export async function login(card: VirtualCard): Promise<Answer> {
  return send(card, 0x00, 0x20, 0x00, 0x81, USER_PIN);
}

export interface TempCard { readonly card: VirtualCard; readonly dir: string; readonly stateFile: string; cleanup(): Promise<void> }

export async function tempCard(): Promise<TempCard> {
  const dir = mkdtempSync(join(tmpdir(), 'custos-vcard-'));
  const stateFile = join(dir, 'card.state');
  const card = await VirtualCard.create(stateFile, { label: 'test' });
  await selectApplet(card);
  return {
    card, dir, stateFile,
    async cleanup() { await card.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}
