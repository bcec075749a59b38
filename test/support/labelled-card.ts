/**
 * A virtual SmartCard-HSM state file initialized with a key domain and
 * labelled as a ceremony script names it: the label is the card's
 * token-info file, written after the PIN as the rehearsal tokens write it.
 */
import { Secret } from '../../main/secret.ts';
import { VirtualCard } from '../../main/hsm/virtual/card.ts';
import { ScHsmCard } from '../../main/hsm/sc-hsm/card.ts';
import { InProcessTransport } from '../../main/hsm/sc-hsm/inprocess-transport.ts';
import { tokenInfo } from '../../main/rehearsal/tokens.ts';
import { TEST_SO_PIN } from './card-process.ts';

const TOKEN_INFO_FID = 0x2f03;

export async function createLabelledCard(stateFile: string, label: string, pin: string, dkekShares: number): Promise<void> {
  const vc = await VirtualCard.create(stateFile, { label });
  const card = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
  await card.initialize({ soPin: Secret.fromString(TEST_SO_PIN), pin: Secret.fromString(pin), dkekShares });
  await card.verifyPin(Secret.fromString(pin));
  await card.writeFile(TOKEN_INFO_FID, tokenInfo(label, vc.serial));
  await card.close();
  await vc.close();
}
