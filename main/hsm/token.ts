/**
 * The one interface every HSM backend implements (pkcs11, sc-hsm, virtual).
 * The PKI code never sees a slot, session or APDU: it receives a Signer.
 */
import type { ErrorCode } from '../errors/index.ts';
import type { Secret } from '../secret.ts';

/** Lower-case hexadecimal. */
export type Hex = string;

export type RsaBits = 2048 | 3072 | 4096;
export type EcCurve = 'P-256' | 'P-384' | 'P-521';
export type KeySpec = { readonly kind: 'rsa'; readonly bits: RsaBits } | { readonly kind: 'ec'; readonly curve: EcCurve };

export type HashName = 'SHA-256' | 'SHA-384' | 'SHA-512';
/**
 * What the token is asked to do with a message. The token (or its backend)
 * hashes; ECDSA signatures come back DER-encoded (Ecdsa-Sig-Value, RFC 3279 §2.2.3)
 * as X.509 and CMS need them.
 */
export type SignAlgorithm =
  | { readonly scheme: 'rsa-pkcs1'; readonly hash: HashName }
  | { readonly scheme: 'rsa-pss'; readonly hash: HashName; readonly saltLengthBytes: number }
  | { readonly scheme: 'ecdsa'; readonly hash: HashName };

export type Backend = 'pkcs11' | 'sc-hsm' | 'virtual';

/** PIN state read from the token before any login, so no try is spent to learn it. */
export interface PinState {
  readonly initialized: boolean;
  /** At least one wrong PIN was entered since the last good one. */
  readonly countLow: boolean;
  /** One more wrong PIN blocks the PIN. */
  readonly finalTry: boolean;
  readonly locked: boolean;
  /** Tries left when the token reports a number (SmartCard-HSM does; PKCS#11 does not). */
  readonly triesLeft?: number;
}

/**
 * Who vouches that a SmartCard-HSM is one: CardContact's root, the virtual
 * (rehearsal) root, or no known root — a compatible card that provisioned
 * itself, usable only once the operator has accepted it.
 */
export type DeviceAttestation = 'cardcontact' | 'virtual' | 'none';

/** Why a token or card that is present could not be opened. */
export interface TokenError {
  readonly code: ErrorCode;
  readonly message: string;
}

export interface TokenInfo {
  readonly backend: Backend;
  /** True for the rehearsal tokens; shown as VIRTUAL everywhere and recorded in every journal entry. */
  readonly virtual: boolean;
  readonly label: string;
  readonly serial: string;
  readonly model: string;
  readonly manufacturer: string;
  /** Where it is plugged: PKCS#11 slot description or PC/SC reader name. For display only, never to identify. */
  readonly reader: string;
  readonly pinState: PinState;
  readonly loggedIn: boolean;
  readonly flags: readonly string[];
  /**
   * SmartCard-HSM: SHA-256 of the device key's DER SubjectPublicKeyInfo. Two
   * cards may show the same serial (every card of one open-source
   * implementation does); their device keys still differ.
   */
  readonly deviceKeySha256?: Hex;
  /** SmartCard-HSM: whose root attests the device. */
  readonly attestation?: DeviceAttestation;
  /** For attestation 'none': the operator accepted this device (recorded in the journal). */
  readonly accepted?: boolean;
  /** Set on a token or card that could not be opened: it is listed with why, and hides no other. */
  readonly error?: TokenError;
  /** SmartCard-HSM with public-key authentication: its mode and who authenticated in this card session. */
  readonly quorum?: QuorumInfo;
}

/** A custodian that authenticated to an HSM: its registered key's CHR and the SHA-256 of that key. */
export interface CustodianApproval {
  readonly chr: string;
  readonly keySha256: Hex;
}

/**
 * The custodian quorum of an HSM as the card reports it ("k of m
 * authenticated (n registered)"). protecting is false whenever the PIN alone
 * would unlock the card.
 */
export interface QuorumInfo {
  readonly mode: 'pin-or-quorum' | 'pin-and-quorum' | 'quorum-only' | 'unknown';
  readonly protecting: boolean;
  readonly total: number;
  readonly registered: number;
  readonly required: number;
  readonly authenticated: number;
  /** Those that authenticated through this connection, in order; the card itself keeps only the count. */
  readonly custodians: readonly CustodianApproval[];
}

/** How a journal entry names the token an act ran on. */
export interface TokenRecord {
  readonly label: string;
  readonly serial: string;
  readonly model: string;
  readonly backend: Backend;
  readonly virtual: boolean;
  /** SmartCard-HSM: the device key's SHA-256, which tells apart cards of one serial. */
  readonly deviceKeySha256?: Hex;
  /** An HSM with a custodian quorum: the custodians authenticated when the act was recorded. */
  readonly quorum?: { readonly mode: QuorumInfo['mode']; readonly required: number; readonly custodians: readonly CustodianApproval[] };
}

