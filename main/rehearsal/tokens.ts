/**
 * The rehearsal tokens: with no hardware attached, Custos offers a set of
 * virtual SmartCard-HSMs that behave like the real ones — a CA HSM and a
 * backup HSM in one key domain (the same DKEK), and three custodian tokens
 * whose keys are registered on the CA HSM for 2-of-3 public-key
 * authentication. The CA HSM is in the protecting mode (device options 0011:
 * the PIN *and* two custodians; docs/quorum.md), so its PIN alone unlocks
 * nothing. Each is a state file; every token says VIRTUAL.
 *
 * Their PINs are fixed and published (REHEARSAL_PIN): a rehearsal protects
 * nothing, and the people rehearsing must be able to log in.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { Secret } from '../secret.ts';
import { VirtualCard } from '../hsm/virtual/card.ts';
import { InProcessTransport } from '../hsm/sc-hsm/inprocess-transport.ts';
import { ScHsmCard } from '../hsm/sc-hsm/card.ts';
import { ScHsmToken } from '../hsm/sc-hsm/token.ts';
import { cardCustodian, PROTECTING_OPTIONS } from '../hsm/sc-hsm/pka.ts';
import { CUSTODIAN_KEY_LABEL } from '../quorum/custodian-key.ts';

export const REHEARSAL_PIN = '123456';
export const REHEARSAL_SO_PIN = '3537363231383830';
export const QUORUM = { total: 3, required: 2 } as const;

export interface RehearsalTokens {
  readonly dir: string;
  readonly caHsm: string;
  readonly backupHsm: string;
  readonly custodians: readonly string[];
  readonly all: readonly string[];
}

const TOKEN_INFO_FID = 0x2f03;

function filesIn(dir: string): RehearsalTokens {
  const caHsm = join(dir, 'ca-hsm.vsc');
  const backupHsm = join(dir, 'backup-hsm.vsc');
  const custodians = [1, 2, 3].map((n) => join(dir, `custodian-${n}.vsc`));
  return { dir, caHsm, backupHsm, custodians, all: [caHsm, backupHsm, ...custodians] };
}

/** PKCS#15 TokenInfo (PKCS #15 v1.1 §6.9) with the label the token shows. */
export function tokenInfo(label: string, serial: string): Uint8Array {
  const seq = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 0 }),
      new asn1js.OctetString({ valueHex: new TextEncoder().encode(serial) }),
      new asn1js.Utf8String({ value: 'Custos (virtual)' }),
      new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: new TextEncoder().encode(label) }),
      new asn1js.BitString({ valueHex: Uint8Array.of(0).buffer, unusedBits: 0 }),
    ],
  });
  return new Uint8Array(seq.toBER());
}

async function makeCard(file: string, label: string, init: { dkekShares?: number; pka?: { total: number; required: number }; options?: number }): Promise<{ vc: VirtualCard; token: ScHsmToken }> {
  const vc = await VirtualCard.create(file, { label });
  const card = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
  await card.initialize({ soPin: Secret.fromString(REHEARSAL_SO_PIN), pin: Secret.fromString(REHEARSAL_PIN), ...init });
  await card.verifyPin(Secret.fromString(REHEARSAL_PIN));
  // A card in the protecting mode takes its label only once the quorum is there too (see ensureRehearsalTokens).
  if (init.pka === undefined) await card.writeFile(TOKEN_INFO_FID, tokenInfo(label, vc.serial));
  await card.close();
  const token = await ScHsmToken.open(new InProcessTransport(vc));
  await token.login(Secret.fromString(REHEARSAL_PIN));
  return { vc, token };
}

/** Creates the set in dir if it is not there yet; returns the state files. */
export async function ensureRehearsalTokens(dir: string): Promise<RehearsalTokens> {
  const set = filesIn(dir);
  if (set.all.every((f) => existsSync(f))) return set;
  if (set.all.some((f) => existsSync(f))) {
    throw new Error(`The rehearsal tokens in ${dir} are incomplete: remove the folder to make a fresh set.`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { vc: caCard, token: ca } = await makeCard(set.caHsm, 'CA HSM', { dkekShares: 1, pka: QUORUM, options: PROTECTING_OPTIONS });
  const { token: backup } = await makeCard(set.backupHsm, 'Backup HSM', { dkekShares: 1 });
  const custodians: ScHsmToken[] = [];
  for (const [i, file] of set.custodians.entries()) {
    const { token: custodian } = await makeCard(file, `Custodian ${i + 1}`, {});
    const { exported } = await custodian.generateCustodianKey(CUSTODIAN_KEY_LABEL);
    await ca.registerCustodian(exported);
    custodians.push(custodian);
  }
  // The CA HSM's PIN alone opens nothing: two custodians authenticate before its label and key domain are set.
  for (const custodian of custodians.slice(0, QUORUM.required)) {
    const key = (await custodian.listKeys()).find((k) => k.label === CUSTODIAN_KEY_LABEL)!;
    await ca.authenticateCustodian(await cardCustodian(custodian.card, Number.parseInt(key.id, 16)));
  }
  await ca.card.writeFile(TOKEN_INFO_FID, tokenInfo('CA HSM', caCard.serial));
  // One key domain for the CA HSM and its backup: a single random DKEK share, imported into both and forgotten.
  const share = randomBytes(32);
  try {
    await ca.importDkekShare(share);
    await backup.importDkekShare(share);
  } finally {
    share.fill(0);
  }
  for (const token of [...custodians, ca, backup]) await token.close();
  return set;
}
