/**
 * Modular arithmetic on bigint for the two places the key domain needs number
 * theory on card formats: RSA prime recovery from a type 05 blob and the Shamir
 * password shares of sc-hsm-tool. No cipher or hash is built from these.
 */

export function bigintOf(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

/** Minimal big-endian bytes (at least one), or exactly length bytes when given. */
export function bytesOf(value: bigint, length?: number): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (length !== undefined) {
    if (hex.length > length * 2) throw new RangeError(`value needs more than ${length} bytes`);
    hex = hex.padStart(length * 2, '0');
  }
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

export function modPow(base: bigint, exponent: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

/** a^-1 mod m by the extended Euclidean algorithm, or undefined when a and m share a factor. */
export function modInverse(a: bigint, m: bigint): bigint | undefined {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return oldR === 1n ? mod(oldS, m) : undefined;
}

export function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}
