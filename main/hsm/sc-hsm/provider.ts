/**
 * Finds SmartCard-HSMs by what a person can read on them (label, serial):
 * ScHsmProvider over PC/SC readers, VirtualScHsmProvider over virtual cards
 * in state files for rehearsal. Listing connects to each card exclusively and
 * lets go at once; a card another program holds is skipped, never disturbed.
 */
import { basename } from 'node:path';
import { CustosError, isCustosError } from '../../errors/index.ts';
import type { Token, TokenInfo, TokenProvider, TokenSelector } from '../token.ts';
import { VirtualCard } from '../virtual/card.ts';
import { InProcessTransport } from './inprocess-transport.ts';
import { listPcscReaders, PcscTransport, type PcscConnectOptions } from './pcsc-transport.ts';
import { ScHsmToken } from './token.ts';
import type { ApduTransport } from './transport.ts';

function matches(info: TokenInfo, selector: TokenSelector): boolean {
  return (selector.label === undefined || info.label === selector.label) && (selector.serial === undefined || info.serial === selector.serial);
}

function describe(selector: TokenSelector): string {
  return [selector.label !== undefined ? `label "${selector.label}"` : '', selector.serial !== undefined ? `serial ${selector.serial}` : ''].filter(Boolean).join(' and ') || 'any';
}

/** Opens tokens from a list of connectors, keeps the one that matches and closes the rest. */
abstract class ConnectingProvider implements TokenProvider {
  readonly #open = new Set<ScHsmToken>();

  protected abstract connectors(): Promise<Array<() => Promise<ApduTransport>>>;

  async #tryOpen(connect: () => Promise<ApduTransport>): Promise<ScHsmToken | undefined> {
    try {
      return await ScHsmToken.open(await connect());
    } catch (e) {
      // Not a SmartCard-HSM, held by another program, or pulled out while we looked: not ours to list.
      if (isCustosError(e) && ['TOKEN_NOT_FOUND', 'SESSION_FAILED', 'TOKEN_REMOVED', 'CARD_ERROR', 'APDU_MALFORMED'].includes(e.code)) return undefined;
      throw e;
    }
  }

  async list(): Promise<readonly TokenInfo[]> {
    const out: TokenInfo[] = [];
    for (const connect of await this.connectors()) {
      const token = await this.#tryOpen(connect);
      if (token === undefined) continue;
      out.push(token.info);
      await token.close();
    }
    return out;
  }

  async open(selector: TokenSelector): Promise<Token> {
    return await this.openScHsm(selector);
  }

  /** Like open(), typed as the SmartCard-HSM token for ceremonies that need DKEK and custodian steps. */
  async openScHsm(selector: TokenSelector): Promise<ScHsmToken> {
    let found: ScHsmToken | undefined;
    for (const connect of await this.connectors()) {
      const token = await this.#tryOpen(connect);
      if (token === undefined) continue;
      if (!matches(token.info, selector)) {
        await token.close();
        continue;
      }
      if (found !== undefined) {
        await Promise.all([found.close(), token.close()]);
        throw new CustosError('TOKEN_AMBIGUOUS', `More than one SmartCard-HSM matches ${describe(selector)}: name it by its serial.`, { ...selector });
      }
      found = token;
    }
    if (found === undefined) throw new CustosError('TOKEN_NOT_FOUND', `No SmartCard-HSM with ${describe(selector)} is connected: insert it and try again.`, { ...selector });
    this.#open.add(found);
    return found;
  }

  async close(): Promise<void> {
    const tokens = [...this.#open];
    this.#open.clear();
    await Promise.all(tokens.map((t) => t.close()));
  }
}

export class ScHsmProvider extends ConnectingProvider {
  readonly #options: PcscConnectOptions;

  constructor(options: PcscConnectOptions = {}) {
    super();
    this.#options = options;
  }

  protected async connectors(): Promise<Array<() => Promise<ApduTransport>>> {
    const readers = await listPcscReaders();
    return readers.filter((r) => r.cardPresent).map((r) => () => PcscTransport.connect(r.name, this.#options));
  }
}

/** Rehearsal: the virtual SmartCard-HSMs stored in these state files, spoken to in process. */
export class VirtualScHsmProvider extends ConnectingProvider {
  readonly #stateFiles: readonly string[];

  constructor(stateFiles: readonly string[]) {
    super();
    this.#stateFiles = stateFiles;
  }

  protected async connectors(): Promise<Array<() => Promise<ApduTransport>>> {
    return this.#stateFiles.map((file) => async () => {
      try {
        return new InProcessTransport(await VirtualCard.open(file), { readerName: `Virtual SmartCard-HSM (${basename(file)})` });
      } catch (e) {
        if (isCustosError(e)) throw e;
        throw new CustosError('FILE_NOT_FOUND', `The virtual SmartCard-HSM state file ${basename(file)} cannot be opened.`, { file: basename(file) }, { cause: e });
      }
    });
  }
}
