/**
 * How long a key generation is expected to take, by key type, for the
 * window's estimate while a card works. Rough orders of magnitude for a
 * smart-card HSM: an EC key takes about a second; RSA takes a search for two
 * random primes, whose length is itself random, so one RSA 4096 generation
 * may take a fraction of this or several times it. Shown as "about", never
 * as a promise.
 */
import type { KeySpec } from './token.ts';

const RSA_MS: Readonly<Record<number, number>> = { 2048: 8_000, 3072: 25_000, 4096: 60_000 };
const EC_MS = 2_000;

export function keyGenerationEstimateMs(spec: KeySpec): number {
  return spec.kind === 'ec' ? EC_MS : (RSA_MS[spec.bits] ?? 60_000);
}
