/**
 * One PKCS#11 token, opened through one read/write session held for as long as
 * the token is open: a batch of signatures runs on that session, and the login
 * (which PKCS#11 keeps per application and token) lasts as long as it does.
 * Calls are queued, because a session runs one operation at a time.
 */
import { randomBytes } from 'node:crypto';
import { CustosError, type ErrorDetails } from '../../errors/index.ts';
import type { Secret } from '../../secret.ts';
import {
  signerOf,
  type Hex, type KeyGenObserver, type KeyRef, type KeySpec, type LoginOptions, type PinState, type SignAlgorithm, type Signer, type SignerOptions,
  type Token, type TokenInfo,
} from '../token.ts';
import { CK, CKS_RO_USER_FUNCTIONS, CKS_RW_USER_FUNCTIONS, type Handle, type Pkcs11Api } from './api.ts';
import {
  contextPinRequired, isCkr, loginFailure, notLoggedIn, pinBlocked, pinFinalTry, pinNotInitialized, pkcs11Failure,
  sessionClosed, soLoginFailure, soPinBlocked,
} from './errors.ts';
import { assertSupportedSpec, describeSpec, keyGenMechanism, keyPairTemplates, type KeyGenOptions } from './keygen.ts';
import { describeKeyPair, isLabelTaken, listKeyEntries, type KeyEntry } from './keys.ts';
import { planSignature } from './sign.ts';
import { ckaIdFor } from './spki.ts';
import { describeToken, readTokenInfo } from './token-info.ts';
import { soPinStateFromFlags } from './token-flags.ts';

/** Room for the largest signature Custos asks for (RSA-4096: 512 bytes; P-521: 132). */
const MAX_SIGNATURE_BYTES = 1024;

export interface Pkcs11TokenContext {
  readonly api: Pkcs11Api;
  readonly slot: Handle;
  /** A rehearsal token (e.g. SoftHSM standing in for the real one): marked VIRTUAL everywhere. */
  readonly virtual?: boolean;
  /** Told once, when the token closes. */
  readonly onClose?: (token: Pkcs11Token) => void;
}

