/** Byte helpers for card encodings: big-endian unsigned integers and exact comparisons. */

export function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** The bytes without leading zeros, keeping at least one byte. */
export function stripLeadingZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

export function bigintFromBytes(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

/** Minimal big-endian bytes (at least one), or exactly length bytes when given. */
export function bytesFromBigint(value: bigint, length?: number): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (length !== undefined) {
    if (hex.length > length * 2) throw new RangeError(`value needs more than ${length} bytes`);
    hex = hex.padStart(length * 2, '0');
  }
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
