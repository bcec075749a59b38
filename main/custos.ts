/**
 * The core, opened on one data directory: journal, CA state, tokens. The CLI,
 * the Electron shell and the dev host all drive Custos through this object;
 * none of them reaches a token or the journal any other way.
 */
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { CustosError } from './errors/index.ts';
import { Journal, type JournalEntry } from './journal/index.ts';
import { TokenRegistry } from './hsm/registry.ts';
import { Pkcs11Provider } from './hsm/pkcs11/index.ts';
import { tokenRecord, type KeyRef, type KeySpec, type QuorumInfo, type Token, type TokenProvider } from './hsm/token.ts';
import type { Secret } from './secret.ts';
import { CaState } from './ca/state.ts';
import type { CaContext } from './ca/context.ts';
import { dataDir as defaultDataDir } from './settings/data-dir.ts';
import { ScHsmToken } from './hsm/sc-hsm/token.ts';
import { ScHsmProvider, VirtualScHsmProvider } from './hsm/sc-hsm/provider.ts';
import type { PkaStatus } from './hsm/sc-hsm/card.ts';
import { ensureRehearsalTokens } from './rehearsal/tokens.ts';
import { authenticateCustodian, quorumStatus } from './quorum/quorum.ts';
import { readConfig } from './settings/config.ts';
import { AnchorCheck } from './journal/checkpoint.ts';
import { checkpointIfHeld } from './ca/journal-anchor.ts';
import { refuseKeyOnIncompleteDomain } from './ca/key-domain.ts';
import { ProgressHub, type Progress } from './work/progress-hub.ts';
import { keyGenerationEstimateMs } from './hsm/keygen-time.ts';
import { describeKeySpec } from './pki/x509/keys.ts';
import type { KeyGenStep } from './hsm/token.ts';

/** How far a long piece of work is: done of total (total 0 when it cannot tell), what it is doing, and whether it may be stopped. */
export type ProgressReport = Progress;

/** Why a key generation is never stopped half way: the window shows this instead of a Cancel button. */
export const KEYGEN_NOT_CANCELLABLE = 'the token is generating the key; stopping now could leave a half-made key on it.';

// A key generation's steps, in order: the token's (KeyGenStep), then Custos's record of the key.
const KEYGEN_STEPS: readonly KeyGenStep[] = ['generate', 'read-public-key', 'write-description'];
const KEYGEN_TOTAL = KEYGEN_STEPS.length + 1;

/** The journal entry that records the operator accepting a device no known root attests. */
export const UNATTESTED_ACCEPTED = 'token.unattested-accepted';

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
  /** Every token is a rehearsal token: shown as REHEARSAL on every screen. */
  readonly rehearsal?: boolean;
  /** Look for SmartCard-HSMs in PC/SC readers (default: yes, unless providers are given). */
  readonly pcsc?: boolean;
}