export interface KeyRef {
  /** CKA_ID (PKCS#11) or key id (SmartCard-HSM), hex. */
  readonly id: Hex;
  readonly label: string;
  readonly spec: KeySpec;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  /** SHA-256 of the DER SubjectPublicKeyInfo: how a CA key is identified, on any token that holds it. */
  readonly spkiSha256: Hex;
  /** The key needs a PIN right before each signature (CKA_ALWAYS_AUTHENTICATE). */
  readonly alwaysAuthenticate: boolean;
}

export interface Signer {
  readonly spki: Uint8Array;
  readonly spkiSha256: Hex;
  readonly spec: KeySpec;
  readonly token: TokenRecord;
  /** Signs the message (the token or backend hashes it). ECDSA comes back DER-encoded. */
  sign(message: Uint8Array, algorithm: SignAlgorithm): Promise<Uint8Array>;
}

export interface LoginOptions {
  /** Must be true to spend the PIN's last try; without it login refuses with PIN_FINAL_TRY. */
  readonly confirmFinalTry?: boolean;
}

/**
 * The steps of a key generation, told as each begins, so the window can show
 * how far it is: the token's generation is the long one (tens of seconds for
 * RSA 4096 on a card), reading its public key back and writing its
 * description are short.
 */
export type KeyGenStep = 'generate' | 'read-public-key' | 'write-description';

export interface KeyGenObserver {
  readonly onStep?: (step: KeyGenStep) => void;
}

export interface SignerOptions {
  /** Asked for the PIN before each signature with a key that needs context-specific login. */
  readonly contextPin?: () => Promise<Secret>;
}

export interface Token {
  readonly info: TokenInfo;
  /** Reads flags and PIN state again (after a login attempt, a removal, another process). */
  refresh(): Promise<TokenInfo>;
  login(pin: Secret, options?: LoginOptions): Promise<void>;
  logout(): Promise<void>;
  listKeys(): Promise<readonly KeyRef[]>;
  findKey(spkiSha256: Hex): Promise<KeyRef | undefined>;
  /** Generates on the token: private key sensitive and never extractable. Refuses a label already used (KEY_LABEL_EXISTS). */
  generateKeyPair(spec: KeySpec, label: string, observer?: KeyGenObserver): Promise<KeyRef>;
  signer(key: KeyRef, options?: SignerOptions): Signer;
  /** Ends the session and drops any authentication state. */
  close(): Promise<void>;
  /** For a device no known root attests: lets it be used from now on (the caller records the operator's decision). */
  acceptUnattested?(): void;
  /** Changes the user PIN (a wrong old PIN spends a try; the caller confirms a final one). Tokens that cannot, lack it. */
  changePin?(oldPin: Secret, newPin: Secret): Promise<void>;
  /** Resets the user PIN's retry counter with the SO-PIN, setting newPin (a wrong SO-PIN spends one of its tries). */
  unblockPin?(soPin: Secret, newPin?: Secret): Promise<void>;
  /** The SO-PIN's state, read without spending a try, where the token tells it. */
  soPinState?(): Promise<PinState>;
}

/** Picks a token by what a person can read on it, never by slot number. */
export interface TokenSelector {
  readonly label?: string;
  readonly serial?: string;
  /** SmartCard-HSM: the device key's SHA-256, for cards that share a serial. */
  readonly deviceKeySha256?: Hex;
}

export interface TokenProvider {
  /** The backend of its tokens, and words that name it, for when it fails to list them. */
  readonly backend?: Backend;
  readonly description?: string;
  list(): Promise<readonly TokenInfo[]>;
  open(selector: TokenSelector): Promise<Token>;
  close(): Promise<void>;
}

export function tokenRecord(info: TokenInfo): TokenRecord {
  return {
    label: info.label, serial: info.serial, model: info.model, backend: info.backend, virtual: info.virtual,
    ...(info.deviceKeySha256 !== undefined ? { deviceKeySha256: info.deviceKeySha256 } : {}),
    ...(info.quorum !== undefined
      ? { quorum: { mode: info.quorum.mode, required: info.quorum.required, custodians: info.quorum.custodians.map((c) => ({ chr: c.chr, keySha256: c.keySha256 })) } }
      : {}),
  };
}

/** A Signer for a key of a token: the key's public half, the token's record, and the backend's signing function. */
export function signerOf(info: TokenInfo, key: KeyRef, sign: Signer['sign']): Signer {
  return { spki: key.spki, spkiSha256: key.spkiSha256, spec: key.spec, token: tokenRecord(info), sign };
}
