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
  signerOf, type Hex, type KeyRef, type KeySpec, type LoginOptions, type PinState, type Signer, type SignerOptions, type Token, type TokenInfo,
} from '../token.ts';
import { ScHsmCard, type DkekStatus, type InitializeOptions, type PinStatus, type PkaStatus } from './card.ts';
import { EF_TOKEN_INFO } from './commands.ts';
import { readDeviceIdentity, type DeviceIdentity } from './device.ts';
import { importDkekShare, importDkekShareFile, unwrapCardKey, wrapCardKey, type WrappedKey } from './key-backup.ts';
import type { ShareFileOptions } from '../../keydomain/index.ts';
import { deleteCardKey, generateCardKey, listCardKeys, readCardKey, storeKeyCertificate, writeKeyLabel, type CardKey } from './keys.ts';
import { authenticateCustodians, registerCustodianKey, type CustodianAuthenticator, type CustodianKeyExport } from './pka.ts';
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

  private constructor(card: ScHsmCard, device: DeviceIdentity, label: string, pin: PinStatus, rehearsal: boolean) {
    this.card = card;
    this.device = device;
    this.#label = label;
    this.#rehearsal = rehearsal;
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
      return new ScHsmToken(card, device, label, await card.pinStatus('user'), options.rehearsal === true);
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
      loggedIn: this.card.authState !== 'none' && (pin.verified || this.card.authState === 'pka'),
      flags: [`attestation:${attestation}`, ...(pin.transportPin ? ['transport-pin'] : [])],
      deviceKeySha256: this.device.deviceKeySha256,
      attestation,
      ...(attestation === 'none' ? { accepted: this.#accepted } : {}),
    };
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

  /** Unlocks the HSM with m custodians instead of a PIN (public-key authentication). */
  async loginWithCustodians(custodians: readonly CustodianAuthenticator[]): Promise<PkaStatus> {
    return await this.#serial(async () => {
      this.#requireAccepted();
      const status = await authenticateCustodians(this.card, this.device.deviceChr, custodians);
      await this.refresh();
      return status;
    });
  }

  async logout(): Promise<void> {
    return await this.#serial(async () => {
      await this.card.logout();
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

  async generateKeyPair(spec: KeySpec, label: string): Promise<KeyRef> {
    return (await this.generateAttestedKeyPair(spec, label)).key;
  }

  /** Like generateKeyPair, also returning the card's device-signed CV request (67) that attests on-card generation. */
  async generateAttestedKeyPair(spec: KeySpec, label: string): Promise<{ key: KeyRef; request: Uint8Array }> {
    return await this.#serial(async () => {
      this.#requireAccepted();
      if (label.trim() === '') throw new CustosError('INPUT_INVALID', 'A key needs a label.', {});
      if ((await this.listKeys()).some((k) => k.label === label)) {
        throw new CustosError('KEY_LABEL_EXISTS', `A key labelled "${label}" already exists on this SmartCard-HSM: choose another label.`, { label });
      }
      const { key, request } = await generateCardKey(this.card, spec, label, this.device.serial, this.device.devicePublicKey);
      return { key: keyRefOf(key), request: request.raw };
    });
  }

  signer(key: KeyRef, _options: SignerOptions = {}): Signer {
    const keyId = keyIdOf(key);
    return signerOf(this.#info, key, async (message, algorithm) => await this.#serial(() => {
      this.#requireAccepted();
      return signWithCardKey(this.card, keyId, key.spec, key.spki, algorithm, message);
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

  async registerCustodian(exported: CustodianKeyExport): Promise<PkaStatus> {
    return await this.#serial(async () => {
      this.#requireAccepted();
      return await registerCustodianKey(this.card, exported);
    });
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
