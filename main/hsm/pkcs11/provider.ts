/**
 * The tokens behind one PKCS#11 module. A token is picked by what a person can
 * read on it (label, serial), never by slot number: slot numbers change when
 * tokens are plugged in another order.
 */
import { basename } from 'node:path';
import { CustosError } from '../../errors/index.ts';
import type { TokenInfo, TokenProvider, TokenSelector } from '../token.ts';
import type { Handle } from './api.ts';
import { pkcs11Failure } from './errors.ts';
import { acquireModule, type LoadedModule } from './module.ts';
import { describeToken, readTokenInfo } from './token-info.ts';
import { isTokenInitialized } from './token-flags.ts';
import { Pkcs11Token } from './token.ts';

export interface Pkcs11ProviderOptions {
  /** Path of the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  readonly modulePath: string;
  /** Marks every token of this module as a rehearsal token (e.g. SoftHSM standing in for a real HSM). */
  readonly virtual?: boolean;
}

interface Present {
  readonly slot: Handle;
  readonly info: TokenInfo;
}

export class Pkcs11Provider implements TokenProvider {
  readonly backend = 'pkcs11' as const;
  readonly modulePath: string;
  readonly #virtual: boolean;
  /** Tokens opened here, with their slots. */
  readonly #open = new Map<Pkcs11Token, Handle>();
  #module: LoadedModule | undefined;

  constructor(options: Pkcs11ProviderOptions) {
    this.modulePath = options.modulePath;
    this.#virtual = options.virtual ?? false;
  }

  get description(): string {
    return `PKCS#11 module ${basename(this.modulePath)}`;
  }

  async list(): Promise<readonly TokenInfo[]> {
    return this.#present().map((token) => token.info);
  }

  /** Opens the one token matching every field given; with no field, the only token present. */
  async open(selector: TokenSelector): Promise<Pkcs11Token> {
    const present = this.#present();
    const matches = present.filter(({ info }) =>
      (selector.label === undefined || info.label === selector.label)
      && (selector.serial === undefined || info.serial === selector.serial));
    const wanted = [
      selector.label === undefined ? undefined : `label "${selector.label}"`,
      selector.serial === undefined ? undefined : `serial ${selector.serial}`,
    ].filter((s) => s !== undefined).join(' and ') || 'any label or serial';
    const details = { modulePath: this.modulePath, label: selector.label ?? null, serial: selector.serial ?? null };
    const [match] = matches;
    if (match === undefined) {
      const seen = present.map(({ info }) => describeToken(info));
      throw new CustosError('TOKEN_NOT_FOUND',
        `No token with ${wanted} in ${this.modulePath}. `
        + (seen.length === 0 ? 'No initialised token is present: insert the token and try again.'
          : `Present: ${seen.join(', ')}. Check the label or serial printed on the token.`),
        { ...details, present: seen });
    }
    if (matches.length > 1) {
      const seen = matches.map(({ info }) => describeToken(info));
      throw new CustosError('TOKEN_AMBIGUOUS',
        `${matches.length} tokens match ${wanted}: ${seen.join(', ')}. Give the serial as well, or remove the tokens not needed.`,
        { ...details, present: seen });
    }
    const token = Pkcs11Token.open({
      api: this.#acquire().api,
      slot: match.slot,
      virtual: this.#virtual,
      onClose: (closed) => this.#open.delete(closed),
    });
    this.#open.set(token, match.slot);
    return token;
  }

  /** Closes every token opened here and lets the module go (finalised when nothing else in the process uses it). */
  async close(): Promise<void> {
    for (const token of [...this.#open.keys()]) await token.close();
    this.#module?.release();
    this.#module = undefined;
  }

  #acquire(): LoadedModule {
    this.#module ??= acquireModule(this.modulePath);
    return this.#module;
  }

  // PKCS#11 keeps one login per application and token, so an open token here tells for its slot.
  #isLoggedIn(slot: Handle): boolean {
    return [...this.#open].some(([token, tokenSlot]) => tokenSlot.equals(slot) && token.info.loggedIn);
  }

  /**
   * Initialised tokens only: an uninitialised one has no label or serial to pick
   * it by, and SoftHSM always offers one empty slot for the next token.
   */
  #present(): Present[] {
    const { api } = this.#acquire();
    try {
      return api.C_GetSlotList(true)
        .filter((slot) => isTokenInitialized(api.C_GetTokenInfo(slot).flags))
        .map((slot) => ({ slot, info: readTokenInfo(api, slot, { virtual: this.#virtual, loggedIn: this.#isLoggedIn(slot) }) }));
    } catch (e) {
      throw pkcs11Failure(e, 'session', { modulePath: this.modulePath });
    }
  }
}
