/** Virtual SmartCard-HSMs in a temp dir, spoken to in process through the driver. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualCard } from '../../../../main/hsm/virtual/card.ts';
import { InProcessTransport } from '../../../../main/hsm/sc-hsm/inprocess-transport.ts';
import { ScHsmCard, type InitializeOptions } from '../../../../main/hsm/sc-hsm/card.ts';
import { ScHsmToken } from '../../../../main/hsm/sc-hsm/token.ts';
import { Secret } from '../../../../main/secret.ts';

export const SO_PIN = '3537363231383830';
export const PIN = '648219';

export interface CardBench {
  readonly dir: string;
  /** A new virtual card, initialized with SO_PIN and PIN plus the options given. */
  card(name: string, init?: Partial<InitializeOptions>): Promise<VirtualCard>;
  /** Opens the driver's token over a fresh in-process connection (the card stays open). */
  token(card: VirtualCard): Promise<ScHsmToken>;
  cleanup(): void;
}

export function cardBench(): CardBench {
  const dir = mkdtempSync(join(tmpdir(), 'custos-schsm-'));
  return {
    dir,
    async card(name, init = {}) {
      const vc = await VirtualCard.create(join(dir, `${name}.card`), { label: name });
      const card = await ScHsmCard.open(new InProcessTransport(vc, { ownsCard: false }));
      await card.initialize({ soPin: Secret.fromString(SO_PIN), pin: Secret.fromString(PIN), ...init });
      await card.close();
      return vc;
    },
    async token(vc) {
      return await ScHsmToken.open(new InProcessTransport(vc, { ownsCard: false }));
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const pin = (value = PIN): Secret => Secret.fromString(value);
