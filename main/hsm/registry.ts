/**
 * The tokens this process can reach, across backends, and the sessions it has
 * open on them. A token is named by backend and serial, never by slot; a CA
 * key is found by the SHA-256 of its public key on whichever logged-in token
 * holds it.
 */
import { CustosError, isCustosError } from '../errors/index.ts';
import type { KeyRef, Token, TokenInfo, TokenProvider } from './token.ts';
import { inListingOrder, type OrderedToken } from './token-order.ts';

/**
 * A token's id: backend and serial, and for a SmartCard-HSM the start of its
 * device key's SHA-256, because two cards may show one serial. A card that
 * could not be opened is named by its reader.
 */
export function tokenId(info: Pick<TokenInfo, 'backend' | 'serial' | 'deviceKeySha256' | 'error' | 'reader'>): string {
  if (info.error !== undefined) return `${info.backend}:unopenable:${info.reader}`;
  return info.deviceKeySha256 === undefined ? `${info.backend}:${info.serial}` : `${info.backend}:${info.serial}:${info.deviceKeySha256.slice(0, DEVICE_KEY_ID_HEX)}`;
}

/** Hex digits of the device key's SHA-256 in a token id: 64 bits, enough to tell apart the cards one person holds. */
const DEVICE_KEY_ID_HEX = 16;

/**
 * A backend whose service is absent (no pcscd, no reader) has no tokens; that
 * is not a failure of the others. A backend that fails otherwise (a PKCS#11
 * module that cannot load) is listed with its error, and the others still are.
 */
async function listOrFailure(provider: TokenProvider): Promise<readonly TokenInfo[]> {
  try {
    return await provider.list();
  } catch (e) {
    if (isCustosError(e) && (e.code === 'PCSC_UNAVAILABLE' || e.code === 'READER_NOT_FOUND')) return [];
    const error = isCustosError(e) ? { code: e.code, message: e.message } : { code: 'INTERNAL' as const, message: 'The token backend could not list its tokens.' };
    return [{
      backend: provider.backend ?? 'pkcs11', virtual: false, label: provider.description ?? 'Token backend', serial: '', model: 'unknown', manufacturer: 'unknown',
      reader: provider.description ?? 'unknown', pinState: { initialized: false, countLow: false, finalTry: false, locked: false }, loggedIn: false,
      flags: ['unopenable'], error,
    }];
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
  /** Device keys (SHA-256) of unattested cards the operator accepted: read back from the journal by the core. */
  readonly #accepted = new Set<string>();

  constructor(providers: readonly TokenProvider[]) {
    this.#providers = providers;
  }

  /** Every token present, in the one listing order (token-order.ts): a token keeps its place whatever is done with it. */
  async list(): Promise<ListedToken[]> {
    const out: (ListedToken & OrderedToken)[] = [];
    for (const [index, provider] of this.#providers.entries()) {
      const source = provider.description ?? `${provider.backend ?? 'token'} backend ${index + 1}`;
      let listed = await this.#listProvider(provider);
      // A session whose card was taken out is over, even if the card is back (it was reset: no login
      // survives). Its stale state must not be shown: it is closed, and the provider asked again.
      if (listed.some((e) => e.removed)) listed = await this.#listProvider(provider);
      for (const { id, info } of listed) out.push({ id, source, info: this.#withAcceptance(info) });
    }
    return inListingOrder(out).map(({ id, info }) => ({ id, info }));
  }

  /** One provider's tokens, an opened one with its state read now; removed: an opened token's card was gone, and its session is closed. */
  async #listProvider(provider: TokenProvider): Promise<{ id: string; info: TokenInfo; removed: boolean }[]> {
    const out: { id: string; info: TokenInfo; removed: boolean }[] = [];
    for (const info of await listOrFailure(provider)) {
      const id = tokenId(info);
      this.#origin.set(id, provider);
      const opened = this.#open.get(id);
      if (opened === undefined) {
        out.push({ id, info, removed: false });
        continue;
      }
      try {
        out.push({ id, info: await opened.refresh(), removed: false });
      } catch (e) {
        const removed = isCustosError(e) && e.code === 'TOKEN_REMOVED';
        if (removed) await this.close(id).catch(() => undefined);
        out.push({ id, info, removed });
      }
    }
    return out;
  }

  #withAcceptance(info: TokenInfo): TokenInfo {
    return info.attestation === 'none' && info.deviceKeySha256 !== undefined && this.#accepted.has(info.deviceKeySha256) ? { ...info, accepted: true } : info;
  }

  /** The operator accepted the unattested device with this key (the caller journals it): its token may be used. */
  acceptDevice(deviceKeySha256: string): void {
    this.#accepted.add(deviceKeySha256.toLowerCase());
    for (const token of this.#open.values()) if (token.info.deviceKeySha256 === deviceKeySha256.toLowerCase()) token.acceptUnattested?.();
  }

  async open(id: string): Promise<Token> {
    const cached = this.#open.get(id);
    if (cached) return cached;
    if (!this.#origin.has(id)) await this.list();
    const provider = this.#origin.get(id);
    const listed = provider ? (await listOrFailure(provider)).find((i) => tokenId(i) === id) : undefined;
    if (!provider || !listed) {
      throw new CustosError('TOKEN_NOT_FOUND', `No token ${id} is present. Insert it (or check the PKCS#11 module path) and list tokens again.`, { tokenId: id });
    }
    if (listed.error !== undefined) throw new CustosError(listed.error.code, listed.error.message, { tokenId: id });
    const token = await provider.open({
      serial: listed.serial, label: listed.label, ...(listed.deviceKeySha256 !== undefined ? { deviceKeySha256: listed.deviceKeySha256 } : {}),
    });
    if (token.info.deviceKeySha256 !== undefined && this.#accepted.has(token.info.deviceKeySha256)) token.acceptUnattested?.();
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
