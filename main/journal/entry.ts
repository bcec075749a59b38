/**
 * One journal entry and its hash. Each entry names the previous entry's hash,
 * so editing, removing or reordering any entry breaks every hash after it.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical.ts';
import type { TokenRecord } from '../hsm/token.ts';

/** The hash before the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };
export type EntryData = { [key: string]: JsonValue | undefined };

export interface JournalEntry {
  readonly seq: number;
  /** ISO 8601, UTC. */
  readonly time: string;
  readonly kind: string;
  readonly operator: string;
  /** The token the act ran on; `virtual: true` marks a rehearsal token in every entry. */
  readonly token?: TokenRecord;
  /** For a completion or failure: the seq of the intent it closes. */
  readonly intent?: number;
  readonly data: EntryData;
  readonly prev: string;
  readonly hash: string;
}

export type UnsealedEntry = Omit<JournalEntry, 'hash'>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * True when a parsed line has the members of a JournalEntry, each of its type.
 * A line can carry a valid hash and still not be an entry (whoever holds the
 * sealing function can chain anything), and what reads entries back relies on
 * their shape.
 */
export function isJournalEntry(value: unknown): value is JournalEntry {
  if (!isPlainObject(value)) return false;
  const { seq, time, kind, operator, token, intent, data, prev, hash } = value;
  return Number.isSafeInteger(seq) && typeof time === 'string' && typeof kind === 'string' && typeof operator === 'string'
    && (token === undefined || isPlainObject(token)) && (intent === undefined || Number.isSafeInteger(intent))
    && isPlainObject(data) && typeof prev === 'string' && typeof hash === 'string';
}

function canonicalBody(entry: UnsealedEntry): string {
  return canonicalJson({ ...entry, token: entry.token ? { ...entry.token } : undefined });
}

/** The hash of an entry whose canonical body is the concatenation of bodyParts, chained onto prev. */
export function hashOfBody(prev: string, ...bodyParts: string[]): string {
  const hash = createHash('sha256').update(prev).update('\n');
  for (const part of bodyParts) hash.update(part);
  return hash.digest('hex');
}

export function hashEntry(entry: UnsealedEntry): string {
  return hashOfBody(entry.prev, canonicalBody(entry));
}

/**
 * Seals an entry and gives the line the journal file holds for it: the
 * canonical JSON the hash was taken over, with the hash as its last member
 * (one encoding serves both; a reader parses the line as any JSON).
 */
export function sealedLine(entry: UnsealedEntry): { readonly entry: JournalEntry; readonly line: string } {
  const body = canonicalBody(entry);
  const hash = hashOfBody(entry.prev, body);
  return { entry: { ...entry, hash }, line: `${body.slice(0, -1)},"hash":${JSON.stringify(hash)}}` };
}
