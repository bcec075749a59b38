/**
 * Password shares of `sc-hsm-tool --pwd-shares-threshold t --pwd-shares-total n`
 * (SC-HSM.md §6, OpenSC sc-hsm-tool.c `generate_pwd_shares`, `createShares`,
 * `reconstructSecret`): the share-file password is 8 random bytes with the top bit
 * cleared, split by Shamir's scheme over GF(p) for a 64-bit safe prime p.
 *
 * Written here with bigint rather than taken from a secret-sharing library: this is
 * the card tool's interoperable format (one field, x = 1…n, shares shown as colon
 * hex), which no general-purpose library reproduces, and the formulas are the
 * textbook ones the tool uses: f(x) = secret + Σ a_k x^k, Lagrange at 0.
 */
import { generatePrimeSync, randomBytes } from 'node:crypto';
import { CustosError } from '../errors/index.ts';
import { bigintFromBytes, bytesFromBigint } from '../pki/cvc/bytes.ts';
import { mod, modInverse } from './bigint-math.ts';

export const SHARE_PASSWORD_BYTES = 8;
const PRIME_BITS = 64;

export interface PasswordShare {
  /** Share ID shown by sc-hsm-tool, 1…n. */
  readonly x: number;
  readonly y: bigint;
}

export interface PasswordSharing {
  readonly prime: bigint;
  readonly threshold: number;
  readonly shares: readonly PasswordShare[];
}

/** Uniform in [0, p) by rejection sampling over 8 random bytes. */
function randomBelow(p: bigint): bigint {
  for (;;) {
    const v = bigintFromBytes(new Uint8Array(randomBytes(SHARE_PASSWORD_BYTES)));
    if (v < p) return v;
  }
}

/**
 * 8 random bytes with the top bit of the first cleared, so the secret stays
 * below any 64-bit prime above 2^63, and the first byte never zero:
 * sc-hsm-tool --import-dkek-share --pwd-shares-total rebuilds the password as
 * the secret's minimal bytes (BN_bn2bin), so a leading zero would be dropped
 * and the file would not open there.
 */
export function generateSharePassword(): Uint8Array {
  for (;;) {
    const password = new Uint8Array(randomBytes(SHARE_PASSWORD_BYTES));
    password[0]! &= 0x7f;
    if (password[0] !== 0) return password;
    password.fill(0);
  }
}

/** Splits an 8-byte share-file password into n shares, any t of which recover it. */
export function splitSharePassword(password: Uint8Array, threshold: number, total: number): PasswordSharing {
  if (password.length !== SHARE_PASSWORD_BYTES) throw new CustosError('INPUT_INVALID', 'The share-file password for password shares is 8 bytes.', {});
  if (!Number.isInteger(threshold) || !Number.isInteger(total) || threshold < 2 || total < 3 || threshold > total || total > 255) {
    throw new CustosError('INPUT_INVALID', 'Password shares need 2 ≤ threshold ≤ total, and at least 3 shares in total.', { threshold, total });
  }
  const secret = bigintFromBytes(password);
  // sc-hsm-tool draws safe primes (BN_generate_prime_ex, safe = 1) until one exceeds the secret.
  let prime = 0n;
  for (let tries = 0; prime <= secret; tries++) {
    if (tries >= 1000) throw new CustosError('INTERNAL', 'No suitable prime was found for the password shares.', {});
    prime = generatePrimeSync(PRIME_BITS, { safe: true, bigint: true });
  }
  const coefficients = [secret, ...Array.from({ length: threshold - 1 }, () => randomBelow(prime))];
  const shares = Array.from({ length: total }, (_, i) => {
    const x = BigInt(i + 1);
    let y = 0n;
    for (let k = coefficients.length - 1; k >= 0; k--) y = mod(y * x + coefficients[k]!, prime);
    return { x: i + 1, y };
  });
  return { prime, threshold, shares };
}

/**
 * Recovers the password from at least threshold shares by Lagrange interpolation
 * at 0. Always 8 bytes: sc-hsm-tool drops a leading zero byte here (and then fails
 * to open its own file); sc-hsm-recrypt keeps all 8, as the file was encrypted with them.
 */
export function recoverSharePassword(prime: bigint, shares: readonly PasswordShare[]): Uint8Array {
  if (shares.length < 2) throw new CustosError('INPUT_INVALID', 'At least two password shares are needed.', {});
  if (new Set(shares.map((s) => s.x)).size !== shares.length) throw new CustosError('INPUT_INVALID', 'Two password shares have the same share ID.', {});
  let secret = 0n;
  for (const { x: xi, y: yi } of shares) {
    let numerator = 1n;
    let denominator = 1n;
    for (const { x: xj } of shares) {
      if (xj === xi) continue;
      numerator = mod(numerator * BigInt(-xj), prime);
      denominator = mod(denominator * BigInt(xi - xj), prime);
    }
    const inverse = modInverse(denominator, prime);
    if (inverse === undefined) throw new CustosError('INPUT_INVALID', 'These password shares do not fit this prime.', {});
    secret = mod(secret + yi * numerator * inverse, prime);
  }
  return bytesFromBigint(secret, SHARE_PASSWORD_BYTES);
}

/** Colon-separated hex bytes, as sc-hsm-tool prints the prime and share values (minimal big-endian). */
export function formatColonHex(value: bigint): string {
  let hex = value.toString(16).toUpperCase();
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return hex.match(/../g)!.join(':');
}

export function parseColonHex(text: string): bigint {
  const clean = text.trim();
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})*$/.test(clean)) throw new CustosError('INPUT_INVALID', 'Expected hex bytes separated by colons, like 0A:1B:2C.', {});
  return BigInt(`0x${clean.replaceAll(':', '')}`);
}
