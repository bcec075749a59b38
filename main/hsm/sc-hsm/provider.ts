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
  return (selector.label === undefined || info.label === selector.label) && (selector.serial === undefined || info.serial === selector.serial)
    && (selector.deviceKeySha256 === undefined || info.deviceKeySha256 === selector.deviceKeySha256.toLowerCase());
}

function describe(selector: TokenSelector): string {
  return [
    selector.label !== undefined ? `label "${selector.label}"` : '', selector.serial !== undefined ? `serial ${selector.serial}` : '',
    selector.deviceKeySha256 !== undefined ? `device key ${selector.deviceKeySha256.slice(0, 16)}…` : '',
  ].filter(Boolean).join(' and ') || 'any';
}

/** Not a SmartCard-HSM, held by another program, or pulled out while we looked: not ours to list. */
const NOT_OURS = new Set(['TOKEN_NOT_FOUND', 'SESSION_FAILED', 'TOKEN_REMOVED', 'CARD_ERROR', 'APDU_MALFORMED']);

/** A card that answers as a SmartCard-HSM but cannot be opened: listed with why, in place of a token. */
function unopenable(reader: string, rehearsal: boolean, e: unknown): TokenInfo {
  const error = isCustosError(e)
    ? { code: e.code, message: e.message }
    : { code: 'INTERNAL' as const, message: 'The card could not be read: remove and reinsert it, then list tokens again.' };
  return {
    backend: 'sc-hsm', virtual: rehearsal, label: `Card in ${reader}`, serial: '', model: 'unknown', manufacturer: 'unknown', reader,
    pinState: { initialized: false, countLow: false, finalTry: false, locked: false }, loggedIn: false, flags: ['unopenable'], error,
  };
}

interface Connector {
  readonly reader: string;
  readonly connect: () => Promise<ApduTransport>;
}

type Probe = { readonly token: ScHsmToken } | { readonly failure: unknown } | undefined;

/** Opens tokens from a list of connectors, keeps the one that matches and closes the rest. */
abstract class ConnectingProvider implements TokenProvider {
  readonly backend = 'sc-hsm' as const;
  abstract readonly description: string;
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

  /** Cards of rehearsal state files are VIRTUAL whatever root attests them. */
  protected readonly rehearsal: boolean = false;

  /** Opens the card behind connect; undefined when it is not ours to list, its failure when it is a card that cannot be opened. */
  async #tryOpen(connect: () => Promise<ApduTransport>): Promise<Probe> {
    try {
      return { token: await ScHsmToken.open(await connect(), { rehearsal: this.rehearsal }) };
    } catch (e) {
      if (isCustosError(e) && NOT_OURS.has(e.code)) return undefined;
      // One card that cannot be opened must not hide the others: it is reported in its place.
      return { failure: e };
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
      const probe = await this.#tryOpen(connect);
      if (probe === undefined) continue;
      if ('failure' in probe) {
        out.push(unopenable(reader, this.rehearsal, probe.failure));
        continue;
      }
      out.push(probe.token.info);
      await probe.token.close();
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
      const probe = await this.#tryOpen(connect);
      if (probe === undefined || 'failure' in probe) continue;
      const token = probe.token;
      if (!matches(token.info, selector)) {
        await token.close();
        continue;
      }
      if (found !== undefined) {
        await Promise.all([found.close(), token.close()]);
        throw new CustosError('TOKEN_AMBIGUOUS', `More than one SmartCard-HSM matches ${describe(selector)}: name it by its token id (custos tokens shows it).`, { ...selector });
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
  readonly description = 'SmartCard-HSMs in PC/SC readers';
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
  protected override readonly rehearsal = true;
  readonly description = 'Virtual SmartCard-HSMs';

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
