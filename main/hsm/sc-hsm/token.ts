/**
 * A SmartCard-HSM as a Token for the CA flows. One ScHsmToken holds one
 * exclusive connection from open to close: the login, every key operation and
 * the last signature all run on it, and the card is never re-SELECTed in
 * between (a SELECT logs it out, SC-HSM.md §1.5). logout() and close() SELECT
 * on purpose, so no later program inherits an unlocked card.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as asn1js from 'asn1js';
import { CustosError, isCustosError } from '../../errors/index.ts';
import type { Secret } from '../../secret.ts';
import {
  signerOf, type CustodianApproval, type Hex, type KeyGenObserver, type KeyRef, type KeySpec, type LoginOptions, type PinState, type QuorumInfo, type Signer, type SignerOptions, type Token, type TokenInfo,
} from '../token.ts';
import { ScHsmCard, type DkekStatus, type InitializeOptions, type PinStatus, type PkaStatus } from './card.ts';
import { EF_TOKEN_INFO } from './commands.ts';
import { readDeviceIdentity, type DeviceIdentity } from './device.ts';
import { importDkekShare, importDkekShareFile, unwrapCardKey, wrapCardKey, type WrappedKey } from './key-backup.ts';
import type { ShareFileOptions } from '../../keydomain/index.ts';
import { deleteCardKey, generateCardKey, listCardKeys, readCardKey, storeKeyCertificate, writeKeyLabel, type CardKey } from './keys.ts';
import {
  authenticateCustodian, examineCustodianKey, exportCustodianKey, newQuorumChallenge, readQuorumMode, registerCustodianKey,
  type CustodianAuthenticator, type CustodianKeyExport, type QuorumMode,
} from './pka.ts';
import { signWithCardKey } from './signing.ts';
import type { ApduTransport } from './transport.ts';
import { fromBerSafely } from '../../pki/ber.ts';

const DEFAULT_LABEL = 'SmartCard-HSM';
/** The card's default user PIN retry counter (SC-HSM.md §4.2); tries below it mean a wrong PIN was entered. */
const DEFAULT_PIN_RETRIES = 3;

/** The label in PKCS#15 TokenInfo (EF 2F03): label [0] Label OPTIONAL (PKCS #15 v1.1 §6.9). */
export function tokenInfoLabel(der: Uint8Array): string | undefined {
  const parsed = fromBerSafely(Uint8Array.from(der));
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) return undefined;
  for (const item of parsed.result.valueBlock.value) {
    if (item.idBlock.tagClass === 3 && item.idBlock.tagNumber === 0) {
      const bytes = item instanceof asn1js.Constructed ? undefined : (item as asn1js.Primitive).valueBlock.valueHexView;
      return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
    }
  }
  return undefined;
}

/** The SO-PIN's retry counter as INITIALIZE DEVICE sets it (SC-HSM.md §4.2): 15 tries. */
const SO_PIN_RETRIES = 15;

export function pinStateOf(status: PinStatus, fullTries = DEFAULT_PIN_RETRIES): PinState {
  const tries = status.triesLeft;
  return {
    initialized: status.initialized,
    countLow: tries !== undefined && tries < fullTries,
    finalTry: tries === 1,
    locked: status.blocked,
    ...(tries !== undefined ? { triesLeft: tries } : {}),
  };
}

function keyRefOf(key: CardKey): KeyRef {
  return { id: key.keyId.toString(16).padStart(2, '0'), label: key.label, spec: key.spec, spki: key.spki, spkiSha256: key.spkiSha256, alwaysAuthenticate: false };
}

function keyIdOf(key: KeyRef): number {
  const id = Number.parseInt(key.id, 16);
  if (!/^[0-9a-f]{1,2}$/i.test(key.id) || id < 1 || id > 0xff) throw new CustosError('KEY_NOT_FOUND', `"${key.id}" is not a SmartCard-HSM key id.`, { id: key.id });
  return id;
}

export class ScHsmToken implements Token {
  readonly card: ScHsmCard;
  readonly device: DeviceIdentity;
  #label: string;
  #info: TokenInfo;
  #closed = false;
  /** Opened by a provider of rehearsal cards (virtual state files): VIRTUAL whatever the card's attestation. */
  readonly #rehearsal: boolean;
  /** The operator accepted this device although no known root attests it. */
  #accepted = false;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #inside = new AsyncLocalStorage<boolean>();
  /** The card's authentication mode and PKA status as last read. */
  #quorum: QuorumMode;
  /** The challenge custodians of the current quorum session sign; one for all (pico-hsm zeroes results at each GET CHALLENGE). */
  #challenge: Uint8Array | undefined;
  /** Custodians that authenticated through this connection since the card last forgot its authentication. */
  #approvals: CustodianApproval[] = [];

