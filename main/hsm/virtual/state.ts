/**
 * What the virtual card remembers across power cycles (its EEPROM), and how it
 * is serialised into the encrypted state file. Volatile state (selection,
 * authentication, challenge) lives in session.ts and is never written.
 */
import { CustosError } from '../../errors/index.ts';

export interface StoredPin {
  /** scrypt(pin, salt): the PIN itself is never stored. */
  readonly hash: Uint8Array;
  readonly salt: Uint8Array;
  /** Bytes of the PIN, so CHANGE REFERENCE DATA can split old || new (SC-HSM.md §4.3). */
  readonly length: number;
  readonly maxTries: number;
  triesLeft: number;
}

export type StoredKeyKind = 'rsa' | 'ec';

export interface StoredKey {
  readonly kind: StoredKeyKind;
  /** PKCS#8 DER; only inside the encrypted state file. */
  readonly pkcs8: Uint8Array;
  /** Modulus bits or field bits, as the key blob header states it. */
  readonly sizeBits: number;
  /** Algorithm ids allowed for the key (key blob field); empty means every algorithm. */
  readonly allowedAlgorithms: Uint8Array;
}

export interface PkaRegistration {
  readonly chr: string;
  /** DER SubjectPublicKeyInfo of the custodian's key. */
  readonly spki: Uint8Array;
  /** The authenticated request (67) as registered. */
  readonly request: Uint8Array;
}

export interface DkekState {
  readonly totalShares: number;
  importedShares: number;
  value: Uint8Array;
}

export interface PkaState {
  readonly totalKeys: number;
  readonly requiredKeys: number;
  readonly registrations: PkaRegistration[];
}

export interface CardState {
  readonly formatVersion: 1;
  label: string;
  /** Device authentication key (key id 0), PKCS#8 DER. */
  readonly deviceKey: Uint8Array;
  readonly deviceChr: string;
  /** EF 2F02: device CVC || DICA CVC. */
  readonly deviceCertificates: Uint8Array;
  /** The virtual SRCA certificate (7F21): the card's trust anchor for PKA registration. */
  readonly srcaCertificate: Uint8Array;
  initialized: boolean;
  options: number;
  userPin?: StoredPin;
  soPin?: StoredPin;
  dkek?: DkekState;
  pka?: PkaState;
  /** EFs by FID (upper-case hex, 4 digits), 2F02 included. */
  files: Record<string, Uint8Array>;
  /** Private keys by key id (1–255). */
  keys: Record<number, StoredKey>;
}

const BYTES_MARK = '$b64';

export function serializeState(state: CardState): Uint8Array {
  const json = JSON.stringify(state, (_key, value: unknown) =>
    value instanceof Uint8Array ? { [BYTES_MARK]: Buffer.from(value).toString('base64') } : value);
  return new TextEncoder().encode(json);
}

export function deserializeState(bytes: Uint8Array): CardState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes), (_key, value: unknown) => {
      if (typeof value === 'object' && value !== null && BYTES_MARK in value) {
        return new Uint8Array(Buffer.from(String((value as Record<string, unknown>)[BYTES_MARK]), 'base64'));
      }
      return value;
    });
  } catch {
    throw new CustosError('FORMAT_MISMATCH', 'The virtual card state does not parse.', {});
  }
  const state = parsed as CardState;
  if (typeof parsed !== 'object' || parsed === null || state.formatVersion !== 1 || !(state.deviceKey instanceof Uint8Array)) {
    throw new CustosError('FORMAT_MISMATCH', 'The virtual card state is not of format version 1.', {});
  }
  return state;
}

export function fidHex(fid: number): string {
  return fid.toString(16).toUpperCase().padStart(4, '0');
}