export class Pkcs11Token implements Token {
  readonly #api: Pkcs11Api;
  readonly #slot: Handle;
  readonly #virtual: boolean;
  readonly #onClose: ((token: Pkcs11Token) => void) | undefined;
  readonly #mechanisms: ReadonlySet<number>;
  readonly #keys = new Map<Hex, KeyEntry>();
  #session: Handle | undefined;
  #info: TokenInfo;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(context: Pkcs11TokenContext, session: Handle, mechanisms: ReadonlySet<number>) {
    this.#api = context.api;
    this.#slot = context.slot;
    this.#virtual = context.virtual ?? false;
    this.#onClose = context.onClose;
    this.#session = session;
    this.#mechanisms = mechanisms;
    this.#info = readTokenInfo(this.#api, this.#slot, { virtual: this.#virtual, loggedIn: this.#isLoggedIn() });
  }

  /** Opens the token's read/write session. Use Pkcs11Provider.open to pick a token by label or serial. */
  static open(context: Pkcs11TokenContext): Pkcs11Token {
    const { api, slot } = context;
    let session: Handle;
    try {
      session = api.C_OpenSession(slot, CK.CKF_SERIAL_SESSION | CK.CKF_RW_SESSION);
    } catch (e) {
      throw pkcs11Failure(e, 'session');
    }
    try {
      return new Pkcs11Token(context, session, new Set(api.C_GetMechanismList(slot)));
    } catch (e) {
      try { api.C_CloseSession(session); } catch { /* the failure below is the one to report */ }
      throw pkcs11Failure(e, 'session');
    }
  }

  get info(): TokenInfo {
    return this.#info;
  }

  refresh(): Promise<TokenInfo> {
    return this.#exclusive(() => this.#readInfo());
  }

  login(pin: Secret, options: LoginOptions = {}): Promise<void> {
    return this.#exclusive(() => {
      const session = this.#requireSession();
      const { pinState, flags } = this.#readInfo();
      const details = this.#details();
      // Decided from the flags before anything is sent, so no try is spent.
      if (pinState.locked) throw pinBlocked(details);
      if (!pinState.initialized) throw pinNotInitialized(details);
      if (pinState.finalTry && options.confirmFinalTry !== true) throw pinFinalTry(details);
      // A reader with its own PIN pad takes the PIN there (PKCS#11 v2.40 §5.6: C_Login with a NULL PIN).
      const padEntry = pin.length === 0 && flags.includes('CKF_PROTECTED_AUTHENTICATION_PATH');
      try {
        this.#api.C_Login(session, CK.CKU_USER, padEntry ? undefined : pin.reveal());
      } catch (e) {
        throw loginFailure(e, this.#readInfoOrLast().pinState, details);
      }
      this.#readInfo();
    });
  }

  logout(): Promise<void> {
    return this.#exclusive(() => {
      const session = this.#requireSession();
      try {
        this.#api.C_Logout(session);
      } catch (e) {
        if (!isCkr(e, CK.CKR_USER_NOT_LOGGED_IN)) throw pkcs11Failure(e, 'session', this.#details());
      }
      this.#readInfo();
    });
  }

  /**
   * C_SetPIN on the token's session: the user PIN, old to new (PKCS#11 v2.40
   * §5.6). A wrong old PIN spends a try, told with the count the token reports.
   */
  changePin(oldPin: Secret, newPin: Secret): Promise<void> {
    return this.#exclusive(() => {
      const session = this.#requireSession();
      const details = this.#details();
      if (this.#readInfo().pinState.locked) throw pinBlocked(details);
      try {
        this.#api.C_SetPIN(session, oldPin.reveal(), newPin.reveal());
      } catch (e) {
        throw loginFailure(e, this.#readInfoOrLast().pinState, details);
      }
      this.#readInfo();
    });
  }

  /**
   * Unblocks (resets) the user PIN with the SO-PIN: C_Login as CKU_SO, then
   * C_InitPIN with the new PIN, then C_Logout (PKCS#11 v2.40 §5.6). A user
   * login is ended first: the token allows one kind of login at a time.
   */
  unblockPin(soPin: Secret, newPin?: Secret): Promise<void> {
    return this.#exclusive(() => {
      const session = this.#requireSession();
      const details = this.#details();
      if (newPin === undefined) throw new CustosError('PIN_REQUIRED', 'A PKCS#11 token sets a new user PIN as it unblocks it: give the new PIN.', details);
      const so = soPinStateFromFlags(this.#flagsNow());
      if (so.locked) throw soPinBlocked(details);
      if (this.#isLoggedIn()) {
        try { this.#api.C_Logout(session); } catch { /* logged out already */ }
      }
      try {
        this.#api.C_Login(session, CK.CKU_SO, soPin.reveal());
      } catch (e) {
        const after = (() => { try { return soPinStateFromFlags(this.#flagsNow()); } catch { return so; } })();
        throw soLoginFailure(e, after, details);
      }
      try {
        this.#api.C_InitPIN(session, newPin.reveal());
      } catch (e) {
        throw pkcs11Failure(e, 'session', details);
      } finally {
        try { this.#api.C_Logout(session); } catch { /* the SO login ends with the session anyway */ }
        this.#readInfoOrLast();
      }
    });
  }

  /** The SO-PIN's state from the token's flags, read without spending a try. */
  soPinState(): Promise<PinState> {
    return this.#exclusive(() => soPinStateFromFlags(this.#flagsNow()));
  }

  #flagsNow(): number {
    try {
      return this.#api.C_GetTokenInfo(this.#slot).flags;
    } catch (e) {
      throw pkcs11Failure(e, 'session', this.#details());
    }
  }

  listKeys(): Promise<readonly KeyRef[]> {
    return this.#exclusive(() => this.#listEntries().map((entry) => entry.ref));
  }

  async findKey(spkiSha256: Hex): Promise<KeyRef | undefined> {
    const wanted = spkiSha256.toLowerCase();
    return (await this.listKeys()).find((key) => key.spkiSha256 === wanted);
  }

  generateKeyPair(spec: KeySpec, label: string, options: KeyGenOptions & KeyGenObserver = {}): Promise<KeyRef> {
    return this.#exclusive(async () => {
      const session = this.#requireSession();
      const details = { ...this.#details(), spec: describeSpec(spec), keyLabel: label };
      assertSupportedSpec(spec);
      if (label.trim().length === 0) throw new CustosError('INPUT_INVALID', 'Give the key a label.', details);
      if (!this.#mechanisms.has(keyGenMechanism(spec))) {
        throw new CustosError('KEY_SPEC_UNSUPPORTED',
          `This token cannot generate ${describeSpec(spec)} keys. Choose another key type or another token.`, details);
      }
      if (!this.#isLoggedIn()) throw notLoggedIn(details);
      try {
        if (isLabelTaken(this.#api, session, label)) {
          throw new CustosError('KEY_LABEL_EXISTS',
            `The token already has an object labelled "${label}". Choose another label.`, details);
        }
        // A random id first, so the pair is linked even if the token will not let us set the final one.
        const templates = keyPairTemplates(spec, label, randomBytes(20), options);
        options.onStep?.('generate');
        const pair = await this.#api.C_GenerateKeyPairAsync(session, templates.mechanism, templates.publicTemplate, templates.privateTemplate);
        options.onStep?.('read-public-key');
        const entry = describeKeyPair(this.#api, session, pair.privateKey);
        if (entry === undefined) {
          throw new CustosError('KEY_NOT_FOUND',
            'The token generated the key pair but its public key cannot be read back. Check the token with its vendor\'s tool.', details);
        }
        const ckaId = ckaIdFor(entry.ref.spki);
        options.onStep?.('write-description');
        let id = entry.ref.id;
        try {
          this.#api.C_SetAttributeValue(session, pair.publicKey, [{ type: CK.CKA_ID, value: ckaId }]);
          this.#api.C_SetAttributeValue(session, pair.privateKey, [{ type: CK.CKA_ID, value: ckaId }]);
          id = ckaId.toString('hex');
        } catch {
          // Some tokens fix CKA_ID at creation; the random id still pairs the two objects.
          this.#api.C_SetAttributeValue(session, pair.publicKey, [{ type: CK.CKA_ID, value: Buffer.from(entry.ref.id, 'hex') }]);
        }
        const generated: KeyEntry = { ...entry, ref: { ...entry.ref, id } };
        this.#keys.set(generated.ref.spkiSha256, generated);
        return generated.ref;
      } catch (e) {
        throw pkcs11Failure(e, 'session', details);
      }
    });
  }

  signer(key: KeyRef, options: SignerOptions = {}): Signer {
    return signerOf(this.#info, key, (message, algorithm) => this.#sign(key.spkiSha256, message, algorithm, options));
  }

  close(): Promise<void> {
    return this.#exclusive(() => {
      const session = this.#session;
      if (session === undefined) return;
      this.#session = undefined;
      this.#keys.clear();
      // Logging out first drops the login even if another session on this token stays open.
      try { this.#api.C_Logout(session); } catch { /* not logged in, or the token is gone */ }
      try { this.#api.C_CloseSession(session); } catch { /* the token is gone: nothing left to close */ }
      this.#info = { ...this.#info, loggedIn: false };
      this.#onClose?.(this);
    });
  }

  #sign(spkiSha256: Hex, message: Uint8Array, algorithm: SignAlgorithm, options: SignerOptions): Promise<Uint8Array> {
    return this.#exclusive(async () => {
      const session = this.#requireSession();
      const details = { ...this.#details(), spkiSha256 };
      if (!this.#isLoggedIn()) throw notLoggedIn(details);
      const entry = this.#keys.get(spkiSha256) ?? this.#listEntries().find((e) => e.ref.spkiSha256 === spkiSha256);
      if (entry === undefined) {
        throw new CustosError('KEY_NOT_FOUND',
          `The token ${describeToken(this.#info)} does not hold this key. Insert the token that holds it.`, details);
      }
      const plan = planSignature(entry.ref.spec, algorithm, this.#mechanisms);
      let contextPin: Secret | undefined;
      if (entry.ref.alwaysAuthenticate) {
        if (options.contextPin === undefined) throw contextPinRequired(details);
        // Asked before C_SignInit, so a slow or cancelled prompt leaves no operation open.
        contextPin = await options.contextPin();
      }
      try {
        this.#api.C_SignInit(session, plan.mechanism, entry.privateKey);
      } catch (e) {
        throw pkcs11Failure(e, 'sign', details);
      }
      try {
        if (contextPin !== undefined) {
          try {
            // PKCS#11 v2.40 §5.6: the context-specific login comes between C_SignInit and C_Sign.
            this.#api.C_Login(session, CK.CKU_CONTEXT_SPECIFIC, contextPin.reveal());
          } catch (e) {
            throw loginFailure(e, this.#readInfoOrLast().pinState, details);
          }
        }
        const signature = await this.#api.C_SignAsync(session, plan.input(message), Buffer.alloc(MAX_SIGNATURE_BYTES));
        return plan.output(signature);
      } catch (e) {
        // A failed sign may leave the operation active; a fresh session ends it and keeps the login.
        this.#replaceSession();
        throw pkcs11Failure(e, 'sign', details);
      }
    });
  }

  #listEntries(): KeyEntry[] {
    const session = this.#requireSession();
    let entries: KeyEntry[];
    try {
      entries = listKeyEntries(this.#api, session);
    } catch (e) {
      throw pkcs11Failure(e, 'session', this.#details());
    }
    this.#keys.clear();
    for (const entry of entries) this.#keys.set(entry.ref.spkiSha256, entry);
    return entries;
  }

  #replaceSession(): void {
    const old = this.#session;
    if (old === undefined) return;
    try {
      this.#session = this.#api.C_OpenSession(this.#slot, CK.CKF_SERIAL_SESSION | CK.CKF_RW_SESSION);
    } catch {
      return; // the token is gone; the next call reports it
    }
    try { this.#api.C_CloseSession(old); } catch { /* already invalid */ }
  }

  #requireSession(): Handle {
    if (this.#session === undefined) throw sessionClosed(this.#details());
    return this.#session;
  }

  #isLoggedIn(): boolean {
    if (this.#session === undefined) return false;
    let state: number;
    try {
      ({ state } = this.#api.C_GetSessionInfo(this.#session));
    } catch (e) {
      throw pkcs11Failure(e, 'session', this.#details());
    }
    return state === CKS_RW_USER_FUNCTIONS || state === CKS_RO_USER_FUNCTIONS;
  }

  #readInfo(): TokenInfo {
    try {
      this.#info = readTokenInfo(this.#api, this.#slot, { virtual: this.#virtual, loggedIn: this.#isLoggedIn() });
    } catch (e) {
      throw pkcs11Failure(e, 'session', this.#details());
    }
    return this.#info;
  }

  #readInfoOrLast(): TokenInfo {
    try {
      return this.#readInfo();
    } catch {
      return this.#info;
    }
  }

  #details(): ErrorDetails {
    // Unset only while the constructor reads the first state.
    const info = this.#info as TokenInfo | undefined;
    return info === undefined ? {} : { tokenLabel: info.label, tokenSerial: info.serial };
  }

  #exclusive<T>(act: () => T | Promise<T>): Promise<T> {
    const result = this.#queue.then(act);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}
