/**
 * The tokens this process can reach, across backends, and the sessions it has
 * open on them. A token is named by backend and serial, never by slot; a CA
 * key is found by the SHA-256 of its public key on whichever logged-in token
 * holds it.
 */
import { CustosError, isCustosError } from '../errors/index.ts';
import type { KeyRef, Token, TokenInfo, TokenProvider } from './token.ts';

export function tokenId(info: Pick<TokenInfo, 'backend' | 'serial'>): string {
  return `${info.backend}:${info.serial}`;
}

/** A backend whose service is absent (no pcscd, no reader) has no tokens; that is not a failure of the others. */
async function listOrNothing(provider: TokenProvider): Promise<readonly TokenInfo[]> {
  try {
    return await provider.list();
  } catch (e) {
    if (isCustosError(e) && (e.code === 'PCSC_UNAVAILABLE' || e.code === 'READER_NOT_FOUND')) return [];
    throw e;
  }
}

export interface ListedToken {
  readonly id: string;
  readonly info: TokenInfo;
}

export class TokenRegistry {
  readonly #providers: readonly TokenProvider[];
  readonly #open = new Map<string, Token>();
  readonly #origin = new Map<string, TokenProvider>();
  /** Keys found on logged-in tokens, by SPKI SHA-256: a batch of signatures looks the CA key up once. */
  readonly #found = new Map<string, { readonly id: string; readonly token: Token; readonly key: KeyRef }>();

  constructor(providers: readonly TokenProvider[]) {
    this.#providers = providers;
  }

  async list(): Promise<ListedToken[]> {
    const out: ListedToken[] = [];
    for (const provider of this.#providers) {
      for (const info of await listOrNothing(provider)) {
        const id = tokenId(info);
        this.#origin.set(id, provider);
        const opened = this.#open.get(id);
        out.push({ id, info: opened ? await opened.refresh().catch(() => info) : info });
      }
    }
    return out;
  }

  async open(id: string): Promise<Token> {
    const cached = this.#open.get(id);
    if (cached) return cached;
    if (!this.#origin.has(id)) await this.list();
    const provider = this.#origin.get(id);
    const listed = provider ? (await provider.list()).find((i) => tokenId(i) === id) : undefined;
    if (!provider || !listed) {
      throw new CustosError('TOKEN_NOT_FOUND', `No token ${id} is present. Insert it (or check the PKCS#11 module path) and list tokens again.`, { tokenId: id });
    }
    const token = await provider.open({ serial: listed.serial, label: listed.label });
    this.#open.set(id, token);
    return token;
  }

  /** Opened tokens only: a signature needs a session the operator logged in to. */
  openTokens(): ReadonlyMap<string, Token> {
    return this.#open;
  }

  /**
   * Finds the key on any opened token; tokens that are logged in come first.
   * A key found on a logged-in token is remembered while that token stays
   * open and logged in (a logout or close forgets it, and so does forgetKey,
   * which a failed signature calls), so a batch finds its CA key once.
   */
  async findKey(spkiSha256: string): Promise<{ token: Token; key: KeyRef } | undefined> {
    const wanted = spkiSha256.toLowerCase();
    const known = this.#found.get(wanted);
    if (known && this.#open.get(known.id) === known.token && known.token.info.loggedIn) return { token: known.token, key: known.key };
    this.#found.delete(wanted);
    const tokens = [...this.#open.entries()].sort(([, a], [, b]) => Number(b.info.loggedIn) - Number(a.info.loggedIn));
    for (const [id, token] of tokens) {
      const key = await token.findKey(spkiSha256).catch(() => undefined);
      if (key) {
        if (token.info.loggedIn) this.#found.set(wanted, { id, token, key });
        return { token, key };
      }
    }
    return undefined;
  }

  /** Forgets where a key was found (after a signature with it failed): the next lookup asks the tokens again. */
  forgetKey(spkiSha256: string): void {
    this.#found.delete(spkiSha256.toLowerCase());
  }

  async requireKey(spkiSha256: string, what: string): Promise<{ token: Token; key: KeyRef }> {
    const found = await this.findKey(spkiSha256);
    if (!found) {
      throw new CustosError('KEY_NOT_FOUND',
        `The key of ${what} is on no open token. Insert the token that holds it (key SHA-256 ${spkiSha256.slice(0, 16)}…) and log in.`,
        { spkiSha256 });
    }
    return found;
  }

  async close(id: string): Promise<void> {
    const token = this.#open.get(id);
    this.#open.delete(id);
    for (const [spki, found] of this.#found) if (found.id === id) this.#found.delete(spki);
    await token?.close();
  }

  async closeAll(): Promise<void> {
    for (const id of [...this.#open.keys()]) await this.close(id);
    for (const p of this.#providers) await p.close();
  }
}