export class Custos {
  readonly ctx: CaContext;
  /** Acts a previous run began and never finished: shown to the operator at start. */
  readonly abandoned: readonly JournalEntry[];
  readonly rehearsalOnly: boolean;
  #busy: string | undefined;
  /** The one hub every long act reports into and work.cancel reaches; the window hears it through coreEvents. */
  readonly work = new ProgressHub();

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
    const pcsc = options.pcsc ?? (options.providers === undefined && !options.rehearsal);
    const providers: TokenProvider[] = [
      ...modules.map((modulePath) => new Pkcs11Provider({ modulePath, virtual: rehearsal.has(modulePath) })),
      ...(pcsc ? [new ScHsmProvider()] : []),
      ...(options.providers ?? []),
    ];
    // The state is read back from the journal as it is opened, and follows every entry appended after.
    // A certificate's bytes are read back from the journal when asked for (the journal is open by then).
    let journal: Journal | undefined;
    const tokens = new TokenRegistry(providers);
    const state = new CaState((seq) => {
      const entry = journal?.entryAt(seq);
      if (!entry) throw new CustosError('INTERNAL', `Journal entry #${seq} cannot be read back.`, { seq });
      return entry;
    });
    // An unattested device the operator accepted stays accepted: the journal holds that decision.
    // The signed checkpoints are checked as the journal is read, and followed as it grows.
    const anchors = new AnchorCheck();
    const onEntry = (e: JournalEntry): void => {
      state.apply(e);
      anchors.observe(e);
      const accepted = e.kind === UNATTESTED_ACCEPTED ? e.data['deviceKeySha256'] : undefined;
      if (typeof accepted === 'string') tokens.acceptDevice(accepted);
    };
    journal = Journal.open({ dir, operator, onEntry, ...(options.now ? { now: options.now } : {}) });
    anchors.markOpened();
    const ctx: CaContext = {
      journal, state, anchors, tokens, dataDir: dir, now: options.now ?? (() => new Date()),
      ...(options.profileDir ? { profileDir: options.profileDir } : {}),
    };
    const rehearsalOnly = options.rehearsal ?? (modules.length > 0 && modules.every((m) => rehearsal.has(m)) && (options.providers?.length ?? 0) === 0);
    return new Custos(ctx, rehearsalOnly);
  }

  /** Long work (batch signing, key generation, CRLs, share-file derivation) reports how far it is; the window shows it. */
  onProgress(listener: (report: ProgressReport) => void): () => void {
    return this.work.on(listener);
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
      await this.journal.settle(intent, () => token.login(pin, { confirmFinalTry }));
    } finally {
      pin.wipe();
    }
    this.journal.complete(intent, { loggedIn: true });
    return token;
  }

  /**
   * The operator accepts a card no known root attests (a compatible card that
   * certified itself): recorded in the journal with its device key, after
   * which that card may be logged in to and used, in this run and the next.
   */
  async acceptUnattested(tokenId: string): Promise<Token> {
    const token = await this.tokens.open(tokenId);
    const { attestation, deviceKeySha256, serial, reader } = token.info;
    if (attestation !== 'none' || deviceKeySha256 === undefined) {
      throw new CustosError('INPUT_INVALID', `${token.info.label} (${serial}) is attested by a known root: there is nothing to accept.`, { tokenId });
    }
    if (token.info.accepted !== true) {
      this.journal.append(UNATTESTED_ACCEPTED, { tokenId, deviceKeySha256, serial, reader, deviceChr: token instanceof ScHsmToken ? token.device.deviceChr : serial },
        { token: tokenRecord(token.info) });
      this.tokens.acceptDevice(deviceKeySha256);
    }
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
      await refuseKeyOnIncompleteDomain(token);
      const keyType = describeKeySpec(spec);
      // Indeterminate at the token, determinate across the steps: the token's generation is the first of four.
      const work = this.work.begin('key.generate', { notCancellable: KEYGEN_NOT_CANCELLABLE, estimatedMs: keyGenerationEstimateMs(spec) });
      const stepLabel: Record<KeyGenStep, string> = {
        generate: `The token is generating the ${keyType} key`,
        'read-public-key': `Reading the new ${keyType} public key back from the token`,
        'write-description': `Writing the key's label "${label}" on the token`,
      };
      try {
        work.report(0, KEYGEN_TOTAL, stepLabel.generate);
        const intent = this.journal.begin('key.generate', { tokenId, spec: { ...spec }, label }, tokenRecord(token.info));
        const key = await this.journal.settle(intent, () => token.generateKeyPair(spec, label, {
          onStep: (step) => work.report(KEYGEN_STEPS.indexOf(step), KEYGEN_TOTAL, stepLabel[step]),
        }));
        work.report(KEYGEN_STEPS.length, KEYGEN_TOTAL, `Recording the ${keyType} key in the journal`);
        this.journal.complete(intent, { keyId: key.id, spkiSha256: key.spkiSha256, label: key.label });
        // Not a CA signature, so not required to lie under a checkpoint: anchored when the token can.
        await checkpointIfHeld(this.ctx, token).catch(() => undefined);
        work.report(KEYGEN_TOTAL, KEYGEN_TOTAL, `${keyType} key "${label}" generated`);
        return key;
      } finally {
        work.end();
      }
    });
  }

  /**
   * m-of-n public-key authentication: each custodian in turn logs in to their
   * own token, which signs the CA HSM's challenge (main/quorum). Each
   * custodian's authentication is journaled with the custodian's CHR and key.
   */
  async unlockWithCustodians(tokenId: string, custodians: readonly { tokenId: string; pin: Secret }[]): Promise<PkaStatus> {
    let last: QuorumInfo | undefined;
    try {
      for (const c of custodians) last = (await authenticateCustodian(this, tokenId, c.tokenId, c.pin)).quorum;
    } finally {
      for (const c of custodians) c.pin.wipe();
    }
    const q = last ?? (await quorumStatus(this, tokenId)).quorum;
    if (q === undefined) throw new CustosError('PKA_NOT_CONFIGURED', 'This HSM has no custodian quorum.', { tokenId });
    return { totalKeys: q.total, keysToRegister: q.total - q.registered, requiredKeys: q.required, authenticatedKeys: q.authenticated };
  }

  async close(): Promise<void> {
    // The journal closes (and its lock goes) even when a token will not: a stale lock refuses every later start.
    try { await this.tokens.closeAll(); } finally { this.journal.close(); }
  }

  /**
   * Opens the core on the rehearsal tokens (made on first use under the data
   * directory): no hardware, every token VIRTUAL.
   */
  static async openRehearsal(options: Omit<CustosOptions, 'providers'> = {}): Promise<Custos> {
    const dir = options.dataDir ?? defaultDataDir();
    const set = await ensureRehearsalTokens(join(dir, 'rehearsal-tokens'));
    return Custos.open({ ...options, dataDir: dir, providers: [new VirtualScHsmProvider(set.all)], rehearsal: true });
  }
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'operator';
  }
}