  private constructor(card: ScHsmCard, device: DeviceIdentity, label: string, pin: PinStatus, rehearsal: boolean, quorum: QuorumMode) {
    this.card = card;
    this.device = device;
    this.#label = label;
    this.#rehearsal = rehearsal;
    this.#quorum = quorum;
    this.#info = this.#makeInfo(pin);
  }

  /**
   * Selects the applet, verifies the device chain and reads the PIN state; the
   * transport is held until close(). rehearsal: the card is a virtual one from
   * a state file, so VIRTUAL even when no known root attests it.
   */
  static async open(transport: ApduTransport, options: { readonly rehearsal?: boolean } = {}): Promise<ScHsmToken> {
    let card: ScHsmCard | undefined;
    try {
      card = await ScHsmCard.open(transport);
      const device = await readDeviceIdentity(card);
      const tokenInfo = await card.readFileIfPresent(EF_TOKEN_INFO);
      const label = (tokenInfo !== undefined && tokenInfo.length > 0 ? tokenInfoLabel(tokenInfo) : undefined) ?? DEFAULT_LABEL;
      return new ScHsmToken(card, device, label, await card.pinStatus('user'), options.rehearsal === true, await readQuorumMode(card));
    } catch (e) {
      if (card !== undefined) await card.close().catch(() => undefined);
      else await transport.close().catch(() => undefined);
      throw e;
    }
  }

