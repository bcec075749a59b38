/**
 * The core, opened on one data directory: journal, CA state, tokens. The CLI,
 * the Electron shell and the dev host all drive Custos through this object;
 * none of them reaches a token or the journal any other way.
 */
import { userInfo } from 'node:os';
import { CustosError } from './errors/index.ts';
import { Journal, type JournalEntry } from './journal/index.ts';
import { TokenRegistry } from './hsm/registry.ts';
import { Pkcs11Provider } from './hsm/pkcs11/index.ts';
import { tokenRecord, type KeyRef, type KeySpec, type Token, type TokenProvider } from './hsm/token.ts';
import type { Secret } from './hsm/secret.ts';
import { CaState } from './ca/state.ts';
import type { CaContext } from './ca/context.ts';
import { dataDir as defaultDataDir } from './settings/data-dir.ts';
import { readConfig } from './settings/config.ts';

export interface CustosOptions {
  readonly dataDir?: string;
  readonly operator?: string;
  /** PKCS#11 module paths to load, added to the config file's. */
  readonly pkcs11Modules?: readonly string[];
  /** Modules whose tokens are rehearsal tokens (SoftHSM2 standing in for an HSM). */
  readonly rehearsalModules?: readonly string[];
  /** More token backends (virtual SmartCard-HSMs, PC/SC readers). */
  readonly providers?: readonly TokenProvider[];
  readonly now?: () => Date;
  readonly profileDir?: string;
}

export class Custos {
  readonly ctx: CaContext;
  /** Acts a previous run began and never finished: shown to the operator at start. */
  readonly abandoned: readonly JournalEntry[];
  readonly rehearsalOnly: boolean;
  #busy: string | undefined;

  private constructor(ctx: CaContext, rehearsalOnly: boolean) {
    this.ctx = ctx;
    this.abandoned = ctx.journal.abandonedAtOpen;
    this.rehearsalOnly = rehearsalOnly;
  }

  static open(options: CustosOptions = {}): Custos {
    const dir = options.dataDir ?? defaultDataDir();
    const config = readConfig(dir);
    const operator = options.operator ?? config.operator ?? process.env.CUSTOS_OPERATOR ?? safeUserName();
    const rehearsal = new Set([...(options.rehearsalModules ?? []), ...config.rehearsalModules]);
    const modules = [...new Set([...(options.pkcs11Modules ?? []), ...config.pkcs11Modules, ...rehearsal])];
    const providers: TokenProvider[] = [
      ...modules.map((modulePath) => new Pkcs11Provider({ modulePath, virtual: rehearsal.has(modulePath) })),
      ...(options.providers ?? []),
    ];
    const journal = Journal.open({ dir, operator, ...(options.now ? { now: options.now } : {}) });
    const state = CaState.fromEntries(journal.entries);
    journal.onAppend((e) => state.apply(e));
    const ctx: CaContext = {
      journal, state, tokens: new TokenRegistry(providers), dataDir: dir, now: options.now ?? (() => new Date()),
      ...(options.profileDir ? { profileDir: options.profileDir } : {}),
    };
    const rehearsalOnly = modules.length > 0 && modules.every((m) => rehearsal.has(m)) || (modules.length === 0 && (options.providers?.length ?? 0) > 0);
    return new Custos(ctx, rehearsalOnly);
  }

  get journal(): Journal { return this.ctx.journal; }
  get state(): CaState { return this.ctx.state; }
  get tokens(): TokenRegistry { return this.ctx.tokens; }

  /** Long acts (key generation, signing, CRLs) run one at a time: a second start is refused, not queued. */
  async exclusive<T>(what: string, act: () => Promise<T>): Promise<T> {
    if (this.#busy) throw new CustosError('OPERATION_IN_PROGRESS', `Wait for "${this.#busy}" to finish before starting "${what}".`, { running: this.#busy });
    this.#busy = what;
    try {
      return await act();
    } finally {
      this.#busy = undefined;
    }
  }

  async login(tokenId: string, pin: Secret, confirmFinalTry = false): Promise<Token> {
    const token = await this.tokens.open(tokenId);
    const intent = this.journal.begin('token.login', { tokenId, pinState: { ...token.info.pinState } }, tokenRecord(token.info));
    try {
      await token.login(pin, { confirmFinalTry });
    } catch (e) {
      this.journal.fail(intent, e instanceof CustosError ? e : { code: 'INTERNAL', message: String(e) });
      throw e;
    } finally {
      pin.wipe();
    }
    this.journal.complete(intent, { loggedIn: true });
    return token;
  }

  async logout(tokenId: string): Promise<Token> {
    const token = await this.tokens.open(tokenId);
    await token.logout();
    this.journal.append('token.logout', { tokenId }, { token: tokenRecord(token.info) });
    return token;
  }

  async generateKey(tokenId: string, spec: KeySpec, label: string): Promise<KeyRef> {
    return this.exclusive('key generation', async () => {
      const token = await this.tokens.open(tokenId);
      const intent = this.journal.begin('key.generate', { tokenId, spec: { ...spec }, label }, tokenRecord(token.info));
      try {
        const key = await token.generateKeyPair(spec, label);
        this.journal.complete(intent, { keyId: key.id, spkiSha256: key.spkiSha256, label: key.label });
        return key;
      } catch (e) {
        this.journal.fail(intent, e instanceof CustosError ? e : { code: 'INTERNAL', message: String(e) });
        throw e;
      }
    });
  }

  async close(): Promise<void> {
    await this.tokens.closeAll();
    this.journal.close();
  }
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'operator';
  }
}
