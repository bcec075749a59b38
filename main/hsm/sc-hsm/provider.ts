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

interface Connector {
  readonly reader: string;
  readonly connect: () => Promise<ApduTransport>;
}

/** Opens tokens from a list of connectors, keeps the one that matches and closes the rest. */
abstract class ConnectingProvider implements TokenProvider {
  readonly #open = new Set<ScHsmToken>();
  /**
   * Listing and opening probe every card with an exclusive connection, so two
   * at once would find each other's cards busy and skip them: they take turns.
   */
  #probing: Promise<unknown> = Promise.resolve();

  #inTurn<T>(probe: () => Promise<T>): Promise<T> {
    const run = this.#probing.then(probe);
    this.#probing = run.catch(() => undefined);
    return run;
  }

  /** One entry per place a card may be: its reader name (as TokenInfo.reader shows it) and how to connect. */
  protected abstract connectors(): Promise<Connector[]>;

  async #tryOpen(connect: () => Promise<ApduTransport>): Promise<ScHsmToken | undefined> {
    try {
      return await ScHsmToken.open(await connect());
    } catch (e) {
      // Not a SmartCard-HSM, held by another program, or pulled out while we looked: not ours to list.
      if (isCustosError(e) && ['TOKEN_NOT_FOUND', 'SESSION_FAILED', 'TOKEN_REMOVED', 'CARD_ERROR', 'APDU_MALFORMED'].includes(e.code)) return undefined;
      throw e;
    }
  }

  /** Tokens this provider holds open (their connection is exclusive, so listing could not reach them). */
  #held(): ScHsmToken[] {
    return [...this.#open].filter((t) => !t.isClosed);
  }

  list(): Promise<readonly TokenInfo[]> {
    return this.#inTurn(() => this.#list());
  }

  async #list(): Promise<readonly TokenInfo[]> {
    const connectors = await this.connectors();
    // A held card whose reader no longer shows a card was pulled out: it is not listed, whatever the session still believes.
    const present = new Set(connectors.map((c) => c.reader));
    const held = this.#held().filter((t) => present.has(t.info.reader));
    const out: TokenInfo[] = held.map((t) => t.info);
    const heldReaders = new Set(out.map((i) => i.reader));
    for (const { reader, connect } of connectors) {
      if (heldReaders.has(reader)) continue;
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
  openScHsm(selector: TokenSelector): Promise<ScHsmToken> {
    return this.#inTurn(() => this.#openScHsm(selector));
  }

  async #openScHsm(selector: TokenSelector): Promise<ScHsmToken> {
    if (this.#held().some((t) => matches(t.info, selector))) {
      throw new CustosError('OPERATION_IN_PROGRESS', `The SmartCard-HSM with ${describe(selector)} is already open in Custos: finish or close that session first.`, { ...selector });
    }
    const heldReaders = new Set(this.#held().map((t) => t.info.reader));
    let found: ScHsmToken | undefined;
    for (const { reader, connect } of await this.connectors()) {
      if (heldReaders.has(reader)) continue;
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

  protected async connectors(): Promise<Connector[]> {
    const readers = await listPcscReaders();
    return readers.filter((r) => r.cardPresent).map((r) => ({ reader: r.name, connect: () => PcscTransport.connect(r.name, this.#options) }));
  }
}

/** Rehearsal: the virtual SmartCard-HSMs stored in these state files, spoken to in process. */
export class VirtualScHsmProvider extends ConnectingProvider {
  readonly #stateFiles: readonly string[];

  constructor(stateFiles: readonly string[]) {
    super();
    this.#stateFiles = stateFiles;
  }

  protected async connectors(): Promise<Connector[]> {
    return this.#stateFiles.map((file) => {
      const reader = `Virtual SmartCard-HSM (${basename(file)})`;
      return {
        reader,
        connect: async () => {
          try {
            return new InProcessTransport(await VirtualCard.open(file), { readerName: reader });
          } catch (e) {
            if (isCustosError(e)) throw e;
            throw new CustosError('FILE_NOT_FOUND', `The virtual SmartCard-HSM state file ${basename(file)} cannot be opened.`, { file: basename(file) }, { cause: e });
          }
        },
      };
    });
  }
}