  get info(): TokenInfo {
    return this.#info;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  #makeInfo(pin: PinStatus): TokenInfo {
    const v = this.card.version;
    const attestation = this.device.attestation;
    const virtual = attestation === 'virtual' || this.#rehearsal;
    return {
      backend: 'sc-hsm',
      virtual,
      label: this.#label,
      serial: this.device.serial,
      model: `${attestation === 'none' ? 'SmartCard-HSM-compatible' : 'SmartCard-HSM'} ${v.major}.${v.minor}`,
      manufacturer: virtual ? 'Custos virtual SmartCard-HSM' : attestation === 'cardcontact' ? 'www.CardContact.de' : 'unknown (device not attested by a known root)',
      reader: this.card.transport.readerName,
      pinState: pinStateOf(pin),
      loggedIn: this.#loggedIn(pin),
      flags: [`attestation:${attestation}`, ...(pin.transportPin ? ['transport-pin'] : [])],
      deviceKeySha256: this.device.deviceKeySha256,
      attestation,
      ...(attestation === 'none' ? { accepted: this.#accepted } : {}),
      ...(this.#quorumInfo() !== undefined ? { quorum: this.#quorumInfo()! } : {}),
    };
  }

  /** Logged in as the card's mode counts it: with option 0010 the PIN and the quorum, never one of them alone. */
  #loggedIn(pin: PinStatus): boolean {
    const status = this.#quorum.status;
    const quorum = status !== undefined && status.authenticatedKeys >= status.requiredKeys;
    switch (this.#quorum.mode) {
      case 'pin-and-quorum': return pin.verified && quorum;
      case 'quorum-only': return quorum;
      case 'pin': return this.card.authState !== 'none' && pin.verified;
      default: return this.card.authState !== 'none' && (pin.verified || quorum);
    }
  }

  #quorumInfo(): QuorumInfo | undefined {
    const { mode, protecting, status } = this.#quorum;
    if (mode === 'pin' || status === undefined) return undefined;
    return {
      mode, protecting, total: status.totalKeys, registered: status.totalKeys - status.keysToRegister, required: status.requiredKeys,
      authenticated: status.authenticatedKeys, custodians: [...this.#approvals],
    };
  }

  /** Reads the PKA status back; a count below the custodians this connection saw means the card forgot them. */
  async #readQuorum(): Promise<PkaStatus | undefined> {
    if (this.#quorum.mode === 'pin') return undefined;
    const status = await this.card.pkaStatus();
    if (status.authenticatedKeys < this.#approvals.length || status.authenticatedKeys === 0) {
      this.#approvals = [];
      if (status.authenticatedKeys === 0) this.#challenge = undefined;
    }
    this.#quorum = { ...this.#quorum, status };
    return status;
  }

  /** Lets a device no known root attests be used; the caller has recorded the operator's decision. */
  acceptUnattested(): void {
    if (this.device.attestation !== 'none' || this.#accepted) return;
    this.#accepted = true;
    this.#info = { ...this.#info, accepted: true };
  }

  /**
   * A card no known root attests may be anything that answers like a
   * SmartCard-HSM (its keys may not even be on a chip): nothing is done with
   * it until the operator has accepted that.
   */
  #requireAccepted(): void {
    if (this.device.attestation !== 'none' || this.#accepted) return;
    throw new CustosError('DEVICE_NOT_ATTESTED',
      `The card ${this.device.serial} (device key ${this.device.deviceKeySha256.slice(0, 16)}…) is not attested by a known root: nothing proves it is a genuine SmartCard-HSM. Accept it explicitly (custos tokens accept, or Tokens › Accept this device) before using it.`,
      { serial: this.device.serial, deviceKeySha256: this.device.deviceKeySha256 });
  }

  #open(): void {
    if (this.#closed) throw new CustosError('SESSION_FAILED', 'This SmartCard-HSM session is closed: open the token again.', { serial: this.device.serial });
  }

  /**
   * Runs one token operation at a time: a key generation (several APDUs) or a
   * file read must not interleave with a signature on the same card. Calls made
   * from inside an operation run at once.
   */
  async #serial<T>(operation: () => Promise<T>): Promise<T> {
    this.#open();
    if (this.#inside.getStore() === true) return await operation();
    const run = this.#queue.then(() => this.#inside.run(true, operation));
    this.#queue = run.catch(() => undefined);
    return await run;
  }

  async refresh(): Promise<TokenInfo> {
    return await this.#serial(async () => {
      await this.#readQuorum();
      this.#info = this.#makeInfo(await this.card.pinStatus('user'));
      return this.#info;
    });
  }

  /**
   * Verifies the user PIN. The PIN state is read first (no try spent): a
   * blocked PIN is not tried, and the last try is spent only when confirmed.
   */
  async login(pin: Secret, options: LoginOptions = {}): Promise<void> {
    return await this.#serial(async () => {
      this.#requireAccepted();
      const status = await this.card.pinStatus('user');
      this.#info = this.#makeInfo(status);
      if (!status.initialized) throw new CustosError('TOKEN_NOT_INITIALIZED', 'The SmartCard-HSM is not initialized: initialize it with an SO-PIN and a user PIN first.', { serial: this.device.serial });
      if (status.blocked) throw new CustosError('PIN_BLOCKED', 'The user PIN is blocked: unblock it with the SO-PIN (Tokens › Unblock PIN).', { serial: this.device.serial, triesLeft: 0 });
      if (status.triesLeft === 1 && options.confirmFinalTry !== true) {
        throw new CustosError('PIN_FINAL_TRY', 'One PIN try is left: a wrong PIN now blocks the SmartCard-HSM. Confirm to use the final try.', { serial: this.device.serial, triesLeft: 1 });
      }
      try {
        await this.card.verifyPin(pin);
      } finally {
        this.#info = this.#makeInfo(await this.card.pinStatus('user').catch(() => status));
      }
    });
  }

  /** INITIALIZE DEVICE: erases every key and object (the device key and its certificates stay). */
  async initialize(options: InitializeOptions): Promise<TokenInfo> {
    return await this.#serial(async () => {
      this.#requireAccepted();
      await this.card.initialize(options);
      // The options come back in the SELECT answer: read the new mode from the card, not from what was asked.
      await this.card.select();
      this.#approvals = [];
      this.#challenge = undefined;
      this.#quorum = await readQuorumMode(this.card);
      return await this.refresh();
    });
  }

  async changePin(oldPin: Secret, newPin: Secret): Promise<void> {
    return await this.#serial(async () => {
      this.#requireAccepted();
      try {
        await this.card.changePin(oldPin, newPin);
      } finally {
        await this.refresh().catch(() => undefined);
      }
    });
  }

  /** The SO-PIN's retry counter, read with an empty VERIFY (no try spent, SC-HSM.md §4.2). */
  async soPinState(): Promise<PinState> {
    return await this.#serial(async () => pinStateOf(await this.card.pinStatus('so'), SO_PIN_RETRIES));
  }

  /** RESET RETRY COUNTER with the SO-PIN; sets a new user PIN when one is given. */
  async unblockPin(soPin: Secret, newPin?: Secret): Promise<void> {
    return await this.#serial(async () => {
      this.#requireAccepted();
      try {
        await this.card.unblockPin(soPin, newPin);
      } finally {
        await this.refresh().catch(() => undefined);
      }
    });
  }

  /** The registered custodian keys as the card lists them (CHR, authenticated now), or undefined when it cannot. */
  async registeredCustodians(): Promise<{ chr: string; authenticated: boolean }[] | undefined> {
    return await this.#serial(async () => {
      const status = await this.#readQuorum();
      if (status === undefined) return undefined;
      return await this.card.registeredPkaKeys(status.totalKeys);
    });
  }

  /** The card's mode and quorum, read from the card now. */
  async quorumMode(): Promise<QuorumMode> {
    return await this.#serial(async () => {
      await this.#readQuorum();
      this.#info = this.#makeInfo(await this.card.pinStatus('user'));
      return this.#quorum;
    });
  }

  /**
   * One custodian authenticates: MSE SET A4 with its CHR and EXTERNAL
   * AUTHENTICATE over the session's challenge, on this held connection.
   * Custodians come one at a time; the count is the card's. The same
   * custodian twice is refused before the card is asked, and the count stays.
   */
  async authenticateCustodian(custodian: CustodianAuthenticator): Promise<QuorumInfo> {
    return await this.#serial(async () => {
      this.#requireAccepted();
      const before = await this.#readQuorum();
      if (before === undefined) throw new CustosError('PKA_NOT_CONFIGURED', `${this.#label} was initialized without a custodian quorum.`, { serial: this.device.serial });
      if (this.#approvals.some((a) => a.chr === custodian.chr)) {
        throw new CustosError('CUSTODIAN_ALREADY_AUTHENTICATED', `The custodian key ${custodian.chr} has already authenticated: the next custodian presents their own token.`,
          { chr: custodian.chr, authenticated: before.authenticatedKeys, required: before.requiredKeys });
      }
      if (before.authenticatedKeys >= before.requiredKeys) {
        throw new CustosError('ALREADY_LOGGED_IN', `${before.authenticatedKeys} of ${before.requiredKeys} custodians have authenticated already: the quorum is complete.`, { authenticated: before.authenticatedKeys });
      }
      this.#challenge ??= await newQuorumChallenge(this.card);
      try {
        await authenticateCustodian(this.card, this.device.deviceChr, this.#challenge, custodian);
      } finally {
        // Whatever happened (a wrong key, a token pulled out mid-signature), the count shown is the card's.
        await this.#readQuorum().catch(() => undefined);
        this.#info = this.#makeInfo(await this.card.pinStatus('user').catch(() => ({ initialized: true, verified: false, blocked: false, transportPin: false })));
      }
      const status = this.#quorum.status!;
      this.#approvals.push({ chr: custodian.chr, keySha256: custodian.keySha256 });
      if (status.authenticatedKeys >= status.requiredKeys) this.#challenge = undefined;
      this.#info = this.#makeInfo(await this.card.pinStatus('user'));
      return this.#quorumInfo()!;
    });
  }

  /** Unlocks the HSM with m custodians (public-key authentication), one after another on one challenge. */
  async loginWithCustodians(custodians: readonly CustodianAuthenticator[]): Promise<PkaStatus> {
    if (new Set(custodians.map((c) => c.chr)).size !== custodians.length) {
      throw new CustosError('CUSTODIAN_ALREADY_AUTHENTICATED', 'The same custodian key is listed twice: each custodian authenticates once.', {});
    }
    let info: QuorumInfo | undefined;
    for (const c of custodians) info = await this.authenticateCustodian(c);
    const status = this.#quorum.status!;
    if (info === undefined || status.authenticatedKeys < status.requiredKeys) {
      throw new CustosError('QUORUM_NOT_MET', `${status.authenticatedKeys} of the ${status.requiredKeys} required custodians have authenticated: more custodians must sign to unlock this HSM.`,
        { authenticated: status.authenticatedKeys, required: status.requiredKeys });
    }
    return status;
  }

  /**
   * Before the HSM signs: with a custodian quorum configured, the card must
   * count m authenticated custodians now. The count is read from the card,
   * so a card that forgot them (reset, another program's SELECT) is caught
   * here, and the quorum can be collected again on the same connection.
   */
  async #requireQuorum(): Promise<void> {
    const status = await this.#readQuorum();
    if (status === undefined || status.authenticatedKeys >= status.requiredKeys) return;
    // A card whose PIN alone unlocks it, with too few custodians registered to form a quorum, is a PIN card for now.
    if (!this.#quorum.protecting && status.totalKeys - status.keysToRegister < status.requiredKeys) return;
    this.#info = this.#makeInfo(await this.card.pinStatus('user'));
    throw new CustosError('QUORUM_NOT_MET',
      `${status.authenticatedKeys} of ${status.requiredKeys} custodians are authenticated on ${this.#label} (${status.totalKeys - status.keysToRegister} registered): the CA key signs only once ${status.requiredKeys} custodians have authenticated. Collect the quorum (custos quorum auth, or Quorum › Authenticate) and try again.`,
      { authenticated: status.authenticatedKeys, required: status.requiredKeys, registered: status.totalKeys - status.keysToRegister });
  }

  async logout(): Promise<void> {
    return await this.#serial(async () => {
      await this.card.logout();
      this.#approvals = [];
      this.#challenge = undefined;
      await this.refresh();
    });
  }

  async listKeys(): Promise<readonly KeyRef[]> {
    return await this.#serial(async () => {
      return (await listCardKeys(this.card)).map(keyRefOf);
    });
  }

  async findKey(spkiSha256: Hex): Promise<KeyRef | undefined> {
    return (await this.listKeys()).find((k) => k.spkiSha256 === spkiSha256.toLowerCase());
  }

  async generateKeyPair(spec: KeySpec, label: string, observer: KeyGenObserver = {}): Promise<KeyRef> {
    return (await this.generateAttestedKeyPair(spec, label, observer)).key;
  }

  /** Like generateKeyPair, also returning the card's device-signed CV request (67) that attests on-card generation. */
  async generateAttestedKeyPair(spec: KeySpec, label: string, observer: KeyGenObserver = {}): Promise<{ key: KeyRef; request: Uint8Array }> {
    return await this.#serial(async () => {
      this.#requireAccepted();
      if (label.trim() === '') throw new CustosError('INPUT_INVALID', 'A key needs a label.', {});
      await this.#requireQuorum();
      if ((await this.listKeys()).some((k) => k.label === label)) {
        throw new CustosError('KEY_LABEL_EXISTS', `A key labelled "${label}" already exists on this SmartCard-HSM: choose another label.`, { label });
      }
      const { key, request } = await generateCardKey(this.card, spec, label, this.device.serial, this.device.devicePublicKey, observer);
      return { key: keyRefOf(key), request: request.raw };
    });
  }

  signer(key: KeyRef, _options: SignerOptions = {}): Signer {
    const keyId = keyIdOf(key);
    return signerOf(this.#info, key, async (message, algorithm) => await this.#serial(async () => {
      this.#requireAccepted();
      await this.#requireQuorum();
      return await signWithCardKey(this.card, keyId, key.spec, key.spki, algorithm, message);
    }));
  }

  /** Writes a new label into the key's PKCS#15 description. */
  async labelKey(key: KeyRef, label: string): Promise<KeyRef> {
    return await this.#serial(async () => {
      this.#requireAccepted();
      if ((await this.listKeys()).some((k) => k.label === label && k.id !== key.id)) {
        throw new CustosError('KEY_LABEL_EXISTS', `A key labelled "${label}" already exists on this SmartCard-HSM: choose another label.`, { label });
      }
      await this.card.assertAuthenticated();
      await writeKeyLabel(this.card, keyIdOf(key), key.spec, label);
      return { ...key, label };
    });
  }

  /** Stores the key's X.509 certificate with it (CE<id>), replacing the card's request. */
  async storeCertificate(key: KeyRef, certificateDer: Uint8Array): Promise<void> {
    return await this.#serial(async () => {
      this.#requireAccepted();
      await storeKeyCertificate(this.card, keyIdOf(key), certificateDer);
    });
  }

  async deleteKey(key: KeyRef): Promise<void> {
    return await this.#serial(async () => {
      this.#requireAccepted();
      await deleteCardKey(this.card, keyIdOf(key));
    });
  }

  async dkekStatus(): Promise<DkekStatus> {
    return await this.#serial(async () => {
      return await this.card.dkekStatus();
    });
  }

  /** Imports one plain 32-byte DKEK share (decrypt a share file with main/keydomain first). */
  async importDkekShare(share: Uint8Array): Promise<DkekStatus> {
    return await this.#serial(async () => {
      this.#requireAccepted();
      return await importDkekShare(this.card, share);
    });
  }

  /** Imports one DKEK share from its password-protected share file. */
  async importDkekShareFile(file: Uint8Array, password: Secret, options: ShareFileOptions = {}): Promise<DkekStatus> {
    return await this.#serial(async () => {
      this.#requireAccepted();
      return await importDkekShareFile(this.card, file, password, options);
    });
  }

  async wrapKey(key: KeyRef): Promise<WrappedKey> {
    return await this.#serial(async () => {
      this.#requireAccepted();
      return await wrapCardKey(this.card, keyIdOf(key));
    });
  }

  /** Restores a wrapped key (same key domain only) and returns it as listed on this card. */
  async unwrapKey(wrapped: WrappedKey): Promise<KeyRef> {
    return await this.#serial(async () => {
      this.#requireAccepted();
      const id = await unwrapCardKey(this.card, wrapped);
      const key = await readCardKey(this.card, id);
      if (key === undefined) throw new CustosError('KEY_NOT_FOUND', 'The restored key cannot be read back from the SmartCard-HSM.', { keyId: id });
      return keyRefOf(key);
    });
  }

  async pkaStatus(): Promise<PkaStatus> {
    return await this.#serial(async () => {
      return await this.card.pkaStatus();
    });
  }

  /**
   * Registers a custodian key after checking it on the host (examineCustodianKey).
   * A key whose device no known root attests is registered only when the
   * operator confirmed it (the caller journals that).
   */
  async registerCustodian(exported: CustodianKeyExport, options: { readonly acceptUnattested?: boolean } = {}): Promise<PkaStatus> {
    return await this.#serial(async () => {
      this.#requireAccepted();
      const candidate = examineCustodianKey(exported);
      if (candidate.attestation === 'none' && options.acceptUnattested !== true) {
        throw new CustosError('CUSTODIAN_NOT_ATTESTED',
          `The custodian key ${candidate.chr} comes from a device (${candidate.deviceChr}) no known root attests: confirm to register it anyway.`,
          { chr: candidate.chr, deviceChr: candidate.deviceChr, reason: candidate.notAttestedBecause ?? 'unknown-root' });
      }
      if (!candidate.selfReferencing && this.device.attestation === 'none') {
        throw new CustosError('CUSTODIAN_KEY_UNSUITABLE',
          `The custodian key request ${candidate.chr} names ${candidate.request.inner.body.car ?? 'no CAR'} as its CAR: a compatible HSM that follows the CAR to find the curve fails on it. Enrol a key with Custos (custos quorum enrol), whose request names itself.`,
          { chr: candidate.chr });
      }
      const status = await registerCustodianKey(this.card, exported);
      await this.#readQuorum();
      this.#info = this.#makeInfo(await this.card.pinStatus('user'));
      return status;
    });
  }

  /**
   * Makes the custodian's authentication key on this (logged-in) token: a
   * P-256 key whose request names itself as CAR, and returns what
   * sc-hsm-tool --export-for-pub-key-auth would export for it.
   */
  async generateCustodianKey(label: string): Promise<{ key: KeyRef; exported: CustodianKeyExport }> {
    return await this.#serial(async () => {
      this.#requireAccepted();
      if ((await this.listKeys()).some((k) => k.label === label)) {
        throw new CustosError('KEY_LABEL_EXISTS', `A key labelled "${label}" already exists on this SmartCard-HSM: choose another label.`, { label });
      }
      const { key } = await generateCardKey(this.card, { kind: 'ec', curve: 'P-256' }, label, this.device.serial, this.device.devicePublicKey, { selfReferencing: true });
      return { key: keyRefOf(key), exported: await exportCustodianKey(this.card, key.keyId) };
    });
  }

  /** The registration file for a key already on this token (sc-hsm-tool's export format). */
  async exportCustodianKey(key: KeyRef): Promise<CustodianKeyExport> {
    return await this.#serial(async () => await exportCustodianKey(this.card, keyIdOf(key)));
  }

  /** Waits for the operation in progress, then logs the card out and releases the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#serial(async () => {
      this.#closed = true;
      try {
        await this.card.close();
      } catch (e) {
        if (!isCustosError(e)) throw e;
      }
    }).catch((e: unknown) => {
      if (!isCustosError(e)) throw e;
    });
  }
}
